package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// cluster is several server processes on one PostgreSQL database, each
// with a client.
type cluster struct {
	dsn       string
	env       []string
	instances []*instance
	clients   []*remote.Client
}

// newCluster makes the database; start starts n instances on it.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	return &cluster{dsn: pgtest.Database(t),
		env: []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))}}
}

func (c *cluster) start(t *testing.T, n int) {
	t.Helper()
	for range n {
		c.add(t)
	}
}

// add starts one more instance.
func (c *cluster) add(t *testing.T) {
	t.Helper()
	in := start(t, c.env, "--db", c.dsn, "--public-url", "http://localhost:8787")
	cl, err := remote.New(in.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.instances = append(c.instances, in)
	c.clients = append(c.clients, cl)
}

// seededUser is an account made on the cluster's database in-process
// before the instances start, with add-passkey grants: its TOTP codes
// come from a test clock instead of waiting for real time steps.
type seededUser struct {
	email, token string
	grants       []string
	keyGrant     string // for API keys, good for many until it expires
}

func (c *cluster) seedUser(t *testing.T, email string, grants int) *seededUser {
	t.Helper()
	store, err := pgstore.Open(context.Background(), c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clock := accounttest.NewClock(time.Now())
	svc, err := account.New(account.Config{RPID: "localhost", Origins: []string{"http://localhost:8787"},
		SecretKey: bytes.Repeat([]byte{3}, 32), Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	u := accounttest.SignUp(t, svc, clock, email)
	out := &seededUser{email: email, token: u.Session.Token, keyGrant: u.Grant(t, account.PurposeCreateAPIKey)}
	for range grants {
		out.grants = append(out.grants, u.Grant(t, account.PurposeAddPasskey))
	}
	return out
}

func newAuthenticator() *accounttest.Authenticator {
	return &accounttest.Authenticator{Origin: "http://localhost:8787", Packed: true}
}

// TestThreeInstancesOnOnePostgreSQL: three server processes share one
// database and keep nothing that matters to themselves.
func TestThreeInstancesOnOnePostgreSQL(t *testing.T) {
	c := newCluster(t)
	u := c.seedUser(t, "three@example.com", 2)
	c.start(t, 3)
	a, b, cc := c.clients[0], c.clients[1], c.clients[2]
	ctx := context.Background()

	// A registration begun on A and finished on B.
	opts, err := a.BeginRegistration(ctx, u.token, u.grants[0], account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	auth := newAuthenticator()
	cred, err := auth.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := b.FinishRegistration(ctx, u.token, u.grants[0], cred, "Cluster key")
	if err != nil {
		t.Fatalf("a registration begun on A, finished on B: %v", err)
	}

	// An approval requested through B arrives at the desktop on C and is
	// approved there.
	key, err := a.CreateAPIKey(ctx, u.token, u.keyGrant, "exchange")
	if err != nil {
		t.Fatal(err)
	}
	ap, err := b.RequestApproval(ctx, key.Secret, account.ApprovalRequest{Operation: account.Operation{
		Kind: account.OperationDeposit, Asset: "USDT", Amount: "250", Network: "TRC20", Destination: "TXYZ1234567890abcdefghijkLMNOPQRS"}})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := cc.PendingApprovals(ctx, u.token)
	if err != nil || len(pending) != 1 || pending[0].ID != ap.ID {
		t.Fatalf("C's pending approvals: %+v, %v", pending, err)
	}
	aopts, err := cc.BeginApproval(ctx, u.token, ap.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(aopts)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := cc.FinishApproval(ctx, u.token, ap.ID, assertion); err != nil || done.State != account.ApprovalApproved || done.PasskeyID != pk.ID {
		t.Fatalf("approving on C: %+v, %v", done, err)
	}

	// A phone enrollment watched on C and completed through A (the
	// phone page's calls) and B (the desktop's code): C's watch sees each
	// step within a second.
	enr, err := a.BeginPhoneEnrollment(ctx, u.token, u.grants[1])
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	watch, err := cc.WatchPhoneEnrollment(wctx, u.token, enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := func(want account.EnrollmentState) account.EnrollmentStatus {
		t.Helper()
		for {
			select {
			case st, ok := <-watch:
				if !ok {
					t.Fatalf("C's watch ended before %s", want)
				}
				if st.State == want {
					return st
				}
			case <-time.After(time.Second):
				t.Fatalf("C's watch did not see %s within a second of the change made elsewhere", want)
			}
		}
	}
	seen(account.EnrollmentWaiting)
	// The phone reaches A at the public URL, as through a proxy: its
	// page's calls carry the public origin.
	phoneToA, err := remote.New("http://localhost:8787", &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(c.instances[0].addr, "http://"))
		}}})
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(enr.URL, "#")
	const phone = "phone-device-key-0123456789abcdef"
	page, err := phoneToA.OpenPhoneEnrollment(ctx, link, phone, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1")
	if err != nil {
		t.Fatalf("the phone opening the link on A: %v", err)
	}
	seen(account.EnrollmentOpened)
	if _, err := b.ConfirmPhoneEnrollmentCode(ctx, u.token, enr.ID, page.MatchCode); err != nil {
		t.Fatalf("the desktop's code through B: %v", err)
	}
	seen(account.EnrollmentCodeConfirmed)
	popts, err := phoneToA.PhoneEnrollmentOptions(ctx, link, phone)
	if err != nil {
		t.Fatal(err)
	}
	phoneAuth := &accounttest.Authenticator{Origin: "http://localhost:8787", BackupEligible: true, BackedUp: true}
	pcred, err := phoneAuth.Register(popts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := phoneToA.FinishPhoneEnrollment(ctx, link, phone, pcred); err != nil {
		t.Fatalf("the phone's passkey through A: %v", err)
	}
	if done := seen(account.EnrollmentDone); done.Passkey == nil || done.Passkey.Kind != account.KindPhone {
		t.Fatalf("C's last status: %+v", done)
	}

	// Twenty concurrent finishes of one login challenge, spread over the
	// three, give exactly one session.
	login, err := a.BeginLogin(ctx, u.email)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := auth.Assert(login)
	if err != nil {
		t.Fatal(err)
	}
	var wins, refusals atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.clients[i%3].FinishLogin(ctx, answer)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, account.ErrCeremonyExpired), errors.Is(err, account.ErrCredentialRejected):
				refusals.Add(1)
			default:
				t.Errorf("finish %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || refusals.Load() != 19 {
		t.Fatalf("%d sessions and %d refusals, want 1 and 19", wins.Load(), refusals.Load())
	}
}

// TestAKilledInstanceLosesNoAcknowledgedWrite: clients write (make API
// keys, over and over) through three instances; one is killed with
// SIGKILL mid-stream. Every rename it acknowledged is in the database,
// and the clients carry on against the others.
func TestAKilledInstanceLosesNoAcknowledgedWrite(t *testing.T) {
	c := newCluster(t)
	u := c.seedUser(t, "kill@example.com", 0)
	c.start(t, 3)
	ctx := context.Background()
	var killed atomic.Bool
	var mu sync.Mutex
	acked := map[string]bool{}
	var failedOnKilled, done atomic.Int32
	stopAt := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stopAt); i++ {
				which := (w + i) % 3
				if which == 0 && killed.Load() {
					which = 1 + i%2
				}
				k, err := c.clients[which].CreateAPIKey(ctx, u.token, u.keyGrant, fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					var re *remote.Error
					if which == 0 && errors.As(err, &re) {
						failedOnKilled.Add(1)
						continue
					}
					t.Errorf("a write through instance %d: %v", which, err)
					return
				}
				mu.Lock()
				acked[k.ID] = true
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	time.Sleep(time.Second)
	c.instances[0].cmd.Process.Signal(syscall.SIGKILL)
	<-c.instances[0].done
	killed.Store(true)
	wg.Wait()
	keys, err := c.clients[1].ListAPIKeys(ctx, u.token)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, k := range keys {
		stored[k.ID] = true
	}
	for id := range acked {
		if !stored[id] {
			t.Errorf("the acknowledged write %s is lost", id)
		}
	}
	if done.Load() < 20 {
		t.Fatalf("only %d writes went through", done.Load())
	}
	t.Logf("%d writes acknowledged, %d failed on the killed instance", len(acked), failedOnKilled.Load())
}

// TestPostgreSQLStoppedUnderLoad: with writes going on, PostgreSQL stops:
// /readyz says so, calls fail with 503 and a reason; it starts again: the
// servers recover by themselves and no acknowledged write is lost.
func TestPostgreSQLStoppedUnderLoad(t *testing.T) {
	c := newCluster(t)
	u := c.seedUser(t, "outage@example.com", 0)
	c.start(t, 2)
	ctx := context.Background()
	var mu sync.Mutex
	acked := map[string]bool{}
	var unavailable, afterRestart atomic.Int32
	var restarted atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k, err := c.clients[(w+i)%2].CreateAPIKey(ctx, u.token, u.keyGrant, fmt.Sprintf("w%d-%d", w, i))
				switch {
				case err == nil:
					mu.Lock()
					acked[k.ID] = true
					mu.Unlock()
					if restarted.Load() {
						afterRestart.Add(1)
					}
				case errors.Is(err, account.ErrUnavailable):
					unavailable.Add(1)
					time.Sleep(20 * time.Millisecond)
				default:
					t.Errorf("a write during the outage: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	pg := pgtest.Shared()
	if err := pg.StopServer(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	for _, in := range c.instances {
		if code, _, body := get(t, in.addr+"/readyz"); code != 503 || !strings.Contains(body, "not reachable") {
			t.Errorf("/readyz during the outage: %d %s", code, body)
		}
	}
	if err := pg.StartServer(); err != nil {
		t.Fatal(err)
	}
	restarted.Store(true)
	deadline := time.Now().Add(20 * time.Second)
	for afterRestart.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if afterRestart.Load() < 20 {
		t.Fatalf("only %d writes after PostgreSQL came back", afterRestart.Load())
	}
	if unavailable.Load() == 0 {
		t.Fatal("no call failed during the outage")
	}
	for _, in := range c.instances {
		if code, _, body := get(t, in.addr+"/readyz"); code != 200 {
			t.Errorf("/readyz after the outage: %d %s", code, body)
		}
	}
	keys, err := c.clients[0].ListAPIKeys(ctx, u.token)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, k := range keys {
		stored[k.ID] = true
	}
	for id := range acked {
		if !stored[id] {
			t.Errorf("the acknowledged write %s is lost", id)
		}
	}
	t.Logf("%d writes acknowledged, %d refused as unavailable", len(acked), unavailable.Load())
}
