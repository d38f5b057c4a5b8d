package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// postJSON posts body to the server as a client a proxy on this machine
// forwards for, and decodes the answer into out.
func postJSON(t *testing.T, method, url, token, forwardedFor string, body, out any) {
	t.Helper()
	var rd bytes.Buffer
	if body != nil {
		json.NewEncoder(&rd).Encode(body)
	}
	req, _ := http.NewRequest(method, url, &rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		var e bytes.Buffer
		e.ReadFrom(res.Body)
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, e.String())
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestSessionsShowTheForwardedClient: behind a trusted proxy a session
// made through the server records the client the proxy names; a caller
// without the desktop's header is listed as a browser.
func TestSessionsShowTheForwardedClient(t *testing.T) {
	in := start(t, nil, "--data-dir", t.TempDir(), "--trusted-proxies", "127.0.0.1/32", "--session-idle", "2h")
	defer in.stop()
	var enr account.TOTPEnrollment
	postJSON(t, "POST", in.addr+"/v1/signup", "", "203.0.113.5",
		account.SignUpRequest{Email: "ann@example.com", DisplayName: "Ann", Password: "correct horse battery"}, &enr)
	code, err := account.TOTPCode(enr.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var sess account.Session
	postJSON(t, "POST", in.addr+"/v1/signup/confirm", "", "203.0.113.5", map[string]string{"EnrollmentID": enr.ID, "Code": code}, &sess)
	if d := time.Until(sess.ExpiresAt); d > 2*time.Hour || d < time.Hour {
		t.Errorf("a new session expires in %v; --session-idle is 2h", d)
	}
	var list []account.SessionInfo
	postJSON(t, "GET", in.addr+"/v1/sessions", sess.Token, "198.51.100.1", nil, &list)
	if len(list) != 1 || list[0].Address != "203.0.113.5" || list[0].Client != account.ClientBrowser || !list[0].Current {
		t.Fatalf("sessions: %+v", list)
	}
}
