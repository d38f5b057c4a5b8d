package platform

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring is the part of the OS keyring the authenticator uses: one secret
// per service and user.
//
// Errors: Get returns an error matching ErrSecretNotFound when there is no
// such secret; any other error from either method means the keyring could
// not be used (no Secret Service, locked, access denied) and is reported
// wrapped in ErrKeyringUnavailable.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
}

// ErrSecretNotFound is what a Keyring's Get returns (or wraps) for a
// secret that does not exist. It is go-keyring's own sentinel.
var ErrSecretNotFound = keyring.ErrNotFound

// SystemKeyring is the OS keyring through github.com/zalando/go-keyring:
// the Secret Service over D-Bus on Linux, the Keychain on macOS, the
// Credential Manager on Windows.
type SystemKeyring struct{}

// Get implements Keyring.
func (SystemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }

// Set implements Keyring.
func (SystemKeyring) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}

// The keyring entry of the master key.
const (
	KeyringService = "io.passkeydesk.app"
	KeyringUser    = "platform-master-key"
)

// keyringError wraps a keyring failure in ErrKeyringUnavailable.
func keyringError(op string, err error) error {
	return fmt.Errorf("%w: %s the master key: %w", ErrKeyringUnavailable, op, err)
}

func isNotFound(err error) bool { return errors.Is(err, ErrSecretNotFound) }

// itemVersion is the version of the keyring items this code writes.
const itemVersion = 2

// keyringItem is the keyring entry's content (see the package doc):
// version 1 is the master key alone in standard base64; version 2 is JSON
// holding the master key and the wrong-PIN count, so that putting back an
// old copy of the store file does not reset the count.
type keyringItem struct {
	V            int       `json:"v"`
	Key          []byte    `json:"key"`
	WrongPINs    int       `json:"wrongPins"`
	BackoffUntil time.Time `json:"backoffUntil,omitzero"`
}

// errItem is why a keyring entry is not a master key. Its text never
// quotes the entry, which holds the key.
var errItem = errors.New("not a master key of Passkey Desk")

// parseItem reads a keyring entry of either version.
func parseItem(secret string) (*keyringItem, error) {
	if !strings.HasPrefix(secret, "{") {
		master, err := base64.StdEncoding.DecodeString(secret)
		if err != nil || len(master) != 32 {
			return nil, errItem
		}
		return &keyringItem{V: 1, Key: master}, nil
	}
	var it keyringItem
	dec := json.NewDecoder(strings.NewReader(secret))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil || dec.More() {
		return nil, errItem
	}
	switch {
	case it.V > itemVersion:
		return nil, fmt.Errorf("%w: version %d, written by a newer Passkey Desk", errItem, it.V)
	case it.V != itemVersion || len(it.Key) != 32 || it.WrongPINs < 0:
		return nil, errItem
	}
	return &it, nil
}

// encode gives the entry in the current version.
func (it *keyringItem) encode() string {
	c := *it
	c.V = itemVersion
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err) // a struct of plain fields always marshals
	}
	return string(b)
}
