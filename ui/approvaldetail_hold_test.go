package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// The approval detail's hold note names the change that started the hold
// (the account's policy knows it), not a change that might have.
func TestApprovalHoldNoteNamesCause(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	u := h.user("ida@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	pk := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Red key")
	h.clock.Advance(account.RemovalHold) // the additions' hold is over
	key, err := h.svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, key.Secret)
	a, err := h.svc.RequestApproval(ctx, key.Secret, account.ApprovalRequest{Operation: account.Operation{
		Kind: account.OperationWithdrawal, Asset: "BTC", Amount: "0.5", Network: "Bitcoin", Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}})
	if err != nil {
		t.Fatal(err)
	}
	// Asked for before the removal: it waits, held.
	if err := h.svc.RemovePasskey(ctx, u.Session.Token, u.Grant(t, account.PurposeRemovePasskey), pk.ID); err != nil {
		t.Fatal(err)
	}
	if a, err = h.svc.GetApproval(ctx, key.Secret, a.ID); err != nil || a.HeldUntil.IsZero() {
		t.Fatalf("the withdrawal is not held: %+v, %v", a, err)
	}
	h.signedIn(u)
	h.tap("Approvals")
	h.waitText(5*time.Second, "Withdrawal of 0.5 BTC")
	h.tap("Open")
	h.waitText(5*time.Second, "A passkey was removed without another passkey's approval, so withdrawals and C2C trades are held until "+holdTime(a.HeldUntil))
	h.notText("A recent security change")
}
