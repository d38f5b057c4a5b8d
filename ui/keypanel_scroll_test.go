//go:build cgo

package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelResetStartsAtTop: at 800×600, scrolled down to "Reset
// key…", the reset shows from the top, its title and its warning in view.
func TestKeyPanelResetStartsAtTop(t *testing.T) {
	h, scroll := unlockedPanelAtBottom(t)
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
	// The message's title: the card's PIN row says "7 tries" too.
	if o := shownWith(h.app.Window().Content(), "Wrong PIN"); o == nil || !inView(o, 600) {
		t.Errorf("the wrong PIN's message is out of view (offset %v)", scroll.Offset)
	}
}

// TestKeyPanelDeleteQuestionInView: at 800×600, scrolled down to the last
// passkey on the key, Delete asks its question under the key's card: the
// view stays near it instead of going back to the top (review).
func TestKeyPanelDeleteQuestionInView(t *testing.T) {
	h, scroll := unlockedPanelAtBottom(t)
	var last *button
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*button); ok && b.Text == "Delete" {
			last = b
		}
	})
	if last == nil {
		t.Fatalf("no Delete button; the window shows:\n%s", h.text())
	}
	test.Tap(last)
	h.settle()
	layOutScroll(scroll)
	for _, s := range []string{"Delete a passkey", "Delete passkey"} {
		if o := shownWith(h.app.Window().Content(), s); o == nil || !inView(o, 600) {
			t.Errorf("%q is out of view (offset %v)", s, scroll.Offset)
		}
	}
}

// unlockedPanelAtBottom is the key panel at 800×600, unlocked and
// scrolled to its bottom.
func unlockedPanelAtBottom(t *testing.T) (*harness, *container.Scroll) {
	t.Helper()
	k := newPanelTest(t, softkey.Options{})
	k.unlockPanel(keyPIN)
	scroll := k.harness.app.shell.content.Objects[0].(*container.Scroll)
	layOutScroll(scroll)
	scroll.ScrollToBottom()
	return k.harness, scroll
}
