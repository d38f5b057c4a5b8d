//go:build cgo

package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelChangePINForm: with the current PIN left empty, Change PIN
// says what is missing and puts the cursor there; Enter moves from field
// to field and, in "New PIN again", changes the PIN.
func TestKeyPanelChangePINForm(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	h.tap("Change PIN…")
	h.typeInto(k.formEntry("New PIN"), "13579")
	h.typeInto(k.formEntry("New PIN again"), "13579")
	h.tap("Change PIN")
	h.wantText("Enter the current PIN")
	if st := k.pinState(); st.Retries != 8 {
		t.Fatalf("the key was asked without a current PIN: %d retries left", st.Retries)
	}
	k.wantFocus("Current PIN")

	h.typeFocused(keyPIN)
	h.press(fyne.KeyReturn)
	k.wantFocus("New PIN")
	h.press(fyne.KeyReturn)
	k.wantFocus("New PIN again")
	h.press(fyne.KeyReturn)
	h.waitText(5*time.Second, "PIN saved on the key.", "Set (8 tries left)")
	k.unlockPanel("13579")
	h.waitText(5*time.Second, "Passkeys on this key")
}

// TestKeyPanelPINRowAfterUnlock: the PIN row shows the retries the key
// counts after an unlock, not those of the wrong try before it.
func TestKeyPanelPINRowAfterUnlock(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	k.unlockPanel("0000")
	h.wantText("Set (7 tries left)")
	k.unlockPanel(keyPIN)
	h.waitText(5*time.Second, "Passkeys on this key")
	h.wantText("Set (8 tries left)")
	h.notText("7 tries")

	// And after a change that follows a wrong current PIN.
	h.tap("Change PIN…")
	h.typeInto(k.formEntry("Current PIN"), "9999")
	h.typeInto(k.formEntry("New PIN"), "13579")
	h.typeInto(k.formEntry("New PIN again"), "13579")
	h.tap("Change PIN")
	h.waitText(5*time.Second, "Set (7 tries left)")
	k.changePIN(keyPIN, "13579")
	h.notText("7 tries")
}

// wantFocus fails unless the field labelled label has the keyboard focus.
func (k *keyTest) wantFocus(label string) {
	k.t.Helper()
	if f := k.canvas().Focused(); f != k.formEntry(label) {
		k.t.Fatalf("the focus is on %T, want the field %q", f, label)
	}
}
