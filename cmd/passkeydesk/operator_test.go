package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// TestOperatorCommandOfTheBuiltApp: the desktop binary, built as it
// ships, grants and revokes the operator role on its data folder's
// database without opening a window, and says what is wrong with a
// mistaken command line.
func TestOperatorCommandOfTheBuiltApp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "passkeydesk")
	start := time.Now()
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built in %.1fs", time.Since(start).Seconds())
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		// No display and no session bus: the command needs neither.
		cmd.Env = append(os.Environ(), "DISPLAY=", "WAYLAND_DISPLAY=", "DBUS_SESSION_BUS_ADDRESS=")
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
	if code, _, stderr := run("operator", "grant", "olga@example.com", "--data-dir", dir); code != 1 || !strings.Contains(stderr, "no account database") {
		t.Fatalf("before any database: exit %d\n%s", code, stderr)
	}
	path := filepath.Join(dir, "passkeydesk.db")
	store, err := sqlstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	clock := accounttest.NewClock(time.Now())
	svc, err := account.New(account.Config{RPID: "localhost", Origins: []string{"http://localhost"}, SecretKey: key, Now: clock.Now,
		PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	accounttest.SignUp(t, svc, clock, "olga@example.com")
	role := func() account.Role {
		t.Helper()
		var r account.Role
		if err := store.View(context.Background(), func(tx account.Tx) error {
			a, err := tx.AccountByEmail("olga@example.com")
			if err == nil {
				r = a.Role
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"operator"}, "say what to do"},
		{[]string{"operator", "promote", "olga@example.com"}, `unknown operator command "promote"`},
		{[]string{"operator", "grant"}, "needs one account's email"},
		{[]string{"operator", "grant", "olga@example.com", "--colour"}, "flag provided but not defined"},
	} {
		if code, _, stderr := run(append(tc.args, "--data-dir", dir)...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
	}
	if code, _, stderr := run("operator", "grant", "nobody@example.com", "--data-dir", dir); code != 1 || !strings.Contains(stderr, "no account has the email") {
		t.Fatalf("an unknown email: exit %d\n%s", code, stderr)
	}
	// The app's database is open meanwhile (store), as a running app's is.
	if code, stdout, stderr := run("operator", "grant", "OLGA@example.com", "--data-dir", dir); code != 0 || !strings.Contains(stdout, "is an operator") {
		t.Fatalf("grant: exit %d\n%s%s", code, stdout, stderr)
	}
	if r := role(); r != account.RoleOperator {
		t.Fatalf("after the grant the role is %q", r)
	}
	if code, stdout, _ := run("operator", "grant", "olga@example.com", "--data-dir", dir); code != 0 || !strings.Contains(stdout, "already") {
		t.Fatalf("grant again: exit %d\n%s", code, stdout)
	}
	t.Setenv("PASSKEYDESK_DATA_DIR", dir)
	if code, stdout, stderr := run("operator", "revoke", "olga@example.com"); code != 0 || !strings.Contains(stdout, "no longer an operator") {
		t.Fatalf("revoke with the data folder from the environment: exit %d\n%s%s", code, stdout, stderr)
	}
	if r := role(); r != account.RoleUser {
		t.Fatalf("after the revocation the role is %q", r)
	}
	store.Close()
}
