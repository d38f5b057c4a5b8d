//go:build cgo

package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The key panel's feedback at 800×600: each message stands next to the
// part of the panel it is about, stays in view, and goes with its step.

// panelScroll is the key panel's scroll container, laid out.
func panelScroll(k *keyTest) *container.Scroll {
	s := k.app.shell.content.Objects[0].(*container.Scroll)
	layOutScroll(s)
	return s
}

// yOf is where o is on the window, from its top.
func yOf(o fyne.CanvasObject) float32 {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Y
}

// shown finds the visible label or title holding s, or fails.
func (k *keyTest) shown(s string) fyne.CanvasObject {
	k.t.Helper()
	o := shownWith(k.app.Window().Content(), s)
	if o == nil {
		k.t.Fatalf("%q is not shown; the window shows:\n%s", s, k.text())
	}
	return o
}

// wantBetween fails unless the text what is shown in view, below the
// object above and above the object below (nil: no bound).
func (k *keyTest) wantBetween(what string, above, below fyne.CanvasObject) {
	k.t.Helper()
	o := k.shown(what)
	if !inView(o, 600) {
		k.t.Errorf("%q is out of view (at %v)", what, yOf(o))
	}
	if above != nil && yOf(o) <= yOf(above) {
		k.t.Errorf("%q (at %v) is not below what it is about (at %v)", what, yOf(o), yOf(above))
	}
	if below != nil && yOf(o) >= yOf(below) {
		k.t.Errorf("%q (at %v) is not above the next part (at %v)", what, yOf(o), yOf(below))
	}
}

// TestKeyPanelWrongPINByItsField: a wrong PIN is said under the PIN field,
// which keeps the focus and stays in view with the message; the page does
// not jump to the top.
func TestKeyPanelWrongPINByItsField(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	scroll := panelScroll(k)
	scroll.ScrollToBottom()
	layOutScroll(scroll)
	pin := k.entry("PIN of the key")
	if !inView(pin, 600) {
		// Where the person would scroll to reach it.
		scroll.ScrollToOffset(fyne.NewPos(0, scroll.Offset.Y+yOf(pin)-300))
		layOutScroll(scroll)
	}
	if !inView(pin, 600) || scroll.Offset.Y <= 0 {
		t.Fatalf("the test needs the PIN field in view below the top of the page (offset %v)", scroll.Offset)
	}
	k.typeInto(pin, "0000")
	k.press(fyne.KeyReturn)
	k.waitText(5*time.Second, "Wrong PIN", "7 tries")
	layOutScroll(scroll)

	pin = k.entry("PIN of the key")
	if f := k.canvas().Focused(); f != pin {
		t.Errorf("the focus is on %T, want the PIN field", f)
	}
	if !inView(pin, 600) {
		t.Errorf("the PIN field is out of view (offset %v)", scroll.Offset)
	}
	k.wantBetween("Wrong PIN", pin, k.shown("Key policy"))
	// Typed again straight away, the right PIN shows the passkeys.
	k.typeFocused(keyPIN)
	k.press(fyne.KeyReturn)
	k.waitText(5*time.Second, "Passkeys on this key")
	k.notText("Wrong PIN")
}

// TestKeyPanelPINSavedByItsForm: "PIN saved on the key." is said where the
// PIN form was, in view, not at the top of the page; a wrong current PIN
// is said under the form, whose Current PIN field gets the focus again
// and whose new PIN stays typed.
func TestKeyPanelPINSavedByItsForm(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	scroll := panelScroll(k)
	k.tap("Change PIN…")
	k.typeInto(k.formEntry("Current PIN"), "9999")
	k.typeInto(k.formEntry("New PIN"), "13579")
	k.typeInto(k.formEntry("New PIN again"), "13579")
	k.tap("Change PIN")
	k.waitText(5*time.Second, "Wrong PIN", "7 tries")
	layOutScroll(scroll)
	if scroll.Offset.Y <= 0 {
		t.Fatalf("the form fits at the top at 800×600; the test needs the page to scroll")
	}
	current := k.formEntry("Current PIN")
	if f := k.canvas().Focused(); f != current {
		t.Errorf("the focus is on %T, want Current PIN", f)
	}
	if !inView(current, 600) {
		t.Errorf("Current PIN is out of view (offset %v)", scroll.Offset)
	}
	if current.Text != "" || k.formEntry("New PIN").Text != "13579" || k.formEntry("New PIN again").Text != "13579" {
		t.Errorf("after a wrong current PIN the form holds %q, %q, %q; want the current PIN emptied, the new one kept",
			current.Text, k.formEntry("New PIN").Text, k.formEntry("New PIN again").Text)
	}
	k.wantBetween("Wrong PIN", k.button("Change PIN"), nil)

	k.typeFocused(keyPIN)
	k.tap("Change PIN")
	k.waitText(5*time.Second, "PIN saved on the key.", "Set (8 tries left)")
	layOutScroll(scroll)
	k.wantBetween("PIN saved on the key.", k.button("Change PIN…"), k.shown("Key policy"))
	k.notText("Wrong PIN")
}

// TestKeyPanelPolicySavedByThePolicy: "Policy saved on the key." is said
// under the policy, in view at the bottom of the page; it belongs to that
// step: it is gone on the reset screen, after it, and once another part
// of the panel is used.
func TestKeyPanelPolicySavedByThePolicy(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "Passkeys on this key")
	scroll := panelScroll(k)
	scroll.ScrollToBottom()
	layOutScroll(scroll)
	check := k.check("Always require the PIN or built-in verification")
	check.SetChecked(true)
	k.waitText(5*time.Second, "Policy saved on the key.")
	layOutScroll(scroll)
	k.wantBetween("Policy saved on the key.", k.shown("Key policy"), k.shown("Reset"))

	k.tap("Reset key…")
	k.wantText("Reset the key")
	k.notText("Policy saved")
	k.tap("Cancel")
	k.waitText(5*time.Second, "Set (8 tries left)")
	k.notText("Policy saved")

	// Another step in another part: the policy's message is not carried.
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "Passkeys on this key")
	k.check("Always require the PIN or built-in verification").SetChecked(false)
	k.waitText(5*time.Second, "Policy saved on the key.")
	k.tap("Change PIN…")
	k.notText("Policy saved")
}

// TestKeyPanelPINRuleRefusedByItsField: a minimum PIN length the key
// cannot take is said under the policy, in view; the length stays typed
// in its field, which has the focus.
func TestKeyPanelPINRuleRefusedByItsField(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "Passkeys on this key")
	scroll := panelScroll(k)
	scroll.ScrollToBottom()
	layOutScroll(scroll)
	k.typeInto(k.formEntry("Minimum PIN length"), "2")
	k.tap("Apply PIN rules")
	layOutScroll(scroll)
	k.wantBetween("Minimum PIN length not allowed", k.shown("Key policy"), k.shown("Reset"))
	length := k.formEntry("Minimum PIN length")
	if length.Text != "2" {
		t.Errorf("the length field holds %q after the refusal; want what was typed", length.Text)
	}
	if f := k.canvas().Focused(); f != length {
		t.Errorf("the focus is on %T, want the length field", f)
	}
	// Fixed there, the rule is saved and said so in the same place.
	k.typeInto(length, "6")
	k.tap("Apply PIN rules")
	k.waitText(5*time.Second, "Policy saved on the key.", "Minimum PIN length 6")
	k.notText("not allowed")
}
