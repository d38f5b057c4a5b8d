package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// runSplit runs a subcommand to its end and returns its exit code, its
// standard output and its standard error apart.
func runSplit(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stdout.String(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// seedAccount makes an account with a passkey on store, as the server at
// http://localhost:8787 would have.
func seedAccount(t *testing.T, store account.Store, key []byte, email string) {
	t.Helper()
	clock := accounttest.NewClock(time.Now())
	svc, err := account.New(account.Config{RPID: "localhost", Origins: []string{"http://localhost:8787"},
		SecretKey: key, Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	u := accounttest.SignUp(t, svc, clock, email)
	u.AddPasskey(t, &accounttest.Authenticator{Origin: "http://localhost:8787"}, account.KindSecurityKey, "key")
}

func post(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// serviceKeyLifecycle creates a service key with the command, requests an
// approval and lists the account's passkeys with it through a running
// server, lists it, revokes it and sees it refused; the secret is printed
// once on standard output and is in no log.
func serviceKeyLifecycle(t *testing.T, env []string, dbArgs ...string) {
	code, stdout, stderr := runSplit(t, env, append([]string{"apikey", "create", "exchange-prod", "--scope", "approvals"}, dbArgs...)...)
	if code != 0 {
		t.Fatalf("apikey create: exit %d\n%s%s", code, stdout, stderr)
	}
	secret := regexp.MustCompile(`(?m)^secret +(pdks_[A-Za-z0-9_-]{43})$`).FindStringSubmatch(stdout)
	id := regexp.MustCompile(`(?m)^id +(\S+)$`).FindStringSubmatch(stdout)
	if secret == nil || id == nil {
		t.Fatalf("apikey create printed no secret and ID:\n%s", stdout)
	}
	if strings.Contains(stderr, secret[1]) || strings.Contains(stderr, secret[1][:20]) {
		t.Fatalf("the secret is in the log:\n%s", stderr)
	}
	if !strings.Contains(stderr, "service key made") {
		t.Errorf("no log line for the new key:\n%s", stderr)
	}

	in := start(t, env, dbArgs...)
	body := `{"account":"desk@example.com","kind":"deposit","asset":"ETH","amount":"2","destination":"0xabc"}`
	if code, out := post(t, in.addr+"/v1/approvals", secret[1], body); code != 201 || !strings.Contains(out, `"state":"pending"`) {
		t.Fatalf("a request with the service key: %d %s", code, out)
	}
	if code, _, out := get(t, in.addr+"/v1/requester/passkeys?account=desk%40example.com", "Authorization", "Bearer "+secret[1]); code != 200 || !strings.Contains(out, `"algorithm":-7`) {
		t.Fatalf("the passkeys with the service key: %d %s", code, out)
	}

	code, stdout, stderr = runSplit(t, env, append([]string{"apikey", "list"}, dbArgs...)...)
	line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id[1]) + ` +exchange-prod +approvals +pdks_\S+… +\S+ +(\S+) +(\S+)$`).FindStringSubmatch(stdout)
	if code != 0 || line == nil || line[1] == "-" || line[2] != "-" || strings.Contains(stdout, secret[1]) {
		t.Fatalf("apikey list: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runSplit(t, env, append([]string{"apikey", "revoke", id[1]}, dbArgs...)...); code != 0 || !strings.Contains(stdout, "revoked "+id[1]) {
		t.Fatalf("apikey revoke: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, out := post(t, in.addr+"/v1/approvals", secret[1], body); code != 401 || !strings.Contains(out, "invalid-api-key") {
		t.Fatalf("a request with the revoked key: %d %s", code, out)
	}
	code, stdout, _ = runSplit(t, env, append([]string{"apikey", "list"}, dbArgs...)...)
	if code != 0 || regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(id[1])+` .* -$`).MatchString(stdout) {
		t.Fatalf("apikey list after the revocation shows it in force:\n%s", stdout)
	}
	if code, _, stderr := runSplit(t, env, append([]string{"apikey", "revoke", "no-such-id"}, dbArgs...)...); code != 1 || !strings.Contains(stderr, "no service key has the ID") {
		t.Fatalf("revoking an unknown ID: exit %d\n%s", code, stderr)
	}
	in.stop()
	if strings.Contains(in.log(), secret[1]) {
		t.Fatalf("the server logged the secret:\n%s", in.log())
	}
}

// TestServiceKeysOnSQLite: the apikey command on the default SQLite
// database, and its mistakes.
func TestServiceKeysOnSQLite(t *testing.T) {
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	if code, _, stderr := runSplit(t, env, "apikey", "list", "--data-dir", dir); code != 1 || !strings.Contains(stderr, "no database at") {
		t.Fatalf("apikey list before any database: exit %d\n%s", code, stderr)
	}
	store, err := sqlstore.Open(filepath.Join(dir, "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	seedAccount(t, store, key, "desk@example.com")
	store.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apikey"}, "apikey needs what to do"},
		{[]string{"apikey", "rotate"}, `unknown apikey command "rotate"`},
		{[]string{"apikey", "create", "x"}, "needs --scope"},
		{[]string{"apikey", "create", "--scope", "approvals"}, "needs the key's name"},
		{[]string{"apikey", "revoke"}, "needs the key's ID"},
		{[]string{"apikey", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"apikey", "list", "--scope", "approvals"}, "--scope is for apikey create only"},
		{[]string{"serve", "stray"}, `unexpected argument "stray"`},
	} {
		code, _, stderr := runSplit(t, env, append(tc.args, "--data-dir", dir)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
	if code, _, stderr := runSplit(t, env, "apikey", "create", "x", "--scope", "admin", "--data-dir", dir); code != 1 || !strings.Contains(stderr, "the one scope is approvals") {
		t.Errorf("an unknown scope: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := runSplit(t, env, "apikey", "list", "--data-dir", dir); code != 0 || !strings.Contains(stdout, "no service keys") {
		t.Errorf("an empty list: exit %d\n%s", code, stdout)
	}
	serviceKeyLifecycle(t, env, "--data-dir", dir)
}

// TestServiceKeysOnPostgreSQL: the same on PostgreSQL.
func TestServiceKeysOnPostgreSQL(t *testing.T) {
	dsn := pgtest.Database(t)
	key := bytes.Repeat([]byte{5}, 32)
	env := []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	if code, out := runOnce(t, env, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	store, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	seedAccount(t, store, key, "desk@example.com")
	store.Close()
	serviceKeyLifecycle(t, env, "--db", dsn)
	if code, stdout, _ := runSplit(t, env, "apikey", "list", "--db", dsn); code != 0 || !strings.Contains(stdout, "exchange-prod") {
		t.Fatalf("the list on PostgreSQL: exit %d\n%s", code, stdout)
	}
}
