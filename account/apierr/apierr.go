// Package apierr carries the account service's errors across HTTP: each
// sentinel and error type of package account has one stable code and one
// HTTP status, the server writes them as a JSON body (Encode), and the
// client rebuilds the same errors from it (Decode), so errors.Is and
// errors.As work across the wire exactly as in-process.
package apierr

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// Body is an error answer: {"error": code, "message": sentence} and the
// fields its type carries.
type Body struct {
	Code    string `json:"error"`
	Message string `json:"message"`
	// LockedError, PolicyError (hold): until when.
	Until time.Time `json:"until,omitzero"`
	// LockedError: the factor locked.
	Factor account.Factor `json:"factor,omitempty"`
	// InputError: the field and why.
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
	// EnrollmentEndedError: how the enrollment ended.
	State account.EnrollmentState `json:"state,omitempty"`
	// ErrApprovalRefused: the code of its cause.
	Cause string `json:"cause,omitempty"`
	// PolicyError (hold): the change that started the hold.
	HoldCause account.HoldCause `json:"holdCause,omitempty"`
	// HoldUntil repeats Until for a hold, as earlier clients read it.
	HoldUntil time.Time `json:"holdUntil,omitzero"`
}

// sentinel is one sentinel error's code and status.
type sentinel struct {
	err    error
	code   string
	status int
}

// sentinels in the order they are tested: an error that wraps two (a
// refusal wraps its cause) takes the first.
var sentinels = []sentinel{
	{account.ErrApprovalRefused, "refused", http.StatusConflict},
	{account.ErrInvalidAPIKey, "invalid-api-key", http.StatusUnauthorized},
	{account.ErrApprovalExpired, "expired", http.StatusGone},
	{account.ErrApprovalDecided, "decided", http.StatusConflict},
	{account.ErrPasskeyCloned, "possible-clone", http.StatusForbidden},
	{account.ErrEnrollmentInUse, "in-use", http.StatusConflict},
	{account.ErrPhoneSignInEnded, "sign-in-ended", http.StatusGone},
	{account.ErrPhoneSignInStep, "sign-in-wrong-step", http.StatusConflict},
	{account.ErrEnrollmentStep, "wrong-step", http.StatusConflict},
	{account.ErrInvalidCode, "wrong-code", http.StatusUnprocessableEntity},
	{account.ErrCredentialRejected, "rejected", http.StatusBadRequest},
	{account.ErrCeremonyExpired, "challenge-expired", http.StatusGone},
	{account.ErrInvalidCredentials, "invalid-credentials", http.StatusUnauthorized},
	{account.ErrUnauthenticated, "unauthenticated", http.StatusUnauthorized},
	{account.ErrGrantRequired, "grant-required", http.StatusForbidden},
	{account.ErrVerificationExpired, "verification-expired", http.StatusGone},
	{account.ErrEmailTaken, "email-taken", http.StatusConflict},
	{account.ErrSignUpClosed, "sign-up-closed", http.StatusForbidden},
	{account.ErrNotFound, "not-found", http.StatusNotFound},
	{account.ErrUnavailable, "unavailable", http.StatusServiceUnavailable},
	{account.ErrTooManyPending, "too-many-pending", http.StatusTooManyRequests},
	{account.ErrTooManyWatches, "too-many-watches", http.StatusTooManyRequests},
	{account.ErrTooManyPasskeyWatches, "too-many-passkey-watches", http.StatusTooManyRequests},
	{account.ErrSessionRestricted, "session-restricted", http.StatusForbidden},
	{account.ErrApprovalLinkEnded, "link-ended", http.StatusGone},
	{account.ErrApprovalLinkUsed, "link-used", http.StatusConflict},
	{account.ErrNotOperator, "not-operator", http.StatusForbidden},
	{account.ErrPasskeySessionRequired, "passkey-session-required", http.StatusForbidden},
	{account.ErrSetupRequired, "setup-required", http.StatusForbidden},
	{account.ErrPasskeyIssued, "passkey-issued", http.StatusForbidden},
	{account.ErrEntryClaimed, "entry-claimed", http.StatusConflict},
	{account.ErrEntryDone, "entry-done", http.StatusConflict},
	{account.ErrMailNotConfigured, "mail-not-configured", http.StatusConflict},
	{account.ErrNoEmailCode, "no-email-code", http.StatusGone},
	{account.ErrTooManyEmails, "too-many-emails", http.StatusTooManyRequests},
}

