package ui

// TokenStore keeps the session token between runs of the app. The token is
// a secret: an implementation keeps it somewhere the operating system
// protects (the OS keyring), never in a plain file.
//
// Errors: Load returns "" and a nil error when no token is stored. Any
// error from Load, Save or Clear means the store cannot be used right now
// (no keyring service, a locked keyring, no D-Bus session); the app then
// asks the user to sign in at each start and says why. Error texts never
// contain the token.
type TokenStore interface {
	Load() (string, error)
	Save(token string) error
	Clear() error
}

// tokenStoreError marks a TokenStore failure for describe, so the words
// for it live with the others in errors.go.
type tokenStoreError struct {
	err error
}

func (e *tokenStoreError) Error() string { return "session token store: " + e.err.Error() }

func (e *tokenStoreError) Unwrap() error { return e.err }
