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
