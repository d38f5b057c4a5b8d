package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// "Approve on your phone": the page and its calls, and the desktop's.
//
// The page (assets.PhonePage's approve.html and approve.js):
//
//	GET  /approve                 the page; the link token is in the fragment
//	GET  /phone/approve.js
//
// Its JSON calls, each a POST of {"link", "device", …} from the page's own
// origin, rate-limited per address as the enrollment page's are:
//
//	POST /api/phone/approval/open     → ApprovalPageAnswer
//	POST /api/phone/approval/options  → PublicKeyCredentialRequestOptions JSON
//	POST /api/phone/approval/finish   {"credential"} → ApprovalDecision
//	POST /api/phone/approval/deny     → ApprovalDecision
//
// The desktop's, with its session:
//
//	POST /v1/approvals/{id}/phone-link  → account.ApprovalLink
//	GET  /v1/approvals/{id}/state       → account.Approval (any state)
//	DELETE /v1/approval-links/{id}      the QR code is hidden: the link ends
func (h *Handler) routesPhoneApproval() {
	m, lim := h.mux, h.lim
	m.HandleFunc("GET /approve", h.file("approve.html", "text/html; charset=utf-8"))
	m.HandleFunc("GET /phone/approve.js", h.file("approve.js", "text/javascript; charset=utf-8"))
	m.HandleFunc("POST /api/phone/approval/open", h.perIP(lim.phoneIP, h.pageCall(h.openApproval)))
	m.HandleFunc("POST /api/phone/approval/options", h.perIP(lim.phoneIP, h.pageCall(h.approvalOptions)))
	m.HandleFunc("POST /api/phone/approval/finish", h.ceremony(CeremonyPhoneApproval, h.perIP(lim.phoneIP, h.pageCall(h.finishPhoneApproval))))
	m.HandleFunc("POST /api/phone/approval/deny", h.ceremony(CeremonyPhoneDenial, h.perIP(lim.phoneIP, h.pageCall(h.denyPhoneApproval))))
	m.HandleFunc("POST /v1/approvals/{id}/phone-link", h.desktop(h.beginPhoneApproval))
	m.HandleFunc("GET /v1/approvals/{id}/state", h.desktop(h.readApproval))
	m.HandleFunc("DELETE /v1/approval-links/{id}", h.desktop(h.cancelPhoneApproval))
}

// ApprovalPageAnswer is what the approval page shows.
type ApprovalPageAnswer struct {
	Email        string    `json:"email"`
	ApprovalID   string    `json:"approvalId"`
	State        string    `json:"state"`
	Kind         string    `json:"kind"`
	Asset        string    `json:"asset,omitempty"`
	Amount       string    `json:"amount,omitempty"`
	Network      string    `json:"network,omitempty"`
	Destination  string    `json:"destination,omitempty"`
	Counterparty string    `json:"counterparty,omitempty"`
	Fee          string    `json:"fee,omitempty"`
	Reference    string    `json:"reference,omitempty"`
	Requester    string    `json:"requester,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	// ExpiresAt is when the page stops working: the link's end, at the
	// latest the approval's.
	ExpiresAt time.Time `json:"expiresAt"`
	// Now is the service's clock, so the page counts down from it and
	// not from the phone's own.
	Now time.Time `json:"now"`
}

// ApprovalDecision is the page's answer to Approve or Deny.
type ApprovalDecision struct {
	State       string `json:"state"`
	PasskeyName string `json:"passkeyName,omitempty"`
}

func (h *Handler) onlyLink(req *pageRequest) error {
	if req.State != "" || req.Credential != nil {
		return &account.InputError{Field: "body", Reason: "send only link and device"}
	}
	return nil
}

func (h *Handler) openApproval(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if err := h.onlyLink(req); err != nil {
		return nil, err
	}
	p, err := h.api.OpenPhoneApproval(ctx, req.Link, req.Device)
	if err != nil {
		return nil, err
	}
	a, op := &p.Approval, &p.Approval.Operation
	return ApprovalPageAnswer{Email: p.Email, ApprovalID: a.ID, State: string(a.State), Kind: string(op.Kind), Asset: op.Asset,
		Amount: op.Amount, Network: op.Network, Destination: op.Destination, Counterparty: op.Counterparty, Fee: op.Fee,
		Reference: op.Reference, Requester: p.Requester, CreatedAt: a.CreatedAt, ExpiresAt: p.LinkExpiresAt,
		Now: p.Now}, nil
}

func (h *Handler) approvalOptions(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if err := h.onlyLink(req); err != nil {
		return nil, err
	}
	return h.api.PhoneApprovalOptions(ctx, req.Link, req.Device)
}

func (h *Handler) finishPhoneApproval(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if req.State != "" || len(req.Credential) == 0 || req.Credential[0] != '{' {
		return nil, &account.InputError{Field: "credential", Reason: "expected the assertion object"}
	}
	a, err := h.api.FinishPhoneApproval(ctx, req.Link, req.Device, req.Credential)
	if err != nil {
		return nil, err
	}
	return ApprovalDecision{State: string(a.State), PasskeyName: a.PasskeyName}, nil
}

func (h *Handler) denyPhoneApproval(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if err := h.onlyLink(req); err != nil {
		return nil, err
	}
	a, err := h.api.DenyPhoneApproval(ctx, req.Link, req.Device)
	if err != nil {
		return nil, err
	}
	return ApprovalDecision{State: string(a.State)}, nil
}

func (h *Handler) beginPhoneApproval(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.BeginPhoneApproval(ctx, token, r.PathValue("id"))
}

func (h *Handler) cancelPhoneApproval(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return nil, h.api.CancelPhoneApproval(ctx, token, r.PathValue("id"))
}

func (h *Handler) readApproval(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.ReadApproval(ctx, token, r.PathValue("id"))
}
