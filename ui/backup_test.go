package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/storage"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/backup"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// fastBackups are the smallest argon2id parameters a backup may have.
var fastBackups = backup.Params{Time: 1, Memory: 8 * 1024, Threads: 1}

// withBackup gives the next start backups: a backup.Folder on the
// service's SQLite file (a second connection to it) and its sealing key.
func (h *harness) withBackup() {
	h.t.Helper()
	s, err := sqlstore.Open(h.dbPath)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close() })
	h.backup = &backup.Folder{Dir: filepath.Dir(h.dbPath), Store: s, Key: h.sealingKey, RPID: accounttest.RPID, Params: fastBackups}
}

// backupDep is Deps.Backup of the next start: nil without one.
func (h *harness) backupDep() Backup {
	if h.backup == nil {
		return nil
	}
	return h.backup
}

// saveBackup walks Settings › Back up this computer's data with pass and
// returns the file written, as the save dialog would have it written.
func saveBackup(h *harness, pass string) []byte {
	h.t.Helper()
	h.tap("Settings")
	h.wantText("Backup", "are not in the backup")
	h.tap("Back up this computer's data…")
	s := h.app.shell.backup
	if h.canvas().Focused() != s.pass {
		h.t.Error("the focus is not on the passphrase")
	}
	h.wantText("Not in the backup: \"Work laptop\"", "bound to it")

	h.typeInto(s.pass, pass)
	h.typeInto(s.repeat, pass+"x")
	h.tap("Choose where to save…")
	h.wantText("Check the repeated passphrase", "Type the same passphrase twice")

	h.typeInto(s.pass, "too short")
	h.typeInto(s.repeat, "too short")
	h.tap("Choose where to save…")
	h.wantText("Choose a longer passphrase", "at least 12 characters")

	h.typeInto(s.pass, pass)
	h.typeInto(s.repeat, pass)
	h.tap("Choose where to save…")
	h.notText("Choose a longer passphrase", "Check the repeated passphrase")
	if s.dialog == nil || h.canvas().Overlays().Top() == nil {
		h.t.Fatal("no save dialog")
	}
	// The save dialog is Fyne's; what it hands back is a file writer.
	s.dialog.Hide()
	h.settle()
	path := filepath.Join(h.t.TempDir(), "passkeydesk"+backupFileExt)
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		h.t.Fatal(err)
	}
	s.write(w)
	h.settle()
	h.wantText("Backup saved", "passkeydesk"+backupFileExt)
	if s.pass.Text != "" || s.repeat.Text != "" {
		h.t.Error("the passphrase stays in the entries")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	return data
}

// Settings › Back up, then Restore: the backup leaves this computer's
// passkeys behind and says so; a wrong passphrase and a damaged file are
// refused in words and change nothing; a good one waits for the restart
// the screen offers.
func TestBackupAndRestoreScreens(t *testing.T) {
	h := newHarness(t, harnessOptions{backup: true})
	u := h.user("bea@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindThisComputer, "Work laptop")
	h.signedIn(u)
	const pass = "violet kettle harbour mist"
	h.secrets = append(h.secrets, pass)

	data := saveBackup(h, pass)
	if bytes.Contains(data, []byte(u.Email)) || bytes.Contains(data, h.backup.Key) {
		t.Fatal("the backup holds the email or the key in the clear")
	}
	m, err := backup.Read(bytes.NewReader(data), []byte(pass))
	if err != nil || len(m.Manifest.LeftBehind) != 1 || m.Manifest.Accounts[0] != u.Email {
		t.Fatalf("the saved backup: %+v, %v", m.Manifest, err)
	}

	h.tap("Settings")
	h.tap("Restore from a backup…")
	r := h.app.shell.restore
	if h.canvas().Focused() != r.choose {
		t.Error("the focus is not on choosing the file")
	}
	h.tap("Restore")
	h.wantText("Check the backup file", "Choose the backup file first")
	h.tap("Choose the backup file…")
	if r.dialog == nil || h.canvas().Overlays().Top() == nil {
		t.Fatal("no open dialog")
	}
	r.dialog.Hide()
	h.settle()

	pending := filepath.Join(h.backup.Dir, backup.Pending)
	refused := func(file []byte, pass string, words ...string) {
		t.Helper()
		r.use("passkeydesk"+backupFileExt, file)
		h.typeInto(r.pass, pass)
		h.tap("Restore")
		h.settle()
		h.wantText(words...)
		h.wantText("Nothing was changed")
		if _, err := os.Stat(pending); err == nil {
			t.Fatal("a refused restore left a pending restore")
		}
		if h.restarts != 0 {
			t.Fatal("a refused restore restarted the app")
		}
	}
	refused(data, "not the passphrase at all", "Wrong passphrase")
	damaged := bytes.Clone(data)
	damaged[len(damaged)-20] ^= 1
	refused(damaged, pass, "The backup is damaged")
	refused(data[:len(data)/2], pass, "The backup is damaged")
	refused([]byte("hello"), pass, "Not a backup")

	r.use("passkeydesk"+backupFileExt, data)
	h.typeInto(r.pass, pass)
	h.tap("Restore")
	h.settle()
	h.wantText("The backup of bea@example.com", "is ready", "Not carried over: \"Work laptop\"", "do not work here")
	if _, err := os.Stat(filepath.Join(pending, backup.DBFile)); err != nil {
		t.Fatalf("no pending restore: %v", err)
	}
	h.tap("Restart now")
	if h.restarts != 1 {
		t.Fatalf("restarts %d", h.restarts)
	}
}

// Before signing in, the first-run and sign-in screens offer the restore,
// and Cancel goes back.
func TestRestoreBeforeSignIn(t *testing.T) {
	h := newHarness(t, harnessOptions{backup: true})
	h.wantText("Welcome to Passkey Desk")
	h.tap("Restore from a backup…")
	h.wantText("Restore from a backup", "Choose the backup file…")
	h.tap("Cancel")
	h.wantText("Welcome to Passkey Desk")
	h.tap("I already have an account: sign in")
	h.tap("Restore from a backup…")
	h.wantText("Choose the backup file…")
	h.tap("Cancel")
	h.wantText("Sign in to Passkey Desk")
}

// An app on an account server has no backups.
func TestNoBackupWithoutFolder(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.notText("Restore from a backup…")
	u := h.user("cy@example.com")
	h.signedIn(u)
	h.tap("Settings")
	h.notText("Back up this computer's data…")
}
