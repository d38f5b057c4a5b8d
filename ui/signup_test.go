package ui

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

func TestFirstRunCreatesAccountAndSignsIn(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.wantText("Welcome to Passkey Desk", "Create account")

	const password = "analytical engine 1843"
	h.secrets = append(h.secrets, password)
	s := h.app.signUpScreen
	h.typeInto(s.email, "Ada@Example.com")
	h.typeInto(s.name, "Ada Lovelace")
	h.typeInto(s.password, password)
	h.typeInto(s.confirm, password)
	h.tap("Create account")
	h.wantText("Set up your authenticator app", "ada@example.com")

	// The user reads the secret off the screen, as they would type it into
	// their authenticator app.
	secret := s.secret.Text
	h.secrets = append(h.secrets, secret)
	h.wantText(secret)
	if secret == "" || strings.ContainsAny(secret, " =") {
		t.Fatalf("secret shown as %q; want base32 without padding", secret)
	}

	// The QR code, decoded from the pixels the window renders, is the
	// otpauth URI of the same secret.
	uri := decodeQR(t, h, s.qr)
	if uri != s.enrollment.URI {
		t.Errorf("QR code holds %q; the enrollment's URI is %q", uri, s.enrollment.URI)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != secret {
		t.Errorf("QR code holds %q: want an otpauth://totp URI with secret %q", uri, secret)
	}
	if !strings.Contains(u.Path, "ada@example.com") {
		t.Errorf("QR code label %q does not name the account", u.Path)
	}

	h.tap("Copy")
	if got := h.fa.Clipboard().Content(); got != secret {
		t.Errorf("Copy put %q on the clipboard; want the secret", got)
	}

	h.typeInto(s.code, h.code(secret))
	h.tap("Confirm and sign in")
	h.wantText("Save your recovery codes")
	h.saveRecoveryCodes()
	if h.app.shell == nil {
		t.Fatalf("not signed in after a valid first code; the window shows:\n%s", h.text())
	}
	h.secrets = append(h.secrets, h.app.token)
	h.wantText("Ada Lovelace", "Security overview", "No passkeys yet")
	if got := h.tokens.get(); got == "" || got != h.app.token {
		t.Errorf("token store holds %q; want the session's token", got)
	}
	me, err := h.me()
	if err != nil {
		t.Fatalf("the service does not know the app's session: %v", err)
	}
	if me.Email != "ada@example.com" || me.DisplayName != "Ada Lovelace" {
		t.Errorf("account is %q %q", me.Email, me.DisplayName)
	}
	if !h.fa.Preferences().Bool(knownAccountPref(h.dataDir)) {
		t.Error("the app does not remember that an account exists: the next start would show first run again")
	}
}

func TestSignUpRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		email, display, pw, conf string
		want                     []string
	}{
		{"passwords differ", "a@example.com", "A", "long enough pw", "long enough pW",
			[]string{"Check the repeated password", "Type the same password twice."}},
		{"short password", "a@example.com", "A", "short", "short",
			[]string{"Check the password", "Use at least 10 characters."}},
		{"bad email", "not an address", "A", "long enough pw", "long enough pw",
			[]string{"Check the email", "Correct the email and try again."}},
		{"no display name", "a@example.com", "  ", "long enough pw", "long enough pw",
			[]string{"Check the display name"}},
		{"email taken", "taken@example.com", "A", "long enough pw", "long enough pw",
			[]string{"Email already in use", "Sign in to it instead"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			h.user("taken@example.com")
			h.secrets = append(h.secrets, tc.pw, tc.conf)
			s := h.app.signUpScreen
			h.typeInto(s.email, tc.email)
			h.typeInto(s.name, tc.display)
			h.typeInto(s.password, tc.pw)
			h.typeInto(s.confirm, tc.conf)
			h.tap("Create account")
			h.wantText(tc.want...)
			h.notText("Set up your authenticator app")
			if s.submit.Disabled() {
				t.Error("Create account stays disabled after a failure")
			}
		})
	}
}

