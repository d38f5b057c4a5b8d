package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

var ctx = context.Background()

func open(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newAccount(id, email string) *account.AccountRecord {
	return &account.AccountRecord{
		ID: id, Email: email, DisplayName: "T", Role: account.RoleUser, PasswordHash: "$argon2id$x",
		TOTPSecret: []byte("sealed"), UserHandle: []byte("handle-" + id), Active: true,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	}
}

// newestMigration is the number of the last script in migrations/.
func newestMigration(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	var n int
	if _, err := fmt.Sscanf(filepath.Base(files[len(files)-1]), "%d_", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrationsApplyOnceAndFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "passkeydesk.db")
	s := open(t, path)
	v, err := s.SchemaVersion(ctx)
	if latest := newestMigration(t); err != nil || v != latest {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertAccount(newAccount("a1", "a@example.com")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path) // reopening must not re-run the migrations
	if v, _ := s.SchemaVersion(ctx); v != newestMigration(t) {
		t.Fatalf("schema version after reopen %d", v)
	}
	err = s.View(ctx, func(tx account.Tx) error {
		a, err := tx.AccountByEmail("a@example.com")
		if err == nil && (!a.CreatedAt.Equal(newAccount("", "").CreatedAt) || string(a.TOTPSecret) != "sealed") {
			err = fmt.Errorf("read back %+v", a)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database mode %v, %v", fi.Mode(), err)
	}
}

func TestFailedUpdateWritesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		if err := tx.AppendEvent("a1", &account.Event{Type: account.EventAccountCreated, At: time.Now()}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	s.View(ctx, func(tx account.Tx) error {
		if _, err := tx.AccountByID("a1"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("account after rollback: %v", err)
		}
		return nil
	})
}

func TestConstraints(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		if err := tx.InsertAccount(newAccount("a2", "a@example.com")); !errors.Is(err, account.ErrEmailTaken) {
			return fmt.Errorf("duplicate email: %v", err)
		}
		pk := &account.Passkey{ID: "p1", CredentialID: []byte{1}, PublicKey: []byte{2}, Kind: account.KindSecurityKey, Name: "k"}
		if err := tx.InsertPasskey("a1", pk); err != nil {
			return err
		}
		if err := tx.InsertPasskey("a1", pk); !errors.Is(err, account.ErrCredentialRejected) {
			return fmt.Errorf("duplicate credential: %v", err)
		}
		if err := tx.InsertPasskey("no-such-account", &account.Passkey{ID: "p2", CredentialID: []byte{9}, PublicKey: []byte{2}}); err == nil {
			return errors.New("a passkey of no account was stored: foreign keys are off")
		}
		if _, err := tx.TakeCeremony("nope"); !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("unknown ceremony: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWritersQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	a, b := open(t, path), open(t, path) // two handles, as two processes would
	if err := a.Update(ctx, func(tx account.Tx) error { return tx.InsertAccount(newAccount("a1", "a@example.com")) }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx account.Tx) error {
				return tx.AppendEvent("a1", &account.Event{Type: account.EventSignedIn, At: time.Now(), Source: "app"})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	a.View(ctx, func(tx account.Tx) error {
		evs, err := tx.Events("a1", 100)
		if err != nil || len(evs) != 40 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		return nil
	})
}

func TestPhoneEnrollmentRoundTrip(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "passkeydesk.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	e := &account.PhoneEnrollmentRecord{
		ID: "e1", TokenHash: []byte("token-hash"), AccountID: "a1", SessionHash: []byte("session"), GrantHash: []byte("grant"),
		CodeHash: []byte("code"), State: account.EnrollmentWaiting, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute),
	}
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		return tx.InsertPhoneEnrollment(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.CodeHash, e.State, e.Reason, e.Failures, e.DeviceHash, e.UserAgent, e.Challenge, e.PasskeyID =
		[]byte("new code"), account.EnrollmentCanceled, "why", 2, []byte("device"), "UA", "challenge", "pk"
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.UpdatePhoneEnrollment(e) }); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx account.Tx) error {
		byID, err := tx.PhoneEnrollmentByID("e1")
		if err != nil {
			return err
		}
		byToken, err := tx.PhoneEnrollmentByTokenHash([]byte("token-hash"))
		if err != nil {
			return err
		}
		for _, got := range []*account.PhoneEnrollmentRecord{byID, byToken} {
			if fmt.Sprint(*got) != fmt.Sprint(*e) {
				return fmt.Errorf("read back %+v, want %+v", *got, *e)
			}
		}
		if _, err := tx.PhoneEnrollmentByID("nope"); !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("unknown id: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Ended rows stay a day after they expire, then go.
	for _, tc := range []struct {
		now  time.Time
		gone bool
	}{{e.ExpiresAt.Add(time.Hour), false}, {e.ExpiresAt.Add(25 * time.Hour), true}} {
		if err := s.Update(ctx, func(tx account.Tx) error { return tx.DeleteExpired(tc.now) }); err != nil {
			t.Fatal(err)
		}
		err := s.View(ctx, func(tx account.Tx) error { _, err := tx.PhoneEnrollmentByID("e1"); return err })
		if gone := errors.Is(err, account.ErrNotFound); gone != tc.gone {
			t.Fatalf("at %v: gone %v, want %v (%v)", tc.now, gone, tc.gone, err)
		}
	}
}

func TestFactorStatesRoundTrip(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "passkeydesk.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	st := account.FactorState{Failures: 3, LockedUntil: at.Add(time.Hour), Locks: 2, InFlight: 1,
		InFlightAt: at, LastFailure: at.Add(-time.Minute), LastStep: 42}
	mac := []byte("mac of an unknown email")
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		if err := tx.PutFactorState("a1", account.FactorTOTP, st); err != nil {
			return err
		}
		unknown := st
		unknown.LastStep = 0 // not kept for an unknown email
		return tx.PutUnknownEmailState(mac, unknown)
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(now time.Time) (known, unknown account.FactorState) {
		t.Helper()
		err := s.Update(ctx, func(tx account.Tx) error {
			if !now.IsZero() {
				if err := tx.DeleteExpired(now); err != nil {
					return err
				}
			}
			var err error
			if known, err = tx.FactorState("a1", account.FactorTOTP); err != nil {
				return err
			}
			unknown, err = tx.UnknownEmailState(mac)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return known, unknown
	}
	known, unknown := read(time.Time{})
	if known != st {
		t.Fatalf("factor state read back %+v, want %+v", known, st)
	}
	if want := (account.FactorState{Failures: 3, LockedUntil: st.LockedUntil, Locks: 2, InFlight: 1, InFlightAt: at, LastFailure: st.LastFailure}); unknown != want {
		t.Fatalf("unknown-email state read back %+v, want %+v", unknown, want)
	}
	// An unknown-email state stays while it is locked or has been touched
	// within FailureMemory, then goes; an account's stays.
	for _, tc := range []struct {
		now  time.Time
		gone bool
	}{
		{st.LockedUntil.Add(-time.Second), false},
		{at.Add(account.FailureMemory - time.Second), false},
		{at.Add(account.FailureMemory), true},
	} {
		known, unknown := read(tc.now)
		if gone := unknown == (account.FactorState{}); gone != tc.gone || known != st {
			t.Fatalf("at %v: unknown-email state %+v (gone %v, want %v), account's %+v", tc.now, unknown, gone, tc.gone, known)
		}
	}
}
