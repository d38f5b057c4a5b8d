package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// The names a restore uses in the data folder. A restore is made whole in
// a temporary folder there and renamed to Pending only when complete; the
// next start of the app puts it in place before it opens the database.
const (
	Pending = "restore.pending"
	DBFile  = "passkeydesk.db"
	KeyFile = "secret.key" // the restored sealing key, in Pending
)

// Folder backs up and restores an embedded service's data folder.
type Folder struct {
	Dir   string          // the data folder
	Store *sqlstore.Store // its open database
	Key   []byte          // the key that seals its TOTP secrets
	RPID  string          // the RP ID the app runs with
	// Params are the argon2id parameters new backups get; zero means
	// DefaultParams.
	Params Params
}

// Export writes a backup of the database as it is now to w, with the
// manifest m. The whole file is made before any of it is written, so a
// refusal leaves w untouched.
func (f *Folder) Export(ctx context.Context, w io.Writer, passphrase []byte, m Manifest) error {
	if err := CheckPassphrase(passphrase); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(f.Dir, ".backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, DBFile)
	if err := f.Store.Snapshot(ctx, snap); err != nil {
		return err
	}
	db, err := os.ReadFile(snap)
	if err != nil {
		return err
	}
	p := f.Params
	if p == (Params{}) {
		p = DefaultParams
	}
	var buf bytes.Buffer
	if err := Write(&buf, passphrase, p, Contents{Manifest: m, SealingKey: f.Key, Database: db}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Restore opens the backup in r and makes it the data folder's pending
// restore: the database is checked in a temporary folder (it opens, its
// schema is brought up to date, its TOTP secrets open with the backup's
// key, its passkeys are bound to f.RPID) and only then is the folder
// renamed to Pending, with the key beside the database (the owner's
// only) until the next start moves it to the keyring. Nothing the app
// uses now changes; a refused file leaves no trace.
func (f *Folder) Restore(ctx context.Context, r io.Reader, passphrase []byte) (Manifest, error) {
	c, err := Read(r, passphrase)
	if err != nil {
		return Manifest{}, err
	}
	tmp, err := os.MkdirTemp(f.Dir, ".restore-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(tmp) // gone already once renamed
	if err := os.WriteFile(filepath.Join(tmp, DBFile), c.Database, 0o600); err != nil {
		return Manifest{}, err
	}
	if err := checkRestored(ctx, filepath.Join(tmp, DBFile), c.SealingKey, f.RPID); err != nil {
		return Manifest{}, err
	}
	if err := os.WriteFile(filepath.Join(tmp, KeyFile), c.SealingKey, 0o600); err != nil {
		return Manifest{}, err
	}
	pending := filepath.Join(f.Dir, Pending)
	if err := os.RemoveAll(pending); err != nil {
		return Manifest{}, err
	}
	if err := os.Rename(tmp, pending); err != nil {
		return Manifest{}, err
	}
	return c.Manifest, nil
}

// checkRestored opens the database at path as the app would and checks
// key and rpID against it.
func checkRestored(ctx context.Context, path string, key []byte, rpID string) error {
	s, err := sqlstore.OpenWith(path, sqlstore.Options{Log: slog.New(slog.DiscardHandler)})
	if errors.Is(err, sqlstore.ErrNewerSchema) {
		return ErrUnsupportedVersion
	}
	if err != nil {
		return fmt.Errorf("%w: its database does not open", ErrDamaged)
	}
	defer s.Close()
	err = account.CheckDeployment(ctx, s, account.Deployment{RPID: rpID, SecretKey: key})
	if errors.Is(err, account.ErrSecretKeyMismatch) {
		return fmt.Errorf("%w: its key does not open its authenticator secrets", ErrDamaged)
	}
	return err
}
