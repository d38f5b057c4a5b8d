//go:build cgo

package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestRemoveDoesNotAskThePasskeyBeingRemoved: the passkey way promises no
// hold, and the service holds withdrawals when a passkey approves its own
// removal; so the passkey being removed is not asked for. The key that
// holds only that passkey has none to offer, nothing is removed and no
// hold starts. Removing the other passkey with this key then works, and
// the list says no hold started.
func TestRemoveDoesNotAskThePasskeyBeingRemoved(t *testing.T) {
	k, u := newRemoveTest(t, 2)
	own := k.app.shell.passkeys.rows[0].pk // on the plugged key
	test.Tap(k.app.shell.passkeys.rows[0].removeBtn)
	k.settle()
	k.waitText(5*time.Second, "With one of your passkeys")
	k.wantText("not \u201c" + own.Name + "\u201d itself")
	k.tap("Verify with a passkey")
	k.waitText(5*time.Second, "Use a passkey to verify it is you")
	k.tap(k.keyButton())
	k.waitFor("the PIN step or an answer", 10*time.Second, func() bool {
		s := k.text()
		return strings.Contains(s, "Enter your key's PIN") || strings.Contains(s, "was removed") || strings.Contains(s, "No other passkey here")
	})
	if strings.Contains(k.text(), "Enter your key's PIN") {
		k.typeFocused(keyPIN)
		k.tap("Continue")
	}
	k.waitFor("an answer", 10*time.Second, func() bool {
		s := k.text()
		return strings.Contains(s, "was removed") || strings.Contains(s, "No other passkey here")
	})
	if n := passkeyCount(t, k, u.Session.Token); n != 2 {
		t.Errorf("%d passkeys left, want 2: the passkey approved its own removal", n)
	}
	pol, err := k.svc.Policy(context.Background(), u.Session.Token)
	if err != nil || !pol.HoldUntil.IsZero() {
		t.Fatalf("a hold started: %+v, %v", pol, err)
	}
	k.wantText("No other passkey here", "as a passkey cannot approve its own removal")

	// The other passkey, approved by this key's: removed, no hold, and
	// the list says so.
	k.tap("Back to passkeys")
	k.waitText(5*time.Second, "Remove")
	test.Tap(k.app.shell.passkeys.rows[1].removeBtn)
	k.settle()
	k.waitText(5*time.Second, "Verify with a passkey")
	k.verifyWithKey()
	k.waitText(10*time.Second, "was removed", "Withdrawals and C2C trades are not held.")
}

// TestRemoveSaysWhatApplies: without mail delivery the choice does not
// talk of email codes; after a removal by password and code the list
// says the hold started and until when, in local time.
func TestRemoveSaysWhatApplies(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "Phone")
	h.signedIn(u)
	h.startRemoval()
	h.waitText(5*time.Second, "Verify with password and codes", "Your password and the code from your authenticator app.")
	if s := strings.ToLower(h.text()); strings.Contains(s, "email") {
		t.Errorf("the choice talks of email, which is not set up:\n%s", h.text())
	}
	h.tap("Verify with password and codes")
	check := h.app.shell.passkeys.removal.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and remove")
	h.waitText(5*time.Second, "was removed")
	pol, err := h.svc.Policy(context.Background(), u.Session.Token)
	if err != nil || pol.HoldUntil.IsZero() {
		t.Fatalf("no hold: %+v, %v", pol, err)
	}
	h.wantText("withdrawals and C2C trades are held until " + pol.HoldUntil.Local().Format("Mon 2 Jan 15:04"))
	h.notText(pol.HoldUntil.Format(time.RFC3339), "Withdrawals and C2C trades are not held")
}

// TestRemoveSaysEmailCodeWhenSetUp: with mail delivery the choice says an
// email code will be asked for.
func TestRemoveSaysEmailCodeWhenSetUp(t *testing.T) {
	mail := &mailbox{}
	h := newHarness(t, harnessOptions{mailer: mail})
	u := h.user("ann@example.com")
	addPasskeyWithEmailCode(t, h, mail, u)
	h.signedIn(u)
	h.startRemoval()
	h.waitText(5*time.Second, "Verify with password and codes", "a code emailed to you once you choose this way")
	h.notText("when email is set up")
}
