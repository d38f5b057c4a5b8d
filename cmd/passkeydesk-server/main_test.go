package main_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// binary is the server built once for every test, as it ships: without cgo.
var binary string

func TestMain(m *testing.M) {

	dir, err := os.MkdirTemp("", "passkeydesk-server-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "passkeydesk-server")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the server without cgo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	pgtest.Stop()
	os.Exit(code)
}

// TestServerLinksNeitherTheGUINorTheKeyStack: the server is built and
// deployed on its own, without cgo (TestMain builds it so).
func TestServerLinksNeitherTheGUINorTheKeyStack(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/") || strings.Contains(pkg, "/passkeydesk/ui") ||
			strings.Contains(pkg, "/passkeydesk/fido") {
			t.Errorf("passkeydesk-server depends on %s", pkg)
		}
	}
}

// instance is one running server process.
type instance struct {
	t    testing.TB
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

// start runs the server with args and waits until it listens.
func start(t testing.TB, env []string, args ...string) *instance {
	t.Helper()
	in := &instance{t: t, done: make(chan error, 1)}
	in.cmd = exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	in.cmd.Env = append(os.Environ(), env...)
	stderr, err := in.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Bytes()
			in.mu.Lock()
			in.logs.Write(line)
			in.logs.WriteByte('\n')
			in.mu.Unlock()
			// Only the line that says where it listens is read as JSON:
			// the benchmarks' servers log two lines per login.
			var rec struct{ Msg, Addr string }
			if bytes.Contains(line, []byte(`"listening"`)) && json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				listening <- rec.Addr
			}
		}
		in.done <- in.cmd.Wait()
		close(listening)
	}()
	t.Cleanup(func() {
		if in.cmd.ProcessState == nil {
			in.cmd.Process.Kill()
			<-in.done
		}
	})
	select {
	case addr, ok := <-listening:
		if !ok {
			t.Fatalf("the server exited before listening:\n%s", in.log())
		}
		in.addr = "http://" + addr
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not listen within 30 s:\n%s", in.log())
	}
	return in
}

func (in *instance) log() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.logs.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (in *instance) stop() {
	in.t.Helper()
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Fatalf("the server exited with %v after SIGTERM:\n%s", err, in.log())
		}
	case <-time.After(20 * time.Second):
		in.t.Fatalf("the server did not stop within 20 s of SIGTERM:\n%s", in.log())
	}
}

func get(t *testing.T, url string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(body)
}

