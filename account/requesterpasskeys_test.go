package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// next takes the watch's next change, failing after a while.
func next(t *testing.T, ch <-chan account.PasskeyChange) account.PasskeyChange {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("the watch ended")
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5 s")
	}
	return account.PasskeyChange{}
}

// TestRequesterFollowsThePasskeys: a requester's key lists the account's
// passkeys with their COSE keys and algorithms (ES256, RS256, EdDSA), and
// its watch sends those held at once as added, then each addition, loss
// and removal; a service key does the same for the account it names.
func TestRequesterFollowsThePasskeys(t *testing.T) {
	fx := newServiceFixture(t)
	rsa := &accounttest.Authenticator{Algorithm: accounttest.AlgRS256}
	fx.ann.AddPasskey(t, rsa, account.KindSecurityKey, "RSA key")
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	byAnn, err := fx.svc.WatchRequesterPasskeys(wctx, fx.annKey.Secret, "")
	if err != nil {
		t.Fatal(err)
	}
	byService, err := fx.svc.WatchRequesterPasskeys(wctx, fx.service.Secret, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	list, err := fx.svc.RequesterPasskeys(ctx, fx.service.Secret, "ann@example.com")
	if err != nil || len(list) != 2 {
		t.Fatalf("Ann's passkeys by the service key: %+v, %v", list, err)
	}
	if list[0].Algorithm != -7 || list[1].Algorithm != -257 || !list[0].StillHeld || len(list[0].PublicKey) == 0 || list[1].Name != "RSA key" {
		t.Fatalf("the list: %+v", list)
	}
	if own, err := fx.svc.RequesterPasskeys(ctx, fx.annKey.Secret, ""); err != nil || len(own) != 2 || own[1].ID != list[1].ID {
		t.Fatalf("Ann's passkeys by her key: %+v, %v", own, err)
	}
	for _, ch := range []<-chan account.PasskeyChange{byAnn, byService} {
		seen := map[string]bool{}
		for range 2 {
			c := next(t, ch)
			if c.Type != account.PasskeyAdded {
				t.Fatalf("a first change %+v", c)
			}
			seen[c.Passkey.ID] = true
		}
		if !seen[list[0].ID] || !seen[list[1].ID] {
			t.Fatalf("the first changes name %v", seen)
		}
	}

	ed := fx.ann.AddPasskey(t, &accounttest.Authenticator{Algorithm: accounttest.AlgEdDSA}, account.KindSecurityKey, "Ed25519 key")
	for _, ch := range []<-chan account.PasskeyChange{byAnn, byService} {
		if c := next(t, ch); c.Type != account.PasskeyAdded || c.Passkey.ID != ed.ID || c.Passkey.Algorithm != -8 {
			t.Fatalf("after an addition: %+v", c)
		}
	}
	if err := fx.svc.MarkPasskeysLost(ctx, fx.ann.Session.Token, fx.ann.Grant(t, account.PurposeRemovePasskey), []string{list[1].ID}, "reset"); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan account.PasskeyChange{byAnn, byService} {
		if c := next(t, ch); c.Type != account.PasskeyRemoved || c.Passkey.ID != list[1].ID || c.Passkey.StillHeld || c.Passkey.LostAt.IsZero() {
			t.Fatalf("after a loss: %+v", c)
		}
	}
	if err := fx.svc.RemovePasskey(ctx, fx.ann.Session.Token, fx.ann.Grant(t, account.PurposeRemovePasskey), ed.ID); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan account.PasskeyChange{byAnn, byService} {
		if c := next(t, ch); c.Type != account.PasskeyRemoved || c.Passkey.ID != ed.ID {
			t.Fatalf("after a removal: %+v", c)
		}
	}
	// Bob's passkeys are not Ann's: her list does not change.
	fx.bob.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Bob's second")
	list, _ = fx.svc.RequesterPasskeys(ctx, fx.annKey.Secret, "")
	if len(list) != 2 || !list[0].StillHeld || list[1].StillHeld {
		t.Fatalf("the list at the end: %+v", list)
	}
	cancel()
	for range byAnn {
	}
	for range byService {
	}
}

// TestPasskeyWatchCapPerKey: a key has MaxPasskeyWatchesPerKey passkey
// watches open at most; another key has its own; one that ends frees its
// place.
func TestPasskeyWatchCapPerKey(t *testing.T) {
	fx := newServiceFixture(t)
	var cancels []context.CancelFunc
	var chans []<-chan account.PasskeyChange
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for i := range account.MaxPasskeyWatchesPerKey {
		wctx, cancel := context.WithCancel(ctx)
		cancels = append(cancels, cancel)
		ch, err := fx.svc.WatchRequesterPasskeys(wctx, fx.annKey.Secret, "")
		if err != nil {
			t.Fatalf("watch %d: %v", i, err)
		}
		chans = append(chans, ch)
	}
	if _, err := fx.svc.WatchRequesterPasskeys(ctx, fx.annKey.Secret, ""); !errors.Is(err, account.ErrTooManyPasskeyWatches) {
		t.Fatalf("one past the cap: %v", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	cancels = append(cancels, cancel)
	if _, err := fx.svc.WatchRequesterPasskeys(wctx, fx.service.Secret, "ann@example.com"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	cancels[0]()
	for range chans[0] {
	}
	wctx, cancel = context.WithCancel(ctx)
	cancels = append(cancels, cancel)
	if _, err := fx.svc.WatchRequesterPasskeys(wctx, fx.annKey.Secret, ""); err != nil {
		t.Fatalf("after one ended: %v", err)
	}
}
