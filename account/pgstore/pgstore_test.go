package pgstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"slices"
	"strings"
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
func instances(t *testing.T, n int) ([]*account.Service, *accounttest.Clock) { return instancesB(t, n) }

func instancesB(t testing.TB, n int) ([]*account.Service, *accounttest.Clock) {
	t.Helper()
	svcs, clock, _ := instancesOn(t, pgtest.Database(t), n)
	return svcs, clock
}

// instancesOn is instancesB on the database dsn; it returns the stores
// too.
func instancesOn(t testing.TB, dsn string, n int) ([]*account.Service, *accounttest.Clock, []*pgstore.Store) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	clock := accounttest.NewClock(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	var out []*account.Service
	var stores []*pgstore.Store
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
		out, stores = append(out, svc), append(stores, s)
	}
	return out, clock, stores
}

// TestAMigrationBelowTheNewestIsApplied: a database that has every
// migration but one numbered below its newest (a build that brings a
// lower number than one the database already has) gets that one when
// opened, and only that one.
func TestAMigrationBelowTheNewestIsApplied(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Database(t)
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Pool().Exec(ctx, `DROP TABLE used_challenges`)
	if err == nil {
		_, err = s.Pool().Exec(ctx, `DELETE FROM schema_migrations WHERE version = 5`)
	}
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = openDSN(t, dsn)
	var n, rows int
	if err := s.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM used_challenges`).Scan(&n); err != nil {
		t.Fatalf("migration 5 was not applied again: %v", err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = 5`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("migration 5 recorded %d times (%v)", rows, err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func openDSN(t *testing.T, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
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
	// Each migration once, up to the latest (numbers may skip: they are
	// handed out to changes made side by side).
	var applied, distinct, latest int
	err := s.Pool().QueryRow(context.Background(), `SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations`).Scan(&applied, &distinct, &latest)
	if err != nil {
		t.Fatal(err)
	}
	if latest != pgstore.LatestSchema() || distinct != applied {
		t.Errorf("schema_migrations holds %d rows (%d distinct) up to %d, want each once up to %d", applied, distinct, latest, pgstore.LatestSchema())
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
				if err.Error() != account.ErrCeremonyExpired.Error() && err.Error() != account.ErrCredentialRejected.Error() &&
					!strings.HasPrefix(err.Error(), account.ErrCredentialRejected.Error()) {
					t.Errorf("finish %d: %q tells the caller more than that the request expired", i, err)
				}
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

// TestAWatchSeesChangesMadeThroughAnotherInstance: an enrollment watched
// on B and canceled through A reaches B's watch at once; and when B's
// listening connection is cut, a change made meanwhile still arrives, read
// again when the listener is back.
func TestAWatchSeesChangesMadeThroughAnotherInstance(t *testing.T) {
	svcs, clock := instances(t, 2)
	a, b := svcs[0], svcs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Follow(ctx)
	u := accounttest.SignUp(t, a, clock, "watch@example.com")

	watch := func() (string, <-chan account.EnrollmentStatus) {
		t.Helper()
		enr, err := a.BeginPhoneEnrollment(ctx, u.Session.Token, u.Grant(t, account.PurposeAddPasskey))
		if err != nil {
			t.Fatal(err)
		}
		ch, err := b.WatchPhoneEnrollment(ctx, u.Session.Token, enr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st := <-ch; st.State != account.EnrollmentWaiting {
			t.Fatalf("the first status: %s", st.State)
		}
		return enr.ID, ch
	}
	expectCanceled := func(ch <-chan account.EnrollmentStatus, within time.Duration) {
		t.Helper()
		select {
		case st := <-ch:
			if st.State != account.EnrollmentCanceled {
				t.Fatalf("the watch on B saw %s, want canceled", st.State)
			}
		case <-time.After(within):
			t.Fatalf("the watch on B saw nothing within %s", within)
		}
	}

	// Let B's listener connect before the first change.
	waitForListener(t, 1)
	id, ch := watch()
	if err := a.CancelPhoneEnrollment(ctx, u.Session.Token, id); err != nil {
		t.Fatal(err)
	}
	expectCanceled(ch, time.Second)

	id, ch = watch()
	var killed bool
	if err := pgtest.Query(pgtest.Shared(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'passkeydesk-listener'`, &killed); err != nil || !killed {
		t.Fatalf("cutting B's listener: %v", err)
	}
	if err := a.CancelPhoneEnrollment(ctx, u.Session.Token, id); err != nil {
		t.Fatal(err)
	}
	expectCanceled(ch, 5*time.Second)
}

// waitForListener waits until n listening connections are up.
func waitForListener(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got int
		if err := pgtest.Query(pgtest.Shared(), `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'passkeydesk-listener' AND query LIKE 'LISTEN%'`, &got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d listeners after 10 s, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkChangeSeenOnAnotherInstance: how long a change committed
// through one instance takes to reach a watch on another (the budget is a
// p99 under 200 ms).
func BenchmarkChangeSeenOnAnotherInstance(b *testing.B) {
	svcs, clock := instancesB(b, 2)
	a, other := svcs[0], svcs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go other.Follow(ctx)
	u := accounttest.SignUp(b, a, clock, "bench-watch@example.com")
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		enr, err := a.BeginPhoneEnrollment(ctx, u.Session.Token, u.Grant(b, account.PurposeAddPasskey))
		if err != nil {
			b.Fatal(err)
		}
		ch, err := other.WatchPhoneEnrollment(ctx, u.Session.Token, enr.ID)
		if err != nil {
			b.Fatal(err)
		}
		<-ch
		t0 := time.Now()
		if err := a.CancelPhoneEnrollment(ctx, u.Session.Token, enr.ID); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ch:
			lat = append(lat, time.Since(t0))
		case <-time.After(5 * time.Second):
			b.Fatal("the change never reached the other instance")
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestPhoneSignInAcrossInstances: a phone sign-in begun on A, its code
// taken on C, twenty answers spread over the three instances approve it
// once, and the desktop's watch on B gets the session, once.
func TestPhoneSignInAcrossInstances(t *testing.T) {
	svcs, clock := instances(t, 3)
	a, b, c := svcs[0], svcs[1], svcs[2]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Follow(ctx)
	u := accounttest.SignUp(t, a, clock, "phone@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindPhone, "Phone")
	waitForListener(t, 1)

	ps, err := a.BeginPhoneSignIn(ctx, "ann-laptop")
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(ps.URL, "#")
	watch, err := b.WatchPhoneSignIn(ctx, ps.ID, ps.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-watch; st.State != account.PhoneSignInWaiting {
		t.Fatalf("first status %s", st.State)
	}
	opts, err := c.PhoneSignInOptions(ctx, link, ps.Code)
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		answer, err := auth.Assert(opts)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svcs[i%3].FinishPhoneSignIn(ctx, link, answer)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, account.ErrPhoneSignInEnded):
			default:
				t.Errorf("finish %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d answers approved the sign-in, want 1", wins.Load())
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case st, ok := <-watch:
			if !ok {
				t.Fatal("the watch on B ended without the session")
			}
			if st.Session != nil {
				if st.Session.Account.Email != u.Email {
					t.Fatalf("signed in as %s", st.Session.Account.Email)
				}
				return
			}
		case <-timeout:
			t.Fatal("the watch on B got no session within 5 s")
		}
	}
}

// TestAPhoneApprovalAcrossInstances: the desktop on A makes a phone link
// and watches its approvals; the phone opens the link on B and approves
// on C; A's watch sees the approval leave the pending list, and A reads
// it approved.
func TestAPhoneApprovalAcrossInstances(t *testing.T) {
	svcs, clock := instances(t, 3)
	u := accounttest.SignUp(t, svcs[0], clock, "phone@example.com")
	phone := &accounttest.Authenticator{}
	u.AddPasskey(t, phone, account.KindPhone, "Phone")
	clock.Advance(account.RemovalHold)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go svcs[0].Follow(ctx)
	key, err := svcs[0].CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange")
	if err != nil {
		t.Fatal(err)
	}
	req, err := svcs[1].RequestApproval(ctx, key.Secret, account.ApprovalRequest{Operation: account.Operation{
		Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Network: "Bitcoin", Destination: "bc1qdeposit"}})
	if err != nil {
		t.Fatal(err)
	}
	watch, err := svcs[0].WatchApprovals(ctx, u.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	if first := <-watch; len(first) != 1 || first[0].ID != req.ID {
		t.Fatalf("the first list: %+v", first)
	}
	l, err := svcs[0].BeginPhoneApproval(ctx, u.Session.Token, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(l.URL, "#")
	const device = "phone-device-0123456789"
	if _, err := svcs[1].OpenPhoneApproval(ctx, link, device); err != nil {
		t.Fatalf("opening on B: %v", err)
	}
	opts, err := svcs[2].PhoneApprovalOptions(ctx, link, device)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := phone.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcs[2].FinishPhoneApproval(ctx, link, device, assertion); err != nil {
		t.Fatalf("approving on C: %v", err)
	}
	select {
	case list := <-watch:
		if len(list) != 0 {
			t.Fatalf("A's watch after the phone approved: %+v", list)
		}
	case <-ctx.Done():
		t.Fatal("A's watch did not see the approval decided on C")
	}
	got, err := svcs[0].ReadApproval(ctx, u.Session.Token, req.ID)
	if err != nil || got.State != account.ApprovalApproved || got.PasskeyName != "Phone" {
		t.Fatalf("A reads %+v %v", got, err)
	}
}

// TestAMigrationNumberedBelowTheLatestIsApplied: a script that arrives
// after one with a higher number (numbers are handed out ahead of merges)
// is still applied to a database already past it.
func TestAMigrationNumberedBelowTheLatestIsApplied(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// As a database migrated before the enrollment-contender script came.
	_, err = s.Pool().Exec(ctx, `ALTER TABLE phone_enrollments DROP COLUMN contender_hash, DROP COLUMN contender_agent,
		DROP COLUMN tries, DROP COLUMN handovers; DELETE FROM schema_migrations WHERE version = 6`)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Pool().Exec(ctx, `SELECT contender_hash, contender_agent, tries, handovers FROM phone_enrollments`); err != nil {
		t.Fatalf("the script below the latest was not applied: %v", err)
	}
}
