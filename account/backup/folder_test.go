package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/backup"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

var ctx = context.Background()

// source is a data folder with one account, as the app leaves it.
type source struct {
	folder *backup.Folder
	user   *accounttest.User
	clock  *accounttest.Clock
	store  *sqlstore.Store
}

func newSource(t *testing.T) *source {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	svc, clock, path := accounttest.NewService(t, accounttest.Options{SecretKey: key})
	store, err := sqlstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := account.PinDeployment(ctx, store, account.Deployment{RPID: accounttest.RPID, SecretKey: key}); err != nil {
		t.Fatal(err)
	}
	u := accounttest.SignUp(t, svc, clock, "ada@example.com")
	return &source{
		folder: &backup.Folder{Dir: filepath.Dir(path), Store: store, Key: key, RPID: accounttest.RPID, Params: fast},
		user:   u, clock: clock, store: store,
	}
}

func (s *source) export(t *testing.T, pass string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.folder.Export(ctx, &buf, []byte(pass), backup.Manifest{Accounts: []string{s.user.Email}}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entries lists a folder's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestFolderRestoreOnAnotherComputer: a backup restored into a fresh data
// folder opens there with the backup's key, and its owner signs in with
// the same password and authenticator code.
func TestFolderRestoreOnAnotherComputer(t *testing.T) {
	src := newSource(t)
	file := src.export(t, pass)
	if bytes.Contains(file, src.folder.Key) || bytes.Contains(file, []byte(src.user.Email)) {
		t.Fatal("the backup holds the key or the email in the clear")
	}
	if names := entries(t, src.folder.Dir); len(names) > 3 { // the database and its WAL files only
		t.Fatalf("the export left files behind: %v", names)
	}

	fresh := t.TempDir()
	other := &backup.Folder{Dir: fresh, RPID: accounttest.RPID}
	m, err := other.Restore(ctx, bytes.NewReader(file), []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Accounts) != 1 || m.Accounts[0] != src.user.Email {
		t.Fatalf("manifest %+v", m)
	}
	if names := entries(t, fresh); len(names) != 1 || names[0] != backup.Pending {
		t.Fatalf("the fresh folder holds %v", names)
	}
	pending := filepath.Join(fresh, backup.Pending)
	key, err := os.ReadFile(filepath.Join(pending, backup.KeyFile))
	if err != nil || !bytes.Equal(key, src.folder.Key) {
		t.Fatalf("the pending key: %v", err)
	}
	for _, name := range []string{backup.KeyFile, backup.DBFile} {
		if fi, err := os.Stat(filepath.Join(pending, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, fi.Mode(), err)
		}
	}

	// What the app's next start does: the database in place, the key
	// given to the service.
	clock := accounttest.NewClock(src.clock.Now().Add(time.Minute))
	store, err := sqlstore.Open(filepath.Join(pending, backup.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	restored, err := account.New(account.Config{RPID: accounttest.RPID, RPName: "Passkey Desk", Origins: []string{accounttest.Origin},
		SecretKey: key, Now: clock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	code, err := account.TOTPCode(src.user.Secret, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restored.SignIn(ctx, src.user.Email, src.user.Password, code); err != nil {
		t.Fatalf("signing in on the restored database: %v", err)
	}
}

// TestFolderRestoreRefusals: a refused backup changes nothing in the
// folder, an earlier pending restore included.
func TestFolderRestoreRefusals(t *testing.T) {
	src := newSource(t)
	file := src.export(t, pass)

	// A file whose key is not the database's: sealed properly, so only
	// the check against the database can tell.
	wrongKey := make([]byte, 32)
	rand.Read(wrongKey)
	snap := filepath.Join(t.TempDir(), "snap.db")
	if err := src.store.Snapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	db, _ := os.ReadFile(snap)
	var mismatched bytes.Buffer
	if err := backup.Write(&mismatched, []byte(pass), fast, backup.Contents{SealingKey: wrongKey, Database: db}); err != nil {
		t.Fatal(err)
	}
	var notDB bytes.Buffer
	if err := backup.Write(&notDB, []byte(pass), fast, backup.Contents{SealingKey: wrongKey, Database: []byte("not a database at all")}); err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(file)
	damaged[len(damaged)/2] ^= 0x80

	for _, tc := range []struct {
		name string
		file []byte
		pass string
		rpID string
		want error
	}{
		{"wrong passphrase", file, "not the passphrase at all", accounttest.RPID, backup.ErrWrongPassphrase},
		{"flipped byte", damaged, pass, accounttest.RPID, backup.ErrDamaged},
		{"truncated", file[:len(file)/3], pass, accounttest.RPID, backup.ErrDamaged},
		{"key not the database's", mismatched.Bytes(), pass, accounttest.RPID, backup.ErrDamaged},
		{"not a database inside", notDB.Bytes(), pass, accounttest.RPID, backup.ErrDamaged},
		{"another RP ID", file, pass, "passkeys.example.com", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// An earlier restore waits; a refused one must not touch it.
			earlier := filepath.Join(dir, backup.Pending)
			os.Mkdir(earlier, 0o700)
			os.WriteFile(filepath.Join(earlier, "marker"), []byte("earlier"), 0o600)
			f := &backup.Folder{Dir: dir, RPID: tc.rpID}
			_, err := f.Restore(ctx, bytes.NewReader(tc.file), []byte(tc.pass))
			var rp *account.RPIDChangeError
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || (tc.want == nil && !errors.As(err, &rp)) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if names := entries(t, dir); len(names) != 1 || names[0] != backup.Pending {
				t.Fatalf("the folder holds %v after a refusal", names)
			}
			if b, _ := os.ReadFile(filepath.Join(earlier, "marker")); string(b) != "earlier" {
				t.Fatal("a refused restore changed the earlier one")
			}
		})
	}
}

func TestFolderExportRefusesWeakPassphrase(t *testing.T) {
	src := newSource(t)
	var buf bytes.Buffer
	if err := src.folder.Export(ctx, &buf, []byte("short"), backup.Manifest{}); !errors.Is(err, backup.ErrWeakPassphrase) || buf.Len() != 0 {
		t.Fatalf("%v, %d bytes", err, buf.Len())
	}
}
