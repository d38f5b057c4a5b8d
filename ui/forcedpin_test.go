//go:build cgo

package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// fieldOf is the visible form entry labelled label.
func (h *harness) fieldOf(label string) *widget.Entry {
	h.t.Helper()
	var found *widget.Entry
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				if e, ok := it.Widget.(*widget.Entry); ok && it.Text == label {
					found = e
				}
			}
		}
	})
	if found == nil {
		h.t.Fatalf("no visible field %q; the window shows:\n%s", label, h.text())
	}
	return found
}

// TestSignInWithForcedPINChange is the owner's first use of a key enrolled
// for them: the key refuses its PIN until it is changed (CTAP 2.1
// forcePINChange, set here as a station does, with a minimum of 6), so
// signing in with a passkey walks them through choosing their own PIN (a
// wrong current PIN and a too short new one are said and the form stays)
// and then signs them in with the new PIN, without asking for it again.
func TestSignInWithForcedPINChange(t *testing.T) {
	ctx := context.Background()
	k := newSignInKeyTest(t)
	u := k.user("owner@example.com")
	k.bind(u)
	const own = "86421357"
	k.secrets = append(k.secrets, own)
	dev := k.open()
	m := dev.(fido.Manager)
	keyPrompt := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }}
	if err := m.SetMinPINLength(ctx, 6, true, keyPrompt); err != nil {
		t.Fatal(err)
	}
	if info, err := dev.Info(ctx); err != nil || !info.ForcePINChange {
		t.Fatalf("the key does not force a change: %v", err)
	}
	dev.Close()

	k.start()
	k.passkeySignIn()
	k.waitText(5*time.Second, "Choose your own PIN", "at least 6 characters", "to sign in")
	if k.app.shell != nil {
		t.Fatal("signed in before the PIN was changed")
	}
	// The step fits the smallest window (as TestScreensFit800x600 checks
	// for the screens it reaches without a key).
	if min := k.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
		t.Errorf("the forced PIN change needs %v; more than 800×600", min)
	}

	fill := func(current, next, again string) {
		k.typeInto(k.fieldOf("Current PIN"), current)
		k.typeInto(k.fieldOf("New PIN"), next)
		k.typeInto(k.fieldOf("New PIN again"), again)
		k.tap("Save PIN")
	}
	fill(keyPIN, "12345", "12345") // shorter than the key's new minimum
	k.waitText(5*time.Second, "Choose your own PIN")
	if !strings.Contains(k.text(), "6") {
		t.Errorf("the too short PIN is not explained:\n%s", k.text())
	}
	fill("1357", own, own) // a wrong current PIN: the key says so
	k.waitText(5*time.Second, "Choose your own PIN", "Wrong PIN")
	if k.app.shell != nil {
		t.Fatal("signed in with a wrong current PIN")
	}

	fill(keyPIN, own, own)
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
	if k.app.me.Email != u.Email {
		t.Fatalf("signed in as %q", k.app.me.Email)
	}
	k.notText("Enter your key's PIN")

	dev = k.open()
	defer dev.Close()
	info, err := dev.Info(ctx)
	if err != nil || info.ForcePINChange {
		t.Fatalf("the key still forces a change: %v", err)
	}
	if err := dev.ChangePIN(ctx, []byte(own), []byte("97531864")); err != nil {
		t.Errorf("the owner's PIN is not the key's: %v", err)
	}
}

// TestAddPasskeyOnKeyWithForcedPINChange: the add-passkey wizard, given a
// key that says a PIN change is forced, asks for the current PIN and a
// new one first (a wrong current PIN is said and the form stays), then
// makes the passkey with the new PIN, without asking for it again.
func TestAddPasskeyOnKeyWithForcedPINChange(t *testing.T) {
	ctx := context.Background()
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	const own = "75319864"
	k.secrets = append(k.secrets, own)
	dev := k.openKey()
	keyPrompt := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }}
	if err := dev.(fido.Manager).SetMinPINLength(ctx, 0, true, keyPrompt); err != nil {
		t.Fatal(err)
	}
	dev.Close()

	k.toKeyList()
	k.tap("Continue")
	k.waitText(5*time.Second, "Choose your own PIN", "at least 4 characters")
	if min := k.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
		t.Errorf("the step needs %v; more than 800×600", min)
	}
	fill := func(current, next string) {
		k.typeInto(k.fieldOf("Current PIN"), current)
		k.typeInto(k.fieldOf("New PIN"), next)
		k.typeInto(k.fieldOf("New PIN again"), next)
		k.tap("Save PIN")
	}
	fill("1357", own)
	k.waitText(5*time.Second, "Choose your own PIN", "Wrong PIN")
	fill(keyPIN, keyPIN) // the same PIN is no change
	k.waitText(5*time.Second, "Choose your own PIN", "PIN not accepted")
	fill(keyPIN, own)
	k.waitText(5*time.Second, "Name your passkey")
	k.notText("Enter your key's PIN")
	k.tap("Save")
	k.waitText(5*time.Second, "Security key · "+simModel)
	if len(k.passkeys()) != 1 {
		t.Fatalf("%d passkeys", len(k.passkeys()))
	}
	dev = k.openKey()
	defer dev.Close()
	if err := dev.ChangePIN(ctx, []byte(own), []byte("97531864")); err != nil {
		t.Errorf("the new PIN is not the key's: %v", err)
	}
}
