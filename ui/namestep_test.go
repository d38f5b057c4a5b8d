//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestNameStepSkipKeepsTheKeysPasskey: once the key has made the passkey,
// the name step's second button does not drop it (which left it on the
// key, using a slot, unknown to the account): it saves it under the
// suggested name, even when another name was being typed.
func TestNameStepSkipKeepsTheKeysPasskey(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	h := k.harness
	k.toKeyList()
	h.tap("Continue")
	k.enterPIN(keyPIN)
	h.waitText(5*time.Second, "Name your passkey", "The key has made a passkey", skipNamingLabel)
	h.notText("Cancel")
	h.typeInto(h.app.shell.wizard.keys.nameStepEntry(t), "half-typed")
	h.tap(skipNamingLabel)
	if h.app.shell.passkeys == nil {
		t.Fatalf("not back on the passkeys list:\n%s", h.text())
	}
	h.waitText(5*time.Second, "\u201c"+simModel+"\u201d was added to your account")
	list := k.passkeys()
	if len(list) != 1 || list[0].Kind != account.KindSecurityKey || list[0].Name != simModel {
		t.Fatalf("passkeys %+v; want the key's passkey under its default name %q", list, simModel)
	}
}

// nameStepEntry is the name step's entry, on display: the focused one.
func (f *keyFlow) nameStepEntry(t *testing.T) *widget.Entry {
	t.Helper()
	e, ok := f.app.win.Canvas().Focused().(*widget.Entry)
	if !ok {
		t.Fatal("the name entry is not focused")
	}
	return e
}

// TestNameStepSkipKeepsThisComputersPasskey is the same for a passkey
// this computer has made.
func TestNameStepSkipKeepsThisComputersPasskey(t *testing.T) {
	l, h := toLocalNameStep(t)
	h.wantText("This computer has made a passkey", skipNamingLabel)
	h.notText("Cancel")
	h.tap(skipNamingLabel)
	if h.app.shell.passkeys == nil {
		t.Fatalf("not back on the passkeys list:\n%s", h.text())
	}
	h.waitText(5*time.Second, "\u201c"+thisComputerName()+"\u201d was added to your account")
	list, err := h.svc.Passkeys(context.Background(), l.user.Session.Token)
	if err != nil || len(list) != 1 || list[0].Kind != account.KindThisComputer || list[0].Name != thisComputerName() {
		t.Fatalf("passkeys %+v, %v; want this computer's passkey under %q", list, err, thisComputerName())
	}
}

// TestLeavingNameStepKeepsTheKeysPasskey: leaving the name step through
// the sidebar does not drop the passkey the key has made either: the
// account keeps it under the suggested name.
func TestLeavingNameStepKeepsTheKeysPasskey(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	h := k.harness
	k.toKeyList()
	h.tap("Continue")
	k.enterPIN(keyPIN)
	h.waitText(5*time.Second, "Name your passkey")
	h.tap("Overview")
	h.settle()
	list := k.passkeys()
	if len(list) != 1 || list[0].Name != simModel {
		t.Fatalf("passkeys %+v; want the key's passkey under its default name %q", list, simModel)
	}
}

// TestLeavingNameStepKeepsThisComputersPasskey is the same for a passkey
// this computer has made.
func TestLeavingNameStepKeepsThisComputersPasskey(t *testing.T) {
	l, h := toLocalNameStep(t)
	h.tap("Settings")
	h.settle()
	list, err := h.svc.Passkeys(context.Background(), l.user.Session.Token)
	if err != nil || len(list) != 1 || list[0].Name != thisComputerName() {
		t.Fatalf("passkeys %+v, %v; want this computer's passkey under %q", list, err, thisComputerName())
	}
}

// toLocalNameStep adds a passkey with this computer, its PIN set on the
// way, up to the name step.
func toLocalNameStep(t *testing.T) (*localTest, *harness) {
	t.Helper()
	l := newLocalTest(t)
	h := l.harness
	l.toMethods()
	h.tap("This computer")
	h.waitText(5*time.Second, "Choose a PIN for this computer's passkeys")
	f := h.app.shell.wizard.local
	h.typeInto(f.newPIN, localPIN)
	h.typeInto(f.repeatPIN, localPIN)
	h.tap("Set PIN")
	h.waitText(5*time.Second, "Name your passkey")
	return l, h
}
