package account_test

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// recoveryFixture is a service with one signed-up account, its store kept
// to read rows, and its database file.
type recoveryFixture struct {
	svc   *account.Service
	clock *accounttest.Clock
	store account.Store
	path  string
	u     *accounttest.User
}

func newRecoveryFixture(t *testing.T) *recoveryFixture {
	t.Helper()
	fx := &recoveryFixture{}
	fx.svc, fx.clock, fx.path = accounttest.NewService(t, accounttest.Options{Store: keep(&fx.store)})
	fx.u = accounttest.SignUp(t, fx.svc, fx.clock, "ann@example.com")
	return fx
}

func (fx *recoveryFixture) status(t *testing.T) *account.RecoveryCodeStatus {
	t.Helper()
	st, err := fx.svc.RecoveryCodeStatus(ctx, fx.u.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// verifyWith completes an identity check for purpose with the password
// and code (an authenticator or recovery code).
func (fx *recoveryFixture) verifyWith(t *testing.T, purpose account.Purpose, code string) (*account.Grant, error) {
	t.Helper()
	v, err := fx.svc.BeginVerification(ctx, fx.u.Session.Token, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return fx.svc.CompleteVerification(ctx, fx.u.Session.Token, v.ID, account.Proof{Password: fx.u.Password, TOTPCode: code})
}

func (fx *recoveryFixture) events(t *testing.T, typ account.EventType) []account.Event {
	t.Helper()
	evs, err := fx.svc.Activity(ctx, fx.u.Session.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []account.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (fx *recoveryFixture) checkHold(t *testing.T) {
	t.Helper()
	p, err := fx.svc.Policy(ctx, fx.u.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	if want := fx.clock.Now().Add(account.RemovalHold); !p.HoldUntil.Equal(want) || p.HoldCause != account.HoldRecoveryCodeUsed {
		t.Fatalf("hold %v (%s), want %v (%s)", p.HoldUntil, p.HoldCause, want, account.HoldRecoveryCodeUsed)
	}
}

func TestRecoveryCodesMadeAtSignUp(t *testing.T) {
	fx := newRecoveryFixture(t)
	codes := fx.u.Session.RecoveryCodes
	if len(codes) != account.RecoveryCodeCount {
		t.Fatalf("%d codes at sign-up, want %d", len(codes), account.RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !account.IsRecoveryCode(c) || len(strings.ReplaceAll(c, "-", "")) != account.RecoveryCodeLength || seen[c] {
			t.Fatalf("code %q: not a fresh code of %d characters", c, account.RecoveryCodeLength)
		}
		seen[c] = true
	}
	if st := fx.status(t); st.Total != account.RecoveryCodeCount || st.Left != account.RecoveryCodeCount || !st.LastUsedAt.IsZero() {
		t.Fatalf("status after sign-up: %+v", st)
	}
	// A session signed in later does not carry them.
	sess, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil || sess.RecoveryCodes != nil {
		t.Fatalf("sign-in: %v, codes %v", err, sess.RecoveryCodes)
	}
	// An authenticator code is not taken for a recovery code.
	if account.IsRecoveryCode("123456") || account.IsRecoveryCode("123 456") {
		t.Fatal("a 6-digit code has the form of a recovery code")
	}
}

func TestRecoveryCodeSignIn(t *testing.T) {
	for _, tt := range []struct {
		name string
		// typed is how the person types the first code.
		typed func(code string) string
	}{
		{"as shown", func(c string) string { return c }},
		{"lower case, no dashes", func(c string) string { return strings.ToLower(strings.ReplaceAll(c, "-", "")) }},
		{"spaces, and O and I for 0 and 1", func(c string) string {
			return strings.NewReplacer("-", " ", "0", "O", "1", "I").Replace(c)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newRecoveryFixture(t)
			code := fx.u.Session.RecoveryCodes[0]
			sess, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, tt.typed(code))
			if err != nil {
				t.Fatalf("signing in with a recovery code: %v", err)
			}
			if _, err := fx.svc.Me(ctx, sess.Token); err != nil {
				t.Fatal(err)
			}
			fx.checkHold(t)
			if evs := fx.events(t, account.EventRecoveryCodeUsed); len(evs) != 1 || !strings.Contains(evs[0].Detail, "9 left") {
				t.Fatalf("recovery-code-used events: %+v", evs)
			}
			if st := fx.status(t); st.Left != account.RecoveryCodeCount-1 || !st.LastUsedAt.Equal(fx.clock.Now()) {
				t.Fatalf("status after one use: %+v", st)
			}
			// Single use, however it is typed.
			for _, again := range []string{code, tt.typed(code)} {
				if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, again); !errors.Is(err, account.ErrInvalidCredentials) {
					t.Fatalf("the used code again: %v", err)
				}
			}
			// With a wrong password, a good code is not used up.
			if _, err := fx.svc.SignIn(ctx, fx.u.Email, "wrong password!", fx.u.Session.RecoveryCodes[1]); !errors.Is(err, account.ErrInvalidCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
			if st := fx.status(t); st.Left != account.RecoveryCodeCount-1 {
				t.Fatalf("a wrong password used up a code: %+v", st)
			}
		})
	}
}

// Another account's code is no code of this one: the MAC binds the code
// to its account.
func TestRecoveryCodeOfAnotherAccount(t *testing.T) {
	fx := newRecoveryFixture(t)
	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	if _, err := fx.svc.SignIn(ctx, bob.Email, bob.Password, fx.u.Session.RecoveryCodes[0]); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("Ann's code for Bob: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Session.RecoveryCodes[0]); err != nil {
		t.Fatalf("Ann's code for Ann after Bob tried it: %v", err)
	}
}

func TestRecoveryCodesHashedAtRest(t *testing.T) {
	fx := newRecoveryFixture(t)
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Session.RecoveryCodes[0]); err != nil {
		t.Fatal(err)
	}
	fresh, err := fx.svc.NewRecoveryCodes(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeRecoveryCodes))
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]string{}, fx.u.Session.RecoveryCodes...), fresh.Codes...)
	files := 0
	for _, f := range []string{fx.path, fx.path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		files++
		for _, c := range all {
			for _, form := range []string{c, strings.ReplaceAll(c, "-", ""), strings.ToLower(strings.ReplaceAll(c, "-", ""))} {
				if strings.Contains(string(raw), form) {
					t.Errorf("recovery code %q found in the clear in %s", form, f)
				}
			}
		}
	}
	if files == 0 {
		t.Fatal("no database file to search")
	}
	// What is stored is one MAC per code, none of them the code.
	err = fx.store.View(ctx, func(tx account.Tx) error {
		rows, err := tx.RecoveryCodes(fx.u.Session.Account.ID)
		if len(rows) != account.RecoveryCodeCount {
			t.Errorf("%d rows, want %d", len(rows), account.RecoveryCodeCount)
		}
		for _, r := range rows {
			if len(r.Hash) != 32 {
				t.Errorf("a stored code of %d bytes", len(r.Hash))
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewRecoveryCodesReplaceTheOldSet(t *testing.T) {
	fx := newRecoveryFixture(t)
	old := fx.u.Session.RecoveryCodes
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, old[0]); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(account.RemovalHold)
	grant := fx.u.Grant(t, account.PurposeRecoveryCodes)
	fresh, err := fx.svc.NewRecoveryCodes(ctx, fx.u.Session.Token, grant)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh.Codes) != account.RecoveryCodeCount || !fresh.CreatedAt.Equal(fx.clock.Now()) {
		t.Fatalf("new set: %d codes made %v", len(fresh.Codes), fresh.CreatedAt)
	}
	if st := fx.status(t); st.Total != account.RecoveryCodeCount || st.Left != account.RecoveryCodeCount || !st.LastUsedAt.IsZero() {
		t.Fatalf("status of the new set: %+v", st)
	}
	if len(fx.events(t, account.EventRecoveryCodesMade)) != 2 { // the sign-up's and this one
		t.Fatal("no recovery-codes-made event for the new set")
	}
	// The grant was used up.
	if _, err := fx.svc.NewRecoveryCodes(ctx, fx.u.Session.Token, grant); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("the grant again: %v", err)
	}
	// The old set no longer works, used or not; the new one does.
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, old[1]); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("an old code: %v", err)
	}
	if _, err := fx.verifyWith(t, account.PurposeAddPasskey, old[2]); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("an old code in an identity check: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fresh.Codes[0]); err != nil {
		t.Fatalf("a new code: %v", err)
	}
}

// Wrong recovery codes count against the authenticator factor, at sign-in
// and in identity checks alike: MaxFailures of them lock it, and then a
// good recovery code is refused too.
func TestWrongRecoveryCodesLockTheAuthenticator(t *testing.T) {
	for _, where := range []string{"sign-in", "identity check"} {
		t.Run(where, func(t *testing.T) {
			fx := newRecoveryFixture(t)
			wrong := "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
			for i := 1; i <= account.MaxFailures; i++ {
				var err error
				if where == "sign-in" {
					_, err = fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, wrong)
				} else {
					_, err = fx.verifyWith(t, account.PurposeAddPasskey, wrong)
				}
				if err == nil {
					t.Fatalf("wrong code %d accepted", i)
				}
			}
			st := factorState(t, fx.store, fx.u, account.FactorTOTP)
			if !st.LockedUntil.Equal(fx.clock.Now().Add(account.LockDuration)) {
				t.Fatalf("after %d wrong recovery codes: %+v", account.MaxFailures, st)
			}
			good := fx.u.Session.RecoveryCodes[0]
			if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, good); !errors.Is(err, account.ErrInvalidCredentials) {
				t.Fatalf("a good code while locked: %v", err)
			}
			var locked *account.LockedError
			if _, err := fx.verifyWith(t, account.PurposeAddPasskey, good); !errors.As(err, &locked) || locked.Factor != account.FactorTOTP {
				t.Fatalf("a good code in a check while locked: %v", err)
			}
			if st := fx.status(t); st.Left != account.RecoveryCodeCount {
				t.Fatalf("refused attempts used up a code: %+v", st)
			}
			if n := len(fx.events(t, account.EventSignInFailed)) + len(fx.events(t, account.EventVerificationFailed)); n < account.MaxFailures {
				t.Fatalf("%d failure events", n)
			}
		})
	}
}

