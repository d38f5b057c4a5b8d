package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// spaced writes a 6-digit code the way apps show it: "123 456".
func spaced(code string) string { return code[:3] + " " + code[3:] }

// A code that is not 6 digits is refused in the app, with what is wrong,
// and never reaches the service: six such tries do not lock the code
// factor (the service locks it after 5 wrong codes). A code typed with
// the space apps show it with is taken.
func TestSignInCodeMustHaveSixDigits(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("nia@example.com")
	s := h.toSignIn()
	for _, typed := range []string{"12345", "1234567", "12a456", "", "12345", "99999"} {
		h.fillSignIn(u.Email, u.Password, typed)
		h.tap("Sign in")
		h.wantText("Check the code", "It has 6 digits")
		h.notText("Wrong code", "Too many wrong attempts")
		if h.canvas().Focused() != s.code {
			t.Errorf("after %q the focus is not on the code entry", typed)
		}
	}
	h.fillSignIn(u.Email, u.Password, spaced(h.code(u.Secret)))
	h.tap("Sign in")
	if h.app.shell == nil {
		t.Fatalf("a right code, typed with its space, after six malformed ones did not sign in; the window shows:\n%s", h.text())
	}
	h.secrets = append(h.secrets, h.app.token)
}

func TestSignUpCodeMustHaveSixDigits(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	s, secret := h.signUpTo("ola@example.com", "Ola")

	h.typeInto(s.code, "1234")
	h.tap("Confirm and sign in")
	h.wantText("Check the code", "It has 6 digits")
	h.notText("Wrong code")

	h.typeInto(s.code, spaced(h.code(secret)))
	h.tap("Confirm and sign in")
	h.saveRecoveryCodes()
	if h.app.shell == nil {
		t.Fatalf("the first code, typed with its space, did not activate the account; the window shows:\n%s", h.text())
	}
	h.secrets = append(h.secrets, h.app.token)
}

func TestVerificationCodeMustHaveSixDigits(t *testing.T) {
	h, w, password, secret := openWizard(t, harnessOptions{})
	h.typeInto(w.password, password)
	h.typeInto(w.totp, "12 34")
	h.tap("Verify")
	h.wantText("Check the app code", "It has 6 digits")
	h.notText("Wrong code", "Your identity is verified")
	if h.canvas().Focused() != w.totp {
		t.Error("the focus is not on the app code")
	}
	h.typeInto(w.totp, spaced(h.code(secret)))
	h.tap("Verify")
	h.wantText("Your identity is verified.")
}

// The identity check before a removal (or turning "Passkey required"
// off) refuses a malformed code in the app too, and takes the right code
// typed with its space: no failed verification reaches the service.
func TestIdentityCheckCodeMustHaveSixDigits(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("pia@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "Phone")
	h.signedIn(u)
	h.startRemoval()
	h.waitText(5*time.Second, "Verify with password and codes")
	h.tap("Verify with password and codes")
	check := h.app.shell.passkeys.removal.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, "12345")
	h.tap("Verify and remove")
	h.wantText("Check the app code", "It has 6 digits")
	if h.canvas().Focused() != check.factors.totp {
		t.Error("the focus is not on the app code")
	}
	h.typeInto(check.factors.totp, spaced(h.code(u.Secret)))
	h.tap("Verify and remove")
	h.waitText(5*time.Second, "was removed")
	evs, err := h.svc.Activity(context.Background(), u.Session.Token, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == account.EventVerificationFailed {
			t.Errorf("a code reached the service and failed: %s", e.Detail)
		}
	}
}

// A code field takes a code as it is shown or written: spaces and dashes
// are dropped before the 6-digit rule, so "123 456" and "123-456" are
// taken and only what is then not 6 digits is refused.
func TestOneTimeCodeIgnoresSpacesAndDashes(t *testing.T) {
	for _, tc := range []struct{ typed, want string }{
		{"123456", "123456"},
		{"123 456", "123456"},
		{"123-456", "123456"},
		{" 123 - 456 ", "123456"},
		{"123\u2010456", "123456"}, // hyphen
		{"123\u2013456", "123456"}, // en dash
		{"123\u00a0456", "123456"}, // no-break space
		{"1-2-3-4-5-6", "123456"},
		{"12-345", ""},
		{"123-4567", ""},
		{"123_456", ""},
		{"123.456", ""},
		{"--", ""},
	} {
		got, err := oneTimeCode(tc.typed, "code")
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("oneTimeCode(%q) = %q, %v; want %q", tc.typed, got, err, tc.want)
		}
	}
}
