package httpapi

import (
	"context"
	"net/http"

	"github.com/passkeydesk/passkeydesk/account"
)

// ClientHeader names the app making a request; account/remote sends
// ClientDesktop in it. A session signed in without it is a browser's.
const ClientHeader = "X-Passkeydesk-Client"

// clientContext adds to ctx (withClient's: the address and User-Agent)
// which app asks, for the session a sign-in makes.
func (h *Handler) clientContext(ctx context.Context, r *http.Request) context.Context {
	kind := account.ClientBrowser
	if account.ClientKind(r.Header.Get(ClientHeader)) == account.ClientDesktop {
		kind = account.ClientDesktop
	}
	return account.WithClientKind(ctx, kind)
}

func (h *Handler) beginAuthenticatorChange(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.BeginAuthenticatorChange(ctx, token, req.Grant)
}

func (h *Handler) confirmAuthenticatorChange(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant, Code string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return nil, h.api.ConfirmAuthenticatorChange(ctx, token, req.Grant, req.Code)
}

func (h *Handler) sessions(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.Sessions(ctx, token)
}

func (h *Handler) endSession(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return nil, h.api.EndSession(ctx, token, r.PathValue("id"))
}

// endedSessions is the answer of POST /v1/sessions/end-others.
type endedSessions struct{ Ended int }

func (h *Handler) endOtherSessions(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	n, err := h.api.EndOtherSessions(ctx, token)
	if err != nil {
		return nil, err
	}
	return endedSessions{Ended: n}, nil
}
