package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// The account API under /v1/: every account.API method a desktop (or any
// client) calls, JSON in and out, the session as Authorization: Bearer.
// Bodies are package account's types as encoding/json writes them (field
// names as in Go, bytes in base64, times in RFC 3339); the WebAuthn
// options and credentials are the JSON a browser passes and sends. Errors
// are package apierr's. The phone page's calls stay under /api/phone/,
// the requesters' under /v1/approvals (approvals.go).
func (h *Handler) routesV1() {
	m, lim := h.mux, h.lim
	m.HandleFunc("POST /v1/signup", h.perIP(lim.signUpIP, h.public(h.signUp)))
	m.HandleFunc("POST /v1/signup/confirm", h.ceremony(CeremonySignUp, h.perIP(lim.signUpIP, h.public(h.confirmSignUp))))
	m.HandleFunc("POST /v1/signin", h.ceremony(CeremonyPasswordSignIn, h.perIP(lim.signInIP, h.public(h.signIn))))
	m.HandleFunc("POST /v1/login/begin", h.perIP(lim.signInIP, h.public(h.beginLogin)))
	m.HandleFunc("POST /v1/login/finish", h.ceremony(CeremonyPasskeySignIn, h.perIP(lim.signInIP, h.public(h.finishLogin))))

	m.HandleFunc("POST /v1/signout", h.desktop(h.signOut))
	m.HandleFunc("GET /v1/me", h.desktop(h.me))
	m.HandleFunc("POST /v1/verifications", h.desktop(h.beginVerification))
	m.HandleFunc("POST /v1/verifications/{id}/complete", h.ceremony(CeremonyVerification, h.perIP(lim.verifyIP, h.desktop(perSession(lim.verifySession, h.completeVerification)))))
	m.HandleFunc("POST /v1/registrations/begin", h.desktop(h.beginRegistration))
	m.HandleFunc("POST /v1/registrations/finish", h.ceremony(CeremonyRegistration, h.desktop(h.finishRegistration)))
	m.HandleFunc("GET /v1/passkeys", h.desktop(h.passkeys))
	m.HandleFunc("PATCH /v1/passkeys/{id}", h.desktop(h.renamePasskey))
	m.HandleFunc("POST /v1/passkeys/{id}/remove", h.desktop(h.removePasskey))
	m.HandleFunc("POST /v1/passkeys/lost", h.desktop(h.markLost))
	m.HandleFunc("GET /v1/activity", h.desktop(h.activity))
	m.HandleFunc("GET /v1/activity/export", h.desktop(h.exportActivity))
	m.HandleFunc("POST /v1/passkey-verifications/begin", h.desktop(h.beginPasskeyVerification))
	m.HandleFunc("POST /v1/passkey-verifications/finish", h.ceremony(CeremonyPasskeyVerification, h.perIP(lim.verifyIP, h.desktop(perSession(lim.verifySession, h.finishPasskeyVerification)))))
	m.HandleFunc("GET /v1/policy", h.desktop(h.policy))
	m.HandleFunc("PUT /v1/policy/passkey-required", h.desktop(h.setPasskeyRequired))
	m.HandleFunc("POST /v1/apikeys", h.desktop(h.createAPIKey))
	m.HandleFunc("GET /v1/apikeys", h.desktop(h.listAPIKeys))
	m.HandleFunc("DELETE /v1/apikeys/{id}", h.desktop(h.revokeAPIKey))
	m.HandleFunc("GET /v1/approvals/pending", h.desktop(h.pendingApprovals))
	m.HandleFunc("POST /v1/approvals/{id}/begin", h.desktop(h.beginApproval))
	m.HandleFunc("POST /v1/approvals/{id}/finish", h.ceremony(CeremonyApproval, h.desktop(h.finishApproval)))
	m.HandleFunc("POST /v1/approvals/{id}/deny", h.ceremony(CeremonyDenial, h.desktop(h.denyApproval)))
	m.HandleFunc("GET /v1/approvals/events", h.approvalEvents)
	m.HandleFunc("POST /v1/enrollments", h.perIP(lim.enrollIP, h.desktop(perSession(lim.enrollSession, h.beginEnrollment))))
	m.HandleFunc("GET /v1/enrollments/{id}", h.desktop(h.enrollmentStatus))
	m.HandleFunc("DELETE /v1/enrollments/{id}", h.desktop(h.cancel))
	m.HandleFunc("POST /v1/enrollments/{id}/confirm", h.ceremony(CeremonyEnrollmentCode, h.perIP(lim.codeIP, h.desktop(perSession(lim.codeSession, h.confirmEnrollmentCode)))))
	m.HandleFunc("GET /v1/enrollments/{id}/events", h.events)
	m.HandleFunc("GET /v1/recovery-codes", h.desktop(h.recoveryCodeStatus))
	m.HandleFunc("POST /v1/recovery-codes", h.desktop(h.newRecoveryCodes))
	m.HandleFunc("POST /v1/password", h.desktop(h.changePassword))
	m.HandleFunc("POST /v1/enrollments/{id}/handover", h.desktop(h.handOverEnrollment))
	m.HandleFunc("GET /v1/email", h.desktop(h.emailStatus))
	m.HandleFunc("PUT /v1/email", h.desktop(h.changeEmail))
	m.HandleFunc("POST /v1/email/code", h.desktop(h.sendEmailCode))
	m.HandleFunc("POST /v1/email/confirm", h.desktop(h.confirmEmail))
	m.HandleFunc("GET /v1/openapi.json", h.openAPI)
}