// Encode gives err's status and body. An error that is none of the
// account's is internal: 500 with the code "internal" (the caller logs
// err and shows a sentence of its own), or 503 "timeout" for a deadline.
func Encode(err error) (int, Body) {
	var (
		locked *account.LockedError
		input  *account.InputError
		policy *account.PolicyError
		ended  *account.EnrollmentEndedError
	)
	msg := err.Error()
	switch {
	case errors.Is(err, account.ErrApprovalRefused):
		b := Body{Code: "refused", Message: msg}
		for _, s := range sentinels[1:] {
			if errors.Is(err, s.err) {
				b.Cause = s.code
				break
			}
		}
		return http.StatusConflict, b
	case errors.As(err, &policy):
		b := Body{Code: string(policy.Rule), Message: msg, Until: policy.Until, HoldCause: policy.Cause}
		if policy.Rule == account.RuleHold {
			b.Code, b.HoldUntil = "held", policy.Until
		}
		return http.StatusConflict, b
	case errors.As(err, &locked):
		return http.StatusTooManyRequests, Body{Code: "locked", Message: msg, Factor: locked.Factor, Until: locked.Until}
	case errors.As(err, &input):
		return http.StatusBadRequest, Body{Code: "invalid-input", Message: msg, Field: input.Field, Reason: input.Reason}
	case errors.As(err, &ended):
		// The code is the state ("done", "expired", "canceled"), as the
		// phone page has always read it; State tells it from an approval's
		// "expired".
		return http.StatusGone, Body{Code: string(ended.State), Message: msg, State: ended.State, Reason: ended.Reason}
	case errors.Is(err, account.ErrEnrollmentEnded):
		return http.StatusGone, Body{Code: "ended", Message: msg}
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.status, Body{Code: s.code, Message: msg}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, Body{Code: "timeout", Message: "the service took too long; try again"}
	}
	return http.StatusInternalServerError, Body{Code: "internal", Message: "the service failed; try again"}
}

// remote is a sentinel error rebuilt from the wire: the server's words,
// and the sentinel under errors.Is.
type remote struct {
	msg  string
	errs []error
}

func (e *remote) Error() string   { return e.msg }
func (e *remote) Unwrap() []error { return e.errs }

// Decode rebuilds the error the server encoded in b. A code this build
// does not know gives an error with the server's words and the status.
func Decode(status int, b Body) error {
	if b.State != "" {
		return &account.EnrollmentEndedError{State: b.State, Reason: b.Reason}
	}
	switch b.Code {
	case "refused":
		cause := Decode(status, Body{Code: b.Cause, Message: b.Message})
		return &remote{msg: b.Message, errs: []error{account.ErrApprovalRefused, cause}}
	case "held":
		return &account.PolicyError{Rule: account.RuleHold, Until: first(b.Until, b.HoldUntil), Cause: b.HoldCause}
	case string(account.RuleLastPasskey), string(account.RulePasskeySignIn), string(account.RuleNoPasskey), string(account.RulePasskeyHeld):
		return &account.PolicyError{Rule: account.PolicyRule(b.Code), Until: b.Until, Cause: b.HoldCause}
	case "locked":
		return &account.LockedError{Factor: b.Factor, Until: b.Until}
	case "invalid-input":
		return &account.InputError{Field: b.Field, Reason: b.Reason}
	case "ended":
		return &remote{msg: b.Message, errs: []error{account.ErrEnrollmentEnded}}
	}
	for _, s := range sentinels {
		if s.code == b.Code {
			return &remote{msg: b.Message, errs: []error{s.err}}
		}
	}
	if b.Code == "timeout" {
		return &remote{msg: b.Message, errs: []error{context.DeadlineExceeded}}
	}
	return &StatusError{Status: status, Code: b.Code, Message: b.Message}
}

// StatusError is an answer that is none of the account's errors: a 5xx, a
// rate limit, or a code this build does not know.
type StatusError struct {
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return http.StatusText(e.Status)
	}
	return e.Message
}

func first(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
