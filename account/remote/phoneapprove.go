package remote

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// "Approve on your phone": the desktop's calls, and the approval page's
// as the page makes them (same origin).

func (c *Client) BeginPhoneApproval(ctx context.Context, token, id string) (*account.ApprovalLink, error) {
	return callOne[account.ApprovalLink](ctx, c, "POST", "/v1/approvals/"+url.PathEscape(id)+"/phone-link", token, nil)
}

func (c *Client) CancelPhoneApproval(ctx context.Context, token, id string) error {
	return c.call(ctx, "DELETE", "/v1/approval-links/"+url.PathEscape(id), token, nil, nil)
}

func (c *Client) ReadApproval(ctx context.Context, token, id string) (*account.Approval, error) {
	return callOne[account.Approval](ctx, c, "GET", "/v1/approvals/"+url.PathEscape(id)+"/state", token, nil)
}

func (c *Client) OpenPhoneApproval(ctx context.Context, link, device string) (*account.ApprovalPage, error) {
	var out httpapi.ApprovalPageAnswer
	if err := c.call(ctx, "POST", "/api/phone/approval/open", "", map[string]string{"link": link, "device": device}, &out); err != nil {
		return nil, err
	}
	return &account.ApprovalPage{
		Email: out.Email,
		Approval: account.Approval{
			ID: out.ApprovalID, State: account.ApprovalState(out.State), CreatedAt: out.CreatedAt,
			Operation: account.Operation{Kind: account.OperationKind(out.Kind), Asset: out.Asset, Amount: out.Amount,
				Network: out.Network, Destination: out.Destination, Counterparty: out.Counterparty, Fee: out.Fee,
				Reference: out.Reference},
		},
		Requester:     out.Requester,
		LinkExpiresAt: out.ExpiresAt,
		Now:           out.Now,
	}, nil
}

func (c *Client) PhoneApprovalOptions(ctx context.Context, link, device string) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/api/phone/approval/options", "", map[string]string{"link": link, "device": device})
}

func (c *Client) FinishPhoneApproval(ctx context.Context, link, device string, assertion json.RawMessage) (*account.Approval, error) {
	return c.phoneDecision(ctx, "finish", map[string]any{"link": link, "device": device, "credential": assertion})
}

func (c *Client) DenyPhoneApproval(ctx context.Context, link, device string) (*account.Approval, error) {
	return c.phoneDecision(ctx, "deny", map[string]any{"link": link, "device": device})
}

// phoneDecision is the page's Approve or Deny: the page learns the state
// and the passkey's name, not the whole approval.
func (c *Client) phoneDecision(ctx context.Context, call string, body map[string]any) (*account.Approval, error) {
	var out httpapi.ApprovalDecision
	if err := c.call(ctx, "POST", "/api/phone/approval/"+call, "", body, &out); err != nil {
		return nil, err
	}
	return &account.Approval{State: account.ApprovalState(out.State), PasskeyName: out.PasskeyName}, nil
}
