// Package slip makes the enrollment station's PIN slips: a PDF with one
// page per person (name, the key's label, its PIN, and what to do at first
// use), handed over with the key. The slip is the only place a station's
// PINs go: the caller writes it once, to a file the operator chooses, and
// keeps the PINs in memory otherwise.
//
// The text is set in the Fyne theme's Noto Sans (regular, bold and
// monospace), embedded and subset, so names in Latin, Greek and Cyrillic
// scripts print as typed; the PDF is made by codeberg.org/go-pdf/fpdf.
package slip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"fyne.io/fyne/v2/theme"
)

// Entry is one person's page.
type Entry struct {
	Name     string // the person's display name
	Email    string
	KeyLabel string // enroll.Result.Label: model and short key ID
	// PIN is the key's PIN until its owner changes it. Write reads it and
	// leaves it to the caller to zero.
	PIN []byte
	// ForcedChange says the key will make its owner choose a new PIN at
	// first use; MinPINLength is the shortest PIN it then takes (0: not
	// known).
	ForcedChange bool
	MinPINLength int
}

// Header is what every page says about where the keys come from.
type Header struct {
	Service string    // the service the passkeys are for, as its users know it
	Station string    // the station's name, "" for none
	Date    time.Time // when the batch was enrolled
}

// Errors.
var (
	ErrNoEntries = errors.New("slip: no people to print")
	ErrExists    = errors.New("slip: the file exists already; choose another name")
)

// Write writes the slips, one page per entry in order, as a PDF to w.
func Write(w io.Writer, h Header, entries []Entry) error {
	if len(entries) == 0 {
		return ErrNoEntries
	}
	for i, e := range entries {
		if strings.TrimSpace(e.Name) == "" || len(e.PIN) == 0 || e.KeyLabel == "" {
			return fmt.Errorf("slip: entry %d needs a name, a key label and a PIN", i+1)
		}
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("PIN slips", true)
	pdf.SetCreator("Passkey Desk", true)
	pdf.SetCreationDate(h.Date)
	pdf.SetModificationDate(h.Date)
	pdf.AddUTF8FontFromBytes("sans", "", theme.DefaultTextFont().Content())
	pdf.AddUTF8FontFromBytes("sans", "B", theme.DefaultTextBoldFont().Content())
	pdf.AddUTF8FontFromBytes("mono", "", theme.DefaultTextMonospaceFont().Content())
	pdf.SetMargins(25, 25, 25)
	pdf.SetAutoPageBreak(true, 20)
	for _, e := range entries {
		page(pdf, h, e)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("slip: %w", err)
	}
	var buf bytes.Buffer
	defer func() { clear(buf.Bytes()) }() // the PINs, as far as this copy goes
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("slip: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteFile writes the slips to a new file at path, readable by its owner
// only. It never replaces a file (ErrExists), and removes what it wrote
// when writing fails.
func WriteFile(path string, h Header, entries []Entry) (err error) {
	if len(entries) == 0 {
		return ErrNoEntries
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	if err != nil {
		return fmt.Errorf("slip: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("slip: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if err = Write(f, h, entries); err != nil {
		return err
	}
	return f.Sync()
}

// page lays out one person's slip.
func page(pdf *fpdf.Fpdf, h Header, e Entry) {
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	text := width - left - right
	service := h.Service
	if service == "" {
		service = "your account"
	}

	pdf.SetFont("sans", "B", 20)
	pdf.MultiCell(text, 10, "Your security key for "+service, "", "L", false)
	pdf.Ln(4)
	line := func(label, value string) {
		pdf.SetFont("sans", "B", 12)
		pdf.CellFormat(28, 8, label, "", 0, "L", false, 0, "")
		pdf.SetFont("sans", "", 12)
		pdf.MultiCell(text-28, 8, value, "", "L", false)
	}
	who := e.Name
	if e.Email != "" {
		who += " <" + e.Email + ">"
	}
	line("For", who)
	line("Key", e.KeyLabel)
	pdf.Ln(4)

	pdf.SetFont("sans", "B", 12)
	pdf.CellFormat(28, 16, "PIN", "", 0, "L", false, 0, "")
	pdf.SetFont("mono", "", 26)
	pdf.CellFormat(text-28, 16, string(e.PIN), "1", 1, "C", false, 0, "")
	pdf.Ln(8)

	pdf.SetFont("sans", "B", 14)
	pdf.MultiCell(text, 8, "At first use", "", "L", false)
	pdf.SetFont("sans", "", 12)
	own := "You will be asked to choose your own PIN"
	if e.MinPINLength > 0 {
		own += " of at least " + strconv.Itoa(e.MinPINLength) + " characters"
	}
	own += ". Choose one only you know: from then on the key takes your PIN, and the PIN on this slip no longer works."
	steps := []string{
		"Plug the key into your computer and sign in to " + service + " with it: choose to sign in with a passkey, then your security key.",
		"When the key asks for its PIN, type the PIN above, then touch the key.",
	}
	if e.ForcedChange {
		steps = append(steps, own)
	} else {
		steps = append(steps, "Change the key's PIN to one only you know, in the app's security key panel.")
	}
	steps = append(steps, "Then destroy this slip. Keep the key with you; if you lose it, tell your administrator.")
	for i, s := range steps {
		pdf.CellFormat(8, 7, strconv.Itoa(i+1)+".", "", 0, "L", false, 0, "")
		pdf.MultiCell(text-8, 7, s, "", "L", false)
		pdf.Ln(1)
	}

	pdf.Ln(6)
	pdf.SetFont("sans", "", 9)
	note := "Keep the key and this slip apart until first use."
	if !h.Date.IsZero() {
		note = "Enrolled on " + h.Date.Format("2 January 2006")
		if h.Station != "" {
			note += " at " + h.Station
		}
		note += ". Keep the key and this slip apart until first use."
	}
	pdf.MultiCell(text, 5, note, "", "L", false)
}
