// Package storetest is the conformance suite of the account.Store
// contract: what every store (SQLite, PostgreSQL) must do the same way,
// checked row by row. A store's tests call Run with a function that opens
// an empty store.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) account.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, account.Store)
	}{
		{"Accounts", accounts},
		{"FactorStates", factorStates},
		{"SessionsVerificationsGrants", sessionsVerificationsGrants},
		{"CeremonyIsTakenOnce", ceremonyIsTakenOnce},
		{"ChallengeIsUsedOnce", challengeIsUsedOnce},
		{"Passkeys", passkeys},
		{"AccountAndPasskeys", accountAndPasskeys},
		{"Events", events},
		{"PhoneEnrollments", phoneEnrollments},
		{"PhoneSignIns", phoneSignIns},
		{"APIKeysAndApprovals", apiKeysAndApprovals},
		{"ServiceKeys", serviceKeys},
		{"RecoveryCodes", recoveryCodes},
		{"DeleteOtherSessions", deleteOtherSessions},
		{"EmailStates", emailStates},
		{"KnownDevices", knownDevices},
		{"AccountDeletions", accountDeletions},
		{"SessionsListedAndTouched", sessionsListedAndTouched},
		{"PendingTOTP", pendingTOTP},
		{"ApprovalLinks", approvalLinks},
		{"PolicyAndSettings", policyAndSettings},
		{"DeleteExpired", deleteExpired},
		{"FailedUpdateWritesNothing", failedUpdateWritesNothing},
		{"ConcurrentUpdatesAreSerial", concurrentUpdatesAreSerial},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	for _, tc := range stationCases {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var ctx = context.Background()

// at is a fixed time with nanoseconds, to see that they survive.
var at = time.Date(2026, 12, 1, 10, 30, 0, 123456789, time.UTC)

func update(t *testing.T, s account.Store, fn func(account.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, s account.Store, fn func(account.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func newAccount(id string) *account.AccountRecord {
	return &account.AccountRecord{ID: id, Email: id + "@example.com", DisplayName: "User " + id, Role: account.RoleUser,
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", TOTPSecret: random(40), UserHandle: random(32),
		Active: true, CreatedAt: at}
}

func addAccount(t *testing.T, s account.Store, id string) *account.AccountRecord {
	t.Helper()
	a := newAccount(id)
	update(t, s, func(tx account.Tx) error { return tx.InsertAccount(a) })
	return a
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func accounts(t *testing.T, s account.Store) {
	a := addAccount(t, s, "acct1")
	view(t, s, func(tx account.Tx) error {
		for name, get := range map[string]func() (*account.AccountRecord, error){
			"by ID":          func() (*account.AccountRecord, error) { return tx.AccountByID(a.ID) },
			"by email":       func() (*account.AccountRecord, error) { return tx.AccountByEmail(a.Email) },
			"by user handle": func() (*account.AccountRecord, error) { return tx.AccountByUserHandle(a.UserHandle) },
		} {
			got, err := get()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			same(t, "account "+name, got, a)
		}
		if _, err := tx.AccountByEmail("nobody@example.com"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown email: %v, want ErrNotFound", err)
		}
		if _, err := tx.AccountByID("nope"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown ID: %v, want ErrNotFound", err)
		}
		return nil
	})
	dup := newAccount("acct2")
	dup.Email = a.Email
	err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertAccount(dup) })
	if !errors.Is(err, account.ErrEmailTaken) {
		t.Errorf("a taken email: %v, want ErrEmailTaken", err)
	}
	// The transaction goes on after a refused insert, as the service
	// expects (it reports the refusal and may write an event).
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertAccount(dup); !errors.Is(err, account.ErrEmailTaken) {
			return fmt.Errorf("a taken email inside a transaction: %v", err)
		}
		a.DisplayName, a.Active, a.Role = "Renamed", false, account.RoleAdmin
		return tx.UpdateAccount(a)
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.AccountByID(a.ID)
		if err == nil {
			same(t, "the updated account", got, a)
		}
		return err
	})
	update(t, s, func(tx account.Tx) error { return tx.DeleteAccount(a.ID) })
	view(t, s, func(tx account.Tx) error {
		if _, err := tx.AccountByID(a.ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a deleted account: %v", err)
		}
		return nil
	})
}

func factorStates(t *testing.T, s account.Store) {
	a := addAccount(t, s, "fs")
	view(t, s, func(tx account.Tx) error {
		st, err := tx.FactorState(a.ID, account.FactorTOTP)
		same(t, "an unset factor state", st, account.FactorState{})
		return err
	})
	want := account.FactorState{Failures: 3, LockedUntil: at.Add(time.Minute), LastStep: 59000123,
		Locks: 2, InFlight: 1, InFlightAt: at.Add(time.Second), LastFailure: at.Add(2 * time.Second)}
	update(t, s, func(tx account.Tx) error { return tx.PutFactorState(a.ID, account.FactorTOTP, want) })
	update(t, s, func(tx account.Tx) error {
		return tx.PutFactorState(a.ID, account.FactorPassword, account.FactorState{Failures: 1})
	})
	view(t, s, func(tx account.Tx) error {
		st, err := tx.FactorState(a.ID, account.FactorTOTP)
		same(t, "the TOTP state", st, want)
		return err
	})
	want.Failures, want.InFlight = 0, 0
	update(t, s, func(tx account.Tx) error { return tx.PutFactorState(a.ID, account.FactorTOTP, want) })
	view(t, s, func(tx account.Tx) error {
		st, err := tx.FactorState(a.ID, account.FactorTOTP)
		same(t, "the overwritten TOTP state", st, want)
		return err
	})

	// The state of an email no account has, by its MAC.
	mac := random(32)
	view(t, s, func(tx account.Tx) error {
		st, err := tx.UnknownEmailState(mac)
		same(t, "an unset unknown-email state", st, account.FactorState{})
		return err
	})
	unknown := account.FactorState{Failures: 4, LockedUntil: at.Add(time.Hour), Locks: 1, InFlight: 2,
		InFlightAt: at, LastFailure: at.Add(time.Minute)}
	update(t, s, func(tx account.Tx) error { return tx.PutUnknownEmailState(mac, unknown) })
	unknown.Failures = 5
	update(t, s, func(tx account.Tx) error { return tx.PutUnknownEmailState(mac, unknown) })
	view(t, s, func(tx account.Tx) error {
		st, err := tx.UnknownEmailState(mac)
		same(t, "the unknown-email state", st, unknown)
		return err
	})
}

func sessionsVerificationsGrants(t *testing.T, s account.Store) {
	a := addAccount(t, s, "svg")
	sess := &account.SessionRecord{Hash: random(32), AccountID: a.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	restricted := &account.SessionRecord{Hash: random(32), AccountID: a.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour), Restricted: true}
	v := &account.VerificationRecord{ID: "v1", AccountID: a.ID, SessionHash: sess.Hash, Purpose: account.PurposeAddPasskey,
		Factors: []account.Factor{account.FactorPassword, account.FactorTOTP}, EmailCodeHash: random(32), ExpiresAt: at.Add(time.Minute)}
	g := &account.GrantRecord{Hash: random(32), AccountID: a.ID, Purpose: account.PurposeRemovePasskey, ExpiresAt: at.Add(time.Minute), PasskeyID: "pk"}
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertSession(restricted); err != nil {
			return err
		}
		if err := tx.InsertSession(sess); err != nil {
			return err
		}
		if err := tx.InsertVerification(v); err != nil {
			return err
		}
		return tx.InsertGrant(g)
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.SessionByHash(sess.Hash)
		if err != nil {
			return err
		}
		same(t, "the session", got, sess)
		gs, ga, err := tx.SessionAccount(sess.Hash)
		if err != nil {
			return err
		}
		same(t, "the session with its account", gs, sess)
		same(t, "the session's account", ga, a)
		gv, err := tx.VerificationByID(v.ID)
		if err != nil {
			return err
		}
		same(t, "the verification", gv, v)
		gg, err := tx.GrantByHash(g.Hash)
		if err != nil {
			return err
		}
		same(t, "the grant", gg, g)
		if _, err := tx.SessionByHash(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown session: %v", err)
		}
		if _, _, err := tx.SessionAccount(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown session's account: %v", err)
		}
		got, _, err = tx.SessionAccount(restricted.Hash)
		same(t, "a restricted session", got, restricted)
		return err
	})
	update(t, s, func(tx account.Tx) error {
		if err := tx.SetSessionRestricted(random(32), true); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("restricting an unknown session: %v", err)
		}
		return tx.SetSessionRestricted(restricted.Hash, false)
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.SessionByHash(restricted.Hash)
		if err == nil && got.Restricted {
			t.Error("the session is still restricted")
		}
		return err
	})
	update(t, s, func(tx account.Tx) error {
		if err := tx.DeleteSession(sess.Hash); err != nil {
			return err
		}
		if err := tx.DeleteVerification(v.ID); err != nil {
			return err
		}
		return tx.DeleteGrant(g.Hash)
	})
	view(t, s, func(tx account.Tx) error {
		if _, err := tx.SessionByHash(sess.Hash); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a deleted session: %v", err)
		}
		if _, err := tx.VerificationByID(v.ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a deleted verification: %v", err)
		}
		if _, err := tx.GrantByHash(g.Hash); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a deleted grant: %v", err)
		}
		return nil
	})
}

