package account

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the account service. Their texts are safe to show and
// to log; they never carry a secret.
var (
	// ErrInvalidCredentials: a sign-in failed (the email is unknown, the
	// password or the code is wrong, or too many wrong tries locked it;
	// the caller cannot tell which), or the password of an identity
	// verification is wrong.
	ErrInvalidCredentials = errors.New("the email, password or code is wrong, or there were too many tries")
	// ErrInvalidCode: an authenticator-app or email code is wrong, expired
	// or already used.
	ErrInvalidCode = errors.New("the code is wrong or expired")
	// ErrUnauthenticated: the session token is unknown or expired.
	ErrUnauthenticated = errors.New("not signed in")
	// ErrEmailTaken: an account with this email exists.
	ErrEmailTaken = errors.New("an account with this email already exists")
	// ErrSignUpClosed: the service takes no new accounts (a server started
	// with sign-up off); accounts are made by its operator.
	ErrSignUpClosed = errors.New("this service does not take new accounts")
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

// ErrUnavailable: the store cannot be reached (the database is down or
// restarting) and the call can be tried again shortly. Nothing was
// changed, unless the database went away during the commit itself, when
// the change may have landed; a retry then meets it (a used challenge, a
// name already taken). Stores wrap their connection failures in it.
var ErrUnavailable = errors.New("the account database cannot be reached; try again shortly")

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

// Errors of API keys and approvals.
var (
	// ErrInvalidAPIKey: the API key is missing, unknown or revoked.
	ErrInvalidAPIKey = errors.New("the API key is missing, wrong or revoked")
	// ErrApprovalExpired: the approval was not decided in time; the
	// requester must ask again.
	ErrApprovalExpired = errors.New("the approval request expired")
	// ErrApprovalDecided: the approval was already approved, denied or
	// refused.
	ErrApprovalDecided = errors.New("the approval request was already decided")
	// ErrApprovalRefused: the answer signed other details than those
	// requested, or came from a passkey that may be cloned, so the
	// approval was refused for good; the requester must ask again. It
	// wraps the cause (ErrCredentialRejected or ErrPasskeyCloned).
	ErrApprovalRefused = errors.New("the approval was refused for good")
	// ErrPasskeyCloned: the passkey's sign counter went backwards, so it
	// may have been copied; it is marked "possible clone" and cannot
	// approve operations or verify identity.
	ErrPasskeyCloned = errors.New("this passkey may have been cloned (its sign counter went backwards); use another passkey")
)

// PolicyRule names a security policy rule that refused a change.
type PolicyRule string

// The policy rules.
const (
	// RuleLastPasskey: passkey sign-in is required, so the last passkey
	// cannot be removed.
	RuleLastPasskey PolicyRule = "last-passkey"
	// RulePasskeySignIn: passkey sign-in is required; password and code
	// no longer sign in.
	RulePasskeySignIn PolicyRule = "passkey-sign-in"
	// RuleNoPasskey: the account has no passkey to require or approve
	// with.
	RuleNoPasskey PolicyRule = "no-passkey"
	// RuleHold: withdrawals and C2C trades are held after a security
	// change made without another passkey's word (Cause says which),
	// until Until.
	RuleHold PolicyRule = "hold"
	// RulePasskeyHeld: the passkey that answered was added without
	// another passkey's word, so it cannot approve withdrawals or C2C
	// trades until Until (Passkey.HeldUntil).
	RulePasskeyHeld PolicyRule = "passkey-held"
)

// PolicyError reports a change or request refused by the account's
// security policy, with the reason as a sentence.
type PolicyError struct {
	Rule  PolicyRule
	Until time.Time // RuleHold, RulePasskeyHeld: when the hold ends
	// Cause is the change that started the hold (RuleHold; "" when not
	// known).
	Cause HoldCause
}

func (e *PolicyError) Error() string {
	switch e.Rule {
	case RuleLastPasskey:
		return "passkey sign-in is required, so the last passkey cannot be removed: add another passkey or turn off \"Passkey required\" first"
	case RulePasskeySignIn:
		return "this account requires a passkey to sign in: use \"Sign in with a passkey\""
	case RuleNoPasskey:
		return "the account has no passkey: add one first"
	case RuleHold:
		why := "a security change made without another passkey's word"
		if e.Cause != "" {
			why = e.Cause.words()
		}
		return "withdrawals and C2C trades are held until " + e.Until.UTC().Format(time.RFC3339) + ", after " + why
	case RulePasskeyHeld:
		return "this passkey was added without another passkey's word, so it cannot approve withdrawals or C2C trades until " + e.Until.UTC().Format(time.RFC3339) + ": use another passkey or wait"
	}
	return "refused by the account's security policy (" + string(e.Rule) + ")"
}
