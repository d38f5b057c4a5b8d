package slip_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/passkeydesk/passkeydesk/ui/station/slip"
)

var people = []slip.Entry{
	{Name: "Alice Smith", Email: "alice@example.com", KeyLabel: "YubiKey 5 NFC #3F9A2C", PIN: []byte("40718352"), ForcedChange: true, MinPINLength: 8},
	{Name: "Zoë Łukasiewicz", Email: "zoe@example.com", KeyLabel: "Passkey Desk simulated security key #00B1C4", PIN: []byte("993017"), ForcedChange: true},
	{Name: "Дмитрий Иванов", KeyLabel: "Security key #7E7E01", PIN: []byte("271828"), ForcedChange: false},
}

func latin1(s string) bool {
	for _, r := range s {
		if r > 0xff {
			return false
		}
	}
	return true
}

// pageTexts reads the PDF at path back and returns each page's text,
// spaces and line breaks removed (the extractor places words by their
// positions).
func pageTexts(t *testing.T, path string) []string {
	t.Helper()
	f, r, err := pdf.Open(path)
	if err != nil {
		t.Fatalf("reading the slip back: %v", err)
	}
	defer f.Close()
	var out []string
	for i := 1; i <= r.NumPage(); i++ {
		txt, err := r.Page(i).GetPlainText(nil)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		out = append(out, squash(txt))
	}
	return out
}

func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// TestSlipReadBack writes slips for three people and reads the PDF back:
// one page each, with the person's name, key label and PIN, and no other
// person's PIN.
func TestSlipReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slips.pdf")
	h := slip.Header{Service: "Example Exchange", Station: "Station 2", Date: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if err := slip.WriteFile(path, h, people); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("slip file: %v, %v", fi.Mode(), err)
	}
	pages := pageTexts(t, path)
	if len(pages) != len(people) {
		t.Fatalf("%d pages for %d people", len(pages), len(people))
	}
	for i, p := range people {
		txt := pages[i]
		wants := []string{p.KeyLabel, "PIN" + string(p.PIN), p.Email, "Atfirstuse", "ExampleExchange", "Station2"}
		if latin1(p.Name) { // the Go reader decodes no more (see TestSlipNamesInAnyScript)
			wants = append(wants, p.Name)
		}
		for _, want := range wants {
			if !strings.Contains(txt, squash(want)) {
				t.Errorf("page %d lacks %q:\n%s", i+1, want, txt)
			}
		}
		for j, q := range people {
			if j != i && strings.Contains(txt, string(q.PIN)) {
				t.Errorf("page %d shows %s's PIN", i+1, q.Name)
			}
		}
		forced := strings.Contains(txt, squash("You will be asked to choose your own PIN"))
		if forced != p.ForcedChange {
			t.Errorf("page %d: says a new PIN is asked %v, want %v", i+1, forced, p.ForcedChange)
		}
	}
	if !strings.Contains(pages[0], squash("at least 8 characters")) {
		t.Errorf("page 1 does not give the minimum length")
	}

	// Written once: the same name again is refused and the file kept.
	before, _ := os.ReadFile(path)
	if err := slip.WriteFile(path, h, people[:1]); !errors.Is(err, slip.ErrExists) {
		t.Fatalf("second write to the same file: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the slip file changed")
	}
}

// TestSlipRefusesIncompleteEntries: no people, or a page without a name,
// label or PIN, writes nothing.
func TestSlipRefusesIncompleteEntries(t *testing.T) {
	dir := t.TempDir()
	if err := slip.WriteFile(filepath.Join(dir, "none.pdf"), slip.Header{}, nil); !errors.Is(err, slip.ErrNoEntries) {
		t.Errorf("no entries: %v", err)
	}
	for i, e := range []slip.Entry{
		{Name: " ", KeyLabel: "k", PIN: []byte("123456")},
		{Name: "n", PIN: []byte("123456")},
		{Name: "n", KeyLabel: "k"},
	} {
		path := filepath.Join(dir, "bad.pdf")
		if err := slip.WriteFile(path, slip.Header{}, []slip.Entry{people[0], e}); err == nil || !strings.Contains(err.Error(), "entry 2") {
			t.Errorf("case %d: %v", i, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("case %d: a file was left behind", i)
		}
	}
}

// TestSlipNamesInAnyScript reads the slip back with Poppler's pdftotext,
// which decodes the embedded font's ToUnicode map in full: names in
// Polish and Russian print as typed, on their own page.
func TestSlipNamesInAnyScript(t *testing.T) {
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext (Debian poppler-utils) is missing; .ci/deps installs it")
		}
		t.Skip("pdftotext (Debian poppler-utils) is not installed")
	}
	path := filepath.Join(t.TempDir(), "slips.pdf")
	if err := slip.WriteFile(path, slip.Header{Service: "Example"}, people); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(out), "\f")
	for i, p := range people {
		if i >= len(pages) || !strings.Contains(pages[i], p.Name) || !strings.Contains(pages[i], string(p.PIN)) {
			t.Errorf("page %d lacks %q or its PIN", i+1, p.Name)
		}
	}
}
