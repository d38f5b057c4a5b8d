package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// Cancel on a PIN step (prompt.go) is the same in every flow that talks
// to an authenticator: the operation is cancelled and the flow stays,
// where the person can start the operation again.

// TestPromptCancelKeyFlow: the security-key method goes back to its key
// list, says the request was cancelled, and a second try goes through.
func TestPromptCancelKeyFlow(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.key.SetTouch(softkey.TouchAtOnce, 0)
	k.setKeyPIN(keyPIN)
	h := k.harness
	k.toKeyList()
	h.tap("Continue")
	h.waitText(5*time.Second, "Enter your key's PIN")
	h.tap("Cancel")
	h.waitText(5*time.Second, "Cancelled", "Step 3 of 3: add your security key", "This key is plugged in:")
	if h.app.shell.wizard == nil || h.app.shell.passkeys != nil {
		t.Fatalf("Cancel left the wizard:\n%s", h.text())
	}
	// The key is free: its request was cancelled, not left to time out.
	dev := k.openKey()
	if _, err := dev.Info(context.Background()); err != nil {
		t.Fatalf("the key after Cancel: %v", err)
	}
	dev.Close()

	h.tap("Continue")
	k.enterPIN(keyPIN)
	h.waitText(5*time.Second, "Name your passkey")
}

// TestPromptCancelThisComputer: this computer's method stays in the
// wizard (it used to leave it), says the request was cancelled, and Try
// again goes through.
func TestPromptCancelThisComputer(t *testing.T) {
	l := newLocalTest(t)
	l.firstUse()
	h := l.harness
	l.toMethods()
	h.tap("This computer")
	h.waitText(5*time.Second, "Enter the PIN for this computer")
	h.tap("Cancel")
	h.waitText(5*time.Second, "Cancelled", "Step 3 of 3: add this computer")
	if h.app.shell.wizard == nil || h.app.shell.passkeys != nil {
		t.Fatalf("Cancel left the wizard:\n%s", h.text())
	}
	h.notText("security key")
	h.tap("Try again")
	l.enterPIN(localPIN)
	h.waitText(5*time.Second, "Name your passkey")
}

// TestPromptCancelAssertFlow: cancelling the PIN step of a passkey
// sign-in cancels the key's request and ends the passkey flow as
// cancelled: the sign-in screen is back, with no error, and the key is
// free for a second try that goes through.
func TestPromptCancelAssertFlow(t *testing.T) {
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	k.start()
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Use a passkey to sign in")
	k.tap(k.keyButton())
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.tap("Cancel")
	k.waitText(5*time.Second, "Sign in to Passkey Desk", "Password")
	k.notText("Something went wrong", "Enter your key's PIN")
	if k.app.shell != nil {
		t.Fatal("signed in after Cancel")
	}
	dev := k.open()
	if _, err := dev.Info(context.Background()); err != nil {
		t.Fatalf("the key after Cancel: %v", err)
	}
	dev.Close()
	k.passkeySignIn()
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
}
