package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/remote"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// seedKeyAccount makes an account with a passkey of a new authenticator
// on store, as the server at http://localhost:8787 would have, and
// returns the authenticator.
func seedKeyAccount(t *testing.T, store account.Store, key []byte, email string) *accounttest.Authenticator {
	t.Helper()
	clock := accounttest.NewClock(time.Now())
	svc, err := account.New(account.Config{RPID: "localhost", Origins: []string{"http://localhost:8787"},
		SecretKey: key, Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	auth := &accounttest.Authenticator{Origin: "http://localhost:8787", Packed: true}
	accounttest.SignUp(t, svc, clock, email).AddPasskey(t, auth, account.KindSecurityKey, "key")
	return auth
}

// operatorLifecycle grants and revokes the operator role with the
// command while a server runs on the database, and sees the station open
// and close to the account's passkey session through the server.
func operatorLifecycle(t *testing.T, env []string, olga *accounttest.Authenticator, dbArgs ...string) {
	ctx := context.Background()
	in := start(t, env, dbArgs...)
	c, err := remote.New(in.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.BeginLogin(ctx, "olga@example.com")
	if err != nil {
		t.Fatal(err)
	}
	as, err := olga.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.FinishLogin(ctx, as)
	if err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	rows := []account.BatchRow{{Line: 2, Email: "amy@example.com", DisplayName: "Amy"}}
	if _, err := c.CreateBatch(ctx, sess.Token, "Monday", rows); !errors.Is(err, account.ErrNotOperator) {
		t.Fatalf("a batch before the grant: %v", err)
	}
	code, stdout, stderr := runSplit(t, env, append([]string{"operator", "grant", "Olga@Example.com"}, dbArgs...)...)
	if code != 0 || !strings.Contains(stdout, "olga@example.com is an operator") && !strings.Contains(stdout, "Olga@Example.com is an operator") {
		t.Fatalf("operator grant: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "operator role granted") {
		t.Errorf("no log line for the grant:\n%s", stderr)
	}
	if code, stdout, _ := runSplit(t, env, append([]string{"operator", "grant", "olga@example.com"}, dbArgs...)...); code != 0 || !strings.Contains(stdout, "an operator already") {
		t.Fatalf("granting twice: exit %d\n%s", code, stdout)
	}
	b, err := c.CreateBatch(ctx, sess.Token, "Monday", rows)
	if err != nil || b.Total != 1 {
		t.Fatalf("a batch after the grant: %+v, %v", b, err)
	}
	if me, err := c.Me(ctx, sess.Token); err != nil || me.Role != account.RoleOperator {
		t.Fatalf("Me after the grant: %+v, %v", me, err)
	}
	if code, stdout, stderr := runSplit(t, env, append([]string{"operator", "revoke", "olga@example.com"}, dbArgs...)...); code != 0 || !strings.Contains(stdout, "no longer an operator") {
		t.Fatalf("operator revoke: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := c.Batches(ctx, sess.Token); !errors.Is(err, account.ErrNotOperator) {
		t.Fatalf("the batches after the revocation: %v", err)
	}
	evs, err := c.Activity(ctx, sess.Token, 50)
	if err != nil {
		t.Fatal(err)
	}
	var granted, revoked bool
	for _, e := range evs {
		granted = granted || e.Type == account.EventOperatorGranted && e.Source == account.SourceCommandLine
		revoked = revoked || e.Type == account.EventOperatorRevoked && e.Source == account.SourceCommandLine
	}
	if !granted || !revoked {
		t.Fatalf("the activity lacks the grant or the revocation: %+v", evs)
	}
	if code, _, stderr := runSplit(t, env, append([]string{"operator", "grant", "nobody@example.com"}, dbArgs...)...); code != 1 || !strings.Contains(stderr, `no account has the email`) {
		t.Fatalf("an unknown email: exit %d\n%s", code, stderr)
	}
	in.stop()
}

// TestOperatorOnSQLite: the operator command on the default SQLite
// database, and its mistakes.
func TestOperatorOnSQLite(t *testing.T) {
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	if code, _, stderr := runSplit(t, env, "operator", "grant", "olga@example.com", "--data-dir", dir); code != 1 || !strings.Contains(stderr, "no database at") {
		t.Fatalf("operator grant before any database: exit %d\n%s", code, stderr)
	}
	store, err := sqlstore.Open(filepath.Join(dir, "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	olga := seedKeyAccount(t, store, key, "olga@example.com")
	store.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"operator"}, "operator needs what to do"},
		{[]string{"operator", "promote", "x@example.com"}, `unknown operator command "promote"`},
		{[]string{"operator", "grant"}, "needs one account's email"},
		{[]string{"operator", "revoke", "a@example.com", "b@example.com"}, "needs one account's email"},
	} {
		code, _, stderr := runSplit(t, env, append(tc.args, "--data-dir", dir)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
	operatorLifecycle(t, env, olga, "--data-dir", dir)
}

// TestOperatorOnPostgreSQL: the same on PostgreSQL.
func TestOperatorOnPostgreSQL(t *testing.T) {
	dsn := pgtest.Database(t)
	key := bytes.Repeat([]byte{7}, 32)
	env := []string{"PASSKEYDESK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	if code, out := runOnce(t, env, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	store, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	olga := seedKeyAccount(t, store, key, "olga@example.com")
	store.Close()
	operatorLifecycle(t, env, olga, "--db", dsn)
}
