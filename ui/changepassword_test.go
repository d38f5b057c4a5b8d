package ui

import (
	"context"
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// Settings › Change password: the new password is checked here (typed
// twice, the sign-up rules), then an identity check with the current
// password and a code makes the change, which ends every other session
// and starts the hold.
func TestChangePasswordScreen(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("pia@example.com")
	ctx := context.Background()
	other, err := h.svc.SignIn(ctx, u.Email, u.Password, h.code(u.Secret))
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, other.Token)
	h.signedIn(u)
	h.tap("Settings")
	h.wantText("Password", "signs out every other session")
	h.tap("Change password…")
	s := h.app.shell.password
	if h.canvas().Focused() != s.password {
		t.Error("the focus is not on the new password")
	}
	const fresh = "a brand new passphrase"
	h.secrets = append(h.secrets, fresh)

	h.typeInto(s.password, fresh)
	h.typeInto(s.confirm, "something else entirely")
	h.tap("Continue")
	h.wantText("Check the repeated password", "Type the same password twice")
	h.notText("Verify with password and codes")

	h.typeInto(s.password, "short")
	h.typeInto(s.confirm, "short")
	h.tap("Continue")
	h.wantText("at least 10 characters")
	h.notText("Verify with password and codes")

	// Cancel at the check goes back to the form.
	h.typeInto(s.password, fresh)
	h.typeInto(s.confirm, fresh)
	h.tap("Continue")
	h.tap("Cancel")
	h.wantText("Repeat it")

	h.typeInto(s.password, fresh)
	h.typeInto(s.confirm, fresh)
	h.tap("Continue")
	h.tap("Verify with password and codes")
	check := s.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and change password")
	h.wantText("Your password was changed", "Every other session of your account was signed out")
	if s.password.Text != "" || s.confirm.Text != "" {
		t.Error("the new password stays in the entries")
	}

	if _, err := h.svc.Me(ctx, other.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("another session after the change: %v", err)
	}
	if _, err := h.me(); err != nil {
		t.Fatalf("the app's own session after the change: %v", err)
	}
	if _, err := h.svc.SignIn(ctx, u.Email, u.Password, h.code(u.Secret)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the old password: %v", err)
	}
	if _, err := h.svc.SignIn(ctx, u.Email, fresh, h.code(u.Secret)); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	h.tap("Back to Settings")
	h.wantText("Theme")
	h.tap("Overview")
	h.wantText("The password was changed without a passkey's approval")
	h.tap("Activity")
	h.wantText("Password changed")
}
