package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
)

// toSignIn leaves first run for the sign-in screen.
func (h *harness) toSignIn() *signInScreen {
	h.t.Helper()
	if h.app.signInScreen == nil {
		h.tap("I already have an account: sign in")
	}
	if h.app.signInScreen == nil {
		h.t.Fatalf("no sign-in screen; the window shows:\n%s", h.text())
	}
	return h.app.signInScreen
}

func (h *harness) fillSignIn(email, password, code string) {
	h.t.Helper()
	s := h.app.signInScreen
	h.typeInto(s.email, email)
	h.typeInto(s.password, password)
	h.typeInto(s.code, code)
}

func TestSignIn(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("grace@example.com")
	h.toSignIn()
	h.wantText("Sign in to Passkey Desk")
	h.notText("Sign-in is not remembered")

	h.fillSignIn("Grace@Example.com", u.Password, h.code(u.Secret))
	// While the service works, the form says so and cannot be sent twice.
	s := h.app.signInScreen
	test.Tap(h.button("Sign in"))
	if h.app.inflight.Load() == 0 {
		t.Fatal("signing in did not run in the background")
	}
	if !s.submit.Disabled() || !s.code.Disabled() {
		t.Error("the form is not disabled while signing in")
	}
	h.wantText("Signing in…")
	h.settle()
	if h.app.shell == nil {
		t.Fatalf("not signed in; the window shows:\n%s", h.text())
	}
	h.secrets = append(h.secrets, h.app.token)
	h.wantText("Test User", "grace@example.com", "Security overview")
	if h.tokens.get() != h.app.token {
		t.Error("the session token was not saved")
	}
	if _, err := h.me(); err != nil {
		t.Errorf("the service does not know the session: %v", err)
	}
}

func TestSignInByKeyboardOnly(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("kay@example.com")
	s := h.toSignIn()
	c := h.canvas()

	if c.Focused() != s.email {
		t.Fatalf("the email entry does not have the focus at start")
	}
	h.typeFocused(u.Email)
	h.press(fyne.KeyReturn)
	if c.Focused() != s.password {
		t.Fatalf("Enter in email did not move to the password")
	}
	h.typeFocused(u.Password)
	h.press(fyne.KeyReturn)
	if c.Focused() != s.code {
		t.Fatalf("Enter in password did not move to the code")
	}
	h.typeFocused(h.code(u.Secret))
	h.press(fyne.KeyReturn)
	if h.app.shell == nil {
		t.Fatalf("Enter in the code did not sign in; the window shows:\n%s", h.text())
	}

	// In the shell, Tab moves along the navigation and Space opens.
	if c.Focused() != h.app.shell.nav[sectionOverview] {
		t.Fatalf("the focus is not on the navigation after sign-in")
	}
	// Overview, Approvals, Activity, Passkeys.
	for range 3 {
		test.FocusNext(c)
	}
	if c.Focused() != h.app.shell.nav[sectionPasskeys] {
		t.Fatalf("Tab from Overview past Approvals and Activity did not reach Passkeys")
	}
	h.press(fyne.KeySpace)
	if h.app.shell.passkeys == nil {
		t.Fatalf("Space on Passkeys did not open it; the window shows:\n%s", h.text())
	}
	h.wantText("You have no passkeys yet")
}

func TestSignInRejects(t *testing.T) {
	// Whatever was wrong, the words are the same and name no part.
	for _, tc := range []struct {
		name      string
		email, pw string
		wrongCode bool
	}{
		{"wrong password", "eve@example.com", "not the password", false},
		{"unknown email", "nobody@example.com", "correct horse battery", false},
		{"wrong code", "eve@example.com", "correct horse battery", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			u := h.user("eve@example.com")
			s := h.toSignIn()
			code := h.code(u.Secret)
			if tc.wrongCode {
				code = wrong(code)
			}
			h.fillSignIn(tc.email, tc.pw, code)
			h.tap("Sign in")
			if h.app.shell != nil {
				t.Fatal("signed in")
			}
			h.wantText("Could not sign in", "The email, password or code is wrong, or there were too many tries.", "Check all three")
			h.notText("Wrong code", "Wrong email or password")
			if s.code.Text != "" {
				t.Error("the used code is still in its entry")
			}
			if h.canvas().Focused() != s.password {
				t.Error("the focus is not on the password")
			}
			if s.submit.Disabled() || s.email.Disabled() {
				t.Error("the form stays disabled after the failure")
			}
		})
	}
}

