package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/zalando/go-keyring"

	"github.com/passkeydesk/passkeydesk/ui"
)

// The sealing key's places in the data folder: the key itself when no
// keyring holds it, and, once it has moved to the keyring, a note naming
// the keyring item (no secret). The note tells a later run whose keyring
// cannot be reached that the key exists and must not be made anew, and
// finds the item again after the folder has moved.
const (
	sealingKeyFile = "secret.key"
	sealingKeyNote = "secret.key.keyring"
)

// secretKeyring is the part of the OS keyring the sealing key uses. Get
// returns an error matching keyring.ErrNotFound for a missing item; any
// other error means no keyring can be reached.
type secretKeyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
}

// systemKeyring is the OS keyring through go-keyring.
type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (systemKeyring) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}

// sealingKeyUser names the keyring item of the sealing key of the data
// folder dir: one item per folder, as each folder is a database of its own.
func sealingKeyUser(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return "totp-sealing-key:" + filepath.Clean(abs)
}

// sealingKey returns the 32-byte key with which the account service seals
// TOTP secrets at rest (account.Config.SecretKey) for the data folder dir,
// and whether a copy of it lies in a file in dir.
//
// The key lives in the OS keyring (service ui.KeyringService, one item per
// folder), so that a copy or backup of the data folder does not open the
// secrets. A key file from an earlier version, or from a run without a
// keyring, is moved into the keyring when one can be reached: written,
// read back, and only then is the file removed (which does not wipe the
// disk's blocks or backups made before). Without a keyring the key stays
// in, or is made in, the file (mode 0600): the app must keep working there,
// and inFile says so for Settings to warn.
//
// A key that has moved to the keyring is never made anew: a run that finds
// the note but neither the item nor the file fails rather than lock every
// account out of its authenticator.
func sealingKey(dir string, kr secretKeyring, log *slog.Logger) (key []byte, inFile bool, err error) {
	key, inFile, err = findSealingKey(dir, kr, log)
	if errors.Is(err, errKeyFileGone) {
		// Another run moved the key file made at the same time into the
		// keyring: find it there.
		key, inFile, err = findSealingKey(dir, kr, log)
	}
	return key, inFile, err
}

// errKeyFileGone is makeKeyFile's answer when another run made the key
// file first and then removed it before this run could read it.
var errKeyFileGone = errors.New("the key file was made by another run and is gone")

func findSealingKey(dir string, kr secretKeyring, log *slog.Logger) (key []byte, inFile bool, err error) {
	file, note := filepath.Join(dir, sealingKeyFile), filepath.Join(dir, sealingKeyNote)
	user := sealingKeyUser(dir)
	moved := false
	if b, err := os.ReadFile(note); err == nil {
		if u := strings.TrimSpace(string(b)); u != "" {
			user = u
		}
		moved = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("reading %s: %w", note, err)
	}
	fileKey, err := readKeyFile(file)
	if err != nil {
		return nil, false, err
	}

	secret, err := kr.Get(ui.KeyringService, user)
	switch {
	case err == nil:
		key, err := base64.StdEncoding.DecodeString(secret)
		if err != nil || len(key) != 32 {
			return nil, false, fmt.Errorf("the keyring item %q of the key that protects authenticator secrets is damaged", user)
		}
		if fileKey != nil && !bytes.Equal(fileKey, key) {
			return nil, false, fmt.Errorf("the key file %s and the keyring item %q hold different keys that protect authenticator secrets; move the one that does not belong to this data folder away", file, user)
		}
		if !moved {
			if err := writeNote(note, user); err != nil {
				log.Warn("the key that protects authenticator secrets stays in a file", "err", err)
				return key, fileKey != nil, nil
			}
		}
		return key, fileKey != nil && !removeKeyFile(file, log), nil

	case errors.Is(err, keyring.ErrNotFound):
		if fileKey == nil {
			if moved {
				return nil, false, fmt.Errorf("the key that protects authenticator secrets was moved to the system keyring (item %q), and the keyring does not hold it: this data folder was made on another computer or account, or the keyring was reset", user)
			}
			if fileKey, err = makeKeyFile(file); err != nil {
				return nil, false, err
			}
		}
		if err := moveToKeyring(kr, user, fileKey, note); err != nil {
			log.Warn("the key that protects authenticator secrets stays in a file", "err", err)
			return fileKey, true, nil
		}
		return fileKey, !removeKeyFile(file, log), nil

	default:
		log.Warn("no system keyring: the key that protects authenticator secrets is kept in a file", "err", err)
		if fileKey != nil {
			return fileKey, true, nil
		}
		if moved {
			return nil, false, fmt.Errorf("the key that protects authenticator secrets is in the system keyring, which cannot be reached: %w", err)
		}
		fileKey, err = makeKeyFile(file)
		return fileKey, err == nil, err
	}
}

// moveToKeyring stores key under user, checks it reads back, and writes
// the note that says it is there.
func moveToKeyring(kr secretKeyring, user string, key []byte, note string) error {
	enc := base64.StdEncoding.EncodeToString(key)
	if err := kr.Set(ui.KeyringService, user, enc); err != nil {
		return fmt.Errorf("storing it in the keyring: %w", err)
	}
	if got, err := kr.Get(ui.KeyringService, user); err != nil || got != enc {
		return fmt.Errorf("the keyring did not give it back (%v)", err)
	}
	return writeNote(note, user)
}

// removeKeyFile removes the key file, reporting whether it is gone.
func removeKeyFile(file string, log *slog.Logger) bool {
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("the key file could not be removed after its move to the keyring", "err", err)
		return false
	}
	return true
}

// writeNote writes the note naming the keyring item, whole or not at all.
func writeNote(note, user string) error {
	return writeWhole(note, []byte(user+"\n"), func(tmp string) error { return os.Rename(tmp, note) })
}

// readKeyFile reads the key file, nil when there is none.
func readKeyFile(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != 32 {
			return nil, fmt.Errorf("the key file %s is damaged: it holds %d bytes, not 32", path, len(key))
		}
		return key, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	default:
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
}

// makeKeyFile makes a key in the file at path, or reads the one another
// run made there first: the key is written whole under a temporary name
// and linked into place, so two first runs at once agree on one key, and
// no run reads half of one.
func makeKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	err := writeWhole(path, key, func(tmp string) error { return os.Link(tmp, path) })
	if errors.Is(err, fs.ErrExist) {
		key, err := readKeyFile(path)
		if key == nil && err == nil {
			err = errKeyFileGone
		}
		return key, err
	}
	if err != nil {
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	return key, nil
}

// writeWhole writes data to a temporary file (mode 0600) beside path,
// syncs it, and hands its name to place, which puts it at path.
func writeWhole(path string, data []byte, place func(tmp string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return place(tmp.Name())
}
