// Package batchlog writes the enrollment station's batch log: one row per
// person and key, as CSV and as JSON, for the operator's records. It has
// no PIN column and Record has no PIN field: PINs leave the station only
// on the PIN slip (package slip).
//
// CSV cells that a spreadsheet would run as a formula (starting with =, +,
// -, @, a tab or a carriage return) are written with a leading apostrophe,
// as OWASP advises for CSV exports; JSON is written as it is.
package batchlog

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

// Results a record can have.
const (
	ResultEnrolled = "enrolled" // the passkey is on the key and in the account
	ResultSkipped  = "skipped"  // the operator skipped this person
	ResultFailed   = "failed"   // see Detail
)

// Record is one row of the log.
type Record struct {
	Person   string    `json:"person"`
	Email    string    `json:"email"`
	KeyModel string    `json:"key_model,omitempty"`
	AAGUID   string    `json:"aaguid,omitempty"`
	KeyID    string    `json:"credential_short_id,omitempty"` // enroll.KeyID of the credential
	Time     time.Time `json:"time"`
	Operator string    `json:"operator"`
	Station  string    `json:"station"`
	Result   string    `json:"result"`
	Detail   string    `json:"detail,omitempty"` // why it failed or was skipped
	// ForcedPINChange says the owner must choose a new PIN at first use.
	ForcedPINChange bool `json:"forced_pin_change"`
}

// FromResult is the record of a key readied by package enroll.
func FromResult(person, email string, r enroll.Result, at time.Time, operator, station string) Record {
	rec := Record{Person: person, Email: email, KeyModel: r.Model, KeyID: r.KeyID, Time: at.UTC(),
		Operator: operator, Station: station, Result: ResultEnrolled, ForcedPINChange: r.ForcedPINChange}
	if r.AAGUID != ([16]byte{}) {
		rec.AAGUID = r.AAGUID.String()
	}
	return rec
}

// columns are the CSV header, in order.
var columns = []string{"person", "email", "key_model", "aaguid", "credential_short_id", "time", "operator", "station", "result", "detail", "forced_pin_change"}

// WriteCSV writes the records as CSV with a header row, times in RFC 3339
// UTC.
func WriteCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return fmt.Errorf("batchlog: %w", err)
	}
	for _, r := range recs {
		row := []string{r.Person, r.Email, r.KeyModel, r.AAGUID, r.KeyID, r.Time.UTC().Format(time.RFC3339),
			r.Operator, r.Station, r.Result, r.Detail, fmt.Sprint(r.ForcedPINChange)}
		for i := range row {
			row[i] = defuse(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("batchlog: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("batchlog: %w", err)
	}
	return nil
}

// WriteJSON writes the records as one JSON array.
func WriteJSON(w io.Writer, recs []Record) error {
	if recs == nil {
		recs = []Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(recs); err != nil {
		return fmt.Errorf("batchlog: %w", err)
	}
	return nil
}

// defuse keeps a spreadsheet from reading a cell as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
