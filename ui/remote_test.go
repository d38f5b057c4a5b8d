package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestTheAppOnAServer: with the account on a server (the service behind
// its HTTP API, the app on the HTTP client), a new user signs up and signs
// in as on the embedded service; the overview and Settings say which
// server the account lives on, and the service's own errors come back as
// its own words.
func TestTheAppOnAServer(t *testing.T) {
	h := newHarness(t, harnessOptions{overHTTP: true})
	if !strings.HasPrefix(h.server, "http://127.0.0.1:") {
		t.Fatalf("the harness serves no HTTP API (%q)", h.server)
	}
	s, secret := h.signUpTo("remote@example.com", "Remote User")
	h.typeInto(s.code, wrong(h.code(secret)))
	h.tap("Confirm and sign in")
	h.wantText("wrong")
	h.typeInto(s.code, h.code(secret))
	h.tap("Confirm and sign in")
	h.saveRecoveryCodes()
	if h.app.shell == nil {
		t.Fatalf("not signed in over HTTP; the window shows:\n%s", h.text())
	}
	h.wantText("Account server: " + h.server)
	h.app.shell.open(sectionSettings)
	h.settle()
	h.wantText("Your account lives on the server " + h.server)
	if _, err := h.me(); err != nil {
		t.Fatalf("the session the app got over HTTP is not the service's: %v", err)
	}
	// The signed-in session is the one the service made.
	if _, err := h.svc.Me(t.Context(), h.tokens.get()); errors.Is(err, account.ErrUnauthenticated) {
		t.Fatal("the kept token is not a session of the service")
	}
}
