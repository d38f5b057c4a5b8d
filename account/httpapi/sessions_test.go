package httpapi_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// A session signed in over HTTP records the client the server's
// ClientAddr names (a trusted proxy's X-Forwarded-For, on a server) and
// which app asked: the desktop app when its header says so, a browser
// otherwise, whatever else the header says.
func TestSessionsRecordClientAndAddress(t *testing.T) {
	f := newLimitFixture(t)
	u := f.u
	signIn := func(client, app string) string {
		t.Helper()
		body := fmt.Sprintf(`{"Email":%q,"Password":%q,"Code":%q}`, u.Email, u.Password, u.Code(t))
		r := f.request("POST", "/v1/signin", client, "", body)
		if app != "" {
			r.Header.Set(httpapi.ClientHeader, app)
		}
		w := f.serve(r)
		if w.Code != 200 {
			t.Fatalf("sign-in: %d %s", w.Code, w.Body)
		}
		var s account.Session
		if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		return s.Token
	}
	desk := signIn("203.0.113.5", string(account.ClientDesktop))
	signIn("2001:db8::7", "")
	signIn("198.51.100.2", "something-else")
	w := f.do("GET", "/v1/sessions", "203.0.113.5", desk, "")
	if w.Code != 200 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	var list []account.SessionInfo
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	// The fixture's own session (signed up in-process) comes first.
	want := []struct {
		client  account.ClientKind
		address string
		current bool
	}{
		{account.ClientDesktop, "", false},
		{account.ClientDesktop, "203.0.113.5", true},
		{account.ClientBrowser, "2001:db8::7", false},
		{account.ClientBrowser, "198.51.100.2", false},
	}
	if len(list) != len(want) {
		t.Fatalf("sessions: %+v", list)
	}
	for i, s := range list {
		if s.Client != want[i].client || s.Address != want[i].address || s.Current != want[i].current {
			t.Errorf("session %d: %+v, want %+v", i, s, want[i])
		}
	}
	// Malformed: ending a session with no ID in the path is no route.
	if w := f.do("DELETE", "/v1/sessions/", "203.0.113.5", desk, ""); w.Code/100 != 4 {
		t.Errorf("DELETE /v1/sessions/: %d", w.Code)
	}
}
