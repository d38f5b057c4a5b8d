//go:build cgo

package ui

import (
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The account's passkeys on a plugged security key are offered for
// deletion before the account goes: the way leads to the key panel, whose
// credential management deletes them from the key.
func TestDeleteAccountOffersKeyPasskeys(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	h := k.harness
	k.setKeyPIN(keyPIN)
	dev := k.openKey()
	k.bindOn(dev, "Blue key", true)
	dev.Close()
	if k.keyCredentials() != 1 {
		t.Fatal("the key does not hold the account's passkey")
	}
	h.tap("Settings")
	h.tap("Delete account…")
	h.settle()
	h.wantText("stay on the keys: \"Blue key\"")
	h.tap("Delete them from a security key…")
	h.waitText(5*time.Second, "Set (8 tries left)")
	k.unlockPanel(keyPIN)
	h.waitText(5*time.Second, "Passkeys on this key", "walt@example.com")
	h.tap("Delete")
	h.wantText("It is one of your account's passkeys")
	h.tap("Delete passkey")
	h.waitText(5*time.Second, "Passkey deleted from the key.")
	if n := k.keyCredentials(); n != 0 {
		t.Fatalf("the key holds %d passkeys after the deletion", n)
	}
	h.tap("Settings")
	h.tap("Delete account…")
	h.wantText("Type your account's email to confirm")
}
