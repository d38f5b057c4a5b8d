package ui

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// Settings › Delete account: the email typed (a wrong one is refused
// here), an identity check, then every session is signed out and the
// sign-in screen says when the account goes; signing in before cancels
// it and says so.
func TestDeleteAccountScreen(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("dora@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	ctx := context.Background()
	other, err := h.svc.SignIn(ctx, u.Email, u.Password, h.code(u.Secret))
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, other.Token)
	h.signedIn(u)
	h.tap("Settings")
	h.wantText("Delete account", "7 days after you ask")
	h.tap("Delete account…")
	s := h.app.shell.deletion
	if h.canvas().Focused() != s.confirm {
		t.Error("the focus is not on the email")
	}
	h.settle()
	h.wantText("Passkeys of this account on security keys stay on the keys: \"Blue key\"")
	h.notText("Delete them from a security key…") // no key method in this app

	h.typeInto(s.confirm, "someone@example.com")
	h.tap("Continue")
	h.wantText("Check the email", "exactly as it is")
	h.notText("Verify with password and codes")

	// Cancel at the check goes back to the form.
	h.typeInto(s.confirm, "  DORA@example.com ")
	h.tap("Continue")
	h.tap("Cancel")
	h.wantText("Your email")

	h.tap("Continue")
	h.tap("Verify with password and codes")
	check := s.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and delete account")
	h.wantText("Sign in to Passkey Desk", "Account deletion requested", "will be deleted on", "Sign in before then")
	for _, tok := range []string{u.Session.Token, other.Token} {
		if _, err := h.svc.Me(ctx, tok); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("a session after the request: %v", err)
		}
	}
	if h.tokens.get() != "" {
		t.Error("the ended session stays in the token store")
	}

	si := h.app.signInScreen
	h.typeInto(si.email, u.Email)
	h.typeInto(si.password, u.Password)
	h.typeInto(si.code, h.code(u.Secret))
	h.tap("Sign in")
	h.wantText("Deletion cancelled", "cancelled your account's deletion")
	h.tap("Activity")
	h.waitText(5*time.Second, "Account deletion requested", "Account deletion cancelled by signing in")
}
