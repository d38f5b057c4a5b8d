package account

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// BatchRecord is a batch as stored; its entries are rows of their own.
type BatchRecord struct {
	ID         string
	OperatorID string
	Name       string
	CreatedAt  time.Time
}

// Batch is a named list of people an operator enrolls keys for. It lives
// in the service, so a crashed station, or a second one, goes on with it.
type Batch struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// Counts of entries by state.
	Total, Pending, Enrolled, Failed, Skipped int
	// Entries, by position; only Batch fills them (not Batches).
	Entries []BatchEntry `json:",omitempty"`
}

// BatchEntryState is where a person of a batch stands.
type BatchEntryState string

// The batch entry states.
const (
	EntryPending     BatchEntryState = "pending"
	EntryKeyDetected BatchEntryState = "key-detected"
	EntryEnrolled    BatchEntryState = "enrolled"
	EntryFailed      BatchEntryState = "failed"
	EntrySkipped     BatchEntryState = "skipped"
)

// final reports whether the state is the end of the entry.
func (s BatchEntryState) final() bool { return s == EntryEnrolled || s == EntrySkipped }

// BatchEntry is one person of a batch.
type BatchEntry struct {
	ID          string
	BatchID     string
	Position    int
	Email       string
	DisplayName string
	// AccountID is the person's account once found or invited.
	AccountID string
	State     BatchEntryState
	Reason    string // why it failed or was skipped
	// KeyLabel names the key (model and a short key identifier), AAGUID
	// its model; CredentialShortID and PasskeyID the passkey made.
	KeyLabel          string
	AAGUID            []byte
	CredentialShortID string
	PasskeyID         string
	// Station is the station of the last step, At its time.
	Station string
	At      time.Time
	// ClaimedBy is the station working on the entry until ClaimedUntil.
	ClaimedBy    string
	ClaimedUntil time.Time
}

// BatchRow is a person to add to a batch, with the line it came from (0
// when typed in).
type BatchRow struct {
	Line        int
	Email       string
	DisplayName string
}

// BadRow is a row refused, with why.
type BadRow struct {
	BatchRow
	Why string
}

// BatchCheck is the verdict on rows: Good ones normalised, Bad ones with
// why. Nothing is stored.
type BatchCheck struct {
	Good []BatchRow
	Bad  []BadRow
}

// BatchEntryUpdate is a station's step on an entry.
type BatchEntryUpdate struct {
	Station string
	// State: key-detected, failed, skipped, or pending (releases the
	// claim).
	State    BatchEntryState
	Reason   string // required for failed; at most 200 characters
	KeyLabel string
	AAGUID   []byte
}

// checkRows validates rows against each other and against existing (the
// emails already in the batch).
func checkRows(rows []BatchRow, existing map[string]bool) *BatchCheck {
	out := &BatchCheck{}
	seen := map[string]int{}
	for _, r := range rows {
		email, err := normalizeEmail(r.Email)
		name := strings.TrimSpace(r.DisplayName)
		bad := func(why string) { out.Bad = append(out.Bad, BadRow{BatchRow: r, Why: why}) }
		switch {
		case err != nil:
			bad("the email is not an address like name@example.com")
		case name == "" || utf8.RuneCountInString(name) > 64 || !printable(name):
			bad("the display name needs 1 to 64 printable characters")
		case existing[email]:
			bad("this email is in the batch already")
		case seen[email] != 0:
			bad(fmt.Sprintf("this email is also on line %d", seen[email]))
		default:
			seen[email] = max(r.Line, 1)
			out.Good = append(out.Good, BatchRow{Line: r.Line, Email: email, DisplayName: name})
		}
	}
	return out
}

// CheckBatchRows implements StationAPI.
func (s *Service) CheckBatchRows(ctx context.Context, token string, rows []BatchRow) (*BatchCheck, error) {
	if err := s.store.View(ctx, func(tx Tx) error {
		_, err := s.operator(tx, token)
		return err
	}); err != nil {
		return nil, err
	}
	if len(rows) > MaxBatchEntries {
		return nil, &InputError{Field: "rows", Reason: fmt.Sprintf("a batch holds at most %d people", MaxBatchEntries)}
	}
	return checkRows(rows, nil), nil
}

