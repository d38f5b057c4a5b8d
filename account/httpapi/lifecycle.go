package httpapi

import (
	"context"
	"net/http"
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

func (h *Handler) requestAccountDeletion(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Grant, Confirm string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.RequestAccountDeletion(ctx, token, req.Grant, req.Confirm)
}