// ceremonyIsTakenOnce: of many concurrent takers of one challenge, exactly
// one gets it.
func ceremonyIsTakenOnce(t *testing.T, s account.Store) {
	a := addAccount(t, s, "cer")
	c := &account.CeremonyRecord{Challenge: "chal-1", AccountID: a.ID, Type: account.CeremonyRegistration, Kind: account.KindPhone,
		Session: []byte("session data"), ExpiresAt: at}
	discoverable := &account.CeremonyRecord{Challenge: "chal-2", Type: account.CeremonyLogin, Session: []byte("s"), ExpiresAt: at}
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertCeremony(c); err != nil {
			return err
		}
		return tx.InsertCeremony(discoverable)
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var taken []*account.CeremonyRecord
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got *account.CeremonyRecord
			err := s.Update(ctx, func(tx account.Tx) error {
				var err error
				got, err = tx.TakeCeremony(c.Challenge)
				return err
			})
			if errors.Is(err, account.ErrNotFound) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			taken = append(taken, got)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(taken) != 1 {
		t.Fatalf("the challenge was taken %d times", len(taken))
	}
	same(t, "the taken ceremony", taken[0], c)
	update(t, s, func(tx account.Tx) error {
		got, err := tx.TakeCeremony(discoverable.Challenge)
		if err == nil {
			same(t, "a discoverable login's ceremony", got, discoverable)
		}
		return err
	})
}

// useChallenge runs UseChallenge in an Update of its own.
func useChallenge(s account.Store, hash []byte, exp time.Time) error {
	return s.Update(ctx, func(tx account.Tx) error { return tx.UseChallenge(hash, exp) })
}

