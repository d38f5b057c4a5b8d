//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestAddPasskeyVerifiedWithAPasskey: the wizard's check offers the
// account's passkey (through real libfido2 and the soft key). Verified
// that way it says nothing of a hold, and the grant it earned adds a
// passkey that is not held.
func TestAddPasskeyVerifiedWithAPasskey(t *testing.T) {
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	k.clock.Advance(account.RemovalHold) // bound a day ago: its hold is over
	k.signedIn(u)
	k.tap("Passkeys")
	k.tap("Add passkey")
	k.waitText(5*time.Second, "Adding a passkey with your password and code holds withdrawals and C2C trades for 24 hours",
		"Or with one of your passkeys", "Adding a passkey this way holds nothing")
	k.tap("Verify with a passkey")
	k.waitText(5*time.Second, "Use a passkey to verify it is you")
	k.tap(k.keyButton())
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.typeFocused(keyPIN)
	k.tap("Continue")
	k.waitText(10*time.Second, "Your identity is verified.", "Step 2 of 3")
	k.notText("Once it is added, withdrawals and C2C trades are held")

	// The grant is the passkey's: a passkey bound with it is not held.
	ctx := context.Background()
	grant := k.app.shell.wizard.grant.Token
	phone := &accounttest.Authenticator{}
	opts, err := k.svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindPhone)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := phone.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := k.svc.FinishRegistration(ctx, u.Session.Token, grant, cred, "Phone")
	if err != nil || !pk.HeldUntil.IsZero() {
		t.Fatalf("passkey added on the wizard's grant: %+v, %v", pk, err)
	}
	if pol, err := k.svc.Policy(ctx, u.Session.Token); err != nil || !pol.HoldUntil.IsZero() {
		t.Fatalf("policy after it: %+v, %v", pol, err)
	}
}
