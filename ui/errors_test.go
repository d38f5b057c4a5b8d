package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
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
		{"not found", account.ErrNotFound, "Not found", nil, false},
		{"grant required", account.ErrGrantRequired, "Verify your identity", nil, false},
		{"verification expired", account.ErrVerificationExpired, "Verification expired", []string{"Start the verification again."}, false},
		{"ceremony expired", account.ErrCeremonyExpired, "Passkey request expired", nil, false},
		{"credential rejected", fmt.Errorf("%w: bad signature", account.ErrCredentialRejected), "Passkey not accepted", nil, false},
		{"wrapped sentinel", fmt.Errorf("signing in: %w", account.ErrInvalidCode), "Wrong code", nil, false},
		{"locked totp", &account.LockedError{Factor: account.FactorTOTP, Until: until},
			"Too many wrong attempts", []string{"authenticator-app code is locked until 12:45", "Wait until then"}, false},
		{"locked password, wrapped", fmt.Errorf("x: %w", &account.LockedError{Factor: account.FactorPassword, Until: until}),
			"Too many wrong attempts", []string{"Your password is locked until 12:45"}, false},
		{"input", &account.InputError{Field: "password", Reason: "use at least 10 characters"},
			"Check the password", []string{"Use at least 10 characters.", "Correct the password and try again."}, false},
		{"keyring", &tokenStoreError{errors.New("dbus: no session bus")}, "Sign-in is not remembered",
			[]string{"sign in each time it starts"}, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), "No answer in time", nil, false},
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
			if strings.Contains(all, "disk I/O") || strings.Contains(all, "dbus:") {
				t.Errorf("message %q repeats the error's detail", all)
			}
		})
	}
}
