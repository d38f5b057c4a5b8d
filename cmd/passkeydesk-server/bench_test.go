package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// BenchmarkApprovalOverHTTP measures an approval as an exchange and its
// user make it: the requester's POST /v1/approvals (a deposit, which no
// hold covers), the desktop's POST /v1/approvals/{id}/begin, a real ES256
// assertion over the operation's challenge, and POST
// /v1/approvals/{id}/finish; the same set-up and figures as
// BenchmarkLoginOverHTTP, "approvals/s" for "logins/s".
func BenchmarkApprovalOverHTTP(b *testing.B) {
	for _, db := range []string{"postgres", "sqlite"} {
		for _, clients := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("db=%s/clients=%d", db, clients), func(b *testing.B) {
				benchOverHTTP(b, db, clients, "approvals/s", approveOverHTTP)
			})
		}
	}
}

func approveOverHTTP(hc *http.Client, addr string, c *benchClient) error {
	req, _ := json.Marshal(map[string]string{"kind": "deposit", "asset": "USDT", "amount": "250", "network": "TRC20",
		"destination": "TXYZ1234567890abcdefghijkLMNOPQRS"})
	out, err := postAuth(hc, addr+"/v1/approvals", c.apiKey, req)
	if err != nil {
		return err
	}
	var a struct{ ID string }
	if err := json.Unmarshal(out, &a); err != nil {
		return err
	}
	opts, err := postAuth(hc, addr+"/v1/approvals/"+a.ID+"/begin", c.token, nil)
	if err != nil {
		return err
	}
	assertion, err := c.auth.Assert(opts)
	if err != nil {
		return err
	}
	_, err = postAuth(hc, addr+"/v1/approvals/"+a.ID+"/finish", c.token, assertion)
	return err
}

func loginOverHTTP(hc *http.Client, addr string, c *benchClient) error {
	body, _ := json.Marshal(map[string]string{"Email": c.email})
	opts, err := postAuth(hc, addr+"/v1/login/begin", "", body)
	if err != nil {
		return err
	}
	assertion, err := c.auth.Assert(opts)
	if err != nil {
		return err
	}
	_, err = postAuth(hc, addr+"/v1/login/finish", "", assertion)
	return err
}

// BenchmarkLoginOverHTTP measures passkey sign-in as a client makes it:
// POST /v1/login/begin, a real ES256 assertion made by the client, POST
// /v1/login/finish, which the server verifies and answers with a session;
// against the built server binary on PostgreSQL (durable: fsync and
// synchronous_commit on) and on SQLite, with 1, 16 and 64 logins in
// flight. The load generator, the server and PostgreSQL share the
// machine. It reports logins/s, the p50 and p99 of one login, and the CPU
// time per login of the server, of PostgreSQL and of the generator.
func BenchmarkLoginOverHTTP(b *testing.B) {
	for _, db := range []string{"postgres", "sqlite"} {
		for _, clients := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("db=%s/clients=%d", db, clients), func(b *testing.B) {
				benchOverHTTP(b, db, clients, "logins/s", loginOverHTTP)
			})
		}
	}
}

// benchClient is one client in flight: its own account, session, API key
// and authenticator, so sign counters advance in order.
type benchClient struct {
	email, token, apiKey string
	auth                 *accounttest.Authenticator
}

