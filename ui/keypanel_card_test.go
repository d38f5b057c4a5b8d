//go:build cgo

package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The key card leads with plain words (the PIN, the slots, what the key
// works with) and keeps the spec's words (FIDO_2_x, AAGUID) after them
// under their own title; the page's title is larger than its sections'
// titles; Edit and Delete keep their own height; and a passkey's PIN line
// follows "Always require the PIN or built-in verification".
func TestKeyCardWords(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	text := h.text()
	order := []string{"PIN Set", "Passkey slots", "Works with Passkeys (FIDO2)", "Technical details", "FIDO versions FIDO_2", "AAGUID"}
	at := -1
	for _, w := range order {
		i := strings.Index(text, w)
		if i < 0 || i < at {
			t.Fatalf("%q is missing or out of order (plain words first); the window shows:\n%s", w, text)
		}
		at = i
	}

	// The page's title is the largest text on the page.
	var title, others float32
	walkVisible(h.app.shell.content, func(o fyne.CanvasObject) {
		if tx, ok := o.(*canvas.Text); ok {
			if tx.Text == "Security keys" {
				title = max(title, tx.TextSize)
			} else {
				others = max(others, tx.TextSize)
			}
		}
	})
	if title <= others {
		t.Errorf("the page title is %.0f points, its sections' titles up to %.0f", title, others)
	}

	k.unlockPanel(keyPIN)
	h.wantText("PIN needed unless the site names this passkey (credProtect 2)")
	var rowButtons int
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*button); ok && (b.Text == "Edit" || b.Text == "Delete") {
			rowButtons++
			if b.Size().Height > b.MinSize().Height+1 {
				t.Errorf("%q is stretched to %.0f points tall (its own height %.0f)", b.Text, b.Size().Height, b.MinSize().Height)
			}
		}
	})
	if rowButtons == 0 {
		t.Fatalf("no Edit or Delete button; the window shows:\n%s", h.text())
	}

	var check *widget.Check
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && c.Text == "Always require the PIN or built-in verification" {
			check = c
		}
	})
	if check == nil {
		t.Fatalf("no always-UV check; the window shows:\n%s", h.text())
	}
	check.SetChecked(true)
	h.settle()
	h.waitText(5*time.Second, "Policy saved on the key.")
	h.wantText("PIN always needed, as \u201cAlways require the PIN or built-in verification\u201d is on (credProtect 2)")
	h.notText("PIN needed unless the site names this passkey")
}

// TestKeyCardFirmware: the card shows the soft key's firmware as its
// maker writes it (1.0.0), not getInfo's packed integer (65536).
func TestKeyCardFirmware(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.wantText("Firmware 1.0.0")
	k.notText("65536")
}
