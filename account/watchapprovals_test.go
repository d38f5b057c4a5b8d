package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// nextList waits for the watch's next list.
func nextList(t *testing.T, ch <-chan []account.Approval) []account.Approval {
	t.Helper()
	select {
	case list, ok := <-ch:
		if !ok {
			t.Fatal("the watch closed")
		}
		return list
	case <-time.After(5 * time.Second):
		t.Fatal("the watch sent nothing within 5 s")
	}
	return nil
}

// TestWatchApprovals: the watch gives the pending list at once, then the
// new list on a request, an approval and a denial; another account's
// requests do not reach it; a sign-out ends it; a wrong session cannot
// open one.
func TestWatchApprovals(t *testing.T) {
	fx := newApprovalFixture(t)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ch, err := fx.svc.WatchApprovals(wctx, fx.u.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	if list := nextList(t, ch); len(list) != 0 {
		t.Fatalf("the first list: %d approvals", len(list))
	}
	a := fx.request(t, deposit)
	if list := nextList(t, ch); len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("after a request: %+v", list)
	}
	// Another account's request is not this watch's business.
	other := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	other.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Key")
	bobKey, err := fx.svc.CreateAPIKey(ctx, other.Session.Token, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequestApproval(ctx, bobKey.Secret, account.ApprovalRequest{Operation: deposit}); err != nil {
		t.Fatal(err)
	}
	b := fx.request(t, deposit)
	if list := nextList(t, ch); len(list) != 2 || list[1].ID != b.ID {
		t.Fatalf("after a second request: %+v", list)
	}
	if _, err := fx.approve(t, a.ID); err != nil {
		t.Fatal(err)
	}
	if list := nextList(t, ch); len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("after an approval: %+v", list)
	}
	if _, err := fx.svc.DenyApproval(ctx, fx.u.Session.Token, b.ID); err != nil {
		t.Fatal(err)
	}
	if list := nextList(t, ch); len(list) != 0 {
		t.Fatalf("after a denial: %+v", list)
	}
	if _, err := fx.svc.WatchApprovals(ctx, "not-a-session"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("a watch with a wrong session: %v", err)
	}
	if err := fx.svc.SignOut(ctx, fx.u.Session.Token); err != nil {
		t.Fatal(err)
	}
	// The next change finds the session gone and ends the watch.
	fx.request(t, deposit)
	select {
	case list, ok := <-ch:
		if ok {
			t.Fatalf("a signed-out session's watch sent %+v", list)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a signed-out session's watch stayed open")
	}
}
