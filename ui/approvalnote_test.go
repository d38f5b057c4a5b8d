//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// The inbox's word on the last decision goes when the next request
// arrives: "Denied: …" does not stand above a request it is not about.
func TestApprovalNoteGoesWithNextRequest(t *testing.T) {
	a := newApprovalTest(t)
	a.tap("Deny")
	a.waitText(5*time.Second, "Denied: Withdrawal of 0.015 BTC", "Nothing is waiting for approval.")
	// The list read again without a new request keeps it.
	a.app.shell.watch.now()
	a.settle()
	a.wantText("Denied: Withdrawal of 0.015 BTC")

	deposit := account.Operation{Kind: account.OperationDeposit, Asset: "ETH", Amount: "2", Network: "Ethereum",
		Destination: "0x52908400098527886E0F7030069857D2E4169EE7"}
	if _, err := a.svc.RequestApproval(context.Background(), a.secret, account.ApprovalRequest{Operation: deposit}); err != nil {
		t.Fatal(err)
	}
	a.app.shell.watch.now()
	a.waitText(10*time.Second, "Deposit of 2 ETH")
	a.notText("Denied:")
}
