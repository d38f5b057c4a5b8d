package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// sessionsListedAndTouched: a session keeps its client, address,
// last-seen time and passkey; Sessions lists one account's, oldest
// first; TouchSession moves last-seen and expiry; the sessions a passkey
// signed in end together, but the one kept.
func sessionsListedAndTouched(t *testing.T, s account.Store) {
	a := addAccount(t, s, "slt1")
	b := addAccount(t, s, "slt2")
	mk := func(acct string, age time.Duration, pk string) *account.SessionRecord {
		return &account.SessionRecord{Hash: random(32), AccountID: acct, CreatedAt: at.Add(-age), ExpiresAt: at.Add(time.Hour),
			Client: account.ClientBrowser, Address: "192.0.2.7", LastSeenAt: at.Add(-age / 2), PasskeyID: pk}
	}
	old, mid, young, bs := mk(a.ID, 3*time.Hour, "pk1"), mk(a.ID, 2*time.Hour, ""), mk(a.ID, time.Hour, "pk1"), mk(b.ID, 4*time.Hour, "pk1")
	young.Client, young.Address, young.Restricted = account.ClientDesktop, "", true
	update(t, s, func(tx account.Tx) error {
		for _, r := range []*account.SessionRecord{young, bs, old, mid} {
			if err := tx.InsertSession(r); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Sessions(a.ID)
		if err != nil {
			return err
		}
		same(t, "the account's sessions", got, []account.SessionRecord{*old, *mid, *young})
		none, err := tx.Sessions("nobody")
		if len(none) != 0 {
			t.Errorf("sessions of no account: %v", none)
		}
		gs, _, err := tx.SessionAccount(young.Hash)
		same(t, "a session with its account", gs, young)
		return err
	})
	seen, exp := at.Add(time.Minute), at.Add(7*24*time.Hour)
	update(t, s, func(tx account.Tx) error {
		if err := tx.TouchSession(mid.Hash, seen, exp); err != nil {
			return err
		}
		return tx.TouchSession(random(32), seen, exp) // gone: no error
	})
	mid.LastSeenAt, mid.ExpiresAt = seen, exp
	view(t, s, func(tx account.Tx) error {
		got, err := tx.SessionByHash(mid.Hash)
		same(t, "a touched session", got, mid)
		return err
	})
	update(t, s, func(tx account.Tx) error {
		n, err := tx.DeleteSessionsSignedInWith(a.ID, "pk1", young.Hash)
		if n != 1 {
			t.Errorf("ended %d sessions of the passkey, want 1", n)
		}
		return err
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Sessions(a.ID)
		same(t, "the sessions left", got, []account.SessionRecord{*mid, *young})
		left, _ := tx.Sessions(b.ID)
		if len(left) != 1 {
			t.Errorf("another account's session of the same passkey ID went")
		}
		return err
	})
	update(t, s, func(tx account.Tx) error {
		n, err := tx.DeleteSessionsSignedInWith(a.ID, "pk1", nil)
		if n != 1 {
			t.Errorf("ended %d sessions with none kept, want 1", n)
		}
		return err
	})
}

// pendingTOTP: one per account, replaced by the next, dropped on demand
// and with its account.
func pendingTOTP(t *testing.T, s account.Store) {
	a := addAccount(t, s, "pt1")
	b := addAccount(t, s, "pt2")
	p1 := &account.PendingTOTPRecord{AccountID: a.ID, Secret: random(40), GrantHash: random(32), CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
	p2 := &account.PendingTOTPRecord{AccountID: a.ID, Secret: random(40), GrantHash: random(32), CreatedAt: at.Add(time.Minute), ExpiresAt: at.Add(11 * time.Minute)}
	pb := &account.PendingTOTPRecord{AccountID: b.ID, Secret: random(40), GrantHash: random(32), CreatedAt: at, ExpiresAt: at.Add(time.Minute)}
	update(t, s, func(tx account.Tx) error {
		if err := tx.PutPendingTOTP(p1); err != nil {
			return err
		}
		return tx.PutPendingTOTP(pb)
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PendingTOTP(a.ID)
		same(t, "the pending secret", got, p1)
		return err
	})
	update(t, s, func(tx account.Tx) error { return tx.PutPendingTOTP(p2) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PendingTOTP(a.ID)
		same(t, "the replacing secret", got, p2)
		return err
	})
	update(t, s, func(tx account.Tx) error {
		if err := tx.DeletePendingTOTP(a.ID); err != nil {
			return err
		}
		return tx.DeleteAccount(b.ID)
	})
	view(t, s, func(tx account.Tx) error {
		for _, id := range []string{a.ID, b.ID, "nobody"} {
			if _, err := tx.PendingTOTP(id); !errors.Is(err, account.ErrNotFound) {
				t.Errorf("pending secret of %s after deletion: %v", id, err)
			}
		}
		return nil
	})
}