func TestSignUpWrongFirstCode(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	s, secret := h.signUpTo("bob@example.com", "Bob")

	h.typeInto(s.code, wrong(h.code(secret)))
	h.tap("Confirm and sign in")
	h.wantText("Wrong code", "each code works only once")
	if s.code.Text != "" {
		t.Errorf("the code entry still holds %q after a wrong code", s.code.Text)
	}
	if h.canvas().Focused() != s.code {
		t.Error("the keyboard focus is not back on the code entry")
	}
	if h.app.shell != nil {
		t.Fatal("signed in with a wrong code")
	}

	h.typeInto(s.code, h.code(secret))
	h.press(fyne.KeyReturn) // Enter in the code entry confirms
	h.saveRecoveryCodes()
	if h.app.shell == nil {
		t.Fatalf("not signed in after the right code; the window shows:\n%s", h.text())
	}
}

func TestStartOverDuringSignUp(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	s, _ := h.signUpTo("carol@example.com", "Carol")
	h.tap("Start over")
	h.wantText("Welcome to Passkey Desk")
	if h.app.signUpScreen == s {
		t.Error("Start over kept the old screen")
	}
}

// signUpPassword is the password the sign-up tests choose.
const signUpPassword = "long enough pw"

// signUpTo fills in first run's form for email and name and creates the
// account, which leaves the authenticator step on screen; it returns the
// screen and the secret it shows.
func (h *harness) signUpTo(email, name string) (*signUpScreen, string) {
	h.t.Helper()
	s := h.app.signUpScreen
	h.typeInto(s.email, email)
	h.typeInto(s.name, name)
	h.typeInto(s.password, signUpPassword)
	h.typeInto(s.confirm, signUpPassword)
	h.tap("Create account")
	secret := s.secret.Text
	h.secrets = append(h.secrets, secret, signUpPassword)
	return s, secret
}

// wrong returns a 6-digit code that differs from code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// decodeQR reads the QR code that the window renders where q is, after
// scrolling the page to its top, as a person brings the code into view
// before scanning it (the page may have followed the focus down to the
// code field below it).
func decodeQR(t *testing.T, h *harness, q *component.QRCode) string {
	t.Helper()
	if q == nil {
		t.Fatal("no QR code on the screen")
	}
	walkVisible(h.canvas().Content(), func(o fyne.CanvasObject) {
		if sc, ok := o.(*container.Scroll); ok {
			sc.ScrollToTop()
		}
	})
	h.settle()
	return h.readQR(q)
}

// What the user typed at first run is what the account holds: the
// password and the authenticator secret sign in at the service itself.
func TestAccountMadeInUISignsInAtService(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	s, secret := h.signUpTo("dan@example.com", "Dan")
	h.typeInto(s.code, h.code(secret))
	h.tap("Confirm and sign in")

	_, err := h.svc.SignIn(context.Background(), "dan@example.com", signUpPassword, h.code(secret))
	if err != nil {
		t.Fatalf("signing in at the service with what the UI set up: %v", err)
	}
	_, err = h.svc.SignIn(context.Background(), "dan@example.com", "wrong password!", h.code(secret))
	if !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("wrong password at the service: %v", err)
	}
}

// A message about one field goes once that field is changed, not at the
// next press of Create account: "Check the email" does not linger after
// the fix. Changing another field leaves it.
func TestSignUpMessageGoesWithTheFix(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	s := h.app.signUpScreen
	h.secrets = append(h.secrets, "long enough pw")
	h.typeInto(s.email, "not an address")
	h.typeInto(s.name, "A")
	h.typeInto(s.password, "long enough pw")
	h.typeInto(s.confirm, "long enough pw")
	h.tap("Create account")
	h.wantText("Check the email")
	h.typeInto(s.name, "Ada")
	h.wantText("Check the email")
	h.typeInto(s.email, "ada@example.com")
	h.notText("Check the email")
}
