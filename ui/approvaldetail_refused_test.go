//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// approveInDetail approves the approval on display with the soft key.
func (a *approvalTest) approveInDetail() {
	a.t.Helper()
	a.tap("Approve with a passkey")
	a.waitText(5*time.Second, "Use a passkey to approve", simulatedKeyLabel)
	a.tap(a.keyButton())
	a.waitText(5*time.Second, "Enter your key's PIN")
	a.typeFocused(keyPIN)
	a.tap("Continue")
}

// TestApprovalRefusedForClone: an answer whose sign counter went
// backwards (the soft key's counter knob, as a copy of the key would
// answer) refuses the approval for good; the detail view says so and
// offers no second try.
func TestApprovalRefusedForClone(t *testing.T) {
	a := newApprovalTest(t)
	a.approveInDetail()
	a.waitText(10*time.Second, "Approved")

	if err := a.key.SetSignCount(0); err != nil {
		t.Fatal(err)
	}
	second, err := a.svc.RequestApproval(context.Background(), a.secret, account.ApprovalRequest{Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	a.tap("Approvals")
	a.waitText(5*time.Second, "Withdrawal of 0.015 BTC")
	a.tap("Open")
	a.approveInDetail()
	a.waitText(10*time.Second, "Request refused", "may be cloned")
	got, err := a.svc.GetApproval(context.Background(), a.secret, second.ID)
	if err != nil || got.State != account.ApprovalRefused {
		t.Fatalf("the requester sees %+v, %v", got, err)
	}
	if d := a.app.shell.detail; d == nil || !d.approve.Disabled() || !d.deny.Disabled() {
		t.Fatal("approve or deny still offered after the refusal")
	}
}