// TestSignInLockout: a locked sign-in looks like any other refused one,
// and the right answers work again once the lock ends.
func TestSignInLockout(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("mallory@example.com")
	h.toSignIn()

	for range account.MaxFailures {
		h.fillSignIn(u.Email, u.Password, wrong(h.code(u.Secret)))
		h.tap("Sign in")
		h.wantText("Could not sign in")
		h.notText("Too many wrong attempts", "locked")
	}

	// Locked means locked: the right code does not help now, and the
	// screen does not tell.
	h.fillSignIn(u.Email, u.Password, h.code(u.Secret))
	h.tap("Sign in")
	if h.app.shell != nil {
		t.Fatal("signed in while the code was locked")
	}
	h.wantText("Could not sign in", "The email, password or code is wrong, or there were too many tries.")
	h.notText("Too many wrong attempts", "locked")

	// After the lock, the right code signs in.
	h.clock.Advance(account.LockDuration)
	h.fillSignIn(u.Email, u.Password, h.code(u.Secret))
	h.tap("Sign in")
	if h.app.shell == nil {
		t.Fatalf("not signed in after the lock ended; the window shows:\n%s", h.text())
	}
}

func TestRestoresSavedSession(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ivan@example.com")
	h.signedIn(u)
	h.wantText("Security overview", "ivan@example.com")
	if h.app.token != u.Session.Token {
		t.Error("the app does not use the saved session")
	}
}

func TestForgetsEndedSession(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("judy@example.com")
	h.setKnownAccount(true)
	if err := h.svc.SignOut(context.Background(), u.Session.Token); err != nil {
		t.Fatal(err)
	}
	h.tokens.Save(u.Session.Token)
	h.start()
	if h.app.shell != nil || h.app.signInScreen == nil {
		t.Fatalf("want the sign-in screen for an ended session; the window shows:\n%s", h.text())
	}
	if h.tokens.get() != "" {
		t.Error("the ended session's token is still stored")
	}
}

func TestWithoutKeyringAsksToSignInAndSaysWhy(t *testing.T) {
	tokens := &memTokens{err: errors.New("exec: \"dbus-launch\": executable file not found in $PATH")}
	h := newHarness(t, harnessOptions{tokens: tokens})
	u := h.user("oscar@example.com")
	h.setKnownAccount(true)
	h.start()

	h.wantText("Sign in to Passkey Desk",
		"Sign-in is not remembered",
		"The system keyring is not available, so Passkey Desk cannot keep your session and asks you to sign in each time it starts.")
	h.fillSignIn(u.Email, u.Password, h.code(u.Secret))
	h.tap("Sign in")
	if h.app.shell == nil {
		t.Fatalf("a missing keyring stopped the sign-in; the window shows:\n%s", h.text())
	}
	h.secrets = append(h.secrets, h.app.token)
	h.tap("Settings")
	h.wantText("cannot keep your session")
	h.notText("kept in the system keyring until you sign out")
	if !strings.Contains(h.log.String(), "dbus-launch") {
		t.Errorf("the log does not say why the keyring failed:\n%s", h.log.String())
	}
}

func TestSignOut(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("peggy@example.com")
	h.signedIn(u)
	h.tap("Sign out")
	if h.app.shell != nil || h.app.signInScreen == nil {
		t.Fatalf("want the sign-in screen after signing out; the window shows:\n%s", h.text())
	}
	if h.tokens.get() != "" {
		t.Error("the token is still stored after signing out")
	}
	if _, err := h.svc.Me(context.Background(), u.Session.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Errorf("the service still knows the session after sign-out: %v", err)
	}
	// The navigation shortcuts left with the shell.
	h.canvas().(fyne.Shortcutable).TypedShortcut(navShortcut(sectionPasskeys))
	h.settle()
	if h.app.shell != nil {
		t.Error("a shortcut reopened the shell")
	}
}

func TestSessionEndedElsewhere(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("trent@example.com")
	h.signedIn(u)
	if err := h.svc.SignOut(context.Background(), u.Session.Token); err != nil {
		t.Fatal(err)
	}
	h.tap("Passkeys")
	if h.app.shell != nil || h.app.signInScreen == nil {
		t.Fatalf("want the sign-in screen after the session ended; the window shows:\n%s", h.text())
	}
	h.wantText("Signed out", "Your session has ended.", "Sign in again.")
	if h.tokens.get() != "" {
		t.Error("the ended session's token is still stored")
	}
}
