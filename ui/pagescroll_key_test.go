//go:build cgo

package ui

import (
	"testing"

	"fyne.io/fyne/v2/container"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelResetStartsAtTop: at 800×600, scrolled down to "Reset
// key…", the reset shows from the top, its title and its warning in view.
func TestKeyPanelResetStartsAtTop(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	k.unlockPanel(keyPIN)
	scroll := h.app.shell.content.Objects[0].(*container.Scroll)
	layOutScroll(scroll)
	scroll.ScrollToBottom()
	if scroll.Offset.Y <= 0 {
		t.Fatalf("the panel fits at 800×600; the test needs it to scroll")
	}
	h.tap("Reset key…")
	layOutScroll(scroll)
	for _, s := range []string{"Reset the key", "It cannot be undone."} {
		if o := shownWith(h.app.Window().Content(), s); o == nil || !inView(o, 600) {
			t.Errorf("%q is out of view (offset %v)", s, scroll.Offset)
		}
	}
}

// TestKeyPanelWrongPINInView: at 800×600, a wrong PIN's message is in
// view, whatever the offset was.
func TestKeyPanelWrongPINInView(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	scroll := h.app.shell.content.Objects[0].(*container.Scroll)
	layOutScroll(scroll)
	scroll.ScrollToBottom()
	if scroll.Offset.Y <= 0 {
		t.Fatalf("the panel fits at 800×600; the test needs it to scroll")
	}
	k.unlockPanel("0000")
	h.wantText("Wrong PIN", "7 tries")
	layOutScroll(scroll)
	if o := shownWith(h.app.Window().Content(), "7 tries"); o == nil || !inView(o, 600) {
		t.Errorf("the wrong PIN's message is out of view (offset %v)", scroll.Offset)
	}
}
