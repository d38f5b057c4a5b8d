package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/passkeydesk/passkeydesk/account"
)

// The enrollment station under /v1/station/ (account.StationAPI): an
// operator's calls, from a session signed in with the operator's own
// passkey; and an invited account's setup under /v1/setup/.
func (h *Handler) routesStation() {
	m, lim := h.mux, h.lim
	m.HandleFunc("POST /v1/setup/password", h.desktop(h.setUpPassword))
	m.HandleFunc("POST /v1/setup/confirm", h.perIP(lim.verifyIP, h.desktop(perSession(lim.verifySession, h.confirmSetUp))))
	m.HandleFunc("POST /v1/station/accounts", h.desktop(h.stationAccount))
	m.HandleFunc("POST /v1/station/registrations/begin", h.desktop(h.beginStationEnrollment))
	m.HandleFunc("POST /v1/station/registrations/finish", h.ceremony(CeremonyRegistration, h.desktop(h.finishStationEnrollment)))
	m.HandleFunc("POST /v1/station/batches/check", h.desktop(h.checkBatchRows))
	m.HandleFunc("POST /v1/station/batches", h.desktop(h.createBatch))
	m.HandleFunc("GET /v1/station/batches", h.desktop(h.batches))
	m.HandleFunc("GET /v1/station/batches/{id}", h.desktop(h.batch))
	m.HandleFunc("POST /v1/station/batches/{id}/entries", h.desktop(h.addBatchEntry))
	m.HandleFunc("POST /v1/station/batches/{id}/claim", h.desktop(h.claimBatchEntry))
	m.HandleFunc("PATCH /v1/station/batches/{id}/entries/{entry}", h.desktop(h.updateBatchEntry))
	m.HandleFunc("GET /v1/station/batches/{id}/export", h.desktop(h.exportBatch))
}

// MaxBatchBody is the largest body of a batch's rows: account.MaxBatchEntries
// rows of the longest email and display name fit.
const MaxBatchBody = 1 << 20

// stationDocs are the documents of the station's routes (see docs).
var stationDocs = map[string]doc{
	"POST /v1/setup/password": {"An invited account's session chooses its password: a new authenticator-app secret to confirm", authSession,
		struct{ Password string }{}, account.TOTPEnrollment{}},
	"POST /v1/setup/confirm": {"An invited account confirms its authenticator app with a first code and is active; its first recovery codes come with it",
		authSession, struct{ Code string }{}, account.Session{}},
	"POST /v1/station/accounts": {"Operator: find the account with an email, or invite one", authSession, account.StationAccountRequest{}, account.StationAccount{}},
	"POST /v1/station/registrations/begin": {"Operator: creation options for a security key of the target account (an account, or a batch entry)",
		authSession, account.StationEnrollmentRequest{}, webauthnJSON{}},
	"POST /v1/station/registrations/finish": {"Operator: bind the key's credential to the target account, issued until its owner first uses it; a repeat of a finished credential answers its passkey",
		authSession, struct {
			Name       string
			Credential webauthnJSON
		}{}, account.Passkey{}},
	"POST /v1/station/batches/check": {"Operator: check rows for a batch (nothing is stored): the good ones and the bad ones with why", authSession,
		struct{ Rows []account.BatchRow }{}, account.BatchCheck{}},
	"POST /v1/station/batches": {"Operator: store a batch of good rows", authSession, struct {
		Name string
		Rows []account.BatchRow
	}{}, account.Batch{}},
	"GET /v1/station/batches":               {"Operator: the operator's batches, newest first, with counts", authSession, nil, []account.Batch{}},
	"GET /v1/station/batches/{id}":          {"Operator: a batch with its entries", authSession, nil, account.Batch{}},
	"POST /v1/station/batches/{id}/entries": {"Operator: add one person to a batch", authSession, account.BatchRow{}, account.BatchEntry{}},
	"POST /v1/station/batches/{id}/claim": {"Operator: a station claims an entry (EntryID, or \"\" for the next one free)", authSession,
		struct{ EntryID, Station string }{}, account.BatchEntry{}},
	"PATCH /v1/station/batches/{id}/entries/{entry}": {"Operator: a station's step on an entry (key detected, failed, skipped, pending)", authSession,
		account.BatchEntryUpdate{}, account.BatchEntry{}},
	"GET /v1/station/batches/{id}/export": {"Operator: the batch log as CSV or JSON (?format=csv|json); it holds no PIN", authSession, nil, []byte{}},
}

func (h *Handler) setUpPassword(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Password string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.SetUpPassword(ctx, token, req.Password)
}

func (h *Handler) confirmSetUp(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Code string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.ConfirmSetUp(ctx, token, req.Code)
}

func (h *Handler) stationAccount(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req account.StationAccountRequest
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.StationAccount(ctx, token, req)
}

func (h *Handler) beginStationEnrollment(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req account.StationEnrollmentRequest
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.BeginStationEnrollment(ctx, token, req)
}

func (h *Handler) finishStationEnrollment(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Name       string
		Credential json.RawMessage
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.FinishStationEnrollment(ctx, token, req.Credential, req.Name)
}

func (h *Handler) checkBatchRows(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ Rows []account.BatchRow }
	if err := decodeLimited(w, r, &req, MaxBatchBody); err != nil {
		return nil, err
	}
	return h.api.CheckBatchRows(ctx, token, req.Rows)
}

func (h *Handler) createBatch(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Name string
		Rows []account.BatchRow
	}
	if err := decodeLimited(w, r, &req, MaxBatchBody); err != nil {
		return nil, err
	}
	return h.api.CreateBatch(ctx, token, req.Name, req.Rows)
}

func (h *Handler) batches(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	out, err := h.api.Batches(ctx, token)
	if out == nil && err == nil {
		out = []account.Batch{}
	}
	return out, err
}

func (h *Handler) batch(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return h.api.Batch(ctx, token, r.PathValue("id"))
}

func (h *Handler) addBatchEntry(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var row account.BatchRow
	if err := decodeBody(w, r, &row); err != nil {
		return nil, err
	}
	return h.api.AddBatchEntry(ctx, token, r.PathValue("id"), row)
}

func (h *Handler) claimBatchEntry(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct{ EntryID, Station string }
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	return h.api.ClaimBatchEntry(ctx, token, r.PathValue("id"), req.EntryID, req.Station)
}

func (h *Handler) updateBatchEntry(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var u account.BatchEntryUpdate
	if err := decodeBody(w, r, &u); err != nil {
		return nil, err
	}
	return h.api.UpdateBatchEntry(ctx, token, r.PathValue("id"), r.PathValue("entry"), u)
}

func (h *Handler) exportBatch(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	format := r.URL.Query().Get("format")
	out, err := h.api.ExportBatch(ctx, token, r.PathValue("id"), format)
	if err != nil {
		return nil, err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Write(out)
	return written{}, nil
}
