package account_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// burst is how many guesses the burst tests send at once.
const burst = 20

// gateStore holds write transactions back until a number of transactions
// (reads or writes) have begun, so the guesses of a burst are all under
// way before any of them is written: the worst order for a check made
// apart from its count.
type gateStore struct {
	account.Store
	mu      sync.Mutex
	waitFor int // transactions still to begin before the gate opens
	open    chan struct{}
}

func newGateStore(s account.Store) *gateStore {
	g := &gateStore{Store: s, open: make(chan struct{})}
	close(g.open)
	return g
}

// arm shuts the gate until n more transactions have begun.
func (g *gateStore) arm(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waitFor, g.open = n, make(chan struct{})
}

func (g *gateStore) begin() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waitFor > 0 {
		if g.waitFor--; g.waitFor == 0 {
			close(g.open)
		}
	}
	return g.open
}

func (g *gateStore) Update(ctx context.Context, fn func(account.Tx) error) error {
	<-g.begin()
	return g.Store.Update(ctx, fn)
}

func (g *gateStore) View(ctx context.Context, fn func(account.Tx) error) error {
	g.begin()
	return g.Store.View(ctx, fn)
}

// factorState reads the abuse state of one of u's factors.
func factorState(t *testing.T, store account.Store, u *accounttest.User, f account.Factor) account.FactorState {
	t.Helper()
	var st account.FactorState
	err := store.View(ctx, func(tx account.Tx) error {
		var err error
		st, err = tx.FactorState(u.Session.Account.ID, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// countEvents counts u's events of type typ, read with u's session.
func countEvents(t *testing.T, svc *account.Service, u *accounttest.User, typ account.EventType) int {
	t.Helper()
	evs, err := svc.Activity(ctx, u.Session.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// concurrently runs try burst times at once and returns the errors.
func concurrently(try func() error) []error {
	errs := make([]error, burst)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = try() })
	}
	wg.Wait()
	return errs
}

// TestBurstOfWrongSignInsStopsAtTheLimit sends 20 wrong sign-ins at once,
// all under way before any is counted: only MaxFailures are checked and
// counted, every one answers ErrInvalidCredentials, and the right
// answers are refused until the lock ends.
func TestBurstOfWrongSignInsStopsAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		factor account.Factor
		wrong  func(u *accounttest.User) (password, code string)
	}{
		{"password", account.FactorPassword, func(u *accounttest.User) (string, string) { return "not the password", "000000" }},
		{"authenticator code", account.FactorTOTP, func(u *accounttest.User) (string, string) { return u.Password, "000000" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gate *gateStore
			svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store {
				gate = newGateStore(s)
				return gate
			}})
			u := accounttest.SignUp(t, svc, clock, "ann@example.com")
			pw, code := tc.wrong(u)
			start := clock.Now()

			gate.arm(burst)
			for i, err := range concurrently(func() error { _, err := svc.SignIn(ctx, u.Email, pw, code); return err }) {
				if !errors.Is(err, account.ErrInvalidCredentials) {
					t.Errorf("guess %d: %v", i, err)
				}
			}
			if n := countEvents(t, svc, u, account.EventSignInFailed); n != account.MaxFailures {
				t.Errorf("%d of %d guesses at once were checked and counted; want %d", n, burst, account.MaxFailures)
			}
			st := factorState(t, gate.Store, u, tc.factor)
			if st.Failures != account.MaxFailures || st.InFlight != 0 || !st.LockedUntil.Equal(start.Add(account.LockDuration)) {
				t.Errorf("state after the burst: %+v", st)
			}
			if n := countEvents(t, svc, u, account.EventFactorLocked); n != 1 {
				t.Errorf("%d factor-locked events, want 1", n)
			}

			if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
				t.Fatalf("the right answers while locked: %v", err)
			}
			clock.Advance(account.LockDuration)
			if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
				t.Fatalf("the right answers after the lock: %v", err)
			}
		})
	}
}

