package remote_test

import (
	"context"
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// Recovery codes over HTTP: the first set comes with the sign-up's
// session, one signs in (starting the hold, whose cause crosses the
// wire), a grant makes a new set, and every door without the right
// session and grant stays shut with the account's own errors.
func TestRecoveryCodesOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock := serve(t)
	ann := signUp(t, c, clock, "ann@example.com")
	bob := signUp(t, c, clock, "bob@example.com")
	if len(ann.recovery) != account.RecoveryCodeCount {
		t.Fatalf("sign-up over HTTP gave %d recovery codes", len(ann.recovery))
	}
	st, err := c.RecoveryCodeStatus(ctx, ann.token)
	if err != nil || st.Total != account.RecoveryCodeCount || st.Left != account.RecoveryCodeCount {
		t.Fatalf("status: %+v, %v", st, err)
	}
	sess, err := c.SignIn(ctx, ann.email, ann.password, ann.recovery[0])
	if err != nil {
		t.Fatalf("signing in with a recovery code: %v", err)
	}
	if len(sess.RecoveryCodes) != 0 {
		t.Fatal("a sign-in's session carries recovery codes")
	}
	if p, err := c.Policy(ctx, sess.Token); err != nil || p.HoldCause != account.HoldRecoveryCodeUsed {
		t.Fatalf("policy after the recovery code: %+v, %v", p, err)
	}
	if _, err := c.SignIn(ctx, ann.email, ann.password, ann.recovery[0]); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the used code again: %v", err)
	}
	if st, _ := c.RecoveryCodeStatus(ctx, ann.token); st.Left != account.RecoveryCodeCount-1 || st.LastUsedAt.IsZero() {
		t.Fatalf("status after one use: %+v", st)
	}

	// The doors.
	if _, err := c.RecoveryCodeStatus(ctx, "made-up-token"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("status without a session: %v", err)
	}
	if _, err := c.NewRecoveryCodes(ctx, ann.token, ""); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("no grant: %v", err)
	}
	annGrant := ann.grant(t, c, account.PurposeRecoveryCodes)
	if _, err := c.NewRecoveryCodes(ctx, bob.token, annGrant); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("another account's session: %v", err)
	}
	if _, err := c.NewRecoveryCodes(ctx, "made-up-token", annGrant); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
	if _, err := c.NewRecoveryCodes(ctx, ann.token, ann.grant(t, c, account.PurposeAddPasskey)); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("a grant of another purpose: %v", err)
	}
	fresh, err := c.NewRecoveryCodes(ctx, ann.token, annGrant)
	if err != nil || len(fresh.Codes) != account.RecoveryCodeCount {
		t.Fatalf("new codes: %v", err)
	}
	if _, err := c.NewRecoveryCodes(ctx, ann.token, annGrant); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("a used grant: %v", err)
	}
	if _, err := c.SignIn(ctx, ann.email, ann.password, ann.recovery[1]); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("a code of the old set: %v", err)
	}
	// A recovery code answers an identity check over HTTP too.
	v, err := c.BeginVerification(ctx, ann.token, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteVerification(ctx, ann.token, v.ID, account.Proof{Password: ann.password, TOTPCode: fresh.Codes[0]}); err != nil {
		t.Fatalf("identity check with a recovery code: %v", err)
	}
}

// A password change over HTTP: the doors stay shut without the right
// session and grant, a short password is refused with its field, and the
// change ends the account's other sessions.
func TestChangePasswordOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock := serve(t)
	ann := signUp(t, c, clock, "ann@example.com")
	bob := signUp(t, c, clock, "bob@example.com")
	other, err := c.SignIn(ctx, ann.email, ann.password, ann.code(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ChangePassword(ctx, ann.token, "", "a brand new passphrase"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("no grant: %v", err)
	}
	grant := ann.grant(t, c, account.PurposeChangePassword)
	if err := c.ChangePassword(ctx, bob.token, grant, "a brand new passphrase"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("another account's session: %v", err)
	}
	if err := c.ChangePassword(ctx, "made-up-token", grant, "a brand new passphrase"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
	var in *account.InputError
	if err := c.ChangePassword(ctx, ann.token, grant, "short"); !errors.As(err, &in) || in.Field != "password" {
		t.Fatalf("a short password: %v", err)
	}
	if err := c.ChangePassword(ctx, ann.token, grant, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangePassword(ctx, ann.token, grant, "another new passphrase"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("a used grant: %v", err)
	}
	if _, err := c.Me(ctx, other.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("another session after the change: %v", err)
	}
	if _, err := c.SignIn(ctx, ann.email, "a brand new passphrase", ann.code(t)); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if p, err := c.Policy(ctx, ann.token); err != nil || p.HoldCause != account.HoldPasswordChanged {
		t.Fatalf("policy: %+v, %v", p, err)
	}
}
