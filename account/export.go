package account

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"time"
)

// ActivityFilter narrows an activity export. Zero fields do not filter.
type ActivityFilter struct {
	Type  EventType // only events of this type
	Since time.Time // only events at or after this time
}

// maxExport bounds an export's events.
const maxExport = 100000

// ExportActivity implements API: the account's events, newest first,
// that pass filter, as CSV (a header row "time,type,detail,source", times
// in RFC 3339 UTC; a cell that a spreadsheet would take for a formula
// starts with a ') or as a JSON array of {"time","type","detail","source"}.
func (s *Service) ExportActivity(ctx context.Context, token, format string, filter ActivityFilter) ([]byte, error) {
	if format != "csv" && format != "json" {
		return nil, &InputError{Field: "format", Reason: "use csv or json"}
	}
	var events []Event
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		events, err = tx.Events(rec.ID, maxExport)
		return err
	})
	if err != nil {
		return nil, err
	}
	kept := events[:0]
	for _, e := range events {
		if (filter.Type == "" || e.Type == filter.Type) && !e.At.Before(filter.Since) {
			kept = append(kept, e)
		}
	}
	if format == "json" {
		type row struct {
			Time   time.Time `json:"time"`
			Type   EventType `json:"type"`
			Detail string    `json:"detail"`
			Source string    `json:"source"`
		}
		rows := make([]row, len(kept))
		for i, e := range kept {
			rows[i] = row{e.At.UTC(), e.Type, e.Detail, e.Source}
		}
		return json.MarshalIndent(rows, "", "  ")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"time", "type", "detail", "source"})
	for _, e := range kept {
		w.Write([]string{e.At.UTC().Format(time.RFC3339Nano), string(e.Type), cell(e.Detail), cell(e.Source)})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// cell defuses a CSV cell a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
