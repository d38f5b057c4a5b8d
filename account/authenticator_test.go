package account_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// codeOf is the code secret's app shows at the fixture's clock.
func (fx *recoveryFixture) codeOf(t *testing.T, secret string) string {
	t.Helper()
	code, err := account.TOTPCode(secret, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestChangeAuthenticator(t *testing.T) {
	fx := newRecoveryFixture(t)
	tok := fx.u.Session.Token
	oldSecret := fx.u.Secret
	grant := fx.u.Grant(t, account.PurposeChangeAuthenticator)
	enr, err := fx.svc.BeginAuthenticatorChange(ctx, tok, grant)
	if err != nil {
		t.Fatal(err)
	}
	if enr.Secret == "" || enr.Secret == oldSecret || !strings.HasPrefix(enr.URI, "otpauth://totp/") || !strings.Contains(enr.URI, enr.Secret) {
		t.Fatalf("new secret: %+v", enr)
	}
	// Until confirmed, the old app is the one that signs in.
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); err != nil {
		t.Fatalf("the old app before the change is confirmed: %v", err)
	}
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("a begun change started a hold: %+v", p)
	}
	// A wrong code changes nothing and leaves the grant usable.
	fx.clock.Advance(30e9)
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, grant, fx.codeOf(t, oldSecret)); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the old app's code as the new one's: %v", err)
	}
	// The new app's first code: it is the account's now.
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, grant, fx.codeOf(t, enr.Secret)); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, grant, fx.codeOf(t, enr.Secret)); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("the grant again: %v", err)
	}
	// The code that confirmed is used up: it does not sign in.
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.codeOf(t, enr.Secret)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the confirming code again, to sign in: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the old app after the change: %v", err)
	}
	fx.u.Secret = enr.Secret
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); err != nil {
		t.Fatalf("the new app: %v", err)
	}
	p, err := fx.svc.Policy(ctx, tok)
	if err != nil || p.HoldCause != account.HoldAuthenticatorChanged || !p.HoldUntil.After(fx.clock.Now()) {
		t.Fatalf("policy after the change: %+v, %v", p, err)
	}
	evs := fx.events(t, account.EventAuthenticatorChanged)
	if len(evs) != 1 || !strings.Contains(evs[0].Detail, "verified with password and code") || strings.Contains(evs[0].Detail, enr.Secret) {
		t.Fatalf("authenticator-changed events: %+v", evs)
	}
}

// A second begin replaces the first: the first's secret and grant no
// longer confirm, and a change left unconfirmed past its grant ends.
func TestChangeAuthenticatorBegunAgain(t *testing.T) {
	fx := newRecoveryFixture(t)
	tok := fx.u.Session.Token
	g1 := fx.u.Grant(t, account.PurposeChangeAuthenticator)
	first, err := fx.svc.BeginAuthenticatorChange(ctx, tok, g1)
	if err != nil {
		t.Fatal(err)
	}
	g2 := fx.u.Grant(t, account.PurposeChangeAuthenticator)
	second, err := fx.svc.BeginAuthenticatorChange(ctx, tok, g2)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, g1, fx.codeOf(t, first.Secret)); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("the first change's grant: %v", err)
	}
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, g2, fx.codeOf(t, first.Secret)); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the first change's secret: %v", err)
	}
	fx.clock.Advance(account.GrantLifetime)
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, g2, fx.codeOf(t, second.Secret)); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("after the grant expired: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); err != nil {
		t.Fatalf("the old app after unconfirmed changes: %v", err)
	}
}

// Wrong codes from the new app count against the authenticator factor:
// MaxFailures of them lock it, and the secret stays the old one.
func TestChangeAuthenticatorWrongCodesLock(t *testing.T) {
	fx := newRecoveryFixture(t)
	tok := fx.u.Session.Token
	grant := fx.u.Grant(t, account.PurposeChangeAuthenticator)
	if _, err := fx.svc.BeginAuthenticatorChange(ctx, tok, grant); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= account.MaxFailures; i++ {
		err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, grant, "000000")
		var locked *account.LockedError
		switch {
		case i < account.MaxFailures && !errors.Is(err, account.ErrInvalidCode):
			t.Fatalf("wrong code %d: %v", i, err)
		case i == account.MaxFailures && !errors.As(err, &locked):
			t.Fatalf("wrong code %d: %v, want locked", i, err)
		}
	}
	var locked *account.LockedError
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, grant, "123456"); !errors.As(err, &locked) {
		t.Fatalf("while locked: %v", err)
	}
	if evs := fx.events(t, account.EventAuthenticatorChanged); len(evs) != 0 {
		t.Fatalf("changed while locked: %+v", evs)
	}
}