// challengeIsUsedOnce: of many concurrent uses of one challenge, exactly
// one commits and the others end with ErrCeremonyExpired; a second use in
// one transaction fails it; a use rolled back does not count.
func challengeIsUsedOnce(t *testing.T, s account.Store) {
	hash := random(32)
	var wg sync.WaitGroup
	var firsts, used int
	var mu sync.Mutex
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := useChallenge(s, hash, at)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				firsts++
			case errors.Is(err, account.ErrCeremonyExpired):
				used++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if firsts != 1 || used != 19 {
		t.Fatalf("20 concurrent uses of one challenge: %d committed, %d refused; want 1 and 19", firsts, used)
	}
	// Later, the same challenge (which carries its expiry, so it comes
	// with the same one) is refused still.
	if err := useChallenge(s, hash, at); !errors.Is(err, account.ErrCeremonyExpired) {
		t.Fatalf("a used challenge used again: %v, want ErrCeremonyExpired", err)
	}
	// A second use in one transaction fails it whole: the first use and
	// the other writes are not kept.
	other := random(32)
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.UseChallenge(other, at); err != nil {
			return err
		}
		if err := tx.InsertAccount(newAccount("twice")); err != nil {
			return err
		}
		return tx.UseChallenge(other, at)
	})
	if !errors.Is(err, account.ErrCeremonyExpired) {
		t.Fatalf("two uses in one transaction: %v, want ErrCeremonyExpired", err)
	}
	view(t, s, func(tx account.Tx) error {
		if _, err := tx.AccountByID("twice"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a transaction that used a challenge twice kept its account: %v", err)
		}
		return nil
	})
	if err := useChallenge(s, other, at); err != nil {
		t.Fatalf("the challenge of a failed transaction: %v, want it unused", err)
	}
	// A use whose transaction rolls back leaves the challenge unused.
	rolled, boom := random(32), errors.New("boom")
	err = s.Update(ctx, func(tx account.Tx) error {
		if err := tx.UseChallenge(rolled, at); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if err := useChallenge(s, rolled, at); err != nil {
		t.Fatalf("a challenge whose use rolled back: %v, want it unused", err)
	}
}

// accountAndPasskeys: an account and its passkeys in one lookup, by each
// of its keys, in Update and View alike, and after writes in the same
// transaction.
func accountAndPasskeys(t *testing.T, s account.Store) {
	a := addAccount(t, s, "ap")
	b := addAccount(t, s, "ap2")
	p1, p2 := newPasskey("ap-1", 1), newPasskey("ap-2", 2)
	update(t, s, func(tx account.Tx) error {
		for _, p := range []*account.Passkey{p2, p1} {
			if err := tx.InsertPasskey(a.ID, p); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(tx account.Tx, want []account.Passkey) {
		t.Helper()
		for name, key := range map[string]account.AccountKey{"ID": {ID: a.ID}, "email": {Email: a.Email}, "user handle": {UserHandle: a.UserHandle}} {
			got, pks, err := tx.AccountAndPasskeys(key)
			if err != nil {
				t.Errorf("by %s: %v", name, err)
				continue
			}
			same(t, "the account by "+name, got, a)
			same(t, "its passkeys by "+name, pks, want)
		}
	}
	view(t, s, func(tx account.Tx) error {
		check(tx, []account.Passkey{*p1, *p2})
		got, pks, err := tx.AccountAndPasskeys(account.AccountKey{Email: b.Email})
		if err != nil || got.ID != b.ID || len(pks) != 0 {
			t.Errorf("an account without passkeys: %v, %v, %v", got, pks, err)
		}
		for _, key := range []account.AccountKey{{ID: "nobody"}, {Email: "nobody@example.com"}, {UserHandle: []byte("nobody")}} {
			if _, _, err := tx.AccountAndPasskeys(key); !errors.Is(err, account.ErrNotFound) {
				t.Errorf("no account %+v: %v, want ErrNotFound", key, err)
			}
		}
		for _, key := range []account.AccountKey{{}, {ID: a.ID, Email: a.Email}} {
			if _, _, err := tx.AccountAndPasskeys(key); err == nil {
				t.Errorf("the key %+v named an account", key)
			}
		}
		return nil
	})
	// A write earlier in the same transaction is seen.
	p1.SignCount, p1.LastUsedFor = 7, "sign-in"
	update(t, s, func(tx account.Tx) error {
		if err := tx.UpdatePasskey(a.ID, p1); err != nil {
			return err
		}
		check(tx, []account.Passkey{*p1, *p2})
		return nil
	})
}

func newPasskey(id string, n int) *account.Passkey {
	return &account.Passkey{ID: id, CredentialID: []byte(id), PublicKey: random(77), AAGUID: random(16), Model: "Model",
		Kind: account.KindSecurityKey, Name: "Key " + id, Transports: []string{"usb", "nfc"}, BackupEligible: true,
		SignCount: 4000000000, CreatedAt: at.Add(time.Duration(n) * time.Second), HeldUntil: at.Add(24 * time.Hour)}
}

func passkeys(t *testing.T, s account.Store) {
	a := addAccount(t, s, "pk")
	b := addAccount(t, s, "pk2")
	p1, p2 := newPasskey("cred-1", 1), newPasskey("cred-2", 2)
	p2.Transports, p2.AAGUID = nil, nil
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertPasskey(a.ID, p2); err != nil {
			return err
		}
		if err := tx.InsertPasskey(a.ID, p1); err != nil {
			return err
		}
		// A credential ID registered anywhere is refused, and the
		// transaction goes on.
		if err := tx.InsertPasskey(b.ID, newPasskey("cred-1", 3)); !errors.Is(err, account.ErrCredentialRejected) {
			return fmt.Errorf("a registered credential ID: %v, want ErrCredentialRejected", err)
		}
		return nil
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Passkeys(a.ID)
		if err != nil {
			return err
		}
		same(t, "the passkeys, oldest first", got, []account.Passkey{*p1, *p2})
		owner, p, err := tx.PasskeyByCredentialID(p1.CredentialID)
		if err != nil {
			return err
		}
		if owner != a.ID {
			t.Errorf("the passkey's account: %s", owner)
		}
		same(t, "the passkey by credential ID", p, p1)
		if _, _, err := tx.PasskeyByCredentialID([]byte("nope")); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown credential: %v", err)
		}
		if none, err := tx.Passkeys(b.ID); err != nil || len(none) != 0 {
			t.Errorf("another account's passkeys: %v, %v", none, err)
		}
		return nil
	})
	p1.Name, p1.BackedUp, p1.SignCount, p1.CloneWarning, p1.LastUsedAt, p1.LastUsedFor = "Renamed", true, 7, true, at.Add(time.Hour), "sign-in"
	lost := at.Add(2 * time.Hour)
	update(t, s, func(tx account.Tx) error {
		if err := tx.UpdatePasskey(a.ID, p1); err != nil {
			return err
		}
		if err := tx.MarkPasskeyLost(a.ID, p2.ID, lost, "the key was reset"); err != nil {
			return err
		}
		if err := tx.MarkPasskeyLost(b.ID, p1.ID, lost, "x"); !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("marking another account's passkey lost: %v", err)
		}
		if err := tx.DeletePasskey(b.ID, p1.CredentialID); !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("deleting another account's passkey: %v", err)
		}
		return nil
	})
	p2.LostAt, p2.LostReason = lost, "the key was reset"
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Passkeys(a.ID)
		same(t, "the passkeys after an update and a loss", got, []account.Passkey{*p1, *p2})
		return err
	})
	update(t, s, func(tx account.Tx) error { return tx.DeletePasskey(a.ID, p1.CredentialID) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Passkeys(a.ID)
		same(t, "the passkeys after a removal", got, []account.Passkey{*p2})
		return err
	})
}

