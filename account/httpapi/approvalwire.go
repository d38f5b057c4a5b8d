package httpapi

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// ApprovalRequestBody is req as the body of POST /v1/approvals.
func ApprovalRequestBody(req account.ApprovalRequest) ApprovalRequest {
	op := req.Operation
	return ApprovalRequest{Account: req.Account, Kind: string(op.Kind), Asset: op.Asset, Amount: op.Amount, Network: op.Network,
		Destination: op.Destination, Counterparty: op.Counterparty, Fee: op.Fee, Reference: op.Reference,
		ExpiresInSeconds: int(req.Lifetime / time.Second)}
}

// Account turns a requester's answer back into the account package's
// Approval. Binary fields that do not decode are left empty.
func (a Approval) Account() *account.Approval {
	op := a.Operation
	out := &account.Approval{
		ID:    a.ID,
		State: account.ApprovalState(a.State),
		Operation: account.Operation{Kind: account.OperationKind(op.Kind), Asset: op.Asset, Amount: op.Amount, Network: op.Network,
			Destination: op.Destination, Counterparty: op.Counterparty, Fee: op.Fee, Reference: op.Reference},
		CreatedAt: a.CreatedAt,
		ExpiresAt: a.ExpiresAt,
		Reason:    a.Reason,
	}
	out.Nonce, _ = b64.DecodeString(a.Nonce)
	out.Challenge, _ = b64.DecodeString(a.Challenge)
	if a.DecidedAt != nil {
		out.DecidedAt = *a.DecidedAt
	}
	if a.HoldUntil != nil {
		out.HeldUntil = *a.HoldUntil
	}
	if a.Passkey != nil {
		out.PasskeyID, out.PasskeyName = a.Passkey.ID, a.Passkey.Name
	}
	if as := a.Assertion; as != nil {
		out.Assertion = &account.Assertion{}
		out.Assertion.CredentialID, _ = b64.DecodeString(as.CredentialID)
		out.Assertion.PublicKey, _ = b64.DecodeString(as.PublicKey)
		out.Assertion.AuthenticatorData, _ = b64.DecodeString(as.AuthenticatorData)
		out.Assertion.ClientDataJSON, _ = b64.DecodeString(as.ClientDataJSON)
		out.Assertion.Signature, _ = b64.DecodeString(as.Signature)
	}
	return out
}
