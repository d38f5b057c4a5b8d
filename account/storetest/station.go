package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// stationCases are the enrollment station's cases (see Run).
var stationCases = []struct {
	name string
	fn   func(*testing.T, account.Store)
}{
	{"Invitations", invitations},
	{"IssuedPasskeyProvenance", issuedPasskeyProvenance},
	{"StationCeremonies", stationCeremonies},
	{"Batches", batches},
	{"BatchEntryClaimsAreSerial", batchEntryClaimsAreSerial},
}

// invitations: written, read, updated; gone with the account.
func invitations(t *testing.T, s account.Store) {
	a := addAccount(t, s, "inv")
	op := addAccount(t, s, "invop")
	r := &account.InvitationRecord{AccountID: a.ID, OperatorID: op.ID, Station: "desk-1", CreatedAt: at}
	update(t, s, func(tx account.Tx) error { return tx.InsertInvitation(r) })
	r.SignedInAt, r.DoneAt = at.Add(time.Hour), at.Add(2*time.Hour)
	update(t, s, func(tx account.Tx) error { return tx.UpdateInvitation(r) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Invitation(a.ID)
		if err != nil {
			return err
		}
		same(t, "the invitation", got, r)
		if _, err := tx.Invitation(op.ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("no invitation: %v", err)
		}
		return nil
	})
	update(t, s, func(tx account.Tx) error { return tx.DeleteAccount(a.ID) })
	view(t, s, func(tx account.Tx) error {
		if _, err := tx.Invitation(a.ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("the invitation outlived its account: %v", err)
		}
		return nil
	})
}

// issuedPasskeyProvenance: a passkey's issued flag and provenance are
// kept, and the flag is cleared by UpdatePasskey.
func issuedPasskeyProvenance(t *testing.T, s account.Store) {
	a := addAccount(t, s, "iss")
	p := newPasskey("issued", 1)
	p.CreatedAt = at
	p.Issued = true
	p.EnrolledBy = &account.Provenance{OperatorID: "op1", Operator: "op@example.com", Station: "desk-1", At: at}
	plain := newPasskey("plain", 2)
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertPasskey(a.ID, p); err != nil {
			return err
		}
		return tx.InsertPasskey(a.ID, plain)
	})
	view(t, s, func(tx account.Tx) error {
		_, got, err := tx.PasskeyByCredentialID(p.CredentialID)
		if err != nil {
			return err
		}
		same(t, "the issued passkey", got, p)
		_, got, err = tx.PasskeyByCredentialID(plain.CredentialID)
		if err != nil {
			return err
		}
		if got.Issued || got.EnrolledBy != nil {
			t.Errorf("a passkey its owner added reads %+v", got)
		}
		return nil
	})
	p.Issued = false
	update(t, s, func(tx account.Tx) error { return tx.UpdatePasskey(a.ID, p) })
	view(t, s, func(tx account.Tx) error {
		pks, err := tx.Passkeys(a.ID)
		if err != nil {
			return err
		}
		for _, got := range pks {
			if got.ID == p.ID {
				same(t, "the passkey in use", got, *p)
			}
		}
		return nil
	})
}

// stationCeremonies: kept after they are finished, until they expire.
func stationCeremonies(t *testing.T, s account.Store) {
	a := addAccount(t, s, "scer")
	op := addAccount(t, s, "scerop")
	c := &account.StationCeremonyRecord{Challenge: "ch1", OperatorID: op.ID, AccountID: a.ID, Station: "desk-1", BatchID: "b", EntryID: "e",
		Session: random(40), CreatedAt: at, ExpiresAt: at.Add(account.StationCeremonyLifetime)}
	update(t, s, func(tx account.Tx) error { return tx.InsertStationCeremony(c) })
	c.CredentialID, c.PasskeyID, c.FinishedAt = random(16), "pk", at.Add(time.Minute)
	update(t, s, func(tx account.Tx) error { return tx.UpdateStationCeremony(c) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.StationCeremony("ch1")
		if err != nil {
			return err
		}
		same(t, "the station ceremony", got, c)
		if _, err := tx.StationCeremony("nope"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown station ceremony: %v", err)
		}
		return nil
	})
	update(t, s, func(tx account.Tx) error { return tx.DeleteExpired(at.Add(time.Minute)) })
	view(t, s, func(tx account.Tx) error {
		_, err := tx.StationCeremony("ch1")
		return err
	})
	update(t, s, func(tx account.Tx) error { return tx.DeleteExpired(c.ExpiresAt) })
	view(t, s, func(tx account.Tx) error {
		if _, err := tx.StationCeremony("ch1"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an expired station ceremony is kept: %v", err)
		}
		return nil
	})
}

