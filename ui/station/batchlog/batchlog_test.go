package batchlog_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/ui/station/batchlog"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

var at = time.Date(2026, 12, 5, 16, 0, 0, 0, time.FixedZone("CET", 3600))

func records() []batchlog.Record {
	r := batchlog.FromResult("Alice Smith", "alice@example.com", enroll.Result{
		Model: "YubiKey 5 NFC", KeyID: "3F9A2C", ForcedPINChange: true,
		AAGUID: fido.AAGUID{0x2f, 0xc0, 0x57, 0x9f, 0x81, 0x13, 0x47, 0xea, 0xb1, 0x16, 0xbb, 0x5a, 0x8d, 0xb9, 0x20, 0x2a},
	}, at, "op@example.com", "Station 2")
	return []batchlog.Record{r, {
		Person: "=HYPERLINK(\"http://x\")", Email: "bob@example.com", Time: at, Operator: "op@example.com",
		Station: "Station 2", Result: batchlog.ResultFailed, Detail: "-the key was removed",
	}}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := batchlog.WriteCSV(&buf, records()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"person", "email", "key_model", "aaguid", "credential_short_id", "time", "operator", "station", "result", "detail", "forced_pin_change"},
		{"Alice Smith", "alice@example.com", "YubiKey 5 NFC", "2fc0579f-8113-47ea-b116-bb5a8db9202a", "3F9A2C", "2026-12-05T15:00:00Z", "op@example.com", "Station 2", "enrolled", "", "true"},
		{"'=HYPERLINK(\"http://x\")", "bob@example.com", "", "", "", "2026-12-05T15:00:00Z", "op@example.com", "Station 2", "failed", "'-the key was removed", "false"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n%q\nwant\n%q", rows, want)
	}
	if strings.Contains(strings.ToLower(strings.Join(rows[0], ",")), "pin,") {
		t.Error("a PIN column")
	}
}

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := batchlog.WriteJSON(&buf, records()); err != nil {
		t.Fatal(err)
	}
	var back []batchlog.Record
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	want := records()
	for i := range want {
		want[i].Time = want[i].Time.UTC()
		back[i].Time = back[i].Time.UTC()
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", back, want)
	}
	buf.Reset()
	if err := batchlog.WriteJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("empty log: %q, %v", buf.String(), err)
	}
}
