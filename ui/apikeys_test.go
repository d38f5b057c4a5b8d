package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

func TestAPIKeys(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	h.signedIn(u)
	h.tap("Settings")
	h.wantText("Service API keys", "No API keys yet.")
	var name *widget.Entry
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, "Name, such as") {
			name = e
		}
	})
	if name == nil {
		t.Fatal("no name entry")
	}
	h.typeInto(name, "exchange backend")
	h.tap("Create API key")
	// Making a key takes an identity check first.
	h.waitText(5*time.Second, "first confirm it is you")
	h.notText("is shown only now")
	h.tap("Verify with password and codes")
	check := h.app.shell.settings.apiKeys.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and create")
	h.waitText(5*time.Second, "is shown only now", "exchange backend")
	h.tap("Copy")
	secret := h.fa.Clipboard().Content()
	if !strings.HasPrefix(secret, account.APIKeyPrefix) {
		t.Fatalf("copied %q", secret)
	}
	h.secrets = append(h.secrets, secret)
	ctx := context.Background()
	op := account.Operation{Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Network: "Bitcoin", Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}
	if _, err := h.svc.GetApproval(ctx, secret, "none"); errors.Is(err, account.ErrInvalidAPIKey) {
		t.Fatalf("the copied secret is not a valid key: %v", err)
	}
	h.tap("Done, I saved it")
	h.notText(secret)

	h.tap("Revoke")
	h.wantText("revoked")
	if _, err := h.svc.RequestApproval(ctx, secret, account.ApprovalRequest{Operation: op}); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Fatalf("a revoked key still works: %v", err)
	}
}
