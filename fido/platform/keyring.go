package platform

import (
	"errors"
	"fmt"

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