// Many sign-ins racing with one code: exactly one gets in.
func TestRecoveryCodeRaceSignsInOnce(t *testing.T) {
	fx := newRecoveryFixture(t)
	code := fx.u.Session.RecoveryCodes[0]
	const n = 4 // fewer than MaxFailures, so no lock decides it
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, code) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, account.ErrInvalidCredentials):
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d racing sign-ins with one code got in", ok, n)
	}
	if st := fx.status(t); st.Left != account.RecoveryCodeCount-1 {
		t.Fatalf("status: %+v", st)
	}
	if evs := fx.events(t, account.EventRecoveryCodeUsed); len(evs) != 1 {
		t.Fatalf("%d recovery-code-used events", len(evs))
	}
}

func TestRecoveryCodeInIdentityCheck(t *testing.T) {
	fx := newRecoveryFixture(t)
	code := fx.u.Session.RecoveryCodes[3]
	g, err := fx.verifyWith(t, account.PurposeRecoveryCodes, code)
	if err != nil {
		t.Fatalf("identity check with a recovery code: %v", err)
	}
	fx.checkHold(t)
	if evs := fx.events(t, account.EventRecoveryCodeUsed); len(evs) != 1 || !strings.Contains(evs[0].Detail, string(account.PurposeRecoveryCodes)) {
		t.Fatalf("recovery-code-used events: %+v", evs)
	}
	// Its grant makes a new set: the way back after losing the app.
	if _, err := fx.svc.NewRecoveryCodes(ctx, fx.u.Session.Token, g.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.verifyWith(t, account.PurposeAddPasskey, code); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the code again: %v", err)
	}
}

