package ui

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/passkeydesk/passkeydesk/account"
)

// message is an error put into words for the user: a short title, one
// sentence saying what happened, and the next step.
type message struct {
	Title    string
	Sentence string
	Next     string
	// internal is set for errors describe does not know: their detail
	// belongs in the log at error level.
	internal bool
}

// describe is the one place where an error becomes words. It reads the
// account service's sentinels and typed errors (see account/errors.go) and
// the app's own; whatever it does not know becomes a general message, and
// the caller logs the detail. It never repeats what the user typed.
func describe(err error) message {
	var (
		locked *account.LockedError
		input  *account.InputError
		store  *tokenStoreError
	)
	switch {
	case errors.As(err, &locked):
		return message{
			Title:    "Too many wrong attempts",
			Sentence: "Your " + factorWords(locked.Factor) + " is locked until " + locked.Until.Local().Format("15:04") + ", after too many wrong tries.",
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
	case errors.Is(err, account.ErrCredentialRejected):
		return message{
			Title:    "Passkey not accepted",
			Sentence: "The account service could not verify the passkey's answer.",
			Next:     "Try again with the same passkey, or use another one.",
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
