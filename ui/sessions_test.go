package ui

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
)

// Settings › Sessions: the app's own session and the others, each with
// where from; "Sign out" ends one, "Sign out of all other sessions" the
// rest, and the app's own session goes on.
func TestSessionsScreen(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("sam@example.com")
	ctx := context.Background()
	web := account.WithClientAddress(account.WithClientKind(ctx, account.ClientBrowser), "198.51.100.23")
	var others []string
	for range 2 {
		s, err := h.svc.SignIn(web, u.Email, u.Password, h.code(u.Secret))
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, s.Token)
		h.secrets = append(h.secrets, s.Token)
	}
	h.signedIn(u)
	h.tap("Settings")
	h.wantText("Where you are signed in")
	h.tap("Sessions…")
	h.waitText(5e9, "This session", "Web browser · from 198.51.100.23")
	s := h.app.shell.sessions
	s0 := func() account.SessionInfo { return s.shown[0] }
	h.wantText("Passkey Desk app", "· ends "+holdTime(s0().ExpiresAt))
	if len(s.shown) != 3 || !s.shown[0].Current {
		t.Fatalf("sessions shown: %+v", s.shown)
	}

	// The first other session's Sign out (the navigation has one too).
	var ends []*button
	walkVisible(s.list, func(o fyne.CanvasObject) {
		if b, ok := o.(*button); ok && b.Text == "Sign out" {
			ends = append(ends, b)
		}
	})
	if len(ends) != 2 {
		t.Fatalf("%d Sign out buttons in the list, want one per other session", len(ends))
	}
	test.Tap(ends[0])
	h.settle()
	h.waitText(5e9, "session is signed out")
	if _, err := h.svc.Me(ctx, others[0]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the session signed out here: %v", err)
	}
	if _, err := h.svc.Me(ctx, others[1]); err != nil {
		t.Fatalf("the other one: %v", err)
	}
	if len(s.shown) != 2 {
		t.Fatalf("after one sign-out: %+v", s.shown)
	}

	h.tap("Sign out of all other sessions")
	h.waitText(5e9, "1 other sessions are signed out", "No other session is signed in")
	if _, err := h.svc.Me(ctx, others[1]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("after signing out the others: %v", err)
	}
	if _, err := h.me(); err != nil {
		t.Fatalf("the app's own session: %v", err)
	}
	if !h.button("Sign out of all other sessions").Disabled() {
		t.Error("\"Sign out of all other sessions\" is enabled with none left")
	}
	h.tap("Activity")
	h.wantText("Signed out elsewhere")
}
