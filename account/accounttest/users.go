package accounttest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// User is an account made by SignUp, with what its owner knows.
type User struct {
	Email, Password string
	Secret          string // the TOTP secret, as the authenticator app holds it
	Session         *account.Session

	// Mail, when set, is the sink the service mails to: Grant answers
	// an email code from it.
	Mail *MailSink

	svc   *account.Service
	clock *Clock
}

// ConfirmEmail confirms the account's email with the code the sign-up
// (or the last "Send again") mailed to u.Mail.
func (u *User) ConfirmEmail(t testing.TB) {
	t.Helper()
	code := u.Mail.LastCode(u.Email, "email confirmation code")
	if _, err := u.svc.ConfirmEmail(context.Background(), u.Session.Token, code); err != nil {
		t.Fatalf("confirming the email: %v", err)
	}
}

// SignUp creates, confirms and signs in an account.
func SignUp(t testing.TB, svc *account.Service, clock *Clock, email string) *User {
	t.Helper()
	u := &User{Email: email, Password: "correct horse battery", svc: svc, clock: clock}
	enr, err := svc.SignUp(context.Background(), account.SignUpRequest{Email: email, DisplayName: "Test User", Password: u.Password})
	if err != nil {
		t.Fatalf("sign-up: %v", err)
	}
	u.Secret = enr.Secret
	if u.Session, err = svc.ConfirmSignUp(context.Background(), enr.ID, u.Code(t)); err != nil {
		t.Fatalf("confirming sign-up: %v", err)
	}
	return u
}

// Code moves the clock to the next TOTP time step and returns the code the
// user's authenticator app shows then (a step is accepted only once).
func (u *User) Code(t testing.TB) string {
	t.Helper()
	u.clock.Advance(30 * time.Second)
	code, err := account.TOTPCode(u.Secret, u.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// Grant verifies the user's identity for purpose with password and code.
func (u *User) Grant(t testing.TB, purpose account.Purpose) string {
	t.Helper()
	ctx := context.Background()
	v, err := u.svc.BeginVerification(ctx, u.Session.Token, purpose)
	if err != nil {
		t.Fatalf("beginning verification: %v", err)
	}
	proof := account.Proof{Password: u.Password, TOTPCode: u.Code(t)}
	if slices.Contains(v.Factors, account.FactorEmailCode) && u.Mail != nil {
		proof.EmailCode = u.Mail.LastCode(u.Email, "verification code")
	}
	g, err := u.svc.CompleteVerification(ctx, u.Session.Token, v.ID, proof)
	if err != nil {
		t.Fatalf("completing verification: %v", err)
	}
	return g.Token
}

// AddPasskey binds a new passkey of auth to the account, through identity
// verification with password and code and a full registration ceremony.
// The service holds the new passkey, and withdrawals and C2C trades, for
// account.RemovalHold: advance the clock past it when a test needs them.
func (u *User) AddPasskey(t testing.TB, auth *Authenticator, kind account.Kind, name string) *account.Passkey {
	t.Helper()
	return u.AddPasskeyWith(t, u.Grant(t, account.PurposeAddPasskey), auth, kind, name)
}

// AddPasskeyWith binds a new passkey of auth to the account with an
// add-passkey grant (as PasskeyGrant gives), through a full registration
// ceremony.
func (u *User) AddPasskeyWith(t testing.TB, grant string, auth *Authenticator, kind account.Kind, name string) *account.Passkey {
	t.Helper()
	ctx := context.Background()
	opts, err := u.svc.BeginRegistration(ctx, u.Session.Token, grant, kind)
	if err != nil {
		t.Fatalf("beginning registration: %v", err)
	}
	cred, err := auth.Register(opts)
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	pk, err := u.svc.FinishRegistration(ctx, u.Session.Token, grant, cred, name)
	if err != nil {
		t.Fatalf("finishing registration: %v", err)
	}
	return pk
}

// PasskeyGrant verifies the user's identity for purpose with a passkey of
// by. Errors of the service are returned; a failing authenticator fails t.
func (u *User) PasskeyGrant(t testing.TB, by *Authenticator, purpose account.Purpose) (string, error) {
	t.Helper()
	ctx := context.Background()
	opts, err := u.svc.BeginPasskeyVerification(ctx, u.Session.Token, purpose)
	if err != nil {
		return "", err
	}
	assertion, err := by.Assert(opts)
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	g, err := u.svc.FinishPasskeyVerification(ctx, u.Session.Token, assertion)
	if err != nil {
		return "", err
	}
	return g.Token, nil
}