func events(t *testing.T, s account.Store) {
	a := addAccount(t, s, "ev")
	var ids []int64
	for i := range 5 {
		e := &account.Event{At: at.Add(time.Duration(i)), Type: account.EventSignedIn, Detail: fmt.Sprint("event ", i), Source: account.SourceApp}
		update(t, s, func(tx account.Tx) error { return tx.AppendEvent(a.ID, e) })
		if e.ID == 0 || (len(ids) > 0 && e.ID <= ids[len(ids)-1]) {
			t.Fatalf("event IDs do not grow: %v then %d", ids, e.ID)
		}
		ids = append(ids, e.ID)
	}
	view(t, s, func(tx account.Tx) error {
		got, err := tx.Events(a.ID, 3)
		if err != nil {
			return err
		}
		if len(got) != 3 || got[0].ID != ids[4] || got[2].ID != ids[2] || got[0].Detail != "event 4" || !got[0].At.Equal(at.Add(4)) {
			t.Errorf("the newest three events: %+v", got)
		}
		return nil
	})
}

func phoneEnrollments(t *testing.T, s account.Store) {
	a := addAccount(t, s, "pe")
	e := &account.PhoneEnrollmentRecord{ID: "enr-1", TokenHash: random(32), AccountID: a.ID, SessionHash: random(32), GrantHash: random(32),
		CodeHash: random(32), State: account.EnrollmentWaiting, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
	update(t, s, func(tx account.Tx) error { return tx.InsertPhoneEnrollment(e) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PhoneEnrollmentByID(e.ID)
		if err != nil {
			return err
		}
		if got.ContenderHash != nil || got.ContenderAgent != "" || got.Tries != 0 || got.Handovers != 0 {
			t.Errorf("a new enrollment has a contender or counts: %+v", got)
		}
		return nil
	})
	// A second device tried the link, and then one was let take it over.
	e.ContenderHash, e.ContenderAgent, e.Tries, e.Handovers = random(32), "Mozilla/5.0 (X11; Linux x86_64)", 3, 2
	update(t, s, func(tx account.Tx) error { return tx.UpdatePhoneEnrollment(e) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PhoneEnrollmentByTokenHash(e.TokenHash)
		if err != nil {
			return err
		}
		same(t, "the enrollment with a contender", got, e)
		return nil
	})
	e.ContenderHash, e.ContenderAgent = nil, "" // cleared by a handover
	e.State, e.DeviceHash, e.UserAgent, e.Failures, e.Challenge, e.PasskeyID, e.Reason =
		account.EnrollmentCanceled, random(32), "Mozilla/5.0", 2, "chal", "pk", "the desktop canceled"
	update(t, s, func(tx account.Tx) error { return tx.UpdatePhoneEnrollment(e) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PhoneEnrollmentByID(e.ID)
		if err != nil {
			return err
		}
		same(t, "the enrollment by ID", got, e)
		got, err = tx.PhoneEnrollmentByTokenHash(e.TokenHash)
		if err != nil {
			return err
		}
		same(t, "the enrollment by token", got, e)
		if _, err := tx.PhoneEnrollmentByTokenHash(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown token: %v", err)
		}
		return nil
	})
}

// phoneSignIns: a sign-in round-trips whole, by ID and by token; only
// its outcome changes; and one approval of a sign-in wins when two race.
func phoneSignIns(t *testing.T, s account.Store) {
	a := addAccount(t, s, "ps")
	r := &account.PhoneSignInRecord{ID: "psi-1", TokenHash: random(32), SecretHash: random(32), CodeHash: random(32),
		Computer: "ann-laptop", Address: "2001:db8::7", State: account.PhoneSignInWaiting, CreatedAt: at, ExpiresAt: at.Add(3 * time.Minute)}
	update(t, s, func(tx account.Tx) error { return tx.InsertPhoneSignIn(r) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PhoneSignInByID(r.ID)
		if err != nil {
			return err
		}
		same(t, "the new sign-in", got, r)
		return nil
	})
	r.State, r.Reason, r.Failures, r.Challenge, r.AccountID, r.PasskeyID, r.Restricted =
		account.PhoneSignInApproved, "", 2, "chal", a.ID, "pk", true
	update(t, s, func(tx account.Tx) error { return tx.UpdatePhoneSignIn(r) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PhoneSignInByID(r.ID)
		if err != nil {
			return err
		}
		same(t, "the sign-in by ID", got, r)
		got, err = tx.PhoneSignInByTokenHash(r.TokenHash)
		if err != nil {
			return err
		}
		same(t, "the sign-in by token", got, r)
		if _, err := tx.PhoneSignInByTokenHash(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown token: %v", err)
		}
		if _, err := tx.PhoneSignInByID("nope"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown ID: %v", err)
		}
		return nil
	})
	// Two transactions that each read the approved sign-in and mark it
	// done: one wins, the other sees it done (serialised or retried).
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			took := false
			err := s.Update(ctx, func(tx account.Tx) error {
				took = false // a retried transaction starts again
				got, err := tx.PhoneSignInByID(r.ID)
				if err != nil || got.State != account.PhoneSignInApproved {
					return err
				}
				got.State = account.PhoneSignInDone
				took = true
				return tx.UpdatePhoneSignIn(got)
			})
			if err != nil {
				t.Error(err)
			}
			if err == nil && took {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d transactions took the approved sign-in; want 1", won)
	}
	view(t, s, func(tx account.Tx) error {
		got, err := tx.PhoneSignInByID(r.ID)
		if err == nil && got.State != account.PhoneSignInDone {
			t.Errorf("state %q after the race", got.State)
		}
		return err
	})
}

func apiKeysAndApprovals(t *testing.T, s account.Store) {
	a := addAccount(t, s, "ap")
	k := &account.APIKeyRecord{ID: "key-1", Hash: random(32), AccountID: a.ID, Name: "exchange", Hint: "pdk_abcd", CreatedAt: at}
	k2 := &account.APIKeyRecord{ID: "key-2", Hash: random(32), AccountID: a.ID, Name: "second", Hint: "pdk_efgh", CreatedAt: at.Add(time.Second)}
	op := account.Operation{Kind: account.OperationWithdrawal, Asset: "BTC", Amount: "0.5", Network: "bitcoin",
		Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Fee: "0.0001", Reference: "W-1"}
	ap := &account.ApprovalRecord{ID: "appr-1", AccountID: a.ID, APIKeyID: k.ID, Operation: op, Nonce: random(32),
		State: account.ApprovalPending, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertAPIKey(k2); err != nil {
			return err
		}
		if err := tx.InsertAPIKey(k); err != nil {
			return err
		}
		return tx.InsertApproval(ap)
	})
	k.LastUsedAt, k.RevokedAt = at.Add(time.Minute), at.Add(time.Hour)
	update(t, s, func(tx account.Tx) error { return tx.UpdateAPIKey(k) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.APIKeyByHash(k.Hash)
		if err != nil {
			return err
		}
		same(t, "the API key", got, k)
		all, err := tx.APIKeys(a.ID)
		same(t, "the API keys, oldest first", all, []account.APIKeyRecord{*k, *k2})
		if _, err := tx.APIKeyByHash(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown key: %v", err)
		}
		pending, err := tx.Approvals(a.ID, account.ApprovalPending)
		same(t, "the pending approvals", pending, []account.ApprovalRecord{*ap})
		for _, c := range []struct {
			at   time.Time
			want int
		}{{at, 1}, {ap.ExpiresAt, 0}} {
			if n, err := tx.CountPendingApprovals(k.ID, c.at); n != c.want || err != nil {
				t.Errorf("pending approvals of the key at %v: %d, %v; want %d", c.at, n, err, c.want)
			}
		}
		return err
	})
	ap.State, ap.DecidedAt, ap.PasskeyID, ap.Reason = account.ApprovalApproved, at.Add(time.Minute), "pk", ""
	ap.Assertion = &account.Assertion{CredentialID: random(16), PublicKey: random(77), AuthenticatorData: random(37),
		ClientDataJSON: []byte(`{"type":"webauthn.get"}`), Signature: random(70)}
	update(t, s, func(tx account.Tx) error { return tx.UpdateApproval(ap) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.ApprovalByID(ap.ID)
		if err != nil {
			return err
		}
		same(t, "the decided approval", got, ap)
		pending, err := tx.Approvals(a.ID, account.ApprovalPending)
		if len(pending) != 0 {
			t.Errorf("a decided approval is still listed pending")
		}
		if _, err := tx.ApprovalByID("nope"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown approval: %v", err)
		}
		return err
	})
}

