package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// emailStates: an account has the zero state until one is put; a put
// replaces the whole state, nanoseconds and a nil code hash kept; states
// belong to their account and go with it.
func emailStates(t *testing.T, s account.Store) {
	a := addAccount(t, s, "mail-a")
	b := addAccount(t, s, "mail-b")
	get := func(id string) account.EmailState {
		t.Helper()
		var st account.EmailState
		view(t, s, func(tx account.Tx) error {
			var err error
			st, err = tx.EmailState(id)
			return err
		})
		return st
	}
	same(t, "a new account's state", get(a.ID), account.EmailState{})
	first := account.EmailState{Pending: a.Email, CodeHash: random(32), CodeExpiresAt: at.Add(time.Hour),
		Failures: 2, Sends: 3, SendsSince: at}
	update(t, s, func(tx account.Tx) error { return tx.PutEmailState(a.ID, first) })
	same(t, "the state put", get(a.ID), first)
	same(t, "another account's state", get(b.ID), account.EmailState{})

	second := account.EmailState{Verified: a.Email, Sends: 3, SendsSince: at}
	update(t, s, func(tx account.Tx) error { return tx.PutEmailState(a.ID, second) })
	got := get(a.ID)
	if got.CodeHash != nil && len(got.CodeHash) != 0 {
		t.Errorf("the code hash survived a put without one: %x", got.CodeHash)
	}
	got.CodeHash = nil
	same(t, "the state replaced", got, second)

	update(t, s, func(tx account.Tx) error { return tx.DeleteAccount(a.ID) })
	same(t, "a deleted account's state", get(a.ID), account.EmailState{})
}

// knownDevices: a device is new once per account, also when several
// transactions see it at once; devices belong to their account.
func knownDevices(t *testing.T, s account.Store) {
	a := addAccount(t, s, "dev-a")
	b := addAccount(t, s, "dev-b")
	see := func(id string, h []byte) (bool, error) {
		var isNew bool
		err := s.Update(ctx, func(tx account.Tx) error {
			var err error
			isNew, err = tx.SeeDevice(id, h, at)
			return err
		})
		return isNew, err
	}
	dev := random(32)
	if n, err := see(a.ID, dev); err != nil || !n {
		t.Fatalf("first sighting: new=%v, %v", n, err)
	}
	if n, err := see(a.ID, dev); err != nil || n {
		t.Fatalf("second sighting: new=%v, %v", n, err)
	}
	if n, err := see(b.ID, dev); err != nil || !n {
		t.Fatalf("the same device for another account: new=%v, %v", n, err)
	}

	other := random(32)
	var news atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := see(a.ID, other)
			if err != nil && !errors.Is(err, account.ErrCeremonyExpired) {
				t.Error(err)
			}
			if n {
				news.Add(1)
			}
		}()
	}
	wg.Wait()
	if news.Load() != 1 {
		t.Errorf("8 concurrent first sightings: %d new", news.Load())
	}
	update(t, s, func(tx account.Tx) error { return tx.DeleteAccount(a.ID) })
	if n, err := see(b.ID, dev); err != nil || n {
		t.Fatalf("another account's device after a deletion: new=%v, %v", n, err)
	}
}
