// The keyring tests here run after notify_test.go (files run in name
// order): go-keyring keeps the session bus connection it opens, and the
// notification probe's "no bus" case needs none open yet.

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/backup"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/ui"
)

// folderWithAccount makes a data folder as the app leaves it: its sealing
// key (through kr), its database pinned to the key, and one account.
func folderWithAccount(t *testing.T, dir string, kr secretKeyring, email string, clock *accounttest.Clock) (key []byte, store *sqlstore.Store, u *accounttest.User) {
	t.Helper()
	ctx := context.Background()
	key, _, err := sealingKey(dir, kr, quiet)
	if err != nil {
		t.Fatal(err)
	}
	store, err = sqlstore.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := account.PinDeployment(ctx, store, account.Deployment{RPID: "localhost", SecretKey: key}); err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(account.Config{RPID: "localhost", RPName: "Passkey Desk", Origins: []string{"http://localhost"},
		SecretKey: key, Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	return key, store, accounttest.SignUp(t, svc, clock, email)
}

// testRestore backs a folder up, restores it into another (fresh, or with
// an account of its own) and starts there as the app does: the restored
// account signs in, and a replaced database keeps its key.
func testRestore(t *testing.T, kr secretKeyring, existing bool, keptKey func(dest string) []byte) {
	ctx := context.Background()
	clock := accounttest.NewClock(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	src := t.TempDir()
	key, store, u := folderWithAccount(t, src, noKeyring{}, "ada@example.com", clock)
	const pass = "lantern orchard pebble sky"
	var file bytes.Buffer
	f := &backup.Folder{Dir: src, Store: store, Key: key, RPID: "localhost", Params: backup.Params{Time: 1, Memory: 8 * 1024, Threads: 1}}
	if err := f.Export(ctx, &file, []byte(pass), backup.Manifest{Accounts: []string{u.Email}}); err != nil {
		t.Fatal(err)
	}

	dest := t.TempDir()
	if _, real := kr.(systemKeyring); real {
		t.Cleanup(func() {
			keyring.Delete(ui.KeyringService, sealingKeyUser(dest))
			keyring.Delete(ui.KeyringService, sealingKeyUser(dest)+":before-restore")
		})
	}
	var oldKey []byte
	if existing {
		var oldStore *sqlstore.Store
		oldKey, oldStore, _ = folderWithAccount(t, dest, kr, "old@example.com", clock)
		oldStore.Close()
	}
	if _, err := (&backup.Folder{Dir: dest, RPID: "localhost"}).Restore(ctx, &file, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	applied, err := applyPendingRestore(dest, kr, quiet)
	if err != nil || !applied {
		t.Fatalf("applied %v, %v", applied, err)
	}
	if _, err := os.Stat(filepath.Join(dest, restorePending)); err == nil {
		t.Fatal("the pending restore stays after it was applied")
	}
	if again, err := applyPendingRestore(dest, kr, quiet); again || err != nil {
		t.Fatalf("a second start applied it again: %v, %v", again, err)
	}
	got, _, err := sealingKey(dest, kr, quiet)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("the folder's key after the restore is not the backup's (%v)", err)
	}
	svc := openService(t, dest, got, clock)
	if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
		t.Fatalf("the restored account cannot sign in: %v", err)
	}
	if _, err := svc.SignIn(ctx, "old@example.com", u.Password, u.Code(t)); err == nil {
		t.Fatal("the replaced database's account signs in")
	}
	if existing {
		if _, err := os.Stat(filepath.Join(dest, beforeRestore)); err != nil {
			t.Fatalf("the replaced database is gone: %v", err)
		}
		if k := keptKey(dest); !bytes.Equal(k, oldKey) {
			t.Fatal("the replaced database's key was not kept")
		}
	}
}

func TestRestoreWithoutKeyring(t *testing.T) {
	for _, existing := range []bool{false, true} {
		testRestore(t, noKeyring{}, existing, func(dest string) []byte {
			k, err := readKeyFile(filepath.Join(dest, sealingKeyFile+".before-restore"))
			if err != nil {
				t.Fatal(err)
			}
			return k
		})
	}
}

func TestRestoreWithKeyring(t *testing.T) {
	requireKeyring(t)
	for _, existing := range []bool{false, true} {
		testRestore(t, systemKeyring{}, existing, func(dest string) []byte {
			enc := keyringItem(t, sealingKeyUser(dest)+":before-restore")
			k, _ := base64.StdEncoding.DecodeString(enc)
			return k
		})
	}
}

// A start that stopped half-way through putting a restore in place (the
// old key kept, the new key installed, the old database moved aside)
// finishes it on the next start, and keeps the old key, not the new one.
func TestRestoreInterruptedFinishesNextStart(t *testing.T) {
	ctx := context.Background()
	clock := accounttest.NewClock(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	src, dest := t.TempDir(), t.TempDir()
	key, store, u := folderWithAccount(t, src, noKeyring{}, "ada@example.com", clock)
	const pass = "lantern orchard pebble sky"
	var file bytes.Buffer
	f := &backup.Folder{Dir: src, Store: store, Key: key, RPID: "localhost", Params: backup.Params{Time: 1, Memory: 8 * 1024, Threads: 1}}
	if err := f.Export(ctx, &file, []byte(pass), backup.Manifest{}); err != nil {
		t.Fatal(err)
	}
	oldKey, oldStore, _ := folderWithAccount(t, dest, noKeyring{}, "old@example.com", clock)
	oldStore.Close()
	if _, err := (&backup.Folder{Dir: dest, RPID: "localhost"}).Restore(ctx, &file, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	// The first start's steps, up to the database's move.
	pending := filepath.Join(dest, restorePending)
	if err := keepKey(dest, noKeyring{}, "", sealingKeyFile+".before-restore", oldKey); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pending, oldKeySaved), nil, 0o600)
	if err := installKey(dest, noKeyring{}, key, quiet); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dest, dbFile), filepath.Join(dest, beforeRestore)); err != nil {
		t.Fatal(err)
	}

	if applied, err := applyPendingRestore(dest, noKeyring{}, quiet); err != nil || !applied {
		t.Fatalf("applied %v, %v", applied, err)
	}
	got, _, err := sealingKey(dest, noKeyring{}, quiet)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("the key after the restore (%v)", err)
	}
	if kept, _ := readKeyFile(filepath.Join(dest, sealingKeyFile+".before-restore")); !bytes.Equal(kept, oldKey) {
		t.Fatal("the repeated start kept the new key in the old one's place")
	}
	svc := openService(t, dest, got, clock)
	if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
		t.Fatalf("the restored account: %v", err)
	}
}
