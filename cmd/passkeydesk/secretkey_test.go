package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/ui"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// noKeyring answers as go-keyring does where no Secret Service can be
// reached. TestSealingKeyWithoutKeyring checks the real case; this one
// lets a test run many first starts at once in one process.
type noKeyring struct{}

var errNoKeyring = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

func (noKeyring) Get(string, string) (string, error) { return "", errNoKeyring }
func (noKeyring) Set(string, string, string) error   { return errNoKeyring }

func TestSealingKeyFileAgreesAcrossFirstRuns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, sealingKeyFile)

	// Several first runs at once agree on one key.
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, inFile, err := sealingKey(dir, noKeyring{}, quiet)
			if err != nil || !inFile {
				t.Errorf("run %d: in file %v, %v", i, inFile, err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("run %d got key %x; run 0 got %x", i, k, keys[0])
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v; want 0600", fi.Mode().Perm())
	}
	if again, _, err := sealingKey(dir, noKeyring{}, quiet); err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("a later run read %x, %v; want the same key", again, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".secret-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sealingKey(dir, noKeyring{}, quiet); err == nil {
		t.Error("a damaged key file was accepted")
	}
}

// A run whose keyring cannot be reached, after the key has moved there,
// does not make a new key (which would lock every account out of its
// authenticator): it fails, and makes no key file.
func TestSealingKeyMovedButKeyringUnreachable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sealingKeyNote), []byte(sealingKeyUser(dir)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sealingKey(dir, noKeyring{}, quiet); err == nil || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("got %v; want an error saying the keyring cannot be reached", err)
	}
	if _, err := os.Stat(filepath.Join(dir, sealingKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was made: %v", err)
	}
}

// sealingKeyChild runs sealingKey on the real system keyring in a child
// test process whose D-Bus session address leads nowhere, as on a machine
// without a keyring, and returns what the child printed.
func sealingKeyChild(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSealingKeyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"PASSKEYDESK_SEALING_KEY_CHILD="+dir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "sealingKey: ") {
			return strings.TrimPrefix(line, "sealingKey: ")
		}
	}
	t.Fatalf("the child printed no result:\n%s", out)
	return ""
}

// TestSealingKeyChild is the child of sealingKeyChild; run on its own it
// does nothing.
func TestSealingKeyChild(t *testing.T) {
	dir := os.Getenv("PASSKEYDESK_SEALING_KEY_CHILD")
	if dir == "" {
		return
	}
	key, inFile, err := sealingKey(dir, systemKeyring{}, quiet)
	fmt.Printf("sealingKey: key=%d in-file=%v err=%v\n", len(key), inFile, err)
}

func TestSealingKeyWithoutKeyring(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the child reaches no keyring through a D-Bus address that leads nowhere: Linux only")
	}
	dir := t.TempDir()
	if got := sealingKeyChild(t, dir); got != "key=32 in-file=true err=<nil>" {
		t.Fatalf("first run without a keyring: %s; want a key in the file", got)
	}
	first, err := os.ReadFile(filepath.Join(dir, sealingKeyFile))
	if err != nil || len(first) != 32 {
		t.Fatalf("key file: %d bytes, %v", len(first), err)
	}
	if got := sealingKeyChild(t, dir); got != "key=32 in-file=true err=<nil>" {
		t.Fatalf("second run without a keyring: %s", got)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, sealingKeyFile)); !bytes.Equal(again, first) {
		t.Fatal("the second run changed the key file")
	}
	if _, err := os.Stat(filepath.Join(dir, sealingKeyNote)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a keyring note was written without a keyring: %v", err)
	}

	// Once the key has moved to the keyring, a run that cannot reach the
	// keyring fails rather than make a new key.
	moved := t.TempDir()
	if err := os.WriteFile(filepath.Join(moved, sealingKeyNote), []byte(sealingKeyUser(moved)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := sealingKeyChild(t, moved); !strings.Contains(got, "cannot be reached") {
		t.Fatalf("a moved key without a keyring: %s; want an error saying the keyring cannot be reached", got)
	}
}

// requireKeyring stops t without a Secret Service: a skip, except in CI,
// where a missing keyring is a failure.
func requireKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("PASSKEYDESK_TEST_KEYRING") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Secret Service for the keyring test: run the tests through .ci/with-session")
		}
		t.Skip("no Secret Service: run through .ci/with-session (make test) to test the real keyring")
	}
}

