package account

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the account service. Their texts are safe to show and
// to log; they never carry a secret.
var (
	// ErrInvalidCredentials: the email is unknown or the password is wrong;
	// the caller cannot tell which.
	ErrInvalidCredentials = errors.New("email or password is wrong")
	// ErrInvalidCode: an authenticator-app or email code is wrong, expired
	// or already used.
	ErrInvalidCode = errors.New("the code is wrong or expired")
	// ErrUnauthenticated: the session token is unknown or expired.
	ErrUnauthenticated = errors.New("not signed in")
	// ErrEmailTaken: an account with this email exists.
	ErrEmailTaken = errors.New("an account with this email already exists")
	// ErrNotFound: the named passkey, enrollment or verification does not
	// exist for this account.
	ErrNotFound = errors.New("not found")
	// ErrGrantRequired: the change needs a fresh identity verification for
	// its purpose (the grant is missing, expired, used, or for another
	// purpose).
	ErrGrantRequired = errors.New("identity verification required")
	// ErrVerificationExpired: the verification was completed, abandoned or
	// timed out; start a new one.
	ErrVerificationExpired = errors.New("identity verification expired")
	// ErrCeremonyExpired: the WebAuthn challenge is unknown, used or
	// expired; start the ceremony again.
	ErrCeremonyExpired = errors.New("the passkey request expired")
	// ErrCredentialRejected: the credential or assertion did not verify
	// (wrong origin or RP ID, no user verification, bad signature, unknown
	// credential, already registered).
	ErrCredentialRejected = errors.New("the passkey response was rejected")
)

// LockedError reports a factor locked after too many wrong attempts.
type LockedError struct {
	Factor Factor
	Until  time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many wrong attempts at %s: locked until %s", e.Factor, e.Until.Format(time.RFC3339))
}

// InputError reports a field that fails validation, with a reason a user
// can act on.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// rejected wraps a verification failure's detail under ErrCredentialRejected.
func rejected(detail error) error {
	return fmt.Errorf("%w: %v", ErrCredentialRejected, detail)
}
