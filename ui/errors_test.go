package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/platform"
)

func TestDescribe(t *testing.T) {
	until := time.Date(2026, 11, 24, 12, 45, 0, 0, time.Local)
	for _, tc := range []struct {
		name     string
		err      error
		title    string
		contains []string
		internal bool
	}{
		{"invalid credentials", account.ErrInvalidCredentials, "Wrong email or password", nil, false},
		{"invalid code", account.ErrInvalidCode, "Wrong code", []string{"works only once"}, false},
		{"unauthenticated", account.ErrUnauthenticated, "Signed out", []string{"Sign in again."}, false},
		{"email taken", account.ErrEmailTaken, "Email already in use", nil, false},
		{"sign-up closed", account.ErrSignUpClosed, "No new accounts here", []string{"operator"}, false},
		{"not found", account.ErrNotFound, "Not found", nil, false},
		{"grant required", account.ErrGrantRequired, "Verify your identity", nil, false},
		{"too many watches", account.ErrTooManyWatches, "Too many open views", []string{"try again"}, false},
		{"session restricted", fmt.Errorf("creating: %w", account.ErrSessionRestricted), "Confirm it's you first",
			[]string{"passkey that looks copied", "password and code", "Confirm it's you\" at the top"}, false},
		{"verification expired", account.ErrVerificationExpired, "Verification expired", []string{"Start the verification again."}, false},
		{"ceremony expired", account.ErrCeremonyExpired, "Passkey request expired", nil, false},
		{"credential rejected", fmt.Errorf("%w: bad signature", account.ErrCredentialRejected), "Passkey not accepted", nil, false},
		{"wrapped sentinel", fmt.Errorf("signing in: %w", account.ErrInvalidCode), "Wrong code", nil, false},
		{"refused sign-in", &signInError{account.ErrInvalidCredentials}, "Could not sign in",
			[]string{"The email, password or code is wrong, or there were too many tries."}, false},
		{"locked sign-in", &signInError{&account.LockedError{Factor: account.FactorPassword, Until: until}}, "Could not sign in",
			[]string{"Check all three"}, false},
		{"locked totp", &account.LockedError{Factor: account.FactorTOTP, Until: until},
			"Too many wrong attempts", []string{"authenticator-app code is locked until Tue 24 Nov 12:45", "Wait until then"}, false},
		{"locked password, wrapped", fmt.Errorf("x: %w", &account.LockedError{Factor: account.FactorPassword, Until: until}),
			"Too many wrong attempts", []string{"Your password is locked until Tue 24 Nov 12:45"}, false},
		{"input", &account.InputError{Field: "password", Reason: "use at least 10 characters"},
			"Check the password", []string{"Use at least 10 characters.", "Correct the password and try again."}, false},
		{"keyring", &tokenStoreError{errors.New("dbus: no session bus")}, "Sign-in is not remembered",
			[]string{"sign in each time it starts"}, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), "No answer in time", nil, false},
		{"local PIN backoff", fmt.Errorf("registering: %w", &fido.PINBackoffError{Until: until}), "Too many wrong PINs",
			[]string{"take no PIN until 12:45:00", "doubles the wait"}, false},
		{"wrong local PIN", &localPINError{Retries: 4}, "Wrong PIN", []string{"4 tries left before Passkey Desk makes you wait"}, false},
		{"local PIN too short", &pinRuleError{MinLength: 6, Local: true}, "PIN not accepted", []string{"6 to 63 digits"}, false},
		{"keyring unavailable", fmt.Errorf("%w: reading the master key: %w", platform.ErrKeyringUnavailable, errors.New("dbus: locked")),
			"System keyring not available", []string{"Unlock the keyring"}, false},
		{"master key mismatch", platform.ErrMasterKeyMismatch, "This computer's passkeys cannot be opened", []string{"kept as they are"}, false},
		{"store corrupt", fmt.Errorf("%w: record 3", platform.ErrStoreCorrupt), "This computer's passkey store is damaged", []string{platform.FileName}, false},
		{"phone page port", &phonePageError{errors.New("listen tcp 127.0.0.1:8787: bind: address already in use")},
			"Phones cannot be added now", []string{"--phone-addr"}, false},
		{"enrollment expired", &account.EnrollmentEndedError{State: account.EnrollmentExpired}, "QR code expired", []string{"5 minutes", "Make a new QR code."}, false},
		{"enrollment canceled", &account.EnrollmentEndedError{State: account.EnrollmentCanceled, Reason: "too many wrong codes"},
			"Enrollment ended", []string{"too many wrong codes"}, false},
		{"unknown", errors.New("disk I/O error"), "Something went wrong", []string{"the log"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := describe(tc.err)
			if m.Title != tc.title {
				t.Errorf("title %q; want %q", m.Title, tc.title)
			}
			if m.Sentence == "" || m.Next == "" {
				t.Errorf("message %+v lacks a sentence or a next step", m)
			}
			if !strings.HasSuffix(m.Sentence, ".") || !strings.HasSuffix(m.Next, ".") {
				t.Errorf("message %+v: sentence and next step end with a full stop", m)
			}
			all := m.Title + " " + m.Sentence + " " + m.Next
			for _, c := range tc.contains {
				if !strings.Contains(all, c) {
					t.Errorf("message %q lacks %q", all, c)
				}
			}
			if m.internal != tc.internal {
				t.Errorf("internal = %v; want %v", m.internal, tc.internal)
			}
			// The words never repeat an error's own text, which for an
			// unknown error may be anything.
			if strings.Contains(all, "disk I/O") || strings.Contains(all, "dbus:") || strings.Contains(all, "bind:") {
				t.Errorf("message %q repeats the error's detail", all)
			}
		})
	}
}
