package account_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

const newPassword = "a brand new passphrase"

func TestChangePassword(t *testing.T) {
	fx := newRecoveryFixture(t)
	tok := fx.u.Session.Token
	other, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	grant := fx.u.Grant(t, account.PurposeChangePassword)
	if err := fx.svc.ChangePassword(ctx, tok, grant, newPassword); err != nil {
		t.Fatal(err)
	}
	// Every other session ended; this one goes on.
	if _, err := fx.svc.Me(ctx, other.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("another session after the change: %v", err)
	}
	if _, err := fx.svc.Me(ctx, tok); err != nil {
		t.Fatalf("the changing session after the change: %v", err)
	}
	// The old password no longer signs in; the new one does.
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the old password: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, newPassword, fx.u.Code(t)); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	// Verified with password and code: the hold starts, with its cause.
	p, err := fx.svc.Policy(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.HoldCause != account.HoldPasswordChanged || !p.HoldUntil.After(fx.clock.Now()) {
		t.Fatalf("policy after the change: %+v", p)
	}
	evs := fx.events(t, account.EventPasswordChanged)
	if len(evs) != 1 || !strings.Contains(evs[0].Detail, "1 other sessions ended") || strings.Contains(evs[0].Detail, newPassword) {
		t.Fatalf("password-changed events: %+v", evs)
	}
	// The grant was used up.
	if err := fx.svc.ChangePassword(ctx, tok, grant, "yet another passphrase"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("the grant again: %v", err)
	}
}

// The new password follows the sign-up rules; a refused one changes
// nothing and leaves the grant usable.
func TestChangePasswordRules(t *testing.T) {
	fx := newRecoveryFixture(t)
	tok := fx.u.Session.Token
	other, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	grant := fx.u.Grant(t, account.PurposeChangePassword)
	for _, bad := range []string{"", "short", strings.Repeat("x", 1025)} {
		var in *account.InputError
		if err := fx.svc.ChangePassword(ctx, tok, grant, bad); !errors.As(err, &in) || in.Field != "password" {
			t.Fatalf("new password of %d characters: %v", len(bad), err)
		}
	}
	if _, err := fx.svc.Me(ctx, other.Token); err != nil {
		t.Fatalf("a refused change ended another session: %v", err)
	}
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("a refused change started a hold: %+v", p)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); err != nil {
		t.Fatalf("the password after refused changes: %v", err)
	}
	if err := fx.svc.ChangePassword(ctx, tok, grant, newPassword); err != nil {
		t.Fatalf("the grant after refused changes: %v", err)
	}
}

// Verified by a passkey past its own hold, a password change starts no
// hold; verified by one still on its own hold, it does.
func TestChangePasswordWithAPasskey(t *testing.T) {
	fx := newRecoveryFixture(t)
	auth := &accounttest.Authenticator{}
	fx.u.AddPasskey(t, auth, account.KindSecurityKey, "Blue key")
	held, err := fx.u.PasskeyGrant(t, auth, account.PurposeChangePassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.ChangePassword(ctx, fx.u.Session.Token, held, newPassword); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.Policy(ctx, fx.u.Session.Token); p.HoldCause != account.HoldPasswordChanged {
		t.Fatalf("changed with a passkey on its own hold: %+v", p)
	}
	fx.clock.Advance(account.RemovalHold)
	vouched, err := fx.u.PasskeyGrant(t, auth, account.PurposeChangePassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.ChangePassword(ctx, fx.u.Session.Token, vouched, "and one more passphrase"); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.Policy(ctx, fx.u.Session.Token); !p.HoldUntil.IsZero() {
		t.Fatalf("changed with a passkey past its hold: %+v", p)
	}
	if evs := fx.events(t, account.EventPasswordChanged); len(evs) != 2 || !strings.Contains(evs[0].Detail, "approved with another passkey") {
		t.Fatalf("password-changed events: %+v", evs)
	}
}

// The doors of ChangePassword: each refusal leaves the password as it is.
func TestChangePasswordDoors(t *testing.T) {
	fx := newRecoveryFixture(t)
	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	for _, tt := range accounttest.GrantDoors(t, fx.u, bob, account.PurposeChangePassword, account.PurposeRecoveryCodes) {
		t.Run(tt.Name, func(t *testing.T) {
			token, grant := tt.Token(), tt.Grant()
			if err := fx.svc.ChangePassword(ctx, token, grant, newPassword); !errors.Is(err, tt.Want) {
				t.Fatalf("got %v, want %v", err, tt.Want)
			}
		})
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); err != nil {
		t.Fatalf("the password after refused changes: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, bob.Email, bob.Password, bob.Code(t)); err != nil {
		t.Fatalf("Bob's password after refused changes: %v", err)
	}
}

// A restricted session (signed in with a cloned-looking passkey) may
// neither change the password nor make recovery codes, even with a grant
// another session of the account got.
func TestRestrictedSessionChangesNoCredentials(t *testing.T) {
	fx := newApprovalFixture(t)
	sess := cloneSignIn(t, fx)
	if err := fx.svc.ChangePassword(ctx, sess.Token, fx.u.Grant(t, account.PurposeChangePassword), newPassword); !errors.Is(err, account.ErrSessionRestricted) {
		t.Fatalf("change password: %v", err)
	}
	if _, err := fx.svc.NewRecoveryCodes(ctx, sess.Token, fx.u.Grant(t, account.PurposeRecoveryCodes)); !errors.Is(err, account.ErrSessionRestricted) {
		t.Fatalf("new recovery codes: %v", err)
	}
	for _, p := range []account.Purpose{account.PurposeChangePassword, account.PurposeRecoveryCodes} {
		if _, err := fx.svc.BeginVerification(ctx, sess.Token, p); !errors.Is(err, account.ErrSessionRestricted) {
			t.Fatalf("identity check for %s: %v", p, err)
		}
	}
}
