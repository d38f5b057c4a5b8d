package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/passkeydesk/passkeydesk/account/backup"
	"github.com/passkeydesk/passkeydesk/ui"
)

// A restore (backup.Folder.Restore) is made whole in a temporary folder
// in the data folder and renamed to restorePending only when complete;
// the next start puts it in place (applyPendingRestore) before it opens
// the database.
const (
	restorePending = backup.Pending
	dbFile         = backup.DBFile
	// beforeRestore is the name the replaced database keeps.
	beforeRestore = "passkeydesk.db.before-restore"
	// oldKeySaved marks, in the pending folder, that the replaced
	// database's key has been kept, so a start that repeats an
	// interrupted restore does not keep the new key in its place.
	oldKeySaved = "old-key-saved"
)

// applyPendingRestore puts a pending restore in place, before the
// database is opened: the key of the database it replaces is kept
// (keyring item or file, as sealingKey keeps keys) beside that database,
// renamed passkeydesk.db.before-restore; the backup's key becomes the
// folder's key; the backup's database takes its place. Each step can be
// repeated, so a start interrupted half-way finishes the restore on the
// next one. It reports whether a restore was applied.
func applyPendingRestore(dir string, kr secretKeyring, log *slog.Logger) (bool, error) {
	pending := filepath.Join(dir, restorePending)
	if _, err := os.Stat(pending); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("a restored backup waits in %s and could not be put in place (move that folder away to start without it): %w", pending, err)
	}
	live := filepath.Join(dir, dbFile)
	if _, err := os.Stat(filepath.Join(pending, oldKeySaved)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(live); err == nil {
			old, _, err := sealingKey(dir, kr, log)
			if err != nil {
				return fail(err)
			}
			if err := keepKey(dir, kr, sealingKeyUser(dir)+":before-restore", sealingKeyFile+".before-restore", old); err != nil {
				return fail(err)
			}
		}
		if err := os.WriteFile(filepath.Join(pending, oldKeySaved), nil, 0o600); err != nil {
			return fail(err)
		}
	}
	if newDB := filepath.Join(pending, dbFile); fileExists(newDB) {
		key, err := readKeyFile(filepath.Join(pending, backup.KeyFile))
		if err != nil || key == nil {
			return fail(fmt.Errorf("the restored key is missing (%v)", err))
		}
		if err := installKey(dir, kr, key, log); err != nil {
			return fail(err)
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(live+suffix, filepath.Join(dir, beforeRestore+suffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fail(err)
			}
		}
		if err := os.Rename(newDB, live); err != nil {
			return fail(err)
		}
	}
	if err := os.RemoveAll(pending); err != nil {
		return fail(err)
	}
	log.Info("a restored backup is in place; the database it replaced is kept", "file", filepath.Join(dir, beforeRestore))
	return true, nil
}

// installKey makes key the data folder's sealing key: in the keyring with
// its note when one can be reached, otherwise in secret.key.
func installKey(dir string, kr secretKeyring, key []byte, log *slog.Logger) error {
	file, note := filepath.Join(dir, sealingKeyFile), filepath.Join(dir, sealingKeyNote)
	if err := moveToKeyring(kr, sealingKeyUser(dir), key, note); err == nil {
		removeKeyFile(file, log)
		return nil
	} else {
		log.Warn("no system keyring: the restored key that protects authenticator secrets is kept in a file", "err", err)
	}
	if err := writeWhole(file, key, func(tmp string) error { return os.Rename(tmp, file) }); err != nil {
		return err
	}
	if err := os.Remove(note); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// keepKey keeps key in the keyring item user, or, without a keyring, in
// the file name in dir.
func keepKey(dir string, kr secretKeyring, user, name string, key []byte) error {
	enc := base64.StdEncoding.EncodeToString(key)
	if err := kr.Set(ui.KeyringService, user, enc); err == nil {
		return nil
	}
	path := filepath.Join(dir, name)
	return writeWhole(path, key, func(tmp string) error { return os.Rename(tmp, path) })
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