// CreateBatch implements StationAPI.
func (s *Service) CreateBatch(ctx context.Context, token, name string, rows []BatchRow) (*Batch, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 || !printable(name) {
		return nil, &InputError{Field: "name", Reason: "name the batch with 1 to 64 printable characters"}
	}
	if len(rows) > MaxBatchEntries {
		return nil, &InputError{Field: "rows", Reason: fmt.Sprintf("a batch holds at most %d people", MaxBatchEntries)}
	}
	check := checkRows(rows, nil)
	if len(check.Bad) > 0 {
		b := check.Bad[0]
		return nil, &InputError{Field: "rows", Reason: fmt.Sprintf("%d rows are not good (line %d: %s); check them first", len(check.Bad), b.Line, b.Why)}
	}
	var out *Batch
	err := s.store.Update(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		b := &BatchRecord{ID: randomID(), OperatorID: op.ID, Name: name, CreatedAt: now}
		if err := tx.InsertBatch(b); err != nil {
			return err
		}
		entries := make([]BatchEntry, len(check.Good))
		for i, r := range check.Good {
			entries[i] = BatchEntry{ID: randomID(), BatchID: b.ID, Position: i + 1, Email: r.Email, DisplayName: r.DisplayName, State: EntryPending}
			if err := tx.InsertBatchEntry(&entries[i]); err != nil {
				return err
			}
		}
		out = batchOf(b, entries)
		return tx.AppendEvent(op.ID, s.eventFrom(SourceStation, EventBatchCreated, fmt.Sprintf("batch %q with %d people", name, len(entries))))
	})
	return out, err
}

// AddBatchEntry implements StationAPI.
func (s *Service) AddBatchEntry(ctx context.Context, token, batchID string, row BatchRow) (*BatchEntry, error) {
	var out *BatchEntry
	err := s.store.Update(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		_, entries, err := s.operatorBatch(tx, op, batchID)
		if err != nil {
			return err
		}
		if len(entries) >= MaxBatchEntries {
			return &InputError{Field: "rows", Reason: fmt.Sprintf("a batch holds at most %d people", MaxBatchEntries)}
		}
		existing := map[string]bool{}
		for _, e := range entries {
			existing[e.Email] = true
		}
		check := checkRows([]BatchRow{row}, existing)
		if len(check.Bad) > 0 {
			return &InputError{Field: "row", Reason: check.Bad[0].Why}
		}
		r := check.Good[0]
		e := BatchEntry{ID: randomID(), BatchID: batchID, Position: len(entries) + 1, Email: r.Email, DisplayName: r.DisplayName, State: EntryPending}
		if len(entries) > 0 {
			e.Position = entries[len(entries)-1].Position + 1
		}
		if err := tx.InsertBatchEntry(&e); err != nil {
			return err
		}
		out = &e
		return nil
	})
	return out, err
}

// Batches implements StationAPI.
func (s *Service) Batches(ctx context.Context, token string) ([]Batch, error) {
	var out []Batch
	err := s.store.View(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		recs, err := tx.Batches(op.ID)
		if err != nil {
			return err
		}
		out = make([]Batch, 0, len(recs))
		for i := range recs {
			entries, err := tx.BatchEntries(recs[i].ID)
			if err != nil {
				return err
			}
			b := batchOf(&recs[i], entries)
			b.Entries = nil
			out = append(out, *b)
		}
		return nil
	})
	return out, err
}

// Batch implements StationAPI.
func (s *Service) Batch(ctx context.Context, token, batchID string) (*Batch, error) {
	var out *Batch
	err := s.store.View(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		b, entries, err := s.operatorBatch(tx, op, batchID)
		if err != nil {
			return err
		}
		out = batchOf(b, entries)
		return nil
	})
	return out, err
}