// Verified by a passkey past its own hold, the change starts no hold.
func TestChangeAuthenticatorWithAPasskey(t *testing.T) {
	fx := newRecoveryFixture(t)
	auth := &accounttest.Authenticator{}
	fx.u.AddPasskey(t, auth, account.KindSecurityKey, "Blue key")
	fx.clock.Advance(account.RemovalHold)
	grant, err := fx.u.PasskeyGrant(t, auth, account.PurposeChangeAuthenticator)
	if err != nil {
		t.Fatal(err)
	}
	enr, err := fx.svc.BeginAuthenticatorChange(ctx, fx.u.Session.Token, grant)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, fx.u.Session.Token, grant, fx.codeOf(t, enr.Secret)); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.Policy(ctx, fx.u.Session.Token); !p.HoldUntil.IsZero() {
		t.Fatalf("changed with a passkey past its hold: %+v", p)
	}
	if evs := fx.events(t, account.EventAuthenticatorChanged); len(evs) != 1 || !strings.Contains(evs[0].Detail, "approved with another passkey") {
		t.Fatalf("events: %+v", evs)
	}
}

// The doors of both calls: each refusal leaves the old app in force.
func TestChangeAuthenticatorDoors(t *testing.T) {
	fx := newRecoveryFixture(t)
	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	tok := fx.u.Session.Token
	signedOut := func() string {
		s, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.svc.SignOut(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		return s.Token
	}
	doors := append(accounttest.GrantDoors(t, fx.u, bob, account.PurposeChangeAuthenticator, account.PurposeChangePassword),
		accounttest.GrantDoor{Name: "signed-out session", Token: signedOut,
			Grant: func() string { return fx.u.Grant(t, account.PurposeChangeAuthenticator) }, Want: account.ErrUnauthenticated})
	for _, tt := range doors {
		t.Run(tt.Name, func(t *testing.T) {
			token, grant := tt.Token(), tt.Grant()
			if _, err := fx.svc.BeginAuthenticatorChange(ctx, token, grant); !errors.Is(err, tt.Want) {
				t.Fatalf("begin: got %v, want %v", err, tt.Want)
			}
			if err := fx.svc.ConfirmAuthenticatorChange(ctx, token, grant, "123456"); !errors.Is(err, tt.Want) {
				t.Fatalf("confirm: got %v, want %v", err, tt.Want)
			}
		})
	}
	// A grant with no change begun finds none.
	if err := fx.svc.ConfirmAuthenticatorChange(ctx, tok, fx.u.Grant(t, account.PurposeChangeAuthenticator), "123456"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("no change begun: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); err != nil {
		t.Fatalf("the old app after refused changes: %v", err)
	}
}

// Confirmations racing with one grant and good codes: exactly one puts
// the new app in force.
func TestChangeAuthenticatorConfirmedOnce(t *testing.T) {
	fx := newRecoveryFixture(t)
	tok := fx.u.Session.Token
	grant := fx.u.Grant(t, account.PurposeChangeAuthenticator)
	enr, err := fx.svc.BeginAuthenticatorChange(ctx, tok, grant)
	if err != nil {
		t.Fatal(err)
	}
	code := fx.codeOf(t, enr.Secret)
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fx.svc.ConfirmAuthenticatorChange(ctx, tok, grant, code)
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, account.ErrGrantRequired):
			t.Errorf("a racing confirmation: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d confirmations succeeded, want 1", ok)
	}
	if evs := fx.events(t, account.EventAuthenticatorChanged); len(evs) != 1 {
		t.Fatalf("%d authenticator-changed events", len(evs))
	}
}
