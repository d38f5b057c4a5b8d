package platform

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// realKeyringUser is an entry of this test run's own in the real keyring,
// so a run outside .ci/with-session never touches the user's master key.
func realKeyringUser(t testing.TB) string {
	return fmt.Sprintf("platform-master-key-test-%d-%d", os.Getpid(), time.Now().UnixNano())
}

// TestSecretServiceRoundTrip stores a master key in the real Secret
// Service (gnome-keyring under .ci/with-session), reads it back in a new
// session, and registers and signs in with it end to end.
func TestSecretServiceRoundTrip(t *testing.T) {
	needKeyring(t)
	ctx := context.Background()
	kr := SystemKeyring{}
	user := realKeyringUser(t)
	t.Cleanup(func() { keyring.Delete(KeyringService, user) })

	if _, err := kr.Get(KeyringService, user); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("Get before Set: %v, want ErrSecretNotFound", err)
	}
	dir := t.TempDir()
	a, err := New(Options{Dir: dir, AAGUID: thisComputerAAGUID(t), KeyringUser: user})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatalf("SetPIN (makes the master key): %v", err)
	}
	secret, err := kr.Get(KeyringService, user)
	if err != nil {
		t.Fatalf("the master key is not in the keyring: %v", err)
	}
	if item, err := parseItem(secret); err != nil || item.V != itemVersion || len(item.Key) != 32 {
		t.Fatalf("keyring entry: %+v, %v; want a version %d entry with a 32-byte key", item, err, itemVersion)
	}
	testCeremonies(t, a)

	// A new session reads the same key from the keyring and opens the
	// store; a replaced key is refused.
	b, err := New(Options{Dir: dir, AAGUID: thisComputerAAGUID(t), KeyringUser: user})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if st, err := b.PINState(ctx); err != nil || !st.Set {
		t.Fatalf("new session: %+v, %v", st, err)
	}
	before := readFile(t, storePath(dir))
	if err := kr.Set(KeyringService, user, base64.StdEncoding.EncodeToString(make([]byte, 32))); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); !errors.Is(err, ErrMasterKeyMismatch) {
		t.Errorf("replaced key in the real keyring: %v, want ErrMasterKeyMismatch", err)
	}
	unchanged(t, storePath(dir), before)
	if err := kr.Set(KeyringService, user, secret); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); err != nil {
		t.Errorf("key put back: %v", err)
	}
}

// TestNoSecretService runs the real SystemKeyring against a session bus
// that is not there (in a child process, since godbus keeps the first
// session bus it connects to): ErrKeyringUnavailable, nothing on disk.
func TestNoSecretService(t *testing.T) {
	if os.Getenv("PLATFORM_TEST_CHILD") == "no-bus" {
		dir := os.Getenv("PLATFORM_TEST_DIR")
		a, err := New(Options{Dir: dir, AAGUID: thisComputerAAGUID(t), KeyringUser: realKeyringUser(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err = a.SetPIN(context.Background(), []byte(testPIN)); !errors.Is(err, ErrKeyringUnavailable) {
			t.Fatalf("SetPIN without a session bus: %v, want ErrKeyringUnavailable", err)
		}
		t.Logf("reason: %v", err)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoSecretService$", "-test.v")
	cmd.Env = append(os.Environ(), "PLATFORM_TEST_CHILD=no-bus", "PLATFORM_TEST_DIR="+dir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-such-bus"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "reason: platform: the OS keyring is not available") {
		t.Errorf("child output:\n%s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written without a keyring: %v", entries)
	}
}
