package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
)

// saveRecoveryCodes passes the sign-up's recovery codes step as a person
// does: ticks "I have saved them" and continues. It returns the codes the
// window showed.
func (h *harness) saveRecoveryCodes() []string {
	h.t.Helper()
	s := h.app.signUpScreen
	if s == nil || s.recovery == nil {
		h.t.Fatalf("no recovery codes step; the window shows:\n%s", h.text())
	}
	codes := s.recovery.codes
	h.secrets = append(h.secrets, codes...)
	test.Tap(s.recovery.saved)
	h.tap("Continue")
	if h.app.shell == nil {
		h.t.Fatalf("not signed in after saving the recovery codes; the window shows:\n%s", h.text())
	}
	return codes
}

// The sign-up shows the first recovery codes after the authenticator
// step and opens the account only once "I have saved them" is ticked. The
// codes on the screen are the account's: one signs in at the service.
func TestSignUpShowsRecoveryCodes(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	s, secret := h.signUpTo("rita@example.com", "Rita")
	h.typeInto(s.code, h.code(secret))
	h.tap("Confirm and sign in")
	h.wantText("Save your recovery codes", "I have saved them", "They are not shown again")
	if h.app.shell != nil {
		t.Fatal("the account opened before the recovery codes were saved")
	}
	v := s.recovery
	if len(v.codes) != account.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown", len(v.codes))
	}
	h.secrets = append(h.secrets, v.codes...)
	h.wantText(v.codes...)
	if !h.button("Continue").Disabled() {
		t.Fatal("Continue is enabled before the codes are saved")
	}
	if h.canvas().Focused() != v.saved {
		t.Error("the focus is not on \"I have saved them\"")
	}
	h.tap("Copy")
	if got := h.fa.Clipboard().Content(); got != strings.Join(v.codes, "\n") {
		t.Errorf("Copy put %q on the clipboard; want the codes, one a line", got)
	}
	// Unticking disables Continue again.
	test.Tap(v.saved)
	test.Tap(v.saved)
	if !h.button("Continue").Disabled() {
		t.Fatal("Continue is enabled with the box unticked")
	}
	codes := h.saveRecoveryCodes()
	h.wantText("Security overview")
	h.notText("recovery code was used")
	if _, err := h.svc.SignIn(context.Background(), "rita@example.com", signUpPassword, codes[4]); err != nil {
		t.Fatalf("a code the sign-up showed does not sign in: %v", err)
	}
}

// A recovery code typed into the sign-in's code field signs in (typed in
// lower case with spaces); the overview then shows the hold and asks the
// person to set up the authenticator again.
func TestSignInWithRecoveryCode(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("sam@example.com")
	h.secrets = append(h.secrets, u.Session.RecoveryCodes...)
	s := h.toSignIn()
	if s.code.PlaceHolder != "Authenticator code or recovery code" {
		t.Errorf("the code field's hint is %q", s.code.PlaceHolder)
	}
	// A code of neither form is refused before the service.
	h.fillSignIn(u.Email, u.Password, "ABCD-EFGH")
	h.tap("Sign in")
	h.wantText("Check the code", "recovery code")
	typed := strings.ToLower(strings.ReplaceAll(u.Session.RecoveryCodes[0], "-", " "))
	h.fillSignIn(u.Email, u.Password, typed)
	h.tap("Sign in")
	if h.app.shell == nil {
		t.Fatalf("a recovery code did not sign in; the window shows:\n%s", h.text())
	}
	h.secrets = append(h.secrets, h.app.token)
	h.wantText("A recovery code was used", "set up your authenticator again", "9 of this set are left",
		"A recovery code was used instead of the authenticator app's code")
	// The nudge leads to the recovery codes' screen.
	h.tap("Recovery codes")
	h.wantText("9 of your 10 recovery codes are left", "One was last used on")
	// The same code again is a wrong code.
	h.tap("Sign out")
	h.toSignIn()
	h.fillSignIn(u.Email, u.Password, u.Session.RecoveryCodes[0])
	h.tap("Sign in")
	if h.app.shell != nil {
		t.Fatal("a used recovery code signed in again")
	}
}

// Settings › Recovery codes counts the codes and makes a new set after an
// identity check (answered here with a recovery code); the new codes are
// shown once, Done waits for the tick, and the old set no longer works.
func TestRecoveryCodesScreen(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ivy@example.com")
	old := u.Session.RecoveryCodes
	h.secrets = append(h.secrets, old...)
	h.signedIn(u)
	h.notText("recovery code was used")
	h.tap("Settings")
	h.wantText("Recovery codes", "Single-use codes")
	h.tap("Recovery codes…")
	h.wantText("10 of your 10 recovery codes are left", "The codes you have now then stop working")

	// Cancel leaves the set as it is.
	h.tap("Make new codes")
	h.wantText("Verify with password and codes")
	h.tap("Cancel")
	h.notText("Verify with password and codes")
	h.wantText("10 of your 10 recovery codes are left")

	h.tap("Make new codes")
	h.tap("Verify with password and codes")
	check := h.app.shell.recovery.check
	if check == nil {
		t.Fatal("no identity check")
	}
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, "ZZZZ-ZZZZ-ZZZZ-ZZZZ")
	h.tap("Verify and make new codes")
	h.wantText("Wrong code")
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, old[2])
	h.tap("Verify and make new codes")
	scr := h.app.shell.recovery
	if scr.fresh == nil {
		t.Fatalf("no new codes shown; the window shows:\n%s", h.text())
	}
	fresh := scr.fresh.codes
	h.secrets = append(h.secrets, fresh...)
	h.wantText("Your new recovery codes", "Your old recovery codes no longer work")
	h.wantText(fresh...)
	if !h.button("Done").Disabled() {
		t.Fatal("Done is enabled before the codes are saved")
	}
	test.Tap(scr.fresh.saved)
	h.tap("Done")
	h.wantText("10 of your 10 recovery codes are left")
	h.notText(fresh[0])

	ctx := context.Background()
	if _, err := h.svc.SignIn(ctx, u.Email, u.Password, old[3]); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("an old code after a new set: %v", err)
	}
	if _, err := h.svc.SignIn(ctx, u.Email, u.Password, fresh[0]); err != nil {
		t.Fatalf("a new code shown by the screen: %v", err)
	}
	// The recovery code of the identity check started the hold.
	h.tap("Overview")
	h.wantText("A recovery code was used instead of the authenticator app's code")
}
