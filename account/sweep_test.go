package account_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// sweepCounter is a store whose transactions count their sweeps of
// expired rows.
type sweepCounter struct {
	account.Store
	sweeps *int
}

func (s sweepCounter) Update(ctx context.Context, fn func(account.Tx) error) error {
	return s.Store.Update(ctx, func(tx account.Tx) error { return fn(sweepCountingTx{tx, s.sweeps}) })
}

type sweepCountingTx struct {
	account.Tx
	sweeps *int
}

func (t sweepCountingTx) DeleteExpired(now time.Time) error {
	*t.sweeps++
	return t.Tx.DeleteExpired(now)
}

// TestExpiredRowsAreSweptOnceAMinute: starting ceremonies and
// verifications sweeps expired rows, but not with every call.
func TestExpiredRowsAreSweptOnceAMinute(t *testing.T) {
	store, err := sqlstore.Open(filepath.Join(t.TempDir(), "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sweeps := 0
	clock := accounttest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	svc, err := account.New(account.Config{
		RPID: accounttest.RPID, RPName: "Passkey Desk", Origins: []string{accounttest.Origin},
		SecretKey: make([]byte, 32), Now: clock.Now, PasswordParams: accounttest.CheapPasswords,
	}, sweepCounter{store, &sweeps})
	if err != nil {
		t.Fatal(err)
	}
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	begin := func() {
		t.Helper()
		if _, err := svc.BeginLogin(ctx, u.Email); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.BeginVerification(ctx, u.Session.Token, account.PurposeAddPasskey); err != nil {
			t.Fatal(err)
		}
	}
	begin()
	first := sweeps
	if first != 1 {
		t.Fatalf("%d sweeps on the first begin, want 1", first)
	}
	clock.Advance(59 * time.Second)
	begin()
	if sweeps != first {
		t.Fatalf("swept again %v after the last sweep", 59*time.Second)
	}
	clock.Advance(time.Second)
	begin()
	if sweeps != first+1 {
		t.Fatalf("%d sweeps a minute after the first, want %d", sweeps, first+1)
	}
}
