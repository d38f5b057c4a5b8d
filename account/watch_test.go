package account_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// countingStore is the real store, counting its write transactions.
type countingStore struct {
	account.Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(account.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

// watchFixture is a service on a counting SQLite store, a signed-in user
// and a phone enrollment.
type watchFixture struct {
	svc   *account.Service
	store *countingStore
	clock *accounttest.Clock
	u     *accounttest.User
	enr   *account.PhoneEnrollment
}

func newWatchFixture(t *testing.T) *watchFixture {
	t.Helper()
	st, err := sqlstore.Open(t.TempDir() + "/passkeydesk.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fx := &watchFixture{store: &countingStore{Store: st}, clock: accounttest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))}
	key := make([]byte, 32)
	rand.Read(key)
	fx.svc, err = account.New(account.Config{
		RPID: accounttest.RPID, Origins: []string{accounttest.Origin}, SecretKey: key,
		Now: fx.clock.Now, PasswordParams: accounttest.CheapPasswords,
	}, fx.store)
	if err != nil {
		t.Fatal(err)
	}
	fx.u = accounttest.SignUp(t, fx.svc, fx.clock, "ann@example.com")
	if fx.enr, err = fx.svc.BeginPhoneEnrollment(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeAddPasskey)); err != nil {
		t.Fatal(err)
	}
	return fx
}

// writes runs fn and returns how many write transactions it took.
func (fx *watchFixture) writes(fn func()) int64 {
	before := fx.store.updates.Load()
	fn()
	return fx.store.updates.Load() - before
}

// TestEnrollmentStatusReadsWithoutWriting: the desktop's status read and
// a watch's start take no write transaction; only ending an enrollment
// whose time is up writes, once.
func TestEnrollmentStatusReadsWithoutWriting(t *testing.T) {
	fx := newWatchFixture(t)
	tok := fx.u.Session.Token
	var st *account.EnrollmentStatus
	var err error
	if n := fx.writes(func() { st, err = fx.svc.PhoneEnrollmentStatus(ctx, tok, fx.enr.ID) }); err != nil || n != 0 || st.State != account.EnrollmentWaiting {
		t.Fatalf("status read: %+v, %v, %d writes", st, err, n)
	}
	if n := fx.writes(func() { _, err = fx.svc.PhoneEnrollmentStatus(ctx, tok, "unknown") }); !errors.Is(err, account.ErrNotFound) || n != 0 {
		t.Fatalf("unknown enrollment: %v, %d writes", err, n)
	}
	wctx, stop := context.WithCancel(ctx)
	var ch <-chan account.EnrollmentStatus
	if n := fx.writes(func() { ch, err = fx.svc.WatchPhoneEnrollment(wctx, tok, fx.enr.ID) }); err != nil || n != 0 {
		t.Fatalf("watch: %v, %d writes", err, n)
	}
	<-ch
	stop()
	for range ch {
	}
	// The watch's timer asks whether the enrollment is due: not yet, so
	// nothing is written.
	if n := fx.writes(func() { err = account.ExpireDue(fx.svc, ctx, fx.enr.ID) }); err != nil || n != 0 {
		t.Fatalf("expiry check before the time: %v, %d writes", err, n)
	}

	fx.clock.Advance(account.EnrollmentLifetime)
	// The session's last-seen time, written once a minute, is written
	// first, apart.
	if _, err := fx.svc.Me(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if n := fx.writes(func() { st, err = fx.svc.PhoneEnrollmentStatus(ctx, tok, fx.enr.ID) }); err != nil || n != 1 || st.State != account.EnrollmentExpired {
		t.Fatalf("status read after the time: %+v, %v, %d writes", st, err, n)
	}
	if ev, _ := fx.svc.Activity(ctx, tok, 1); ev[0].Type != account.EventPhoneEnrollmentExpired {
		t.Fatalf("last event %+v", ev[0])
	}
	if n := fx.writes(func() { st, err = fx.svc.PhoneEnrollmentStatus(ctx, tok, fx.enr.ID) }); err != nil || n != 0 || st.State != account.EnrollmentExpired {
		t.Fatalf("status read once expired: %+v, %v, %d writes", st, err, n)
	}
	if n := fx.writes(func() { err = account.ExpireDue(fx.svc, ctx, fx.enr.ID) }); err != nil || n != 0 {
		t.Fatalf("expiry check once expired: %v, %d writes", err, n)
	}
}

// TestWatchCapPerSession: of many watches a session opens at once,
// exactly MaxWatchesPerSession start and the others get
// ErrTooManyWatches; another session has its own; a watch that ends
// gives its place back.
func TestWatchCapPerSession(t *testing.T) {
	fx := newWatchFixture(t)
	tok := fx.u.Session.Token
	wctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	const n = account.MaxWatchesPerSession + 6
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		open    []<-chan account.EnrollmentStatus
		refused int
	)
	cancels := make([]context.CancelFunc, 0, n)
	for range n {
		c, cancel := context.WithCancel(wctx)
		cancels = append(cancels, cancel)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := fx.svc.WatchPhoneEnrollment(c, tok, fx.enr.ID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				open = append(open, ch)
			case errors.Is(err, account.ErrTooManyWatches):
				refused++
				cancel()
			default:
				t.Errorf("watch: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(open) != account.MaxWatchesPerSession || refused != n-account.MaxWatchesPerSession {
		t.Fatalf("%d watches open, %d refused; want %d and %d", len(open), refused, account.MaxWatchesPerSession, n-account.MaxWatchesPerSession)
	}
	if _, err := fx.svc.WatchPhoneEnrollment(wctx, tok, fx.enr.ID); !errors.Is(err, account.ErrTooManyWatches) {
		t.Fatalf("one more: %v", err)
	}

	// Another session of the account is not held back.
	other, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.WatchPhoneEnrollment(wctx, other.Token, fx.enr.ID); err != nil {
		t.Fatalf("another session: %v", err)
	}

	// Ending the watches gives their places back (before their channels
	// close).
	for _, cancel := range cancels {
		cancel()
	}
	for _, ch := range open {
		for range ch {
		}
	}
	for range account.MaxWatchesPerSession - 1 {
		if _, err := fx.svc.WatchPhoneEnrollment(wctx, tok, fx.enr.ID); err != nil {
			t.Fatalf("after the others ended: %v", err)
		}
	}
	// A watch refused for another reason keeps no place.
	for range account.MaxWatchesPerSession {
		if _, err := fx.svc.WatchPhoneEnrollment(wctx, tok, "unknown"); !errors.Is(err, account.ErrNotFound) {
			t.Fatalf("unknown enrollment: %v", err)
		}
	}
	if _, err := fx.svc.WatchPhoneEnrollment(wctx, tok, fx.enr.ID); err != nil {
		t.Fatalf("the last place: %v", err)
	}
}
