package httpapi_test

import (
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestRestrictedSessionOverHTTP: a session signed in with a passkey that
// looks cloned cannot start a phone enrollment: 403 "session-restricted".
func TestRestrictedSessionOverHTTP(t *testing.T) {
	f := newFixture(t)
	key := &accounttest.Authenticator{}
	f.u.AddPasskey(t, key, account.KindSecurityKey, "Blue key")
	opts, err := f.svc.BeginLogin(ctx, f.u.Email)
	if err != nil {
		t.Fatal(err)
	}
	clone := *key
	clone.Counter = 0
	resp, err := clone.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.svc.FinishLogin(ctx, resp)
	if err != nil {
		t.Fatal(err)
	}
	grant := f.u.Grant(t, account.PurposeAddPasskey)
	w := f.desktopCall("POST", "/api/enrollments", sess.Token, `{"grant":"`+grant+`"}`)
	if w.Code != 403 || errorWord(t, w) != "session-restricted" {
		t.Fatalf("begin from a restricted session: %d %s", w.Code, w.Body)
	}
}