// benchOverHTTP runs op b.N times from clients goroutines against the
// built server on db, and reports the throughput (in unit), the latency of
// one op and the CPU each part spent per op.
func benchOverHTTP(b *testing.B, db string, clients int, unit string, op func(*http.Client, string, *benchClient) error) {
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	dir := b.TempDir()
	var store account.Store
	var args []string
	var dsn string
	switch db {
	case "postgres":
		dsn = pgtest.Database(b)
		s, err := pgstore.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		store, args = s, []string{"--db", dsn}
	default:
		path := filepath.Join(dir, "passkeydesk.db")
		s, err := sqlstore.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		store, args = s, []string{"--db", path, "--data-dir", dir}
	}
	// The accounts, each with a passkey, are made in-process on the
	// server's database before the server opens it.
	clock := accounttest.NewClock(time.Now())
	svc, err := account.New(account.Config{RPID: "localhost", Origins: []string{"http://localhost:8787"}, SecretKey: key,
		Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		b.Fatal(err)
	}
	users := make([]*benchClient, clients)
	for i := range users {
		u := accounttest.SignUp(b, svc, clock, fmt.Sprintf("bench%d@example.com", i))
		users[i] = &benchClient{email: u.Email, token: u.Session.Token, auth: &accounttest.Authenticator{Origin: "http://localhost:8787"}}
		u.AddPasskey(b, users[i].auth, account.KindSecurityKey, "Key")
		key, err := svc.CreateAPIKey(context.Background(), u.Session.Token, u.Grant(b, account.PurposeCreateAPIKey), "exchange")
		if err != nil {
			b.Fatal(err)
		}
		users[i].apiKey = key.Secret
	}
	if s, ok := store.(*sqlstore.Store); ok {
		s.Close()
	}
	// Every client is on this machine's address, one account each, far
	// past any limit a person needs: the limits are off.
	in := start(b, env, append(args, "--public-url", "http://localhost:8787", "--no-rate-limits")...)
	defer in.stop()

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	for _, c := range users { // warm up the connections
		if err := op(hc, in.addr, c); err != nil {
			b.Fatal(err)
		}
	}

	server0, pg0, self0 := cpuOf(in.cmd.Process.Pid), postgresCPU(dsn), selfCPU()
	latencies := make([]time.Duration, b.N)
	var next int64 = -1
	var mu sync.Mutex
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for _, c := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				next++
				i := next
				mu.Unlock()
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := op(hc, in.addr, c); err != nil {
					b.Errorf("%v\nthe server's log of failures:\n%s", err, grepLines(in.log(), `"level":"ERROR"`))
					return
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	server, pg, self := cpuOf(in.cmd.Process.Pid)-server0, postgresCPU(dsn)-pg0, selfCPU()-self0
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), unit)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(server.Microseconds())/1000/n, "server-cpu-ms/op")
	if db == "postgres" {
		b.ReportMetric(float64(pg.Microseconds())/1000/n, "postgres-cpu-ms/op")
	}
	b.ReportMetric(float64(self.Microseconds())/1000/n, "generator-cpu-ms/op")
}

// postAuth posts body (nil for none) with token as the bearer ("" for
// none) and returns the answer of a 2xx.
func postAuth(hc *http.Client, url, token string, body []byte) ([]byte, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode/100 != 2 {
		err = fmt.Errorf("%s: %d %s", url, res.StatusCode, out)
	}
	return out, err
}

// cpuOf is a process's user and system CPU time so far, from /proc.
func cpuOf(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (which is in parentheses).
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// postgresCPU is the CPU time of the PostgreSQL cluster at dsn: its
// postmaster (the postgres process started with -p and the DSN's port)
// and the processes it started, backends included. Other clusters on
// the machine (other tests') are not counted; with no DSN, every postgres
// process is.
func postgresCPU(dsn string) time.Duration {
	port := ""
	if u, err := url.Parse(dsn); err == nil {
		port = u.Port()
	}
	entries, _ := os.ReadDir("/proc")
	type proc struct{ pid, ppid int }
	var procs []proc
	postmaster := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "postgres") {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		ppid, _ := strconv.Atoi(f[1])
		procs = append(procs, proc{pid, ppid})
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if port != "" && bytes.Contains(append(cmdline, 0), []byte("\x00-p\x00"+port+"\x00")) {
			postmaster = pid
		}
	}
	var total time.Duration
	for _, p := range procs {
		if postmaster == 0 || p.pid == postmaster || p.ppid == postmaster {
			total += cpuOf(p.pid)
		}
	}
	return total
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
