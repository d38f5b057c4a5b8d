package apierr_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/apierr"
)

// roundTrip encodes err as the server does, through JSON, and decodes it
// as the client does.
func roundTrip(t *testing.T, err error) (int, error) {
	t.Helper()
	status, body := apierr.Encode(err)
	data, jerr := json.Marshal(body)
	if jerr != nil {
		t.Fatal(jerr)
	}
	var back apierr.Body
	if jerr := json.Unmarshal(data, &back); jerr != nil {
		t.Fatal(jerr)
	}
	return status, apierr.Decode(status, back)
}

// TestEverySentinelCrossesTheWire: each sentinel has its own code, a 4xx,
// and comes back under errors.Is, also when wrapped.
func TestEverySentinelCrossesTheWire(t *testing.T) {
	codes := map[string]error{}
	for _, s := range []error{
		account.ErrInvalidCredentials, account.ErrInvalidCode, account.ErrUnauthenticated, account.ErrEmailTaken,
		account.ErrNotFound, account.ErrGrantRequired, account.ErrVerificationExpired, account.ErrCeremonyExpired,
		account.ErrCredentialRejected, account.ErrInvalidAPIKey, account.ErrApprovalExpired, account.ErrApprovalDecided,
		account.ErrPasskeyCloned, account.ErrEnrollmentEnded, account.ErrEnrollmentInUse, account.ErrEnrollmentStep,
		account.ErrUnavailable, account.ErrTooManyPending, account.ErrTooManyWatches, account.ErrSessionRestricted,
		account.ErrTooManyPasskeyWatches, account.ErrSignUpClosed, account.ErrPhoneSignInEnded, account.ErrPhoneSignInStep,
		account.ErrApprovalLinkEnded, account.ErrApprovalLinkUsed,
		account.ErrMailNotConfigured, account.ErrNoEmailCode, account.ErrTooManyEmails,
	} {
		for _, err := range []error{s, fmt.Errorf("%w: some detail", s)} {
			status, back := roundTrip(t, err)
			if (status < 400 || status >= 500) && !(s == account.ErrUnavailable && status == 503) {
				t.Errorf("%v: status %d", err, status)
			}
			if !errors.Is(back, s) {
				t.Errorf("%v came back as %v, not under errors.Is", err, back)
			}
			if back.Error() != err.Error() {
				t.Errorf("%v came back saying %q", err, back.Error())
			}
		}
		_, body := apierr.Encode(s)
		if prev, ok := codes[body.Code]; ok {
			t.Errorf("%v and %v share the code %q", prev, s, body.Code)
		}
		codes[body.Code] = s
	}
}

// TestErrorTypesCrossTheWire: the error types come back with their fields.
func TestErrorTypesCrossTheWire(t *testing.T) {
	until := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var locked *account.LockedError
	if _, err := roundTrip(t, &account.LockedError{Factor: account.FactorTOTP, Until: until}); !errors.As(err, &locked) ||
		locked.Factor != account.FactorTOTP || !locked.Until.Equal(until) {
		t.Errorf("a lock: %v", err)
	}
	var input *account.InputError
	if _, err := roundTrip(t, &account.InputError{Field: "amount", Reason: "use digits"}); !errors.As(err, &input) ||
		input.Field != "amount" || input.Reason != "use digits" {
		t.Errorf("an input error: %v", err)
	}
	for _, rule := range []account.PolicyRule{account.RuleHold, account.RuleLastPasskey, account.RulePasskeySignIn, account.RuleNoPasskey, account.RulePasskeyHeld} {
		var policy *account.PolicyError
		if _, err := roundTrip(t, &account.PolicyError{Rule: rule, Until: until, Cause: account.HoldPasskeyAdded}); !errors.As(err, &policy) || policy.Rule != rule ||
			!policy.Until.Equal(until) || policy.Cause != account.HoldPasskeyAdded {
			t.Errorf("policy %s: %v", rule, err)
		}
	}
	for _, st := range []account.EnrollmentState{account.EnrollmentDone, account.EnrollmentExpired, account.EnrollmentCanceled} {
		var ended *account.EnrollmentEndedError
		if _, err := roundTrip(t, &account.EnrollmentEndedError{State: st, Reason: "why"}); !errors.As(err, &ended) ||
			ended.State != st || !errors.Is(err, account.ErrEnrollmentEnded) {
			t.Errorf("an ended enrollment (%s): %v", st, err)
		}
	}
	// An approval's "expired" is not an enrollment's.
	if _, err := roundTrip(t, account.ErrApprovalExpired); errors.Is(err, account.ErrEnrollmentEnded) {
		t.Errorf("an expired approval came back as an ended enrollment")
	}
	for _, cause := range []error{account.ErrCredentialRejected, account.ErrPasskeyCloned} {
		refused := fmt.Errorf("%w: %w", account.ErrApprovalRefused, cause)
		if _, err := roundTrip(t, refused); !errors.Is(err, account.ErrApprovalRefused) || !errors.Is(err, cause) {
			t.Errorf("a refusal for %v: %v", cause, err)
		}
	}
	var status *apierr.StatusError
	if code, err := roundTrip(t, errors.New("disk on fire")); code != 500 || !errors.As(err, &status) || err.Error() == "disk on fire" {
		t.Errorf("an internal failure: %d %v (its text must not cross)", code, err)
	}
}
