package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// MaxApprovalBody is the largest body POST /v1/approvals reads: the
// fields' limits add up to well under it.
const MaxApprovalBody = 4 << 10

// ApprovalRequest is the body of POST /v1/approvals. Amounts and fees are
// decimal strings ("0.015"), never JSON numbers, so no precision is lost
// between the requester and what the passkey signs.
type ApprovalRequest struct {
	// Account names the account asked, by ID or email: required with a
	// service key (pdks_…), left out with an account's own API key.
	Account      string `json:"account,omitempty"`
	Kind         string `json:"kind"`
	Asset        string `json:"asset,omitempty"`
	Amount       string `json:"amount,omitempty"`
	Network      string `json:"network,omitempty"`
	Destination  string `json:"destination,omitempty"`
	Counterparty string `json:"counterparty,omitempty"`
	Fee          string `json:"fee,omitempty"`
	Reference    string `json:"reference,omitempty"`
	// ExpiresInSeconds is the request's life, 30 to 3600; 0 means 300.
	ExpiresInSeconds int `json:"expiresInSeconds,omitempty"`
}

// Approval is an approval as the requester's calls answer it. Binary
// fields are base64url without padding.
type Approval struct {
	ID        string          `json:"id"`
	State     string          `json:"state"`
	Operation ApprovalRequest `json:"operation"`
	CreatedAt time.Time       `json:"createdAt"`
	ExpiresAt time.Time       `json:"expiresAt"`
	DecidedAt *time.Time      `json:"decidedAt,omitempty"`
	// Nonce and Challenge: Challenge = SHA-256(nonce ‖ canonical
	// operation), as package account documents.
	Nonce     string `json:"nonce"`
	Challenge string `json:"challenge"`
	// HoldUntil is set while a hold (after a security change made
	// without another passkey's word) covers this kind of operation.
	HoldUntil *time.Time `json:"holdUntil,omitempty"`
	Passkey   *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"passkey,omitempty"`
	Assertion *Assertion `json:"assertion,omitempty"`
	// Reason says why a refused approval was refused.
	Reason string `json:"reason,omitempty"`
}

// Assertion is the approving WebAuthn assertion: check Signature over
// authenticatorData ‖ SHA-256(clientDataJSON) with PublicKey (COSE).
type Assertion struct {
	CredentialID      string `json:"credentialId"`
	PublicKey         string `json:"publicKey"`
	AuthenticatorData string `json:"authenticatorData"`
	ClientDataJSON    string `json:"clientDataJSON"`
	Signature         string `json:"signature"`
}

var b64 = base64.RawURLEncoding

func approvalOf(a *account.Approval) Approval {
	op := a.Operation
	out := Approval{
		ID:    a.ID,
		State: string(a.State),
		Operation: ApprovalRequest{Kind: string(op.Kind), Asset: op.Asset, Amount: op.Amount, Network: op.Network,
			Destination: op.Destination, Counterparty: op.Counterparty, Fee: op.Fee, Reference: op.Reference},
		CreatedAt: a.CreatedAt,
		ExpiresAt: a.ExpiresAt,
		Nonce:     b64.EncodeToString(a.Nonce),
		Challenge: b64.EncodeToString(a.Challenge),
		Reason:    a.Reason,
	}
	if !a.DecidedAt.IsZero() {
		out.DecidedAt = &a.DecidedAt
	}
	if !a.HeldUntil.IsZero() {
		out.HoldUntil = &a.HeldUntil
	}
	if a.PasskeyID != "" {
		out.Passkey = &struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}{a.PasskeyID, a.PasskeyName}
	}
	if as := a.Assertion; as != nil {
		out.Assertion = &Assertion{
			CredentialID:      b64.EncodeToString(as.CredentialID),
			PublicKey:         b64.EncodeToString(as.PublicKey),
			AuthenticatorData: b64.EncodeToString(as.AuthenticatorData),
			ClientDataJSON:    b64.EncodeToString(as.ClientDataJSON),
			Signature:         b64.EncodeToString(as.Signature),
		}
	}
	return out
}

// requester wraps a requester's call: no browser origin but the page's,
// a requester's key as Authorization: Bearer (an account's pdk_… or a
// service key, pdks_…), a deadline.
func (h *Handler) requester(fn func(ctx context.Context, key string, w http.ResponseWriter, r *http.Request) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && o != h.origin {
			writeError(w, http.StatusForbidden, "cross-origin", "cross-origin requests are refused")
			return
		}
		key := bearer(r)
		if key == "" {
			writeError(w, http.StatusUnauthorized, "invalid-api-key", "send an API key (pdk_…) or a service key (pdks_…) as Authorization: Bearer")
			return
		}
		if !isRequesterKey(key) {
			writeError(w, http.StatusUnauthorized, "invalid-api-key", "that is not an API key (pdk_…, from Settings) or a service key (pdks_…, from the server's apikey command)")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
		defer cancel()
		status, out, err := fn(ctx, key, w, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, status, out)
	}
}

// DecodeApprovalRequest reads the body of POST /v1/approvals: one JSON
// object of at most MaxApprovalBody bytes, known fields only, as an
// account.ApprovalRequest. The operation's own rules are the service's.
func DecodeApprovalRequest(w http.ResponseWriter, r *http.Request) (account.ApprovalRequest, error) {
	var body ApprovalRequest
	if err := decodeLimited(w, r, &body, MaxApprovalBody); err != nil {
		return account.ApprovalRequest{}, err
	}
	if body.ExpiresInSeconds < 0 || body.ExpiresInSeconds > int(account.MaxApprovalLifetime/time.Second) {
		return account.ApprovalRequest{}, &account.InputError{Field: "expiresInSeconds", Reason: "ask for 30 to 3600 seconds"}
	}
	return account.ApprovalRequest{
		Account: body.Account,
		Operation: account.Operation{Kind: account.OperationKind(body.Kind), Asset: body.Asset, Amount: body.Amount,
			Network: body.Network, Destination: body.Destination, Counterparty: body.Counterparty, Fee: body.Fee,
			Reference: body.Reference},
		Lifetime: time.Duration(body.ExpiresInSeconds) * time.Second,
	}, nil
}

func (h *Handler) requestApproval(ctx context.Context, key string, w http.ResponseWriter, r *http.Request) (int, any, error) {
	if err := h.approvals.check(key); err != nil {
		return 0, nil, err
	}
	req, err := DecodeApprovalRequest(w, r)
	if err != nil {
		return 0, nil, err
	}
	a, err := h.api.RequestApproval(ctx, key, req)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Location", "/v1/approvals/"+a.ID)
	return http.StatusCreated, approvalOf(a), nil
}

func (h *Handler) getApproval(ctx context.Context, key string, w http.ResponseWriter, r *http.Request) (int, any, error) {
	a, err := h.api.GetApproval(ctx, key, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, approvalOf(a), nil
}