// With "Passkey required" on and a passkey that can still sign in,
// password and authenticator code are refused, but a recovery code, the
// way back from a reset key, signs in under the hold.
func TestRecoveryCodeSignsInWhenPasskeyRequired(t *testing.T) {
	fx := newRecoveryFixture(t)
	fx.u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Reset key")
	fx.clock.Advance(account.RemovalHold)
	if err := fx.svc.SetPasskeyRequired(ctx, fx.u.Session.Token, "", true); err != nil {
		t.Fatal(err)
	}
	var pe *account.PolicyError
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); !errors.As(err, &pe) {
		t.Fatalf("password and code under Passkey required: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Session.RecoveryCodes[0]); err != nil {
		t.Fatalf("password and recovery code under Passkey required: %v", err)
	}
	fx.checkHold(t)
}

// The doors of NewRecoveryCodes and RecoveryCodeStatus.
func TestRecoveryCodeDoors(t *testing.T) {
	fx := newRecoveryFixture(t)
	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	tok := fx.u.Session.Token
	doors := append(accounttest.GrantDoors(t, fx.u, bob, account.PurposeRecoveryCodes, account.PurposeAddPasskey),
		accounttest.GrantDoor{Name: "used grant", Token: func() string { return tok }, Grant: func() string {
			g := fx.u.Grant(t, account.PurposeRecoveryCodes)
			if _, err := fx.svc.NewRecoveryCodes(ctx, tok, g); err != nil {
				t.Fatal(err)
			}
			return g
		}, Want: account.ErrGrantRequired})
	for _, tt := range doors {
		t.Run(tt.Name, func(t *testing.T) {
			before := fx.status(t)
			token, grant := tt.Token(), tt.Grant()
			if _, err := fx.svc.NewRecoveryCodes(ctx, token, grant); !errors.Is(err, tt.Want) {
				t.Fatalf("got %v, want %v", err, tt.Want)
			}
			if after := fx.status(t); !after.CreatedAt.Equal(before.CreatedAt) && tt.Name != "used grant" {
				t.Fatal("a refused call made a new set")
			}
		})
	}
	if _, err := fx.svc.RecoveryCodeStatus(ctx, "made-up-token"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("status without a session: %v", err)
	}
	if err := fx.svc.SignOut(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RecoveryCodeStatus(ctx, tok); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("status with an ended session: %v", err)
	}
}
