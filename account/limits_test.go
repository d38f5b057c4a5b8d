package account_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestPendingApprovalCap: of many concurrent requests by one API key,
// exactly MaxPendingApprovals are accepted; the rest get
// ErrTooManyPending and leave nothing behind. A decision or an expiry
// makes room; another key of the account has a cap of its own.
func TestPendingApprovalCap(t *testing.T) {
	fx := newApprovalFixture(t)
	const n = account.MaxPendingApprovals + 12
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted []string
		refused  int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted = append(accepted, a.ID)
			case errors.Is(err, account.ErrTooManyPending):
				refused++
			default:
				t.Errorf("request: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(accepted) != account.MaxPendingApprovals || refused != n-account.MaxPendingApprovals {
		t.Fatalf("%d accepted, %d refused; want %d and %d", len(accepted), refused, account.MaxPendingApprovals, n-account.MaxPendingApprovals)
	}
	if list, _ := fx.svc.PendingApprovals(ctx, fx.u.Session.Token); len(list) != account.MaxPendingApprovals {
		t.Fatalf("%d pending in the inbox", len(list))
	}
	events, _ := fx.svc.Activity(ctx, fx.u.Session.Token, 100)
	requested := 0
	for _, e := range events {
		if e.Type == account.EventApprovalRequested {
			requested++
		}
	}
	if requested != account.MaxPendingApprovals {
		t.Fatalf("%d approval-requested events", requested)
	}

	// Another key of the same account is not held back by this one.
	other, err := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeCreateAPIKey), "second backend")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequestApproval(ctx, other.Secret, account.ApprovalRequest{Operation: withdrawal}); err != nil {
		t.Fatalf("another key: %v", err)
	}

	// A denial makes room for one.
	if _, err := fx.svc.DenyApproval(ctx, fx.u.Session.Token, accepted[0]); err != nil {
		t.Fatal(err)
	}
	fx.request(t, withdrawal)
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal}); !errors.Is(err, account.ErrTooManyPending) {
		t.Fatalf("over the cap again: %v", err)
	}

	// Expired requests no longer count.
	fx.clock.Advance(account.ApprovalLifetime)
	fx.request(t, withdrawal)
}
