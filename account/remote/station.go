package remote

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/passkeydesk/passkeydesk/account"
)

// The enrollment station's calls (account.StationAPI).

func (c *Client) SetUpPassword(ctx context.Context, token, password string) (*account.TOTPEnrollment, error) {
	return callOne[account.TOTPEnrollment](ctx, c, "POST", "/v1/setup/password", token, map[string]string{"Password": password})
}

func (c *Client) ConfirmSetUp(ctx context.Context, token, code string) (*account.Session, error) {
	return callOne[account.Session](ctx, c, "POST", "/v1/setup/confirm", token, map[string]string{"Code": code})
}

func (c *Client) StationAccount(ctx context.Context, token string, req account.StationAccountRequest) (*account.StationAccount, error) {
	return callOne[account.StationAccount](ctx, c, "POST", "/v1/station/accounts", token, req)
}

func (c *Client) BeginStationEnrollment(ctx context.Context, token string, req account.StationEnrollmentRequest) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/v1/station/registrations/begin", token, req)
}

func (c *Client) FinishStationEnrollment(ctx context.Context, token string, credential json.RawMessage, name string) (*account.Passkey, error) {
	body := map[string]any{"Credential": credential, "Name": name}
	return callOne[account.Passkey](ctx, c, "POST", "/v1/station/registrations/finish", token, body)
}

func (c *Client) CheckBatchRows(ctx context.Context, token string, rows []account.BatchRow) (*account.BatchCheck, error) {
	return callOne[account.BatchCheck](ctx, c, "POST", "/v1/station/batches/check", token, map[string]any{"Rows": rows})
}

func (c *Client) CreateBatch(ctx context.Context, token, name string, rows []account.BatchRow) (*account.Batch, error) {
	return callOne[account.Batch](ctx, c, "POST", "/v1/station/batches", token, map[string]any{"Name": name, "Rows": rows})
}

func (c *Client) AddBatchEntry(ctx context.Context, token, batchID string, row account.BatchRow) (*account.BatchEntry, error) {
	return callOne[account.BatchEntry](ctx, c, "POST", "/v1/station/batches/"+url.PathEscape(batchID)+"/entries", token, row)
}

func (c *Client) Batches(ctx context.Context, token string) ([]account.Batch, error) {
	return callValue[[]account.Batch](ctx, c, "GET", "/v1/station/batches", token, nil)
}

func (c *Client) Batch(ctx context.Context, token, batchID string) (*account.Batch, error) {
	return callOne[account.Batch](ctx, c, "GET", "/v1/station/batches/"+url.PathEscape(batchID), token, nil)
}

func (c *Client) ClaimBatchEntry(ctx context.Context, token, batchID, entryID, station string) (*account.BatchEntry, error) {
	return callOne[account.BatchEntry](ctx, c, "POST", "/v1/station/batches/"+url.PathEscape(batchID)+"/claim", token,
		map[string]string{"EntryID": entryID, "Station": station})
}

func (c *Client) UpdateBatchEntry(ctx context.Context, token, batchID, entryID string, u account.BatchEntryUpdate) (*account.BatchEntry, error) {
	return callOne[account.BatchEntry](ctx, c, "PATCH", "/v1/station/batches/"+url.PathEscape(batchID)+"/entries/"+url.PathEscape(entryID), token, u)
}

func (c *Client) ExportBatch(ctx context.Context, token, batchID, format string) ([]byte, error) {
	return callValue[[]byte](ctx, c, "GET", "/v1/station/batches/"+url.PathEscape(batchID)+"/export?"+url.Values{"format": {format}}.Encode(), token, nil)
}
