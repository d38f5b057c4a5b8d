package ui

import (
	"errors"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name under which the session token is kept
// in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows).
const KeyringService = "io.passkeydesk.app"

// KeyringUser names the item the app keeps under KeyringService for its
// default data folder; another folder's item adds the folder to it (see
// KeyringTokens.User).
const KeyringUser = "session-token"

// KeyringTokens is the TokenStore of the desktop app: the session token
// lives in the OS keyring through go-keyring. On Linux that needs a D-Bus
// session with an unlocked Secret Service; without one every method fails
// and the app asks to sign in at each start.
type KeyringTokens struct {
	// Service is the keyring service name; "" means KeyringService. Tests
	// use a name of their own.
	Service string
	// User names the item under Service; "" means KeyringUser. Each data
	// folder is an account database of its own, with sessions of its
	// own: the app gives each folder but the default one an item of its
	// own, so that opening one folder does not end another's session.
	User string
}

var _ TokenStore = KeyringTokens{}

func (k KeyringTokens) service() string {
	if k.Service == "" {
		return KeyringService
	}
	return k.Service
}

func (k KeyringTokens) user() string {
	if k.User == "" {
		return KeyringUser
	}
	return k.User
}

// Load implements TokenStore.
func (k KeyringTokens) Load() (string, error) {
	tok, err := keyring.Get(k.service(), k.user())
	if errors.Is(err, keyring.ErrNotFound) {
		return "", nil
	}
	return tok, err
}

// Save implements TokenStore.
func (k KeyringTokens) Save(token string) error {
	return keyring.Set(k.service(), k.user(), token)
}

// Clear implements TokenStore. Clearing an empty keyring is not an error.
func (k KeyringTokens) Clear() error {
	err := keyring.Delete(k.service(), k.user())
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}
