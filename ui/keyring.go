package ui

import (
	"errors"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name under which the session token is kept
// in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows).
const KeyringService = "io.passkeydesk.app"

// keyringUser names the one item the app keeps under KeyringService.
const keyringUser = "session-token"

// KeyringTokens is the TokenStore of the desktop app: the session token
// lives in the OS keyring through go-keyring. On Linux that needs a D-Bus
// session with an unlocked Secret Service; without one every method fails
// and the app asks to sign in at each start.
type KeyringTokens struct {
	// Service is the keyring service name; "" means KeyringService. Tests
	// use a name of their own.
	Service string
}

var _ TokenStore = KeyringTokens{}

func (k KeyringTokens) service() string {
	if k.Service == "" {
		return KeyringService
	}
	return k.Service
}

// Load implements TokenStore.
func (k KeyringTokens) Load() (string, error) {
	tok, err := keyring.Get(k.service(), keyringUser)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", nil
	}
	return tok, err
}

// Save implements TokenStore.
func (k KeyringTokens) Save(token string) error {
	return keyring.Set(k.service(), keyringUser, token)
}

// Clear implements TokenStore. Clearing an empty keyring is not an error.
func (k KeyringTokens) Clear() error {
	err := keyring.Delete(k.service(), keyringUser)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}
