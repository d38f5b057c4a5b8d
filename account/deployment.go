package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// The settings a database keeps about the deployment that made it.
const (
	settingRPID     = "rp_id"
	settingKeyCheck = "secret_key_check"
)

// Deployment is what a process that opens a database claims about it: the
// RP ID its passkeys are bound to and the key that seals its TOTP secrets.
type Deployment struct {
	RPID      string
	SecretKey []byte
	// AllowRPIDChange confirms that the RP ID may change; every passkey
	// bound under the old one stops working.
	AllowRPIDChange bool
}

// RPIDChangeError is returned by PinDeployment when the database's
// passkeys are bound to another RP ID.
type RPIDChangeError struct {
	Stored, Wanted string
}

func (e *RPIDChangeError) Error() string {
	return fmt.Sprintf("the database's passkeys are bound to the RP ID %q, and this start would use %q: every passkey would stop working. "+
		"Start with the public URL of %q, or confirm the change explicitly", e.Stored, e.Wanted, e.Stored)
}

// ErrSecretKeyMismatch is returned by PinDeployment when the secret key is
// not the one the database's TOTP secrets were sealed with.
var ErrSecretKeyMismatch = errors.New("the secret key is not the one this database was set up with: its authenticator secrets cannot be opened with it")

// PinDeployment checks d against what the database recorded when it was
// first opened, and records d the first time. The RP ID is fixed from then
// on unless d.AllowRPIDChange; the secret key must always match (only a
// check value derived from it is stored, never the key).
func PinDeployment(ctx context.Context, store Store, d Deployment) error {
	if d.RPID == "" || len(d.SecretKey) == 0 {
		return errors.New("account: a deployment needs an RP ID and a secret key")
	}
	return store.Update(ctx, func(tx Tx) error { return checkDeployment(tx, d, true) })
}

// CheckDeployment is PinDeployment without writing: it reports what
// PinDeployment would refuse.
func CheckDeployment(ctx context.Context, store Store, d Deployment) error {
	if d.RPID == "" || len(d.SecretKey) == 0 {
		return errors.New("account: a deployment needs an RP ID and a secret key")
	}
	return store.View(ctx, func(tx Tx) error { return checkDeployment(tx, d, false) })
}

func checkDeployment(tx Tx, d Deployment, write bool) error {
	put := func(name, value string) error {
		if !write {
			return nil
		}
		return tx.PutSetting(name, value)
	}
	rpID, err := tx.Setting(settingRPID)
	switch {
	case errors.Is(err, ErrNotFound):
		if err := put(settingRPID, d.RPID); err != nil {
			return err
		}
	case err != nil:
		return err
	case rpID != d.RPID && !d.AllowRPIDChange:
		return &RPIDChangeError{Stored: rpID, Wanted: d.RPID}
	case rpID != d.RPID:
		if err := put(settingRPID, d.RPID); err != nil {
			return err
		}
	}
	check := keyCheck(d.SecretKey)
	stored, err := tx.Setting(settingKeyCheck)
	switch {
	case errors.Is(err, ErrNotFound):
		return put(settingKeyCheck, check)
	case err != nil:
		return err
	case !hmac.Equal([]byte(stored), []byte(check)):
		return ErrSecretKeyMismatch
	}
	return nil
}

// StoredRPID returns the RP ID the database's passkeys are bound to, or ""
// before PinDeployment first ran on it.
func StoredRPID(ctx context.Context, store Store) (string, error) {
	var rpID string
	err := store.View(ctx, func(tx Tx) error {
		v, err := tx.Setting(settingRPID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		rpID = v
		return err
	})
	return rpID, err
}

// keyCheck is a value that tells whether a key is the recorded one without
// revealing it: an HMAC of a fixed label under the key.
func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("passkeydesk secret key check v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