// keyringItem returns the sealing key the real keyring holds for dir's
// item ("" for none), and removes it when the test ends.
func keyringItem(t *testing.T, user string) string {
	t.Helper()
	t.Cleanup(func() { keyring.Delete(ui.KeyringService, user) })
	s, err := keyring.Get(ui.KeyringService, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openService opens the account service on dir's database with key.
func openService(t *testing.T, dir string, key []byte, clock *accounttest.Clock) *account.Service {
	t.Helper()
	store, err := sqlstore.Open(filepath.Join(dir, "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := account.New(account.Config{
		RPID: "localhost", RPName: "Passkey Desk", Origins: []string{"http://localhost"},
		SecretKey: key, Now: clock.Now, PasswordParams: accounttest.CheapPasswords,
	}, store)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestSealingKeyMovesToKeyring(t *testing.T) {
	requireKeyring(t)
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file, note := filepath.Join(dir, sealingKeyFile), filepath.Join(dir, sealingKeyNote)

	// A data folder of an earlier version: the key in a file, an account
	// whose TOTP secret it sealed.
	old := make([]byte, 32)
	rand.Read(old)
	if err := os.WriteFile(file, old, 0o600); err != nil {
		t.Fatal(err)
	}
	clock := accounttest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	u := accounttest.SignUp(t, openService(t, dir, old, clock), clock, "ann@example.com")

	key, inFile, err := sealingKey(dir, systemKeyring{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	user := sealingKeyUser(dir)
	if !bytes.Equal(key, old) || inFile {
		t.Fatalf("first start with a keyring: same key %v, in file %v; want the file's key, moved", bytes.Equal(key, old), inFile)
	}
	if got := keyringItem(t, user); got != base64.StdEncoding.EncodeToString(old) {
		t.Fatal("the keyring does not hold the file's key")
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the key file is still there after the move: %v", err)
	}
	if b, err := os.ReadFile(note); err != nil || strings.TrimSpace(string(b)) != user || bytes.Contains(b, old) {
		t.Fatalf("the note is %q, %v; want the item's name %q", b, err, user)
	}

	// The next start reads the same key from the keyring, and the TOTP
	// secret it sealed still opens: the account signs in with its code.
	again, inFile, err := sealingKey(dir, systemKeyring{}, quiet)
	if err != nil || !bytes.Equal(again, old) || inFile {
		t.Fatalf("second start: same key %v, in file %v, %v", bytes.Equal(again, old), inFile, err)
	}
	if _, err := openService(t, dir, again, clock).SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
		t.Fatalf("signing in with the key from the keyring: %v", err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if _, err := openService(t, dir, other, clock).SignIn(ctx, u.Email, u.Password, u.Code(t)); err == nil {
		t.Fatal("another key opened the TOTP secret too: the check above proves nothing")
	}

	t.Run("a move cut short is finished", func(t *testing.T) {
		if err := os.WriteFile(file, old, 0o600); err != nil {
			t.Fatal(err)
		}
		if k, inFile, err := sealingKey(dir, systemKeyring{}, quiet); err != nil || !bytes.Equal(k, old) || inFile {
			t.Fatalf("same key %v, in file %v, %v", bytes.Equal(k, old), inFile, err)
		}
		if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the left-over key file is still there: %v", err)
		}
	})
	t.Run("a different key file is not overwritten", func(t *testing.T) {
		if err := os.WriteFile(file, other, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(file)
		if _, _, err := sealingKey(dir, systemKeyring{}, quiet); err == nil || !strings.Contains(err.Error(), "different keys") {
			t.Fatalf("got %v; want an error about two keys", err)
		}
		if b, _ := os.ReadFile(file); !bytes.Equal(b, other) {
			t.Fatal("the other key file was changed")
		}
	})

	moved := filepath.Join(parent, "moved")
	t.Run("a moved folder finds its key", func(t *testing.T) {
		if err := os.Rename(dir, moved); err != nil {
			t.Fatal(err)
		}
		if k, inFile, err := sealingKey(moved, systemKeyring{}, quiet); err != nil || !bytes.Equal(k, old) || inFile {
			t.Fatalf("same key %v, in file %v, %v", bytes.Equal(k, old), inFile, err)
		}
	})
	t.Run("a copy without the keyring item does not open", func(t *testing.T) {
		// A backup of the folder on a computer whose keyring lacks the
		// item: the key is not in the folder, and none is made up.
		if err := keyring.Delete(ui.KeyringService, user); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sealingKey(moved, systemKeyring{}, quiet); err == nil || !strings.Contains(err.Error(), "does not hold it") {
			t.Fatalf("got %v; want an error saying the keyring lacks the key", err)
		}
		if _, err := os.Stat(filepath.Join(moved, sealingKeyFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a new key file was made: %v", err)
		}
	})
}

func TestSealingKeyFirstRunWithKeyring(t *testing.T) {
	requireKeyring(t)
	dir := t.TempDir()
	// Several first runs at once agree on one key.
	keys := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, inFile, err := sealingKey(dir, systemKeyring{}, quiet)
			if err != nil || len(k) != 32 || inFile {
				t.Errorf("first run %d: %d bytes, in file %v, %v", i, len(k), inFile, err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	key := keys[0]
	for i, k := range keys {
		if !bytes.Equal(k, key) {
			t.Fatalf("first runs %d and 0 got different keys", i)
		}
	}
	if got := keyringItem(t, sealingKeyUser(dir)); got != base64.StdEncoding.EncodeToString(key) {
		t.Fatal("the keyring does not hold the new key")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*secret*")); len(left) != 1 || filepath.Base(left[0]) != sealingKeyNote {
		t.Fatalf("files left in the data folder: %v; want only the note", left)
	}
	if again, _, err := sealingKey(dir, systemKeyring{}, quiet); err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second run: same key %v, %v", bytes.Equal(again, key), err)
	}
}
