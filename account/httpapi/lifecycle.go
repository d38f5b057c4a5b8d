package httpapi

import (
	"context"
	"net/http"

	"github.com/passkeydesk/passkeydesk/account"
)

func (h *Handler) recoveryCodeStatus(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.RecoveryCodeStatus(ctx, token)
}

func (h *Handler) newRecoveryCodes(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.NewRecoveryCodes(ctx, token, req.Grant)
}

func (h *Handler) changePassword(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant, NewPassword string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return nil, h.api.ChangePassword(ctx, token, req.Grant, req.NewPassword)
}

// withClient is r's context with the client's address and app, which
// the service names in alerts (a sign-in from a new device).
func (h *Handler) withClient(r *http.Request) context.Context {
	return account.WithClientAgent(account.WithClientAddress(r.Context(), h.clientAddr(r)), r.UserAgent())
}

func (h *Handler) emailStatus(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.EmailStatus(ctx, token)
}

func (h *Handler) changeEmail(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant, Email string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.ChangeEmail(ctx, token, req.Grant, req.Email)
}

func (h *Handler) sendEmailCode(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.SendEmailCode(ctx, token)
}

func (h *Handler) confirmEmail(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Code string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.ConfirmEmail(ctx, token, req.Code)
}
