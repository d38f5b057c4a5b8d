package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/platform"
)

// localPINError is a wrong PIN for this computer's passkeys, as the
// platform authenticator's PIN prompt reports it (fido.PINRequest.Wrong):
// Retries more may follow before Passkey Desk makes the user wait.
type localPINError struct{ Retries int }

func (e *localPINError) Error() string { return "wrong local PIN" }

// phonePageError is why the phone enrollment page cannot be served (such
// as its port taken), from Deps.PhoneUnavailable.
type phonePageError struct{ err error }

func (e *phonePageError) Error() string { return "phone enrollment page: " + e.err.Error() }

func (e *phonePageError) Unwrap() error { return e.err }

// signInError is a sign-in with password and code that the account
// service refused (account.ErrInvalidCredentials, or a
// *account.LockedError from a service that still tells locks apart).
// describe gives all of them the same words, so the screen reveals no more
// than the service does: not which part was wrong, nor a lock.
type signInError struct{ err error }

func (e *signInError) Error() string { return "sign-in refused: " + e.err.Error() }

func (e *signInError) Unwrap() error { return e.err }

// describe is the one place where an error becomes words. It reads the
// account service's sentinels and typed errors (see account/errors.go) and
// the app's own, the fido package's key errors (see fido/errors.go), and
// an account server's failures (describeServer); whatever it does not know
// becomes a general message, and the caller logs the detail. It never
// repeats what the user typed.
func describe(err error) message { return describeAt(err, "") }