// public is desktop without a session: sign-up, sign-in and passkey login.
func (h *Handler) public(fn func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && o != h.origin {
			writeError(w, http.StatusForbidden, "cross-origin", "cross-origin requests are refused")
			return
		}
		ctx, cancel := context.WithTimeout(h.withClient(r), h.timeout)
		defer cancel()
		out, err := fn(ctx, w, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// rawBody reads a body that is itself the JSON to pass on (a credential or
// an assertion): one JSON value of at most MaxBody bytes.
func rawBody(w http.ResponseWriter, r *http.Request) (json.RawMessage, error) {
	var raw json.RawMessage
	err := decodeBody(w, r, &raw)
	return raw, err
}

func (h *Handler) signUp(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
	var req account.SignUpRequest
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.SignUp(ctx, req)
}

func (h *Handler) confirmSignUp(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ EnrollmentID, Code string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.ConfirmSignUp(ctx, req.EnrollmentID, req.Code)
}

func (h *Handler) signIn(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Email, Password, Code string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	if err := h.limitEmail(req.Email); err != nil {
		return nil, err
	}
	return h.api.SignIn(ctx, req.Email, req.Password, req.Code)
}

func (h *Handler) beginLogin(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Email string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	if err := h.limitEmail(req.Email); err != nil {
		return nil, err
	}
	return h.api.BeginLogin(ctx, req.Email)
}

func (h *Handler) finishLogin(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
	raw, err := rawBody(w, r)
	if err != nil {
		return nil, err
	}
	return h.api.FinishLogin(ctx, raw)
}

func (h *Handler) signOut(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return nil, h.api.SignOut(ctx, token)
}

func (h *Handler) me(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.Me(ctx, token)
}

func (h *Handler) beginVerification(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Purpose account.Purpose }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.BeginVerification(ctx, token, req.Purpose)
}

func (h *Handler) completeVerification(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var proof account.Proof
	if err := decodeBody(w, r, &proof); err != nil {
		return nil, err
	}
	return h.api.CompleteVerification(ctx, token, r.PathValue("id"), proof)
}

func (h *Handler) beginRegistration(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Grant string
		Kind  account.Kind
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.BeginRegistration(ctx, token, req.Grant, req.Kind)
}

func (h *Handler) finishRegistration(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Grant, Name string
		Credential  json.RawMessage
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.FinishRegistration(ctx, token, req.Grant, req.Credential, req.Name)
}

func (h *Handler) passkeys(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	list, err := h.api.Passkeys(ctx, token)
	if list == nil && err == nil {
		list = []account.Passkey{}
	}
	return list, err
}

func (h *Handler) renamePasskey(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Name string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.RenamePasskey(ctx, token, r.PathValue("id"), req.Name)
}

func (h *Handler) removePasskey(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return nil, h.api.RemovePasskey(ctx, token, req.Grant, r.PathValue("id"))
}

func (h *Handler) markLost(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Grant      string
		PasskeyIDs []string
		Why        string
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return nil, h.api.MarkPasskeysLost(ctx, token, req.Grant, req.PasskeyIDs, req.Why)
}

func (h *Handler) activity(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, &account.InputError{Field: "limit", Reason: "use a number from 1 to 10000"}
		}
		limit = n
	}
	list, err := h.api.Activity(ctx, token, limit)
	if list == nil && err == nil {
		list = []account.Event{}
	}
	return list, err
}

