package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// Sign in with your phone. The desktop, with no session:
//
//	POST /v1/phone-signins  {"Computer"} → account.PhoneSignIn (link, code, secret)
//	GET  /v1/phone-signins/{id}/events   Authorization: Bearer SECRET;
//	     server-sent "status" events, account.PhoneSignInStatus, the last
//	     one (done) with the session
//
// The phone page (GET /signin, token in the fragment), each a same-origin
// POST:
//
//	POST /api/phone/signin/open     {"link"} → account.PhoneSignInPage
//	POST /api/phone/signin/options  {"link", "code"} → request options JSON
//	POST /api/phone/signin/finish   {"link", "assertion"} → account.PhoneSignInPage
//
// The begin call counts as a sign-in attempt of its address; the page's
// calls as the phone page's, and options, which checks a code, as a match
// code too.
func (h *Handler) routesPhoneSignIn() {
	m, lim := h.mux, h.lim
	m.HandleFunc("GET /signin", h.file("signin.html", "text/html; charset=utf-8"))
	m.HandleFunc("GET /phone/signin.js", h.file("signin.js", "text/javascript; charset=utf-8"))
	m.HandleFunc("POST /api/phone/signin/open", h.perIP(lim.phoneIP, h.signInPageCall(h.openSignIn)))
	m.HandleFunc("POST /api/phone/signin/options", h.ceremony(CeremonyPhoneSignInCode, h.perIP(lim.phoneIP, h.perIP(lim.codeIP, h.signInPageCall(h.signInOptions)))))
	m.HandleFunc("POST /api/phone/signin/finish", h.ceremony(CeremonyPhoneSignIn, h.perIP(lim.phoneIP, h.signInPageCall(h.finishSignIn))))
	m.HandleFunc("POST /v1/phone-signins", h.perIP(lim.signInIP, h.public(h.beginPhoneSignIn)))
	m.HandleFunc("GET /v1/phone-signins/{id}/events", h.phoneSignInEvents)
}

// signInPageRequest is the body of the sign-in page's calls. Unknown
// fields are refused.
type signInPageRequest struct {
	Link      string          `json:"link"`
	Code      string          `json:"code,omitempty"`
	Assertion json.RawMessage `json:"assertion,omitempty"`
}

// signInPageCall wraps a call of the sign-in page: same origin only, JSON
// body within MaxBody with a link, a deadline.
func (h *Handler) signInPageCall(fn func(ctx context.Context, req *signInPageRequest) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin", "only the sign-in page may call this")
			return
		}
		var req signInPageRequest
		if !h.decode(w, r, &req) {
			return
		}
		if req.Link == "" {
			writeError(w, http.StatusBadRequest, "invalid-input", "link is required")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
		defer cancel()
		out, err := fn(ctx, &req)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (h *Handler) openSignIn(ctx context.Context, req *signInPageRequest) (any, error) {
	if req.Code != "" || req.Assertion != nil {
		return nil, &account.InputError{Field: "body", Reason: "open takes only link"}
	}
	return h.api.OpenPhoneSignIn(ctx, req.Link)
}

func (h *Handler) signInOptions(ctx context.Context, req *signInPageRequest) (any, error) {
	if req.Assertion != nil {
		return nil, &account.InputError{Field: "body", Reason: "options takes link and code"}
	}
	return h.api.PhoneSignInOptions(ctx, req.Link, req.Code)
}

func (h *Handler) finishSignIn(ctx context.Context, req *signInPageRequest) (any, error) {
	if req.Code != "" || len(req.Assertion) == 0 || req.Assertion[0] != '{' {
		return nil, &account.InputError{Field: "assertion", Reason: "expected the assertion object"}
	}
	return h.api.FinishPhoneSignIn(ctx, req.Link, req.Assertion)
}

// beginPhoneSignIn starts a sign-in for the desktop that asks; the phone
// page will show the address it asked from (Config.ClientAddr's).
func (h *Handler) beginPhoneSignIn(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Computer string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.BeginPhoneSignIn(account.WithClientAddress(ctx, h.clientAddr(r)), req.Computer)
}

// phoneSignInEvents streams a sign-in's status to the holder of its
// secret (Authorization: Bearer SECRET) as "status" events; anyone else
// gets 404 and no stream.
func (h *Handler) phoneSignInEvents(w http.ResponseWriter, r *http.Request) {
	secret, ok := h.streamToken(w, r)
	if !ok {
		return
	}
	// The session starts on this request: its app and address are the
	// device signing in.
	ctx, cancel := context.WithTimeout(h.withClient(r), account.PhoneSignInLifetime+account.PhoneSignInClaimWindow+30*time.Second)
	defer cancel()
	ch, err := h.api.WatchPhoneSignIn(ctx, r.PathValue("id"), secret)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.stream(w, r, func(send func(event string, v any) error) {
		for st := range ch {
			if send("status", st) != nil {
				return
			}
		}
	})
}
