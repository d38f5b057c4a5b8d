package enroll

import (
	"context"

	"github.com/passkeydesk/passkeydesk/account"
)

// StationRegistrar registers through the account service's station API:
// a passkey of the account Request names (an account, or a batch entry
// the station holds) made on an operator's passkey session Token. With a
// batch entry, Finish first records the key on it (key-detected, with
// its label and AAGUID) and the passkey is named by the key's label.
type StationRegistrar struct {
	API     account.StationAPI
	Token   string
	Request account.StationEnrollmentRequest
}

// Begin implements Registrar.
func (r StationRegistrar) Begin(ctx context.Context) ([]byte, error) {
	return r.API.BeginStationEnrollment(ctx, r.Token, r.Request)
}

// Finish implements Registrar. The finish is what counts: the entry's
// label is recorded on a best-effort basis (a repeat of a finish that
// went through, whose answer was lost, finds the entry enrolled and its
// update refused, and still gets its passkey).
func (r StationRegistrar) Finish(ctx context.Context, resp []byte, key Result) error {
	if r.Request.BatchID != "" && r.Request.EntryID != "" {
		r.API.UpdateBatchEntry(ctx, r.Token, r.Request.BatchID, r.Request.EntryID, account.BatchEntryUpdate{
			Station: r.Request.Station, State: account.EntryKeyDetected, KeyLabel: key.Label, AAGUID: key.AAGUID[:],
		})
	}
	_, err := r.API.FinishStationEnrollment(ctx, r.Token, resp, key.Label)
	return err
}
