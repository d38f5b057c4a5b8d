//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelResetLastPasskeyAsksCheck: a reset that wipes the account's
// only passkey while "Passkey required" is on cannot mark it lost on the
// session alone. The panel says why and asks for password and codes;
// cancelled, the passkey stays unmarked with words and a way back; with
// the check, it is marked and the hold is said.
func TestKeyPanelResetLastPasskeyAsksCheck(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	ctx := context.Background()
	tok := k.user.Session.Token
	if err := k.svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
		t.Fatal(err)
	}
	name := k.passkeys()[0].Name
	k.unlockPanel(keyPIN)
	h.tap("Reset key…")
	h.wantText("These passkeys of your account will stop working:")
	h.tap("Start reset")
	k.unplug()
	h.waitText(watchLimit*5, "Step 2 of 3")
	k.plug()
	h.waitText(10*time.Second, "The key is reset", "Your last passkey is gone", "\u201c"+name+"\u201d is no longer on a key",
		"\u201cPasskey required\u201d is on", "Verify with password and codes", "held for 24 hours")
	h.notText("Your account now lists the passkeys that were on it as lost")
	if pks := k.passkeys(); pks[0].Lost() {
		t.Fatal("marked lost without a check")
	}

	// Cancelled: not marked, and the panel says what that means.
	h.tap("Cancel")
	h.waitText(5*time.Second, "Not marked lost", "refuses your password at sign-in", "Mark as lost…")
	if pks := k.passkeys(); pks[0].Lost() {
		t.Fatal("marked lost after the check was cancelled")
	}

	// Asked again and answered: marked, with the hold.
	h.tap("Mark as lost…")
	h.tap("Verify with password and codes")
	h.waitText(5*time.Second, "Verify and mark as lost")
	check := k.app.shell.keyPanel.lost.check
	k.typeInto(check.factors.password, k.user.Password)
	k.typeInto(check.factors.totp, k.code(k.user.Secret))
	h.tap("Verify and mark as lost")
	h.waitText(5*time.Second, "\u201c"+name+"\u201d is marked lost", "Sign in with your password and code", "held until")
	h.notText("Your last passkey is gone")
	if pks := k.passkeys(); !pks[0].Lost() || pks[0].LostReason != "the security key was reset" {
		t.Fatalf("the account's passkeys = %+v, want the one passkey, marked lost", pks)
	}
	pol, err := k.svc.Policy(ctx, tok)
	if err != nil || pol.HoldCause != account.HoldPasskeyLost {
		t.Fatalf("policy after the mark: %+v %v", pol, err)
	}
}
