package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// sealingKey returns the 32-byte key with which the account service seals
// TOTP secrets at rest (account.Config.SecretKey), making it on first run.
//
// It is a file (mode 0600) beside the database rather than a row in it, so
// a copy of the database alone does not reveal the secrets. It is not in
// the OS keyring because the app must keep working where no keyring is
// available (it then only forgets the session), and a key that lived in the
// keyring on one run and elsewhere on the next would lock every account
// out.
func sealingKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != 32 {
			return nil, fmt.Errorf("the key file %s is damaged: it holds %d bytes, not 32", path, len(key))
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading the key file: %w", err)
	}

	// Write a whole key under a temporary name, then link it into place:
	// two first runs at once agree on one key, and no run reads half of
	// one.
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*.key")
	if err != nil {
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(key)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing the key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return sealingKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	return key, nil
}
