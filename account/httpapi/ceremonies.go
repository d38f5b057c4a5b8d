package httpapi

import (
	"net/http"
	"strconv"
)

// The ceremonies Config.Ceremony counts, by the call that ends each.
const (
	CeremonySignUp              = "sign-up"              // POST /v1/signup/confirm
	CeremonyPasswordSignIn      = "password-sign-in"     // POST /v1/signin
	CeremonyPasskeySignIn       = "passkey-sign-in"      // POST /v1/login/finish
	CeremonyVerification        = "verification"         // password and codes: POST /v1/verifications/{id}/complete
	CeremonyPasskeyVerification = "passkey-verification" // POST /v1/passkey-verifications/finish
	CeremonyRegistration        = "registration"         // POST /v1/registrations/finish
	CeremonyPhoneEnrollment     = "phone-enrollment"     // the phone page's POST /api/phone/result
	CeremonyEnrollmentCode      = "enrollment-code"      // the desktop's match code: POST …/enrollments/{id}/confirm
	CeremonyApproval            = "approval"             // POST /v1/approvals/{id}/finish
	CeremonyDenial              = "denial"               // POST /v1/approvals/{id}/deny
	CeremonyPhoneSignInCode     = "phone-sign-in-code"   // the code typed on the phone: POST /api/phone/signin/options
	CeremonyPhoneSignIn         = "phone-sign-in"        // the phone's passkey: POST /api/phone/signin/finish
	CeremonyPhoneApproval       = "phone-approval"       // the approval page's POST /api/phone/approval/finish
	CeremonyPhoneDenial         = "phone-denial"         // the approval page's POST /api/phone/approval/deny
	CeremonyAuthenticatorChange = "authenticator-change" // the new app's first code: POST /v1/authenticator/confirm
)

// OutcomeOK is the outcome of a ceremony that succeeded; any other is the
// error code its answer carried ("wrong-code", "rate-limited", …; see
// package apierr), or "http-" and the status when the answer had none.
const OutcomeOK = "ok"

// ceremony reports the outcome of every call to next as one of the
// named ceremony's, when Config.Ceremony asks for them.
func (h *Handler) ceremony(name string, next http.HandlerFunc) http.HandlerFunc {
	if h.onCeremony == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ow := &outcomeWriter{ResponseWriter: w}
		next(ow, r)
		outcome := OutcomeOK
		if ow.status >= 400 {
			outcome = ow.code
			if outcome == "" {
				outcome = "http-" + strconv.Itoa(ow.status)
			}
		}
		h.onCeremony(name, outcome)
	}
}

// outcomeWriter remembers the status and the error code of an answer;
// writeError and fail tell it the code.
type outcomeWriter struct {
	http.ResponseWriter
	status int
	code   string
}

func (w *outcomeWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *outcomeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *outcomeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// noteOutcome tells an outcomeWriter the error code of its answer.
func noteOutcome(w http.ResponseWriter, code string) {
	if ow, ok := w.(*outcomeWriter); ok && ow.code == "" {
		ow.code = code
	}
}