// runOnce runs a subcommand to its end and returns its exit code and output.
func runOnce(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestServeAnswersOperationsRoutesAndStopsOnSIGTERM: one command with a
// data folder gives a working server: alive, ready, measured, one JSON log
// line per request with its ID and without the path (a phone link's token
// travels in it), and a clean stop on SIGTERM.
func TestServeAnswersOperationsRoutesAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	in := start(t, nil, "--data-dir", dir)
	if code, _, body := get(t, in.addr+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, _, body := get(t, in.addr+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	code, hdr, _ := get(t, in.addr+"/e/SECRET-LINK-TOKEN-123", "X-Request-ID", "probe-42")
	if code != 200 || hdr.Get("X-Request-ID") != "probe-42" {
		t.Fatalf("the page: %d, request ID %q", code, hdr.Get("X-Request-ID"))
	}
	if code, hdr, _ := get(t, in.addr+"/nowhere", "X-Request-ID", "bad id with spaces"); code != 404 || len(hdr.Get("X-Request-ID")) != 16 {
		t.Fatalf("an unknown path: %d, request ID %q (a made one expected)", code, hdr.Get("X-Request-ID"))
	}
	_, _, metrics := get(t, in.addr+"/metrics")
	for _, want := range []string{
		`passkeydesk_http_requests_total{code="200",route="GET /healthz"} 1`,
		`passkeydesk_http_requests_total{code="200",route="GET /e/{token}"} 1`,
		`passkeydesk_http_requests_total{code="404",route="unmatched"} 1`,
		`passkeydesk_http_request_duration_seconds_count{route="GET /readyz"} 1`,
		`passkeydesk_http_requests_in_flight 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	in.stop()
	logs := in.log()
	if strings.Contains(logs, "SECRET-LINK-TOKEN") {
		t.Errorf("the log holds a link token:\n%s", logs)
	}
	var sawProbe bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		if rec["msg"] == "request" && rec["request_id"] == "probe-42" && rec["route"] == "GET /e/{token}" {
			sawProbe = true
		}
	}
	if !sawProbe {
		t.Errorf("no request line with the caller's request ID:\n%s", logs)
	}
}

// TestSIGTERMEndsAnOpenStream: a desktop's open event stream does not
// hold the stop for the grace period: it ends at once with a retry hint,
// and the server exits cleanly.
func TestSIGTERMEndsAnOpenStream(t *testing.T) {
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	// An account with a phone enrollment under way, made on the server's
	// database before the server opens it.
	store, err := sqlstore.Open(filepath.Join(dir, "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	clock := accounttest.NewClock(time.Now())
	svc, err := account.New(account.Config{RPID: "localhost", Origins: []string{"http://localhost:8787"}, PublicURL: "http://localhost:8787",
		SecretKey: key, Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	u := accounttest.SignUp(t, svc, clock, "stream@example.com")
	enr, err := svc.BeginPhoneEnrollment(context.Background(), u.Session.Token, u.Grant(t, account.PurposeAddPasskey))
	if err != nil {
		t.Fatal(err)
	}
	store.Close()

	in := start(t, []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)},
		"--data-dir", dir, "--shutdown-timeout", "60s")
	req, _ := http.NewRequest("GET", in.addr+"/api/enrollments/"+enr.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+u.Session.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("the stream: %d %s", res.StatusCode, body)
	}
	first := make([]byte, 256)
	if n, err := res.Body.Read(first); err != nil || !strings.Contains(string(first[:n]), "event: status") {
		t.Fatalf("the stream's first event: %q, %v", first[:n], err)
	}
	if _, _, metrics := get(t, in.addr+"/metrics"); !strings.Contains(metrics, `passkeydesk_event_streams_open{route="GET /api/enrollments/{id}/events"} 1`) {
		t.Errorf("/metrics does not count the open stream:\n%s", grepLines(metrics, "passkeydesk_event_streams"))
	}
	began := time.Now()
	in.cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(rest), "retry: ") {
		t.Errorf("the stream ended without a retry hint: %q", rest)
	}
	select {
	case err := <-in.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, in.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the open stream held the stop:\n%s", in.log())
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("stopping with an open stream took %s (grace 60 s)", d)
	}
}

// grepLines returns the lines of text that contain sub.
func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSignUpOffAndCeremonyMetrics: with --signup off the server refuses
// new accounts with a reason the desktop turns into words; an unknown
// --signup value stops it before it serves; /metrics counts the calls
// that end ceremonies by outcome, and event streams ended.
func TestSignUpOffAndCeremonyMetrics(t *testing.T) {
	dir := t.TempDir()
	if code, out := runOnce(t, nil, "check", "--data-dir", dir, "--signup", "maybe"); code == 0 || !strings.Contains(out, "--signup must be on or off") {
		t.Fatalf("--signup maybe: exit %d\n%s", code, out)
	}
	in := start(t, nil, "--data-dir", dir, "--signup", "off")
	post := func(path, body string) (int, string) {
		res, err := http.Post(in.addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := post("/v1/signup", `{"Email":"new@example.com","DisplayName":"New","Password":"correct horse battery"}`)
	if code != 403 || !strings.Contains(body, `"sign-up-closed"`) {
		t.Fatalf("sign-up with --signup off: %d %s", code, body)
	}
	if code, body := post("/v1/signin", `{"Email":"new@example.com","Password":"correct horse battery","Code":"123456"}`); code != 401 {
		t.Fatalf("sign-in to no account: %d %s", code, body)
	}
	if code, body := post("/v1/signin", `{"Email":`); code != 400 {
		t.Fatalf("a cut body: %d %s", code, body)
	}
	_, _, metrics := get(t, in.addr+"/metrics")
	for _, want := range []string{
		`passkeydesk_ceremonies_total{ceremony="password-sign-in",outcome="invalid-credentials"} 1`,
		`passkeydesk_ceremonies_total{ceremony="password-sign-in",outcome="invalid-body"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(metrics, "passkeydesk_ceremonies"))
		}
	}
	in.stop()
}

// TestTheRPIDIsFixedWithTheDatabase: a later start whose public URL would
// change the RP ID refuses and says why, unless the change is confirmed.
func TestTheRPIDIsFixedWithTheDatabase(t *testing.T) {
	dir := t.TempDir()
	start(t, nil, "--data-dir", dir).stop()
	code, out := runOnce(t, nil, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--public-url", "https://passkeys.example.com")
	if code != 1 || !strings.Contains(out, `bound to the RP ID \"localhost\"`) || !strings.Contains(out, "passkeys.example.com") {
		t.Fatalf("a start on another RP ID: exit %d\n%s", code, out)
	}
	code, out = runOnce(t, nil, "check", "--data-dir", dir, "--public-url", "https://passkeys.example.com")
	if code != 1 || !strings.Contains(out, "every passkey would stop working") {
		t.Fatalf("check on another RP ID: exit %d\n%s", code, out)
	}
	start(t, nil, "--data-dir", dir, "--public-url", "https://passkeys.example.com", "--allow-rp-id-change").stop()
	if code, out := runOnce(t, nil, "check", "--data-dir", dir, "--public-url", "https://passkeys.example.com"); code != 0 {
		t.Fatalf("check after a confirmed change: exit %d\n%s", code, out)
	}
}

// TestTheSecretKeyIsNeverMadeUpForAnExistingDatabase: a second start
// without the key (another instance, a lost file) refuses instead of
// sealing secrets under a new key; a wrong key is refused too.
func TestTheSecretKeyIsNeverMadeUpForAnExistingDatabase(t *testing.T) {
	dir := t.TempDir()
	start(t, nil, "--data-dir", dir).stop()
	key, err := os.ReadFile(filepath.Join(dir, "secret.key"))
	if err != nil || len(key) != 32 {
		t.Fatalf("the first start made no key: %v", err)
	}
	other := t.TempDir()
	code, out := runOnce(t, nil, "serve", "--listen", "127.0.0.1:0", "--data-dir", other, "--db", filepath.Join(dir, "passkeydesk.db"))
	if code != 1 || !strings.Contains(out, "is made only with a new database") {
		t.Fatalf("a second instance without the key: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(other, "secret.key")); err == nil {
		t.Fatal("a key was made for an existing database")
	}
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	code, out = runOnce(t, []string{"PASSKEYDESK_SECRET_KEY=" + wrong}, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	if code != 1 || !strings.Contains(out, "secret key is not the one") {
		t.Fatalf("a wrong key: exit %d\n%s", code, out)
	}
	right := base64.StdEncoding.EncodeToString(key)
	start(t, []string{"PASSKEYDESK_SECRET_KEY=" + right}, "--data-dir", other, "--db", filepath.Join(dir, "passkeydesk.db")).stop()
}

// TestMigrateAndCheck: migrate makes an up-to-date database; check says
// what is wrong and exits non-zero, and exits 0 when all is good.
func TestMigrateAndCheck(t *testing.T) {
	dir := t.TempDir()
	if code, out := runOnce(t, nil, "check", "--data-dir", dir); code != 1 || !strings.Contains(out, "no database at") {
		t.Fatalf("check before any database: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "passkeydesk.db")); err == nil {
		t.Fatal("check made a database")
	}
	if code, out := runOnce(t, nil, "migrate", "--data-dir", dir); code != 0 || !strings.Contains(out, "schema up to date") {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	if code, out := runOnce(t, nil, "check", "--data-dir", dir); code != 0 || !strings.Contains(out, "configuration good") {
		t.Fatalf("check after migrate: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--public-url", "http://passkeys.example.com"}, "use https"},
		{[]string{"--public-url", "https://127.0.0.1"}, "an IP address cannot be a WebAuthn RP ID"},
		{[]string{"--tls-cert", "/nonexistent.pem"}, "give --tls-cert and --tls-key together"},
		{[]string{"--trusted-proxies", "10.0.0.0/8,not-a-cidr"}, `trusted proxy \"not-a-cidr\": not an address or CIDR`},
		{[]string{"--db", "postgres://localhost/passkeydesk"}, "needs the secret key given"},
		{[]string{"--smtp-host", "mail.example.com"}, "needs --smtp-from"},
		{[]string{"--approval-rate", "0"}, "--approval-rate must be above 0"},
		{[]string{"--session-idle", "30s"}, "--session-idle must be at least 1m"},
	} {
		code, out := runOnce(t, nil, append([]string{"check", "--data-dir", dir}, tc.args...)...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("check %v: exit %d, want 1 and %q:\n%s", tc.args, code, tc.want, out)
		}
	}
	if code, out := runOnce(t, nil, "frobnicate"); code != 2 || !strings.Contains(out, "unknown command") {
		t.Errorf("an unknown command: exit %d\n%s", code, out)
	}
	if code, out := runOnce(t, nil, "serve", "--no-such-flag"); code != 2 || !strings.Contains(out, "no-such-flag") {
		t.Errorf("an unknown flag: exit %d\n%s", code, out)
	}
}

// TestServeOnPostgreSQL: on PostgreSQL the server needs the key given,
// says when the database is gone (/readyz 503 with the reason) and
// recovers by itself when it is back.
func TestServeOnPostgreSQL(t *testing.T) {
	dsn := pgtest.Database(t)
	key := "PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	if code, out := runOnce(t, nil, "serve", "--listen", "127.0.0.1:0", "--db", dsn); code != 1 || !strings.Contains(out, "needs the secret key given") {
		t.Fatalf("PostgreSQL without a key: exit %d\n%s", code, out)
	}
	if code, out := runOnce(t, []string{key}, "migrate", "--db", dsn); code != 0 || !strings.Contains(out, "schema up to date") {
		t.Fatalf("migrate on PostgreSQL: exit %d\n%s", code, out)
	}
	a := start(t, []string{key}, "--db", dsn)
	b := start(t, []string{key}, "--db", dsn)
	for _, in := range []*instance{a, b} {
		if code, _, body := get(t, in.addr+"/readyz"); code != 200 {
			t.Fatalf("/readyz: %d %s", code, body)
		}
	}
	_, _, metrics := get(t, a.addr+"/metrics")
	if !strings.Contains(metrics, "passkeydesk_db_connections_max") {
		t.Errorf("/metrics lacks the pool")
	}
	cluster := pgtest.Shared()
	if err := cluster.StopServer(); err != nil {
		t.Fatal(err)
	}
	code, _, body := get(t, a.addr+"/readyz")
	if code != 503 || !strings.Contains(body, "not reachable") {
		t.Errorf("/readyz with the database stopped: %d %s", code, body)
	}
	if err := cluster.StartServer(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, body = get(t, a.addr+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not recover: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.stop()
	b.stop()
}