// batches: an operator's batches newest first, their entries by
// position, each entry's changes kept; one email once per batch.
func batches(t *testing.T, s account.Store) {
	op := addAccount(t, s, "bop")
	other := addAccount(t, s, "bother")
	b1 := &account.BatchRecord{ID: "b1", OperatorID: op.ID, Name: "Monday", CreatedAt: at}
	b2 := &account.BatchRecord{ID: "b2", OperatorID: op.ID, Name: "Tuesday", CreatedAt: at.Add(24 * time.Hour)}
	b3 := &account.BatchRecord{ID: "b3", OperatorID: other.ID, Name: "Other's", CreatedAt: at}
	e1 := &account.BatchEntry{ID: "e1", BatchID: "b1", Position: 1, Email: "a@example.com", DisplayName: "A", State: account.EntryPending}
	e2 := &account.BatchEntry{ID: "e2", BatchID: "b1", Position: 2, Email: "b@example.com", DisplayName: "B", State: account.EntryPending}
	update(t, s, func(tx account.Tx) error {
		for _, b := range []*account.BatchRecord{b1, b2, b3} {
			if err := tx.InsertBatch(b); err != nil {
				return err
			}
		}
		// Inserted out of order: read by position.
		if err := tx.InsertBatchEntry(e2); err != nil {
			return err
		}
		return tx.InsertBatchEntry(e1)
	})
	dup := &account.BatchEntry{ID: "e3", BatchID: "b1", Position: 3, Email: "a@example.com", DisplayName: "A again", State: account.EntryPending}
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertBatchEntry(dup) }); err == nil {
		t.Error("one email was taken twice in a batch")
	}
	e1.AccountID, e1.State, e1.Reason, e1.KeyLabel, e1.AAGUID = "acct", account.EntryEnrolled, "", "Key ·1a2b", random(16)
	e1.CredentialShortID, e1.PasskeyID, e1.Station, e1.At, e1.ClaimedBy, e1.ClaimedUntil = "abcdefghij", "pk", "desk-1", at, "desk-1", at.Add(time.Minute)
	update(t, s, func(tx account.Tx) error { return tx.UpdateBatchEntry(e1) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Batches(op.ID)
		if err != nil {
			return err
		}
		same(t, "the operator's batches", got, []account.BatchRecord{*b2, *b1})
		gb, err := tx.BatchByID("b3")
		if err != nil {
			return err
		}
		same(t, "a batch", gb, b3)
		if _, err := tx.BatchByID("nope"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown batch: %v", err)
		}
		es, err := tx.BatchEntries("b1")
		if err != nil {
			return err
		}
		same(t, "the batch's entries", es, []account.BatchEntry{*e1, *e2})
		es, err = tx.BatchEntries("b2")
		if err != nil {
			return err
		}
		same(t, "an empty batch's entries", es, []account.BatchEntry{})
		return nil
	})
}

// batchEntryClaimsAreSerial: stations claiming the first free entry at
// once, each in its own transaction, never take the same one.
func batchEntryClaimsAreSerial(t *testing.T, s account.Store) {
	op := addAccount(t, s, "clop")
	const n = 8
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertBatch(&account.BatchRecord{ID: "cb", OperatorID: op.ID, Name: "claims", CreatedAt: at}); err != nil {
			return err
		}
		for i := range n {
			e := &account.BatchEntry{ID: fmt.Sprintf("ce%d", i), BatchID: "cb", Position: i + 1, Email: fmt.Sprintf("c%d@example.com", i),
				DisplayName: "C", State: account.EntryPending}
			if err := tx.InsertBatchEntry(e); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			station := fmt.Sprintf("desk-%d", i)
			var got string
			err := s.Update(ctx, func(tx account.Tx) error {
				got = ""
				es, err := tx.BatchEntries("cb")
				if err != nil {
					return err
				}
				for _, e := range es {
					if e.ClaimedBy == "" {
						e.ClaimedBy, e.ClaimedUntil = station, at.Add(time.Minute)
						got = e.ID
						return tx.UpdateBatchEntry(&e)
					}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if prev, ok := claimed[got]; ok {
				t.Errorf("entry %q claimed by %s and %s", got, prev, station)
			}
			claimed[got] = station
		}()
	}
	wg.Wait()
	view(t, s, func(tx account.Tx) error {
		es, err := tx.BatchEntries("cb")
		for _, e := range es {
			if claimed[e.ID] != e.ClaimedBy {
				t.Errorf("entry %s is held by %q, claimed by %q", e.ID, e.ClaimedBy, claimed[e.ID])
			}
		}
		return err
	})
}