// describeAt is describe for an app on the account server at server (""
// when embedded), whose failures name it.
func describeAt(err error, server string) message {
	var (
		signIn  *signInError
		locked  *account.LockedError
		input   *account.InputError
		store   *tokenStoreError
		wrong   *fido.PINError
		pinRule *pinRuleError
		policy  *account.PolicyError
	)
	if m, ok := describeServer(err, server); ok {
		return m
	}
	if m, ok := describeLocal(err); ok {
		return m
	}
	if m, ok := describeBackup(err); ok {
		return m
	}
	if m, ok := describeKey(err, &wrong, &pinRule); ok {
		return m
	}
	switch {
	case errors.As(err, &signIn):
		return message{
			Title:    "Could not sign in",
			Sentence: "The email, password or code is wrong, or there were too many tries.",
			Next:     "Check all three and try again with a new code. After many tries, wait 15 minutes or more.",
		}
	case errors.As(err, &locked):
		// A lock may last up to a day, so its end says the day too.
		return message{
			Title:    "Too many wrong attempts",
			Sentence: "Your " + factorWords(locked.Factor) + " is locked until " + holdTime(locked.Until) + ", after too many wrong tries.",
			Next:     "Wait until then and try again. Nothing else about your account has changed.",
		}
	case errors.As(err, &input):
		return message{
			Title:    "Check the " + input.Field,
			Sentence: sentence(input.Reason),
			Next:     "Correct the " + input.Field + " and try again.",
		}
	case errors.As(err, &store):
		return message{
			Title:    "Sign-in is not remembered",
			Sentence: "The system keyring is not available, so Passkey Desk cannot keep your session and asks you to sign in each time it starts.",
			Next:     "To stay signed in, run Passkey Desk in a desktop session with a keyring service (GNOME Keyring, KWallet, macOS Keychain or Windows Credential Manager).",
		}
	case errors.Is(err, account.ErrInvalidCredentials):
		return message{
			Title:    "Wrong email or password",
			Sentence: "The password is wrong, or no account has this email.",
			Next:     "Check what you typed and try again.",
		}
	case errors.Is(err, account.ErrInvalidCode):
		return message{
			Title:    "Wrong code",
			Sentence: "The code is wrong, has expired, or was already used.",
			Next:     "Type the code your authenticator app shows now; each code works only once.",
		}
	case errors.Is(err, account.ErrUnauthenticated):
		return message{
			Title:    "Signed out",
			Sentence: "Your session has ended.",
			Next:     "Sign in again.",
		}
	case errors.Is(err, account.ErrEmailTaken):
		return message{
			Title:    "Email already in use",
			Sentence: "An account with this email already exists.",
			Next:     "Sign in to it instead, or use another email.",
		}
	case errors.Is(err, account.ErrNoEmailCode):
		return message{
			Title:    "No code waiting",
			Sentence: "The emailed code expired, was already used, or was never sent.",
			Next:     "Choose Send again for a new code.",
		}
	case errors.Is(err, account.ErrTooManyEmails):
		return message{
			Title:    "Too many codes sent",
			Sentence: "Several codes were emailed in the last hour.",
			Next:     "Use the newest one, or wait an hour and send again.",
		}
	case errors.Is(err, account.ErrMailNotConfigured):
		return message{
			Title:    "No email here",
			Sentence: "This account service sends no email, so addresses are not confirmed.",
			Next:     "Nothing to do: your address is taken as given.",
		}
	case errors.Is(err, account.ErrSignUpClosed):
		return message{
			Title:    "No new accounts here",
			Sentence: "This server does not take new accounts: its operator makes them.",
			Next:     "Sign in if you have an account, or ask the server's operator for one.",
		}
	case errors.Is(err, account.ErrSessionRestricted):
		return message{
			Title:    "Confirm it's you first",
			Sentence: "This sign-in used a passkey that looks copied.",
			Next:     "Confirm it's you with your password and code, or another passkey: choose \"Confirm it's you\" at the top of the window.",
		}
	case errors.Is(err, account.ErrTooManyWatches):
		return message{
			Title:    "Too many open views",
			Sentence: "This session already follows as many phone enrollments as it may at once.",
			Next:     "Close the other add-passkey windows of this account, then try again.",
		}
	case errors.Is(err, account.ErrGrantRequired):
		return message{
			Title:    "Verify your identity",
			Sentence: "This change needs a fresh identity check, and the last one has expired or was used.",
			Next:     "Verify your identity again, then repeat the change.",
		}
	case errors.Is(err, account.ErrVerificationExpired):
		return message{
			Title:    "Verification expired",
			Sentence: "This identity check timed out or was already finished.",
			Next:     "Start the verification again.",
		}
	case errors.Is(err, account.ErrCeremonyExpired):
		return message{
			Title:    "Passkey request expired",
			Sentence: "The passkey request timed out or was already used.",
			Next:     "Start again.",
		}
	case errors.Is(err, account.ErrApprovalRefused) && errors.Is(err, account.ErrPasskeyCloned):
		return message{
			Title:    "Request refused: passkey may be cloned",
			Sentence: "This passkey's signature counter went backwards, so it may have been copied. The request was refused for good, and the passkey is marked \"possible clone\".",
			Next:     "Ask for the operation again where you started it, approve it with another passkey, and remove this one from your account.",
		}
	case errors.Is(err, account.ErrApprovalRefused):
		return message{
			Title:    "Request refused",
			Sentence: "The passkey signed other details than those of this request, so the details may have been changed. The request was refused for good.",
			Next:     "Check the operation where you started it, and ask for it again if it is yours.",
		}
	case errors.Is(err, account.ErrCredentialRejected):
		return message{
			Title:    "Passkey not accepted",
			Sentence: "The account service could not verify the passkey's answer.",
			Next:     "Try again with the same passkey, or use another one.",
		}
	case errors.As(err, &policy):
		return describePolicy(policy)
	case errors.Is(err, account.ErrPasskeyCloned):
		return message{
			Title:    "Passkey may be cloned",
			Sentence: "This passkey's signature counter went backwards, so it may have been copied. It is marked \"possible clone\" and cannot approve operations or verify your identity.",
			Next:     "Use another passkey, and remove this one from your account.",
		}
	case errors.Is(err, account.ErrNotOperator):
		return message{
			Title:    "Not an operator",
			Sentence: "Only an operator may use the enrollment station.",
			Next:     "Ask whoever runs the account service to make you one.",
		}
	case errors.Is(err, account.ErrPasskeySessionRequired):
		return message{
			Title:    "Sign in with your passkey",
			Sentence: "The enrollment station needs a session signed in with your own passkey, not a password.",
			Next:     "Sign out, then sign in with a passkey.",
		}
	case errors.Is(err, account.ErrSetupRequired):
		return message{
			Title:    "Finish setting up your account",
			Sentence: "Choose a password and add an authenticator app first.",
			Next:     "",
		}
	case errors.Is(err, account.ErrPasskeyIssued):
		return message{
			Title:    "Passkey not used yet",
			Sentence: "This passkey was set up for you and you have not signed in with it yet, so it cannot approve or confirm anything.",
			Next:     "Sign in with it once first.",
		}
	case errors.Is(err, account.ErrEntryClaimed):
		return message{
			Title:    "Taken by another station",
			Sentence: "Another station is enrolling this person.",
			Next:     "Plug in a key for the next person.",
		}
	case errors.Is(err, account.ErrEntryDone):
		return message{
			Title:    "Already done",
			Sentence: "This person is enrolled or skipped already.",
			Next:     "",
		}
	case errors.Is(err, account.ErrApprovalExpired):
		return message{
			Title:    "Request expired",
			Sentence: "This request was not approved in time, so it can no longer be approved or denied.",
			Next:     "Ask for the operation again where you started it.",
		}
	case errors.Is(err, account.ErrApprovalDecided):
		return message{
			Title:    "Already decided",
			Sentence: "This request was already approved, denied or refused.",
			Next:     "Nothing more to do here.",
		}
	case errors.Is(err, fido.ErrNoCredentials):
		return message{
			Title:    "No passkey for this service",
			Sentence: "The chosen security key or this computer holds no passkey for this account service.",
			Next:     "Choose the security key or the computer that holds your passkey.",
		}
	case errors.Is(err, account.ErrNotFound):
		return message{
			Title:    "Not found",
			Sentence: "It no longer exists; it may have expired or been removed.",
			Next:     "Go back and start again.",
		}
	case errors.Is(err, context.DeadlineExceeded):
		return message{
			Title:    "No answer in time",
			Sentence: "The account service did not answer in time.",
			Next:     "Try again.",
		}
	case errors.Is(err, context.Canceled):
		return message{
			Title:    "Cancelled",
			Sentence: "The operation was cancelled.",
			Next:     "Start it again when you are ready.",
		}
	}
	return message{
		Title:    "Something went wrong",
		Sentence: "Passkey Desk could not finish this.",
		Next:     "Try again. If it keeps happening, the log on standard error has the details.",
		internal: true,
	}
}

