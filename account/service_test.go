package account_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

var ctx = context.Background()

func TestSignUpValidation(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	accounttest.SignUp(t, svc, clock, "taken@example.com")

	tests := []struct {
		name  string
		req   account.SignUpRequest
		field string // InputError field, or "" with wantErr
		want  error
	}{
		{"bad email", account.SignUpRequest{Email: "not-an-email", DisplayName: "A", Password: "long enough pw"}, "email", nil},
		{"email without domain dot", account.SignUpRequest{Email: "a@localhost", DisplayName: "A", Password: "long enough pw"}, "email", nil},
		{"email with name part", account.SignUpRequest{Email: "A <a@example.com>", DisplayName: "A", Password: "long enough pw"}, "email", nil},
		{"short password", account.SignUpRequest{Email: "new@example.com", DisplayName: "A", Password: "short"}, "password", nil},
		{"nine characters", account.SignUpRequest{Email: "new@example.com", DisplayName: "A", Password: "123456789"}, "password", nil},
		{"no display name", account.SignUpRequest{Email: "new@example.com", DisplayName: "  ", Password: "long enough pw"}, "display name", nil},
		{"duplicate email", account.SignUpRequest{Email: "taken@example.com", DisplayName: "A", Password: "long enough pw"}, "", account.ErrEmailTaken},
		{"duplicate email, other case", account.SignUpRequest{Email: " Taken@Example.COM ", DisplayName: "A", Password: "long enough pw"}, "", account.ErrEmailTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.SignUp(ctx, tt.req)
			if tt.field != "" {
				var ie *account.InputError
				if !errors.As(err, &ie) || ie.Field != tt.field {
					t.Fatalf("got %v, want an InputError on %q", err, tt.field)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignUpNeedsOneValidCode(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	enr, err := svc.SignUp(ctx, account.SignUpRequest{Email: "Ann@Example.com", DisplayName: "Ann", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if enr.Email != "ann@example.com" || !strings.HasPrefix(enr.URI, "otpauth://totp/") || !strings.Contains(enr.URI, "secret="+enr.Secret) {
		t.Fatalf("enrollment = %+v", enr)
	}
	// Not active yet: cannot sign in.
	code, _ := account.TOTPCode(enr.Secret, clock.Now())
	if _, err := svc.SignIn(ctx, "ann@example.com", "correct horse battery", code); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("sign-in before confirmation: %v", err)
	}
	if _, err := svc.ConfirmSignUp(ctx, enr.ID, "000000"); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("wrong code: %v", err)
	}
	sess, err := svc.ConfirmSignUp(ctx, enr.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Account.Email != "ann@example.com" || sess.Token == "" {
		t.Fatalf("session = %+v", sess)
	}
	if _, err := svc.ConfirmSignUp(ctx, enr.ID, code); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("second confirmation: %v", err)
	}
}

func TestAbandonedSignUpIsReplaced(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	first, err := svc.SignUp(ctx, account.SignUpRequest{Email: "ann@example.com", DisplayName: "Ann", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.SignUp(ctx, account.SignUpRequest{Email: "ann@example.com", DisplayName: "Ann", Password: "another long password"})
	if err != nil {
		t.Fatalf("second sign-up of an unconfirmed email: %v", err)
	}
	code, _ := account.TOTPCode(first.Secret, clock.Now())
	if _, err := svc.ConfirmSignUp(ctx, first.ID, code); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("the replaced enrollment still confirms: %v", err)
	}
	code, _ = account.TOTPCode(second.Secret, clock.Now())
	if _, err := svc.ConfirmSignUp(ctx, second.ID, code); err != nil {
		t.Fatal(err)
	}
}

func TestSignIn(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")

	tests := []struct {
		name            string
		email, password string
		code            func() string
		want            error
	}{
		{"unknown email", "bob@example.com", u.Password, func() string { return u.Code(t) }, account.ErrInvalidCredentials},
		{"wrong password", u.Email, "wrong password!", func() string { return u.Code(t) }, account.ErrInvalidCredentials},
		{"wrong code", u.Email, u.Password, func() string { u.Code(t); return "123456" }, account.ErrInvalidCredentials},
		{"short code", u.Email, u.Password, func() string { return "12345" }, account.ErrInvalidCredentials},
		{"right, other case email", "  ANN@example.com", u.Password, func() string { return u.Code(t) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, err := svc.SignIn(ctx, tt.email, tt.password, tt.code())
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil {
				me, err := svc.Me(ctx, sess.Token)
				if err != nil || me.Email != u.Email {
					t.Fatalf("Me = %+v, %v", me, err)
				}
			}
		})
	}
}

func TestWrongEmailAndWrongPasswordLookTheSame(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	_, errEmail := svc.SignIn(ctx, "nobody@example.com", u.Password, u.Code(t))
	_, errPassword := svc.SignIn(ctx, u.Email, "not the password", u.Code(t))
	_, errCode := svc.SignIn(ctx, u.Email, u.Password, "000000")
	if errEmail == nil || errEmail.Error() != errPassword.Error() || !errors.Is(errEmail, account.ErrInvalidCredentials) ||
		errCode == nil || errCode.Error() != errPassword.Error() {
		t.Fatalf("unknown email: %v; wrong password: %v; right password, wrong code: %v", errEmail, errPassword, errCode)
	}
}

func TestTOTPWindowAndReplay(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	codeAt := func(d time.Duration) string {
		c, err := account.TOTPCode(u.Secret, clock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	signIn := func(code string) error {
		_, err := svc.SignIn(ctx, u.Email, u.Password, code)
		return err
	}

	clock.Advance(10 * time.Minute)
	if err := signIn(codeAt(-60 * time.Second)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("code two steps old: %v", err)
	}
	if err := signIn(codeAt(+60 * time.Second)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("code two steps ahead: %v", err)
	}
	if err := signIn(codeAt(-30 * time.Second)); err != nil {
		t.Fatalf("code one step old (clock skew): %v", err)
	}
	current := codeAt(0)
	if err := signIn(current); err != nil {
		t.Fatalf("current code: %v", err)
	}
	if err := signIn(current); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("replayed code: %v", err)
	}
	if err := signIn(codeAt(-30 * time.Second)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("an older step after a newer one: %v", err)
	}
	if err := signIn(codeAt(30 * time.Second)); err != nil {
		t.Fatalf("code one step ahead: %v", err)
	}
}

func TestLockoutAndExpiry(t *testing.T) {
	tests := []struct {
		name   string
		factor account.Factor
		wrong  func(u *accounttest.User) (string, string) // password, code
	}{
		{"password", account.FactorPassword, func(u *accounttest.User) (string, string) { return "wrong password!", "000000" }},
		{"authenticator code", account.FactorTOTP, func(u *accounttest.User) (string, string) { return u.Password, "000000" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var store account.Store
			svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: keep(&store)})
			u := accounttest.SignUp(t, svc, clock, "ann@example.com")
			for i := 1; i <= account.MaxFailures; i++ {
				pw, code := tt.wrong(u)
				if _, err := svc.SignIn(ctx, u.Email, pw, code); !errors.Is(err, account.ErrInvalidCredentials) {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			if st := factorState(t, store, u, tt.factor); !st.LockedUntil.Equal(clock.Now().Add(account.LockDuration)) {
				t.Fatalf("after %d wrong attempts: %+v", account.MaxFailures, st)
			}
			// Locked: even the right answers are refused, with the same
			// answer as a wrong one.
			if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
				t.Fatalf("while locked: %v", err)
			}
			clock.Advance(account.LockDuration)
			if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
				t.Fatalf("after the lock expired: %v", err)
			}
			// The count started afresh: one wrong attempt does not lock.
			pw, code := tt.wrong(u)
			svc.SignIn(ctx, u.Email, pw, code)
			if st := factorState(t, store, u, tt.factor); st.Failures != 1 || !st.LockedUntil.IsZero() {
				t.Fatalf("one wrong attempt after a success: %+v", st)
			}
			if !hasEvent(t, svc, u, account.EventFactorLocked) {
				t.Fatal("no factor-locked event")
			}
		})
	}
}

func TestSessions(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	if _, err := svc.Me(ctx, "made-up-token"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := svc.Me(ctx, u.Session.Token); err != nil {
		t.Fatal(err)
	}
	if err := svc.SignOut(ctx, u.Session.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Me(ctx, u.Session.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("after sign-out: %v", err)
	}
	sess, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(account.DefaultSessionIdle)
	if _, err := svc.Me(ctx, sess.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("expired session: %v", err)
	}
}

func TestSecretsAreNotStoredInTheClear(t *testing.T) {
	svc, clock, path := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	for _, f := range []string{path, path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for what, secret := range map[string]string{"password": u.Password, "TOTP secret": u.Secret, "session token": u.Session.Token} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("%s found in the clear in %s", what, f)
			}
		}
	}
}

func hasEvent(t *testing.T, svc *account.Service, u *accounttest.User, typ account.EventType) bool {
	t.Helper()
	sess, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t))
	if err != nil {
		// The account may be locked; read with the original session.
		sess = u.Session
	}
	evs, err := svc.Activity(ctx, sess.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// keep is an accounttest.Options.Store that keeps the SQLite store in
// *dst, for reading rows the API does not show.
func keep(dst *account.Store) func(account.Store) account.Store {
	return func(s account.Store) account.Store {
		*dst = s
		return s
	}
}
