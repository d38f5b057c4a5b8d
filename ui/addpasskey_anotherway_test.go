//go:build cgo

package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// After a method fails, the wizard offers the methods again on the same
// identity check while its grant is valid; once it has expired, a new
// check starts and says why.

// TestAddPasskeyAnotherWayAfterKeyAlreadyAdded: a key that already holds
// the account's passkey says so; "Choose another way" offers the methods
// again without a new check, and another key is added on the same grant.
func TestAddPasskeyAnotherWayAfterKeyAlreadyAdded(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	h := k.harness
	k.setKeyPIN(keyPIN)
	k.register()
	k.toKeyList()
	w := h.app.shell.wizard
	grant := w.grant.Token
	h.tap("Continue")
	k.enterPIN(keyPIN)
	h.waitText(5*time.Second, "Key already added")

	h.tap("Choose another way")
	h.wantText("Step 2 of 3: choose how to add it", "Your identity is verified")
	h.notText("Step 1 of 3", "Key already added")
	if w.grant == nil || w.grant.Token != grant {
		t.Fatal("choosing another way did not keep the identity check's grant")
	}

	// Another key, on the same check: no password, no code.
	k.unplug()
	plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	h.tap("Security key")
	h.waitText(5*time.Second, "Step 3 of 3: add your security key", "This key is plugged in:")
	h.tap("Continue")
	h.waitText(5*time.Second, "Set a PIN for your key")
	k.fillSetPIN(keyPIN, keyPIN)
	h.tap("Set PIN")
	h.waitText(5*time.Second, "Name your passkey")
	h.tap("Save")
	h.waitText(5*time.Second, "was added to your account")
	if n := len(k.passkeys()); n != 2 {
		t.Fatalf("the account has %d passkeys, want 2", n)
	}
}

// TestAddPasskeyAnotherWayOnceTheCheckExpired: with the grant expired,
// "Choose another way" starts a new identity check and says why.
func TestAddPasskeyAnotherWayOnceTheCheckExpired(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	h := k.harness
	k.setKeyPIN(keyPIN)
	k.register()
	k.toKeyList()
	h.tap("Continue")
	k.enterPIN(keyPIN)
	h.waitText(5*time.Second, "Key already added")
	h.clock.Advance(account.GrantLifetime)
	h.tap("Choose another way")
	h.waitText(5*time.Second, "Step 1 of 3: verify your identity", "the last one has expired")
	h.notText("Step 2 of 3")
}

// TestPhoneMethodAnotherWayAfterCancel: a phone link cancelled (here by
// the service, as the phone page's Cancel does) leaves the step with a new
// QR code and the other methods, on the same check; the dead link's Copy
// and Open go.
func TestPhoneMethodAnotherWayAfterCancel(t *testing.T) {
	p := newPhoneTest(t)
	flow := p.toPhone()
	w := p.app.shell.wizard
	grant := w.grant.Token
	p.notText("Choose another way")
	if err := p.svc.CancelPhoneEnrollment(context.Background(), p.user.Session.Token, flow.enr.ID); err != nil {
		t.Fatal(err)
	}
	p.waitText(5*time.Second, "The enrollment was canceled")
	p.fits("phone canceled")
	for _, b := range p.buttons() {
		if b == "Copy" || b == "Copied" || b == "Open in browser" {
			t.Errorf("the dead link's %q button is still shown", b)
		}
	}
	p.tap("Choose another way")
	p.wantText("Step 2 of 3: choose how to add it")
	p.notText("Step 1 of 3")
	p.tap("Phone or tablet")
	p.waitText(5*time.Second, "Waiting for the phone to open the link.")
	if w.grant.Token != grant || w.phone == nil || w.phone.enr == nil || w.phone.enr.ID == flow.enr.ID {
		t.Fatal("the new link was not made on the same identity check")
	}
}

// TestAddPasskeyOffersThePasskeyJustAdded: right after the first passkey
// is added, adding another offers it to verify with (as removal does),
// and it gives the grant: no password, no code.
func TestAddPasskeyOffersThePasskeyJustAdded(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	h := k.harness
	k.setKeyPIN(keyPIN)
	k.register()
	h.tap("Add passkey")
	h.waitText(5*time.Second, "Step 1 of 3: verify your identity", "Or with one of your passkeys")
	h.tap("Verify with a passkey")
	k.waitText(5*time.Second, "Use a passkey to verify it is you")
	for _, b := range h.buttons() {
		if strings.Contains(b, simulatedKeyLabel) {
			h.tap(b)
			break
		}
	}
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.typeFocused(keyPIN)
	k.tap("Continue")
	h.waitText(10*time.Second, "Step 2 of 3: choose how to add it", "Your identity is verified")
	h.notText("because you confirmed with your password and code")
}