// describeKey puts a security key's errors into words. The account is
// never changed by them: a passkey is stored only when its name is saved,
// so each says so or leads back to trying again.
func describeKey(err error, wrong **fido.PINError, rule **pinRuleError) (message, bool) {
	switch {
	case errors.As(err, rule):
		r := *rule
		if r.Local && !r.Mismatch {
			return message{
				Title:    "PIN not accepted",
				Sentence: "The PIN for this computer's passkeys must be " + strconv.Itoa(r.MinLength) + " to 63 digits, and digits only.",
				Next:     "Choose another PIN.",
			}, true
		}
		switch {
		case r.Mismatch:
			return message{
				Title:    "The PINs differ",
				Sentence: "The two PINs you typed are not the same.",
				Next:     "Type the new PIN twice, exactly the same.",
			}, true
		case r.TooLong:
			return message{
				Title:    "PIN too long",
				Sentence: "A security key takes a PIN of at most 63 bytes.",
				Next:     "Choose a shorter PIN.",
			}, true
		}
		return message{
			Title:    "PIN too short",
			Sentence: "This key needs a PIN of at least " + strconv.Itoa(r.MinLength) + " characters.",
			Next:     "Choose a longer PIN.",
		}, true
	case errors.Is(err, fido.ErrPINPolicy):
		return message{
			Title:    "PIN not accepted",
			Sentence: "The key refused this PIN under its rules (such as a minimum length).",
			Next:     "Choose a longer PIN.",
		}, true
	case errors.As(err, wrong):
		s := "The PIN is wrong."
		if n := (*wrong).Retries; n >= 0 {
			s = "The PIN is wrong. " + retriesWords(n) + " left before the key blocks its PIN."
		}
		return message{
			Title:    "Wrong PIN",
			Sentence: s,
			Next:     "Type the key's PIN again.",
		}, true
	case errors.Is(err, fido.ErrPINBlocked):
		return message{
			Title:    "PIN blocked",
			Sentence: "Too many wrong PINs have blocked this key's PIN, so it cannot add a passkey.",
			Next:     "Only a reset of the key helps, and a reset erases every passkey on it; or use another key. Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrPINAuthBlocked):
		return message{
			Title:    "Key locked until reinserted",
			Sentence: "After three wrong PINs in a row the key stops taking PINs.",
			Next:     "Remove and reinsert the key, then try again. Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrCredentialExcluded):
		return message{
			Title:    "Key already added",
			Sentence: "This security key already holds a passkey for your account.",
			Next:     "It is in your passkeys list already; to add another passkey, use a different key.",
		}, true
	case errors.Is(err, fido.ErrKeyStoreFull):
		return message{
			Title:    "Key is full",
			Sentence: "This security key has no room left for another passkey.",
			Next:     "Use another key, or delete a passkey you no longer need from this one. Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrFingerprintsFull):
		return message{
			Title:    "No room for another fingerprint",
			Sentence: "This key's sensor holds as many fingerprints as it can.",
			Next:     "Delete a fingerprint you no longer use, then add the new one.",
		}, true
	case errors.Is(err, fido.ErrNoFingerprint):
		return message{
			Title:    "Fingerprint not found",
			Sentence: "The key no longer holds this fingerprint.",
			Next:     "The list shows what the key holds now.",
		}, true
	case errors.Is(err, fido.ErrTimeout):
		return message{
			Title:    "No touch in time",
			Sentence: "The key was not touched before it stopped waiting.",
			Next:     "Try again, and touch the key as soon as Passkey Desk says \"Touch your key\". Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrDenied):
		return message{
			Title:    "Declined on the key",
			Sentence: "The key declined the request.",
			Next:     "Try again, and confirm on the key. Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrResetTooLate):
		return message{
			Title:    "Too late to reset",
			Sentence: "A key accepts a reset only in the first 10 seconds after it is plugged in.",
			Next:     "Start the reset again: unplug the key, plug it back in and touch it at once. Nothing was deleted.",
		}, true
	case errors.Is(err, errNotTheResetKey):
		return message{
			Title:    "Not the key being reset",
			Sentence: "The key that came back is another model than the key you started to reset, so it was not reset.",
			Next:     "Start the reset again with the key you mean. Nothing was deleted.",
		}, true
	case errors.Is(err, errManagementUnsupported):
		return message{
			Title:    "Key cannot list its passkeys",
			Sentence: "This key has no credential management, so the passkeys on it cannot be listed or changed here.",
			Next:     "Its PIN and reset still work from this screen.",
		}, true
	case errors.As(err, new(*minLengthError)):
		return message{
			Title:    "Minimum PIN length not allowed",
			Sentence: "The key cannot lower its minimum PIN length, nor raise it above 63.",
			Next:     "Type a number from the key's current minimum up to 63, or leave the box empty to keep it.",
		}, true
	case errors.Is(err, fido.ErrKeyRemoved):
		return message{
			Title:    "Key removed",
			Sentence: "The security key was pulled out before it finished.",
			Next:     "Plug it back in and try again. Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrRequestTooLarge):
		return message{
			Title:    "Request too large for this key",
			Sentence: "The key refused the request as longer than it can take; the key was not removed.",
			Next:     "Use another security key. Your account is unchanged.",
		}, true
	case errors.Is(err, fido.ErrNotFIDO2):
		return message{
			Title:    "Not a FIDO2 security key",
			Sentence: "This device is an older U2F-only key or not a security key, so it cannot hold a passkey.",
			Next:     "Use a FIDO2 security key.",
		}, true
	case errors.Is(err, fido.ErrCanceled):
		return message{
			Title:    "Cancelled",
			Sentence: "The request to the security key was cancelled.",
			Next:     "Nothing was added to your account. Start again when you are ready.",
		}, true
	case errors.Is(err, fido.ErrBusy):
		return message{
			Title:    "Key busy",
			Sentence: "The key is busy with another request, from this app or another program.",
			Next:     "Finish or cancel that request, then try again.",
		}, true
	case errors.Is(err, fido.ErrUnsupported), errors.Is(err, fido.ErrPINNotSet):
		return message{
			Title:    "Key cannot do this",
			Sentence: "This key cannot keep a passkey protected by a PIN, which the account needs.",
			Next:     "Use a FIDO2 key with a PIN.",
		}, true
	}
	return message{}, false
}

// describeLocal puts into words the errors of this computer's passkeys
// (fido/platform) and of the phone method.
func describeLocal(err error) (message, bool) {
	var (
		backoff *fido.PINBackoffError
		local   *localPINError
		page    *phonePageError
		ended   *account.EnrollmentEndedError
	)
	switch {
	case errors.Is(err, errNoCurrentPIN):
		return message{
			Title:    "Enter the current PIN",
			Sentence: "The key changes its PIN only when given the current one.",
			Next:     "Type the key's current PIN, then the new one twice.",
		}, true
	case errors.Is(err, errOnlyThePasskeyItself):
		return message{
			Title:    "No other passkey here",
			Sentence: "The chosen key or computer holds no passkey of yours that can approve this; the one being removed is not asked, as a passkey cannot approve its own removal.",
			Next:     "Use another of your passkeys, or your password and codes.",
		}, true
	case errors.As(err, &page):
		return message{
			Title:    "Phones cannot be added now",
			Sentence: "Passkey Desk could not open the address a phone's page is served from; another program may be using its port.",
			Next:     "Close that program, or start Passkey Desk with another --phone-addr (and a --public-url that reaches it), then try again.",
		}, true
	case errors.As(err, &backoff):
		return message{
			Title:    "Too many wrong PINs",
			Sentence: "This computer's passkeys take no PIN until " + backoff.Until.Local().Format("15:04:05") + ", after too many wrong ones.",
			Next:     "Wait until then and try again; each further wrong PIN doubles the wait. Your account is unchanged.",
		}, true
	case errors.As(err, &local):
		s := "The PIN for this computer's passkeys is wrong."
		if n := local.Retries; n > 0 {
			s += " " + retriesWords(n) + " left before Passkey Desk makes you wait."
		}
		return message{
			Title:    "Wrong PIN",
			Sentence: s,
			Next:     "Type the PIN you chose for this computer.",
		}, true
	case errors.Is(err, platform.ErrKeyringUnavailable):
		return message{
			Title:    "System keyring not available",
			Sentence: "This computer's passkeys are protected by a key in the system keyring, which cannot be used now (no keyring service, locked, or access denied).",
			Next:     "Unlock the keyring, or install and start one (GNOME Keyring or KWallet on Linux), then open this step again. Passkey Desk never keeps the key in a plain file.",
		}, true
	case errors.Is(err, platform.ErrMasterKeyMismatch):
		return message{
			Title:    "This computer's passkeys cannot be opened",
			Sentence: "The key in the system keyring is missing or is not the one they were sealed with, so the passkeys kept on this computer cannot be used. They are kept as they are.",
			Next:     "Restore the keyring entry \"" + platform.KeyringService + "\" if you can; otherwise start over under Settings, This computer, and remove this computer's passkeys from the list.",
		}, true
	case errors.Is(err, platform.ErrStoreCorrupt):
		return message{
			Title:    "This computer's passkey store is damaged",
			Sentence: "The file that holds this computer's passkeys does not open; it is kept as it is.",
			Next:     "Restore the file " + platform.FileName + " in the data folder from a backup, or start over under Settings, This computer.",
		}, true
	case errors.As(err, &ended):
		if ended.State == account.EnrollmentExpired {
			return message{
				Title:    "QR code expired",
				Sentence: "The QR code was valid for " + strconv.Itoa(int(account.EnrollmentLifetime.Minutes())) + " minutes.",
				Next:     "Make a new QR code.",
			}, true
		}
		return message{
			Title:    "Enrollment ended",
			Sentence: sentence(ended.Error()),
			Next:     "Make a new QR code to try again.",
		}, true
	case errors.Is(err, account.ErrEnrollmentEnded):
		return message{
			Title:    "Enrollment ended",
			Sentence: "This phone enrollment has expired, was canceled or was already used.",
			Next:     "Make a new QR code to try again.",
		}, true
	}
	return message{}, false
}

// factorWords names a factor inside a sentence.
func factorWords(f account.Factor) string {
	switch f {
	case account.FactorPassword:
		return "password"
	case account.FactorTOTP:
		return "authenticator-app code"
	case account.FactorEmailCode:
		return "email code"
	case account.FactorPasskey:
		return "passkey"
	}
	return "sign-in factor"
}

// sentence turns a lower-case reason such as "use at least 10 characters"
// into "Use at least 10 characters.".
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "This value is not accepted."
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// holdCauseWords says which change started a hold, as the start of a
// sentence; a hold of unknown cause is "a recent security change".
func holdCauseWords(c account.HoldCause) string {
	switch c {
	case account.HoldPasskeyAdded:
		return "A passkey was added without another passkey's approval"
	case account.HoldPasskeyRemoved:
		return "A passkey was removed without another passkey's approval"
	case account.HoldPasskeyRequiredOff:
		return "\u201cPasskey required\u201d was turned off without a passkey's approval"
	case account.HoldPasskeyLost:
		return "The last passkey that could sign in was marked lost"
	case account.HoldPasswordSignIn:
		return "Someone signed in with the password and code, as no passkey that can sign in is left"
	case account.HoldRecoveryCodeUsed:
		return "A recovery code was used instead of the authenticator app's code"
	case account.HoldPasswordChanged:
		return "The password was changed without a passkey's approval"
	case account.HoldAuthenticatorChanged:
		return "The authenticator app was changed without a passkey's approval"
	}
	return "A recent security change was made without another passkey"
}

// describePolicy puts a refusal by the account's security policy into
// words, with the hold's end (and its cause) when there is one.
func describePolicy(e *account.PolicyError) message {
	switch e.Rule {
	case account.RuleLastPasskey:
		return message{
			Title:    "This is your last passkey",
			Sentence: "\"Passkey required\" is on, so your account must keep at least one passkey.",
			Next:     "Add another passkey first, or turn off \"Passkey required\" in Settings.",
		}
	case account.RulePasskeySignIn:
		return message{
			Title:    "A passkey is required",
			Sentence: "This account requires a passkey to sign in; password and code alone no longer do.",
			Next:     "Use \"Sign in with a passkey\".",
		}
	case account.RuleNoPasskey:
		return message{
			Title:    "No passkey yet",
			Sentence: "The account has no passkey that can do this.",
			Next:     "Add a passkey first.",
		}
	case account.RuleHold:
		return message{
			Title:    "Withdrawals and C2C trades are on hold",
			Sentence: holdCauseWords(e.Cause) + ", so withdrawals and C2C trades are held until " + holdTime(e.Until) + ".",
			Next:     "Wait until then. The hold protects you if someone else made the change.",
		}
	case account.RulePasskeyHeld:
		return message{
			Title:    "This passkey is on hold",
			Sentence: "It was added without another passkey's approval, so it cannot approve withdrawals or C2C trades until " + holdTime(e.Until) + ".",
			Next:     "Approve with another of your passkeys, or wait until then.",
		}
	}
	return message{
		Title:    "Not allowed",
		Sentence: "The account's security policy does not allow this.",
		Next:     "Check the security settings and try again.",
	}
}

// pinRuleError is a new PIN refused before the key is asked: too short,
// too long, or the two entries differ.
type pinRuleError struct {
	MinLength int
	TooLong   bool
	Mismatch  bool
	// Local marks the PIN of this computer's passkeys, Digits one with
	// other characters than digits (which only that PIN refuses).
	Local  bool
	Digits bool
}

func (e *pinRuleError) Error() string {
	switch {
	case e.Mismatch:
		return "the two PINs differ"
	case e.Digits:
		return "PIN with other characters than digits"
	case e.TooLong:
		return "PIN longer than " + strconv.Itoa(maxPINBytes) + " bytes"
	}
	return "PIN shorter than " + strconv.Itoa(e.MinLength) + " characters"
}

// errManagementUnsupported is a key that cannot list or change the
// passkeys on it (no credMgmt in its getInfo options).
var errManagementUnsupported = errors.New("the key has no credential management")

// errNotTheResetKey is a key that appeared under a new path during a
// guided reset but is another model (AAGUID) than the key being reset.
var errNotTheResetKey = errors.New("the key plugged in is not the key being reset")

// minLengthError is a minimum PIN length outside what the key allows.
type minLengthError struct{ min int }

func (e *minLengthError) Error() string {
	return "minimum PIN length below " + strconv.Itoa(e.min) + " or above 63"
}

// errNoCurrentPIN is a PIN change asked for with the current PIN left
// empty.
var errNoCurrentPIN = errors.New("the current PIN is missing")

// errOnlyThePasskeyItself is a key or this computer that holds, of the
// account's passkeys, only the one the change is about, which the check
// left out of the request (notCredential).
var errOnlyThePasskeyItself = errors.New("the authenticator holds only the passkey being changed")

// tokenStoreError marks a TokenStore failure for describe.
type tokenStoreError struct {
	err error
}

func (e *tokenStoreError) Error() string { return "session token store: " + e.err.Error() }

func (e *tokenStoreError) Unwrap() error { return e.err }
