//go:build cgo

package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelPINRules drives the minimum PIN length and the forced PIN
// change of the key policy: the key's info says what was set, a shorter
// PIN is refused before the key is asked, and after a forced change the
// panel asks for a new PIN before anything else.
func TestKeyPanelPINRules(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.unlockPanel(keyPIN)
	k.wantText("Passkeys on this key", "Minimum PIN length")

	// Lowering the minimum is refused by the panel.
	k.typeInto(k.formEntry("Minimum PIN length"), "3")
	k.tap("Apply PIN rules")
	k.wantText("Minimum PIN length not allowed")
	if info, err := k.openKey().Info(context.Background()); err != nil || info.MinPINLength != 4 {
		t.Fatalf("the key was asked with a lower minimum: %+v %v", info, err)
	}

	// Raising it above the PIN's own length makes the key force a change
	// (CTAP 2.1 setMinPINLength): the card says so and the list goes.
	k.typeInto(k.formEntry("Minimum PIN length"), "6")
	k.tap("Apply PIN rules")
	k.waitText(5*time.Second, "Policy saved on the key.", "Set; a change is required before the key can be used")
	k.notText("Passkeys on this key")
	info, err := k.openKey().Info(context.Background())
	if err != nil || info.MinPINLength != 6 || !info.ForcePINChange {
		t.Fatalf("after setting 6 over a PIN of 4: %+v %v, want minimum 6 and a forced change", info, err)
	}
	if p := k.app.shell.keyPanel; p.info.MinPINLength != 6 {
		t.Fatalf("the panel shows minimum %d, want 6", p.info.MinPINLength)
	}

	// A PIN of 5 is now too short: refused before the key is asked.
	k.tap("Change PIN…")
	k.typeInto(k.formEntry("Current PIN"), keyPIN)
	k.typeInto(k.formEntry("New PIN"), "13579")
	k.typeInto(k.formEntry("New PIN again"), "13579")
	k.tap("Change PIN")
	k.wantText("at least 6")
	if st := k.pinState(); st.Retries != 8 {
		t.Fatalf("the key was asked with a too short PIN: %d retries left", st.Retries)
	}
	k.changePIN(keyPIN, "135790")

	// Forcing a change with the minimum left as it is.
	k.unlockPanel("135790")
	k.waitText(5*time.Second, "Passkeys on this key", "3 used")
	k.check("Require a new PIN at next use").SetChecked(true)
	k.settle()
	k.tap("Apply PIN rules")
	k.waitText(5*time.Second, "Policy saved on the key.", "Set; a change is required before the key can be used")
	k.notText("Passkeys on this key")
	if info, err := k.openKey().Info(context.Background()); err != nil || !info.ForcePINChange || info.MinPINLength != 6 {
		t.Fatalf("after forcing a change: %+v %v, want a forced change and minimum 6", info, err)
	}
	k.changePIN("135790", "246802")
	k.unlockPanel("246802")
	k.waitText(5*time.Second, "Passkeys on this key", "3 used")
}

// changePIN changes the PIN in the open change form (or opens it) and
// checks the key no longer asks for a change.
func (k *keyTest) changePIN(old, pin string) {
	k.t.Helper()
	if !strings.Contains(k.text(), "Current PIN") {
		k.tap("Change PIN…")
	}
	k.typeInto(k.formEntry("Current PIN"), old)
	k.typeInto(k.formEntry("New PIN"), pin)
	k.typeInto(k.formEntry("New PIN again"), pin)
	k.tap("Change PIN")
	k.waitText(5*time.Second, "PIN saved on the key.", "Set (8 tries left)")
	if info, err := k.openKey().Info(context.Background()); err != nil || info.ForcePINChange {
		k.t.Fatalf("a forced change still pending after the change: %+v %v", info, err)
	}
}