func approvalLinks(t *testing.T, s account.Store) {
	a := addAccount(t, s, "al")
	op := account.Operation{Kind: account.OperationDeposit, Asset: "ETH", Amount: "2", Destination: "0xabc"}
	ap := &account.ApprovalRecord{ID: "appr-l", AccountID: a.ID, APIKeyID: "key", Operation: op, Nonce: random(32),
		State: account.ApprovalPending, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
	l := &account.ApprovalLinkRecord{ID: "link-1", TokenHash: random(32), ApprovalID: ap.ID, AccountID: a.ID,
		SessionHash: random(32), CreatedAt: at, ExpiresAt: at.Add(3 * time.Minute)}
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertApproval(ap); err != nil {
			return err
		}
		return tx.InsertApprovalLink(l)
	})
	view(t, s, func(tx account.Tx) error {
		got, err := tx.ApprovalLinkByTokenHash(l.TokenHash)
		if err != nil {
			return err
		}
		same(t, "the new link (no device, unused)", got, l)
		got, err = tx.ApprovalLinkByID(l.ID)
		if err != nil {
			return err
		}
		same(t, "the new link by ID", got, l)
		if _, err := tx.ApprovalLinkByID("nope"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown link ID: %v", err)
		}
		if _, err := tx.ApprovalLinkByTokenHash(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown link: %v", err)
		}
		return nil
	})
	l.DeviceHash, l.Failures, l.UsedAt = random(32), 2, at.Add(time.Minute)
	update(t, s, func(tx account.Tx) error { return tx.UpdateApprovalLink(l) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.ApprovalLinkByTokenHash(l.TokenHash)
		if err != nil {
			return err
		}
		same(t, "the used link", got, l)
		return nil
	})
	dup := *l
	dup.ID = "link-2"
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertApprovalLink(&dup) }); err == nil {
		t.Error("a second link with the same token hash was stored")
	}
}

