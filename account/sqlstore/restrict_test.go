package sqlstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestSessionRestrictedRoundTrip: a session is stored with its
// restriction, which can be lifted; an unknown session is ErrNotFound.
func TestSessionRestrictedRoundTrip(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "passkeydesk.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		if err := tx.InsertSession(&account.SessionRecord{Hash: []byte("open"), AccountID: "a1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.InsertSession(&account.SessionRecord{Hash: []byte("held"), AccountID: "a1", CreatedAt: at, ExpiresAt: at.Add(time.Hour), Restricted: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	restricted := func(hash string) bool {
		t.Helper()
		var by, joined bool
		err := s.View(ctx, func(tx account.Tx) error {
			sr, err := tx.SessionByHash([]byte(hash))
			if err != nil {
				return err
			}
			sa, _, err := tx.SessionAccount([]byte(hash))
			if err != nil {
				return err
			}
			by, joined = sr.Restricted, sa.Restricted
			return nil
		})
		if err != nil || by != joined {
			t.Fatalf("session %s: %v, %v, %v", hash, by, joined, err)
		}
		return by
	}
	if restricted("open") || !restricted("held") {
		t.Fatal("the restriction was not stored as given")
	}
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.SetSessionRestricted([]byte("held"), false) }); err != nil {
		t.Fatal(err)
	}
	if restricted("held") || restricted("open") {
		t.Fatal("the restriction was not lifted, or another session changed")
	}
	err = s.Update(ctx, func(tx account.Tx) error { return tx.SetSessionRestricted([]byte("nope"), true) })
	if !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("restricting an unknown session: %v", err)
	}
}

// TestCountPendingApprovals counts one key's approvals that are pending
// and unexpired, not another key's, nor decided or expired ones.
func TestCountPendingApprovals(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "passkeydesk.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	op := account.Operation{Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Destination: "bc1q"}
	rows := []struct {
		key   string
		state account.ApprovalState
		life  time.Duration
	}{
		{"k1", account.ApprovalPending, time.Minute},
		{"k1", account.ApprovalPending, 2 * time.Minute},
		{"k1", account.ApprovalPending, -time.Second}, // expired, not yet marked
		{"k1", account.ApprovalApproved, time.Minute},
		{"k2", account.ApprovalPending, time.Minute},
	}
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		for i, r := range rows {
			a := &account.ApprovalRecord{ID: fmt.Sprint("ap", i), AccountID: "a1", APIKeyID: r.key, Operation: op,
				Nonce: []byte("n"), State: r.state, CreatedAt: at.Add(-time.Minute), ExpiresAt: at.Add(r.life)}
			if err := tx.InsertApproval(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx account.Tx) error {
		for key, want := range map[string]int{"k1": 2, "k2": 1, "k3": 0} {
			if n, err := tx.CountPendingApprovals(key, at); err != nil || n != want {
				return fmt.Errorf("%s: %d, %v; want %d", key, n, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
