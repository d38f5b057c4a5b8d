package pgstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

func open(t *testing.T) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestStoreContract runs the store conformance suite on PostgreSQL.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) account.Store { return open(t) })
}

// instances opens n stores (each its own pool: as separate server
// processes would) and services on one fresh database.
func instances(t *testing.T, n int) ([]*account.Service, *accounttest.Clock) {
	t.Helper()
	dsn := pgtest.Database(t)
	key := make([]byte, 32)
	rand.Read(key)
	clock := accounttest.NewClock(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	var out []*account.Service
	for range n {
		s, err := pgstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		svc, err := account.New(account.Config{RPID: accounttest.RPID, Origins: []string{accounttest.Origin}, SecretKey: key,
			Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, svc)
	}
	return out, clock
}

// TestInstancesStartingTogetherMigrateOnce: five stores opened at once on
// a new database all open, and each migration is applied once.
func TestInstancesStartingTogetherMigrateOnce(t *testing.T) {
	dsn := pgtest.Database(t)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(context.Background(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	s := open(t)
	var applied, distinct int
	err := s.Pool().QueryRow(context.Background(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if applied != pgstore.LatestSchema() || distinct != applied {
		t.Errorf("schema_migrations holds %d rows (%d distinct), want %d", applied, distinct, pgstore.LatestSchema())
	}
	if err := s.Ready(context.Background()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

// TestACeremonyBegunOnOneInstanceFinishesOnAnother: nothing that matters
// is kept in an instance's memory.
func TestACeremonyBegunOnOneInstanceFinishesOnAnother(t *testing.T) {
	svcs, clock := instances(t, 2)
	u := accounttest.SignUp(t, svcs[0], clock, "two@example.com")
	ctx := context.Background()
	grant := u.Grant(t, account.PurposeAddPasskey)
	opts, err := svcs[0].BeginRegistration(ctx, u.Session.Token, grant, account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	auth := &accounttest.Authenticator{Packed: true}
	cred, err := auth.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := svcs[1].FinishRegistration(ctx, u.Session.Token, grant, cred, "Key")
	if err != nil {
		t.Fatalf("finishing on the other instance: %v", err)
	}
	login, err := svcs[1].BeginLogin(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(login)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcs[0].FinishLogin(ctx, assertion); err != nil {
		t.Fatalf("a login begun on B finished on A: %v", err)
	}
	list, err := svcs[0].Passkeys(ctx, u.Session.Token)
	if err != nil || len(list) != 1 || list[0].ID != pk.ID {
		t.Fatalf("the passkeys seen on A: %v, %v", list, err)
	}
}

// TestConcurrentAnswersToOneChallengeDecideOnce: twenty finishes of one
// login challenge spread over three instances give exactly one session.
func TestConcurrentAnswersToOneChallengeDecideOnce(t *testing.T) {
	svcs, clock := instances(t, 3)
	u := accounttest.SignUp(t, svcs[0], clock, "race@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindSecurityKey, "Key")
	ctx := context.Background()
	login, err := svcs[0].BeginLogin(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(login)
	if err != nil {
		t.Fatal(err)
	}
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svcs[i%3].FinishLogin(ctx, assertion)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, account.ErrCeremonyExpired) || errors.Is(err, account.ErrCredentialRejected):
				losses.Add(1)
			default:
				t.Errorf("finish %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != 19 {
		t.Fatalf("%d successes and %d refusals, want 1 and 19", wins.Load(), losses.Load())
	}
}