// ClaimBatchEntry implements StationAPI.
func (s *Service) ClaimBatchEntry(ctx context.Context, token, batchID, entryID, station string) (*BatchEntry, error) {
	station, err := stationName(station)
	if err != nil {
		return nil, err
	}
	var out *BatchEntry
	err = s.store.Update(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		_, entries, err := s.operatorBatch(tx, op, batchID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		var e *BatchEntry
		if entryID != "" {
			if e = findEntry(entries, entryID); e == nil {
				return ErrNotFound
			}
			if err := claimable(e, station, now); err != nil {
				return err
			}
		} else {
			for i := range entries {
				c := &entries[i]
				// A station with several keys takes several people: an
				// entry it holds already is not the next one.
				free := c.ClaimedBy == "" || !now.Before(c.ClaimedUntil)
				if (c.State == EntryPending || c.State == EntryKeyDetected) && free {
					e = c
					break
				}
			}
			if e == nil {
				return ErrNotFound
			}
		}
		e.ClaimedBy, e.ClaimedUntil = station, now.Add(ClaimLifetime)
		if err := tx.UpdateBatchEntry(e); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// claimable says whether station may take e at now.
func claimable(e *BatchEntry, station string, now time.Time) error {
	switch {
	case e.State.final():
		return ErrEntryDone
	case e.ClaimedBy != "" && e.ClaimedBy != station && now.Before(e.ClaimedUntil):
		return ErrEntryClaimed
	}
	return nil
}

// UpdateBatchEntry implements StationAPI.
func (s *Service) UpdateBatchEntry(ctx context.Context, token, batchID, entryID string, u BatchEntryUpdate) (*BatchEntry, error) {
	station, err := stationName(u.Station)
	if err != nil {
		return nil, err
	}
	u.Reason = strings.TrimSpace(u.Reason)
	u.KeyLabel = strings.TrimSpace(u.KeyLabel)
	switch {
	case u.State != EntryKeyDetected && u.State != EntryFailed && u.State != EntrySkipped && u.State != EntryPending:
		return nil, &InputError{Field: "state", Reason: "a station sets key-detected, failed, skipped or pending"}
	case u.State == EntryFailed && u.Reason == "":
		return nil, &InputError{Field: "reason", Reason: "say why it failed"}
	case utf8.RuneCountInString(u.Reason) > 200 || !printable(u.Reason):
		return nil, &InputError{Field: "reason", Reason: "use at most 200 printable characters"}
	case utf8.RuneCountInString(u.KeyLabel) > 64 || !printable(u.KeyLabel):
		return nil, &InputError{Field: "key label", Reason: "use at most 64 printable characters"}
	case len(u.AAGUID) != 0 && len(u.AAGUID) != 16:
		return nil, &InputError{Field: "AAGUID", Reason: "an AAGUID is 16 bytes"}
	}
	var out *BatchEntry
	err = s.store.Update(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		_, entries, err := s.operatorBatch(tx, op, batchID)
		if err != nil {
			return err
		}
		e := findEntry(entries, entryID)
		if e == nil {
			return ErrNotFound
		}
		now := s.now().UTC()
		if err := claimable(e, station, now); err != nil {
			return err
		}
		e.State, e.Reason, e.Station, e.At = u.State, u.Reason, station, now
		if u.KeyLabel != "" {
			e.KeyLabel = u.KeyLabel
		}
		if len(u.AAGUID) == 16 {
			e.AAGUID = u.AAGUID
		}
		e.ClaimedBy, e.ClaimedUntil = station, now.Add(ClaimLifetime)
		if u.State == EntryPending || u.State.final() {
			e.ClaimedBy, e.ClaimedUntil = "", time.Time{}
		}
		if err := tx.UpdateBatchEntry(e); err != nil {
			return err
		}
		out = e
		if u.State != EntryFailed && u.State != EntrySkipped {
			return nil
		}
		detail := fmt.Sprintf("%s for %s on station %s", u.State, e.Email, station)
		if u.Reason != "" {
			detail += ": " + u.Reason
		}
		return s.stationEvent(tx, op, e.AccountID, EventBatchEntry, detail)
	})
	return out, err
}

// ExportBatch implements StationAPI.
func (s *Service) ExportBatch(ctx context.Context, token, batchID, format string) ([]byte, error) {
	if format != "csv" && format != "json" {
		return nil, &InputError{Field: "format", Reason: "csv or json"}
	}
	var b *BatchRecord
	var entries []BatchEntry
	var op *AccountRecord
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if op, err = s.operator(tx, token); err != nil {
			return err
		}
		b, entries, err = s.operatorBatch(tx, op, batchID)
		return err
	})
	if err != nil {
		return nil, err
	}
	type line struct {
		Person            string `json:"person"`
		Email             string `json:"email"`
		Result            string `json:"result"`
		Reason            string `json:"reason"`
		KeyLabel          string `json:"keyLabel"`
		Model             string `json:"model"`
		AAGUID            string `json:"aaguid"`
		CredentialShortID string `json:"credentialShortId"`
		Time              string `json:"time"`
		Operator          string `json:"operator"`
		Station           string `json:"station"`
	}
	lines := make([]line, len(entries))
	for i, e := range entries {
		l := line{Person: e.DisplayName, Email: e.Email, Result: string(e.State), Reason: e.Reason, KeyLabel: e.KeyLabel,
			CredentialShortID: e.CredentialShortID, Operator: op.Email, Station: e.Station}
		if len(e.AAGUID) == 16 {
			l.AAGUID, l.Model = formatAAGUID(e.AAGUID), s.model(e.AAGUID)
		}
		if !e.At.IsZero() {
			l.Time = e.At.UTC().Format(time.RFC3339)
		}
		lines[i] = l
	}
	if format == "json" {
		return json.MarshalIndent(struct {
			Batch   string `json:"batch"`
			Created string `json:"created"`
			People  []line `json:"people"`
		}{b.Name, b.CreatedAt.UTC().Format(time.RFC3339), lines}, "", "  ")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"person", "email", "result", "reason", "key label", "model", "aaguid", "credential short id", "time", "operator", "station"})
	for _, l := range lines {
		w.Write([]string{csvCell(l.Person), csvCell(l.Email), l.Result, csvCell(l.Reason), csvCell(l.KeyLabel), csvCell(l.Model), l.AAGUID,
			l.CredentialShortID, l.Time, csvCell(l.Operator), csvCell(l.Station)})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func formatAAGUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// operatorBatch returns op's batch id and its entries; ErrNotFound when
// it is not op's.
func (s *Service) operatorBatch(tx Tx, op *AccountRecord, id string) (*BatchRecord, []BatchEntry, error) {
	if id == "" {
		return nil, nil, ErrNotFound
	}
	b, err := tx.BatchByID(id)
	if err != nil {
		return nil, nil, err
	}
	if b.OperatorID != op.ID {
		return nil, nil, ErrNotFound
	}
	entries, err := tx.BatchEntries(id)
	return b, entries, err
}

func findEntry(entries []BatchEntry, id string) *BatchEntry {
	for i := range entries {
		if entries[i].ID == id {
			return &entries[i]
		}
	}
	return nil
}

func batchOf(b *BatchRecord, entries []BatchEntry) *Batch {
	out := &Batch{ID: b.ID, Name: b.Name, CreatedAt: b.CreatedAt, Total: len(entries), Entries: entries}
	for _, e := range entries {
		switch e.State {
		case EntryPending, EntryKeyDetected:
			out.Pending++
		case EntryEnrolled:
			out.Enrolled++
		case EntryFailed:
			out.Failed++
		case EntrySkipped:
			out.Skipped++
		}
	}
	if out.Entries == nil {
		out.Entries = []BatchEntry{}
	}
	return out
}

var errNoStation = &InputError{Field: "station", Reason: "name the station with 1 to 64 printable characters"}

func stationName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > 64 || !printable(s) {
		return "", errNoStation
	}
	return s, nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