func serviceKeys(t *testing.T, s account.Store) {
	a := addAccount(t, s, "svc")
	k := &account.ServiceKeyRecord{ID: "skey-1", Hash: random(32), Name: "exchange-prod", Scope: account.ScopeApprovals,
		Hint: "pdks_abcd", CreatedAt: at.Add(time.Second)}
	k2 := &account.ServiceKeyRecord{ID: "skey-2", Hash: random(32), Name: "exchange-test", Scope: account.ScopeApprovals,
		Hint: "pdks_efgh", CreatedAt: at}
	// An approval a service key asked for counts towards that key's cap.
	ap := &account.ApprovalRecord{ID: "appr-s", AccountID: a.ID, APIKeyID: k.ID, Nonce: random(32),
		Operation: account.Operation{Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Destination: "bc1q"},
		State:     account.ApprovalPending, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
	view(t, s, func(tx account.Tx) error {
		all, err := tx.ServiceKeys()
		if len(all) != 0 {
			t.Errorf("a new store lists service keys: %v", all)
		}
		return err
	})
	update(t, s, func(tx account.Tx) error {
		if err := tx.InsertServiceKey(k); err != nil {
			return err
		}
		if err := tx.InsertServiceKey(k2); err != nil {
			return err
		}
		return tx.InsertApproval(ap)
	})
	k.LastUsedAt, k.RevokedAt = at.Add(time.Minute), at.Add(time.Hour)
	update(t, s, func(tx account.Tx) error { return tx.UpdateServiceKey(k) })
	view(t, s, func(tx account.Tx) error {
		got, err := tx.ServiceKeyByHash(k.Hash)
		if err != nil {
			return err
		}
		same(t, "the service key", got, k)
		all, err := tx.ServiceKeys()
		same(t, "the service keys, oldest first", all, []account.ServiceKeyRecord{*k2, *k})
		if _, err := tx.ServiceKeyByHash(random(32)); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unknown service key: %v", err)
		}
		if _, err := tx.APIKeyByHash(k.Hash); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a service key found as an account's key: %v", err)
		}
		if n, err := tx.CountPendingApprovals(k.ID, at); n != 1 || err != nil {
			t.Errorf("pending approvals of the service key: %d, %v; want 1", n, err)
		}
		return err
	})
}

func policyAndSettings(t *testing.T, s account.Store) {
	a := addAccount(t, s, "pol")
	view(t, s, func(tx account.Tx) error {
		p, err := tx.Policy(a.ID)
		same(t, "an unset policy", p, account.Policy{})
		if _, err := tx.Setting("rp_id"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an unset setting: %v", err)
		}
		return err
	})
	want := account.Policy{PasskeyRequired: true, HoldUntil: at.Add(24 * time.Hour), HoldCause: account.HoldPasskeyAdded}
	update(t, s, func(tx account.Tx) error {
		if err := tx.PutPolicy(a.ID, account.Policy{}); err != nil {
			return err
		}
		if err := tx.PutPolicy(a.ID, want); err != nil {
			return err
		}
		if err := tx.PutSetting("rp_id", "localhost"); err != nil {
			return err
		}
		return tx.PutSetting("rp_id", "passkeys.example.com")
	})
	view(t, s, func(tx account.Tx) error {
		p, err := tx.Policy(a.ID)
		same(t, "the policy", p, want)
		v, err2 := tx.Setting("rp_id")
		if v != "passkeys.example.com" {
			t.Errorf("the setting: %q, %v", v, err2)
		}
		return err
	})
}