func (h *Handler) exportActivity(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	filter := account.ActivityFilter{Type: account.EventType(q.Get("type"))}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, &account.InputError{Field: "since", Reason: "use an RFC 3339 time"}
		}
		filter.Since = t
	}
	format := q.Get("format")
	out, err := h.api.ExportActivity(ctx, token, format, filter)
	if err != nil {
		return nil, err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Write(out)
	return written{}, nil
}

func (h *Handler) beginPasskeyVerification(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Purpose account.Purpose
		Except  []byte // a credential ID to leave out of the allow list
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	if req.Except != nil {
		return h.api.BeginPasskeyVerificationExcept(ctx, token, req.Purpose, req.Except)
	}
	return h.api.BeginPasskeyVerification(ctx, token, req.Purpose)
}

func (h *Handler) finishPasskeyVerification(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	raw, err := rawBody(w, r)
	if err != nil {
		return nil, err
	}
	return h.api.FinishPasskeyVerification(ctx, token, raw)
}

func (h *Handler) policy(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.Policy(ctx, token)
}

func (h *Handler) setPasskeyRequired(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Grant string
		On    bool
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return nil, h.api.SetPasskeyRequired(ctx, token, req.Grant, req.On)
}

func (h *Handler) createAPIKey(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant, Name string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.CreateAPIKey(ctx, token, req.Grant, req.Name)
}

func (h *Handler) listAPIKeys(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	list, err := h.api.ListAPIKeys(ctx, token)
	if list == nil && err == nil {
		list = []account.APIKey{}
	}
	return list, err
}

func (h *Handler) revokeAPIKey(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return nil, h.api.RevokeAPIKey(ctx, token, r.PathValue("id"))
}

func (h *Handler) pendingApprovals(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	list, err := h.api.PendingApprovals(ctx, token)
	if list == nil && err == nil {
		list = []account.Approval{}
	}
	return list, err
}

func (h *Handler) beginApproval(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.BeginApproval(ctx, token, r.PathValue("id"))
}

func (h *Handler) finishApproval(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	raw, err := rawBody(w, r)
	if err != nil {
		return nil, err
	}
	return h.api.FinishApproval(ctx, token, r.PathValue("id"), raw)
}

func (h *Handler) denyApproval(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.DenyApproval(ctx, token, r.PathValue("id"))
}

// beginEnrollment is begin with account.PhoneEnrollment as its answer.
func (h *Handler) beginEnrollment(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.BeginPhoneEnrollment(ctx, token, req.Grant)
}

// written tells desktop that the handler wrote its answer itself.
type written struct{}

// enrollmentStatus is status with account.EnrollmentStatus as its answer.
func (h *Handler) enrollmentStatus(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.PhoneEnrollmentStatus(ctx, token, r.PathValue("id"))
}

// approvalEvents streams the session's pending approvals as server-sent
// events: an "approvals" event with the whole list at once and whenever
// it changes.
func (h *Handler) approvalEvents(w http.ResponseWriter, r *http.Request) {
	token, ok := h.streamToken(w, r)
	if !ok {
		return
	}
	ch, err := h.api.WatchApprovals(r.Context(), token)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.stream(w, r, func(send func(event string, v any) error) {
		for list := range ch {
			if list == nil {
				list = []account.Approval{}
			}
			if send("approvals", list) != nil {
				return
			}
		}
	})
}

// confirmEnrollmentCode is confirm with account.EnrollmentStatus as its
// answer.
func (h *Handler) confirmEnrollmentCode(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Code string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.ConfirmPhoneEnrollmentCode(ctx, token, r.PathValue("id"), req.Code)
}

// handOverEnrollment lets the device that last tried the link take it
// over; it takes no body.
func (h *Handler) handOverEnrollment(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.HandOverPhoneEnrollment(ctx, token, r.PathValue("id"))
}
