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
	bobKey, err := fx.svc.CreateAPIKey(ctx, other.Session.Token, other.Grant(t, account.PurposeCreateAPIKey), "bob")
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

// TestApprovalWatchesCountAgainstTheSessionCap: a session's approval
// watches and enrollment watches share MaxWatchesPerSession; opened at
// once, exactly that many start, and one ended gives its place back.
func TestApprovalWatchesCountAgainstTheSessionCap(t *testing.T) {
	fx := newApprovalFixture(t)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	const tries = 10
	type result struct {
		ch  <-chan []account.Approval
		err error
	}
	results := make(chan result, tries)
	for range tries {
		go func() {
			ch, err := fx.svc.WatchApprovals(wctx, fx.u.Session.Token)
			results <- result{ch, err}
		}()
	}
	var open []<-chan []account.Approval
	for range tries {
		r := <-results
		switch {
		case r.err == nil:
			open = append(open, r.ch)
		case !errors.Is(r.err, account.ErrTooManyWatches):
			t.Fatalf("a watch past the cap: %v", r.err)
		}
	}
	if len(open) != account.MaxWatchesPerSession {
		t.Fatalf("%d watches started at once, want %d", len(open), account.MaxWatchesPerSession)
	}
	// Another session has places of its own.
	other := accounttest.SignUp(t, fx.svc, fx.clock, "carol@example.com")
	if _, err := fx.svc.WatchApprovals(wctx, other.Session.Token); err != nil {
		t.Fatalf("another session's watch: %v", err)
	}
	// Ending one (its context) gives the place back.
	one, cancel := context.WithCancel(ctx)
	stop()
	for _, ch := range open {
		for range ch {
		}
	}
	defer cancel()
	if _, err := fx.svc.WatchApprovals(one, fx.u.Session.Token); err != nil {
		t.Fatalf("a watch after the others ended: %v", err)
	}
}