func deleteExpired(t *testing.T, s account.Store) {
	a := addAccount(t, s, "exp")
	now := at.Add(time.Hour)
	old, fresh := now.Add(-time.Second), now.Add(time.Second)
	update(t, s, func(tx account.Tx) error {
		for i, exp := range []time.Time{old, fresh} {
			if err := tx.InsertSession(&account.SessionRecord{Hash: []byte{byte(i)}, AccountID: a.ID, CreatedAt: at, ExpiresAt: exp}); err != nil {
				return err
			}
			if err := tx.InsertGrant(&account.GrantRecord{Hash: []byte{byte(i)}, AccountID: a.ID, Purpose: account.PurposeAddPasskey, ExpiresAt: exp}); err != nil {
				return err
			}
			if err := tx.InsertVerification(&account.VerificationRecord{ID: fmt.Sprint("v", i), AccountID: a.ID, SessionHash: []byte{1},
				Purpose: account.PurposeAddPasskey, ExpiresAt: exp}); err != nil {
				return err
			}
			if err := tx.InsertCeremony(&account.CeremonyRecord{Challenge: fmt.Sprint("c", i), Type: account.CeremonyLogin, Session: []byte{1}, ExpiresAt: exp}); err != nil {
				return err
			}
			if err := tx.UseChallenge([]byte{'u', byte(i)}, exp); err != nil {
				return err
			}
		}
		// Enrollments and sign-ins stay a day past their end, so a reused link is told it was used.
		for i, exp := range []time.Time{now.Add(-25 * time.Hour), now.Add(-23 * time.Hour)} {
			if err := tx.InsertPhoneSignIn(&account.PhoneSignInRecord{ID: fmt.Sprint("s", i), TokenHash: []byte{byte(i)}, SecretHash: []byte{1},
				CodeHash: []byte{1}, Computer: "pc", State: account.PhoneSignInExpired, CreatedAt: at, ExpiresAt: exp}); err != nil {
				return err
			}
			if err := tx.InsertPhoneEnrollment(&account.PhoneEnrollmentRecord{ID: fmt.Sprint("e", i), TokenHash: []byte{byte(i)}, AccountID: a.ID,
				SessionHash: []byte{1}, GrantHash: []byte{1}, CodeHash: []byte{1}, State: account.EnrollmentExpired, CreatedAt: at, ExpiresAt: exp}); err != nil {
				return err
			}
			// Approval links too: a replayed link is told it was used.
			ap := &account.ApprovalRecord{ID: fmt.Sprint("ap", i), AccountID: a.ID, APIKeyID: "k", Nonce: []byte{1},
				Operation: account.Operation{Kind: account.OperationDeposit}, State: account.ApprovalExpired, CreatedAt: at, ExpiresAt: exp}
			if err := tx.InsertApproval(ap); err != nil {
				return err
			}
			if err := tx.InsertApprovalLink(&account.ApprovalLinkRecord{ID: fmt.Sprint("l", i), TokenHash: []byte{byte(i)},
				ApprovalID: ap.ID, AccountID: a.ID, SessionHash: []byte{1}, CreatedAt: at, ExpiresAt: exp}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx account.Tx) error { return tx.DeleteExpired(now) })
	view(t, s, func(tx account.Tx) error {
		check := func(what string, err error, kept bool) {
			if kept && err != nil {
				t.Errorf("%s was swept: %v", what, err)
			}
			if !kept && !errors.Is(err, account.ErrNotFound) {
				t.Errorf("%s was kept: %v", what, err)
			}
		}
		for i, kept := range []bool{false, true} {
			_, err := tx.SessionByHash([]byte{byte(i)})
			check(fmt.Sprint("session ", i), err, kept)
			_, err = tx.GrantByHash([]byte{byte(i)})
			check(fmt.Sprint("grant ", i), err, kept)
			_, err = tx.VerificationByID(fmt.Sprint("v", i))
			check(fmt.Sprint("verification ", i), err, kept)
			_, err = tx.PhoneEnrollmentByID(fmt.Sprint("e", i))
			check(fmt.Sprint("enrollment ", i), err, kept)
			_, err = tx.PhoneSignInByID(fmt.Sprint("s", i))
			check(fmt.Sprint("phone sign-in ", i), err, kept)
			_, err = tx.ApprovalLinkByTokenHash([]byte{byte(i)})
			check(fmt.Sprint("approval link ", i), err, kept)
		}
		return nil
	})
	update(t, s, func(tx account.Tx) error {
		if _, err := tx.TakeCeremony("c0"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("an expired ceremony was kept: %v", err)
		}
		_, err := tx.TakeCeremony("c1")
		return err
	})
	// A swept use record makes its challenge new again; a kept one does not.
	for i, kept := range []bool{false, true} {
		err := useChallenge(s, []byte{'u', byte(i)}, fresh)
		if kept && !errors.Is(err, account.ErrCeremonyExpired) || !kept && err != nil {
			t.Errorf("used challenge %d (kept %v) used again: %v", i, kept, err)
		}
	}
}

func failedUpdateWritesNothing(t *testing.T, s account.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("rolled")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	view(t, s, func(tx account.Tx) error {
		if _, err := tx.AccountByID("rolled"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a failed update left its account: %v", err)
		}
		return nil
	})
}

// concurrentUpdatesAreSerial: concurrent read-modify-write updates of one
// row lose no increment.
func concurrentUpdatesAreSerial(t *testing.T, s account.Store) {
	a := addAccount(t, s, "ser")
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(ctx, func(tx account.Tx) error {
				st, err := tx.FactorState(a.ID, account.FactorPassword)
				if err != nil {
					return err
				}
				st.Failures++
				return tx.PutFactorState(a.ID, account.FactorPassword, st)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	view(t, s, func(tx account.Tx) error {
		st, err := tx.FactorState(a.ID, account.FactorPassword)
		if st.Failures != n {
			t.Errorf("%d concurrent increments left %d", n, st.Failures)
		}
		return err
	})
}

// recoveryCodes: a set replaces the one before; a code is used once, and
// of two transactions racing to use it only one succeeds; codes belong to
// their account and go with it.
func recoveryCodes(t *testing.T, s account.Store) {
	a := addAccount(t, s, "rc1")
	b := addAccount(t, s, "rc2")
	sorted := func(rs []account.RecoveryCodeRecord) []account.RecoveryCodeRecord {
		slices.SortFunc(rs, func(x, y account.RecoveryCodeRecord) int { return bytes.Compare(x.Hash, y.Hash) })
		return rs
	}
	list := func(id string) []account.RecoveryCodeRecord {
		var out []account.RecoveryCodeRecord
		view(t, s, func(tx account.Tx) error {
			var err error
			out, err = tx.RecoveryCodes(id)
			return err
		})
		return sorted(out)
	}
	if got := list(a.ID); len(got) != 0 {
		t.Errorf("a new account has recovery codes: %v", got)
	}
	first := [][]byte{random(32), random(32), random(32)}
	update(t, s, func(tx account.Tx) error { return tx.ReplaceRecoveryCodes(a.ID, first, at) })
	update(t, s, func(tx account.Tx) error { return tx.ReplaceRecoveryCodes(b.ID, [][]byte{first[0]}, at) })
	var want []account.RecoveryCodeRecord
	for _, h := range first {
		want = append(want, account.RecoveryCodeRecord{Hash: h, CreatedAt: at})
	}
	same(t, "the first set", list(a.ID), sorted(want))

	used := at.Add(time.Minute)
	update(t, s, func(tx account.Tx) error { return tx.UseRecoveryCode(a.ID, first[1], used) })
	err := s.Update(ctx, func(tx account.Tx) error { return tx.UseRecoveryCode(a.ID, first[1], used.Add(time.Second)) })
	if !errors.Is(err, account.ErrNotFound) {
		t.Errorf("a used code used again: %v", err)
	}
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.UseRecoveryCode(a.ID, random(32), used) }); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("an unknown code: %v", err)
	}
	for i := range want {
		if bytes.Equal(want[i].Hash, first[1]) {
			want[i].UsedAt = used
		}
	}
	same(t, "the set with one used", list(a.ID), sorted(want))
	// The other account's code of the same hash is its own, still unused.
	same(t, "the other account's code", list(b.ID), []account.RecoveryCodeRecord{{Hash: first[0], CreatedAt: at}})

	// Two transactions racing to use one code: one wins.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx account.Tx) error { return tx.UseRecoveryCode(a.ID, first[2], used) })
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, account.ErrNotFound):
			t.Errorf("racing use: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d racing uses of one code succeeded", won, len(errs))
	}

	// A new set replaces the old, used codes included.
	second := [][]byte{random(32), random(32)}
	later := at.Add(time.Hour)
	update(t, s, func(tx account.Tx) error { return tx.ReplaceRecoveryCodes(a.ID, second, later) })
	want = nil
	for _, h := range second {
		want = append(want, account.RecoveryCodeRecord{Hash: h, CreatedAt: later})
	}
	same(t, "the second set", list(a.ID), sorted(want))
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.UseRecoveryCode(a.ID, first[0], later) }); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("a code of the replaced set: %v", err)
	}

	// They go with their account.
	update(t, s, func(tx account.Tx) error { return tx.DeleteAccount(a.ID) })
	if got := list(a.ID); len(got) != 0 {
		t.Errorf("a deleted account's codes remain: %v", got)
	}
}