// TestBurstOfWrongVerificationsStopsAtTheLimit: the same for an identity
// check, where the lock may say until when: MaxFailures are counted (the
// last of them locks), the others are refused with the lock unchecked.
func TestBurstOfWrongVerificationsStopsAtTheLimit(t *testing.T) {
	sink := startSMTP(t)
	host, port, _ := net.SplitHostPort(sink.addr)
	p, _ := strconv.Atoi(port)
	for _, tc := range []struct {
		name   string
		factor account.Factor
		wrong  func(u *accounttest.User, emailCode string) account.Proof
	}{
		{"password", account.FactorPassword, func(u *accounttest.User, emailCode string) account.Proof {
			return account.Proof{Password: "not the password", TOTPCode: "000000", EmailCode: emailCode}
		}},
		{"authenticator code", account.FactorTOTP, func(u *accounttest.User, emailCode string) account.Proof {
			return account.Proof{Password: u.Password, TOTPCode: "000000", EmailCode: emailCode}
		}},
		{"email code", account.FactorEmailCode, func(u *accounttest.User, emailCode string) account.Proof {
			return account.Proof{Password: u.Password, TOTPCode: "000000", EmailCode: otherCode(emailCode)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gate *gateStore
			svc, clock, _ := accounttest.NewService(t, accounttest.Options{
				Mailer: account.NewSMTPMailer(account.SMTPConfig{Host: host, Port: p, From: "desk@example.com"}),
				Store: func(s account.Store) account.Store {
					gate = newGateStore(s)
					return gate
				},
			})
			u := accounttest.SignUp(t, svc, clock, "ann@example.com")
			tok := u.Session.Token
			// The email code is a factor once the address is confirmed.
			if _, err := svc.ConfirmEmail(ctx, tok, sink.lastCode(t)); err != nil {
				t.Fatal(err)
			}
			v, err := svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
			if err != nil {
				t.Fatal(err)
			}
			proof := tc.wrong(u, sink.lastCode(t))
			start := clock.Now()

			gate.arm(burst)
			wrongs, locks := 0, 0
			for i, err := range concurrently(func() error { _, err := svc.CompleteVerification(ctx, tok, v.ID, proof); return err }) {
				var le *account.LockedError
				switch {
				case errors.As(err, &le):
					locks++
				case errors.Is(err, account.ErrInvalidCredentials), errors.Is(err, account.ErrInvalidCode):
					wrongs++
				default:
					t.Errorf("guess %d: %v", i, err)
				}
			}
			if wrongs != account.MaxFailures-1 || locks != burst-wrongs {
				t.Errorf("%d said wrong and %d locked; want %d and %d", wrongs, locks, account.MaxFailures-1, burst-account.MaxFailures+1)
			}
			if n := countEvents(t, svc, u, account.EventVerificationFailed); n != account.MaxFailures {
				t.Errorf("%d of %d guesses at once were checked and counted; want %d", n, burst, account.MaxFailures)
			}
			st := factorState(t, gate.Store, u, tc.factor)
			if st.Failures != account.MaxFailures || st.InFlight != 0 || !st.LockedUntil.Equal(start.Add(account.LockDuration)) {
				t.Errorf("state after the burst: %+v", st)
			}
			for _, f := range []account.Factor{account.FactorPassword, account.FactorTOTP, account.FactorEmailCode} {
				if st := factorState(t, gate.Store, u, f); f != tc.factor && (st.Failures != 0 || st.InFlight != 0) {
					t.Errorf("%s, not the one guessed, after the burst: %+v", f, st)
				}
			}

			// The right answers are refused until the lock ends.
			v, err = svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
			if err != nil {
				t.Fatal(err)
			}
			right := account.Proof{Password: u.Password, TOTPCode: u.Code(t), EmailCode: sink.lastCode(t)}
			var le *account.LockedError
			if _, err := svc.CompleteVerification(ctx, tok, v.ID, right); !errors.As(err, &le) || le.Factor != tc.factor || !le.Until.Equal(st.LockedUntil) {
				t.Fatalf("the right answers while locked: %v", err)
			}
			clock.Advance(account.LockDuration)
			v, err = svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
			if err != nil {
				t.Fatal(err)
			}
			right = account.Proof{Password: u.Password, TOTPCode: u.Code(t), EmailCode: sink.lastCode(t)}
			if _, err := svc.CompleteVerification(ctx, tok, v.ID, right); err != nil {
				t.Fatalf("the right answers after the lock: %v", err)
			}
		})
	}
}

// otherCode is a 6-digit code that is not c.
func otherCode(c string) string {
	if c == "000000" {
		return "111111"
	}
	return "000000"
}

// TestUnfinishedAttemptsLapse: attempts reserved by a process that then
// stopped count against the limit for account.AttemptLifetime only.
func TestUnfinishedAttemptsLapse(t *testing.T) {
	var store account.Store
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: keep(&store)})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	err := store.Update(ctx, func(tx account.Tx) error {
		return tx.PutFactorState(u.Session.Account.ID, account.FactorPassword,
			account.FactorState{InFlight: account.MaxFailures, InFlightAt: clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("with %d attempts in flight: %v", account.MaxFailures, err)
	}
	clock.Advance(account.AttemptLifetime)
	if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
		t.Fatalf("once the attempts in flight lapsed: %v", err)
	}
	if st := factorState(t, store, u, account.FactorPassword); st != (account.FactorState{}) {
		t.Fatalf("state after a success: %+v", st)
	}
}

// TestUnknownEmailLocksLikeAKnownOne: wrong passwords for an email no
// account has are counted and lock as those for a known one, in a state
// keyed by a MAC of the address (never stored in the clear); a burst
// against it stops at the limit too.
func TestUnknownEmailLocksLikeAKnownOne(t *testing.T) {
	var gate *gateStore
	svc, clock, path := accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store {
		gate = newGateStore(s)
		return gate
	}})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	const unknown = "nobody.here@example.com"
	unknownState := func() account.FactorState {
		t.Helper()
		var st account.FactorState
		err := gate.Store.View(ctx, func(tx account.Tx) error {
			var err error
			st, err = tx.UnknownEmailState(account.UnknownEmailMAC(svc, unknown))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	for i := range account.MaxFailures {
		for _, email := range []string{u.Email, " Nobody.Here@example.com"} {
			if _, err := svc.SignIn(ctx, email, "not the password", "000000"); !errors.Is(err, account.ErrInvalidCredentials) {
				t.Fatalf("attempt %d for %s: %v", i+1, email, err)
			}
		}
		known, other := factorState(t, gate.Store, u, account.FactorPassword), unknownState()
		known.LastStep = 0
		if known != other {
			t.Fatalf("after %d wrong passwords: known email %+v, unknown %+v", i+1, known, other)
		}
	}
	if st := unknownState(); !st.LockedUntil.Equal(clock.Now().Add(account.LockDuration)) || st.Locks != 1 {
		t.Fatalf("the unknown email is not locked: %+v", st)
	}
	for _, f := range []string{path, path + "-wal"} {
		if raw, err := os.ReadFile(f); err == nil && strings.Contains(strings.ToLower(string(raw)), unknown) {
			t.Errorf("the unknown email is stored in the clear in %s", f)
		}
	}

	clock.Advance(account.LockDuration)
	gate.arm(burst)
	for i, err := range concurrently(func() error { _, err := svc.SignIn(ctx, unknown, "not the password", "000000"); return err }) {
		if !errors.Is(err, account.ErrInvalidCredentials) {
			t.Errorf("guess %d: %v", i, err)
		}
	}
	st := unknownState()
	if st.Failures != account.MaxFailures || st.InFlight != 0 || st.Locks != 2 || !st.LockedUntil.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("after a burst of %d: %+v", burst, st)
	}

	// Quiet for FailureMemory, the state is swept away.
	clock.Advance(account.FailureMemory + time.Minute)
	if _, err := svc.BeginVerification(ctx, u.Session.Token, account.PurposeAddPasskey); err != nil { // sweeps
		t.Fatal(err)
	}
	if st := unknownState(); st != (account.FactorState{}) {
		t.Fatalf("after a quiet %v: %+v", account.FailureMemory, st)
	}
}

// TestLocksEscalate: each lock of a factor with no success since the last
// lasts longer, 15 min, 1 h, 4 h, 16 h, then 24 h at most; a success, or
// FailureMemory without a wrong answer, starts again at 15 min.
func TestLocksEscalate(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	// lockTOTP gives MaxFailures wrong authenticator codes and returns how
	// long the lock they start lasts.
	lockTOTP := func() time.Duration {
		t.Helper()
		v, err := svc.BeginVerification(ctx, u.Session.Token, account.PurposeChangePolicy)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= account.MaxFailures; i++ {
			_, err = svc.CompleteVerification(ctx, u.Session.Token, v.ID, account.Proof{Password: u.Password, TOTPCode: "000000"})
			var le *account.LockedError
			if i < account.MaxFailures && !errors.Is(err, account.ErrInvalidCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
			if i == account.MaxFailures {
				if !errors.As(err, &le) || le.Factor != account.FactorTOTP {
					t.Fatalf("wrong code %d: %v", i, err)
				}
				return le.Until.Sub(clock.Now())
			}
		}
		return 0
	}
	for _, want := range []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour} {
		got := lockTOTP()
		if got != want {
			t.Fatalf("lock of %v, want %v", got, want)
		}
		clock.Advance(got)
	}
	u.Grant(t, account.PurposeAddPasskey)
	if got := lockTOTP(); got != account.LockDuration {
		t.Fatalf("lock of %v after a success, want %v", got, account.LockDuration)
	}
	clock.Advance(account.LockDuration)
	if got := lockTOTP(); got != time.Hour {
		t.Fatalf("second lock of %v, want 1h", got)
	}
	clock.Advance(account.FailureMemory)
	if got := lockTOTP(); got != account.LockDuration {
		t.Fatalf("lock of %v after a quiet %v, want %v", got, account.FailureMemory, account.LockDuration)
	}
}