// deleteOtherSessions ends an account's sessions but one, and no other
// account's; with no session to keep, all of them.
func deleteOtherSessions(t *testing.T, s account.Store) {
	a := addAccount(t, s, "dos1")
	b := addAccount(t, s, "dos2")
	mk := func(id string) *account.SessionRecord {
		return &account.SessionRecord{Hash: random(32), AccountID: id, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	}
	keep, other1, other2, bs := mk(a.ID), mk(a.ID), mk(a.ID), mk(b.ID)
	update(t, s, func(tx account.Tx) error {
		for _, r := range []*account.SessionRecord{keep, other1, other2, bs} {
			if err := tx.InsertSession(r); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx account.Tx) error {
		n, err := tx.DeleteOtherSessions(a.ID, keep.Hash)
		if n != 2 {
			t.Errorf("ended %d sessions, want 2", n)
		}
		return err
	})
	exists := func(r *account.SessionRecord) bool {
		var err error
		view(t, s, func(tx account.Tx) error {
			_, err = tx.SessionByHash(r.Hash)
			return nil
		})
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if !exists(keep) || exists(other1) || exists(other2) || !exists(bs) {
		t.Errorf("after ending the others: kept %v, others %v %v, another account's %v",
			exists(keep), exists(other1), exists(other2), exists(bs))
	}
	update(t, s, func(tx account.Tx) error {
		n, err := tx.DeleteOtherSessions(a.ID, nil)
		if n != 1 {
			t.Errorf("ended %d sessions with none kept, want 1", n)
		}
		return err
	})
	if exists(keep) || !exists(bs) {
		t.Error("with none kept, the account's last session stays or another account's went")
	}
}

// accountDeletions: a pending deletion is kept per account, replaced by a
// new request, listed when due (oldest first, up to the limit), cancelled
// once, and goes with its account.
func accountDeletions(t *testing.T, s account.Store) {
	a, b, c := addAccount(t, s, "del-a"), addAccount(t, s, "del-b"), addAccount(t, s, "del-c")
	get := func(id string) (*account.DeletionRecord, error) {
		var d *account.DeletionRecord
		err := s.View(ctx, func(tx account.Tx) error {
			var err error
			d, err = tx.AccountDeletion(id)
			return err
		})
		return d, err
	}
	due := func(now time.Time, limit int) []string {
		var ids []string
		view(t, s, func(tx account.Tx) error {
			var err error
			ids, err = tx.DueAccountDeletions(now, limit)
			return err
		})
		return ids
	}
	if _, err := get(a.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("an account without a request: %v", err)
	}
	week := 7 * 24 * time.Hour
	update(t, s, func(tx account.Tx) error {
		return tx.PutAccountDeletion(&account.DeletionRecord{AccountID: a.ID, RequestedAt: at, DeletesAt: at.Add(week)})
	})
	update(t, s, func(tx account.Tx) error {
		return tx.PutAccountDeletion(&account.DeletionRecord{AccountID: b.ID, RequestedAt: at.Add(time.Hour), DeletesAt: at.Add(week + time.Hour)})
	})
	d, err := get(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the request", *d, account.DeletionRecord{AccountID: a.ID, RequestedAt: at, DeletesAt: at.Add(week)})
	if _, err := get(c.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another account's request: %v", err)
	}
	same(t, "due before the week", len(due(at.Add(week-time.Nanosecond), 10)), 0)
	same(t, "due at the week", due(at.Add(week), 10), []string{a.ID})
	same(t, "due later", due(at.Add(2*week), 10), []string{a.ID, b.ID})
	same(t, "due, limited", due(at.Add(2*week), 1), []string{a.ID})

	// A new request replaces the old one.
	update(t, s, func(tx account.Tx) error {
		return tx.PutAccountDeletion(&account.DeletionRecord{AccountID: a.ID, RequestedAt: at.Add(3 * week), DeletesAt: at.Add(4 * week)})
	})
	same(t, "due after a new request", due(at.Add(2*week), 10), []string{b.ID})

	cancel := func(id string) bool {
		var had bool
		update(t, s, func(tx account.Tx) error {
			var err error
			had, err = tx.CancelAccountDeletion(id)
			return err
		})
		return had
	}
	same(t, "the first cancel", cancel(a.ID), true)
	same(t, "a second cancel", cancel(a.ID), false)
	same(t, "cancelling where nothing is pending", cancel(c.ID), false)
	if _, err := get(a.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("after the cancel: %v", err)
	}

	// The request goes with its account.
	update(t, s, func(tx account.Tx) error { return tx.DeleteAccount(b.ID) })
	same(t, "due after the account was deleted", len(due(at.Add(10*week), 10)), 0)
}
