package sqlstore_test

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// BenchmarkRegistrationWrites times the store's share of a
// finish-registration alone: one write transaction with the reads and
// writes the service makes (session and account, ceremony taken, grant
// read, passkey inserted, grant deleted, event appended) and its commit.
// It is the floor under the service's ratio to go-webauthn in
// account.BenchmarkFinishRegistration: with "none" attestation,
// go-webauthn's own work is less than this transaction.
func BenchmarkRegistrationWrites(b *testing.B) {
	s, err := sqlstore.Open(filepath.Join(b.TempDir(), "passkeydesk.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	now := time.Now().UTC()
	session := make([]byte, 32)
	rand.Read(session)
	err = s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		return tx.InsertSession(&account.SessionRecord{Hash: session, AccountID: "a1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		b.Fatal(err)
	}
	var inTx time.Duration
	for i := range b.N {
		challenge := fmt.Sprintf("challenge-%d", i)
		grant := make([]byte, 32)
		rand.Read(grant)
		err := s.Update(ctx, func(tx account.Tx) error {
			if err := tx.InsertGrant(&account.GrantRecord{Hash: grant, AccountID: "a1", Purpose: account.PurposeAddPasskey, ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			return tx.InsertCeremony(&account.CeremonyRecord{Challenge: challenge, AccountID: "a1", Type: account.CeremonyRegistration,
				Kind: account.KindPhone, Session: make([]byte, 180), ExpiresAt: now.Add(time.Hour)})
		})
		if err != nil {
			b.Fatal(err)
		}
		cred := make([]byte, 32)
		rand.Read(cred)
		t0 := time.Now()
		err = s.Update(ctx, func(tx account.Tx) error {
			if _, _, err := tx.SessionAccount(session); err != nil {
				return err
			}
			if _, err := tx.TakeCeremony(challenge); err != nil {
				return err
			}
			if _, err := tx.GrantByHash(grant); err != nil {
				return err
			}
			pk := &account.Passkey{ID: fmt.Sprintf("pk-%d", i), CredentialID: cred, PublicKey: make([]byte, 77), AAGUID: make([]byte, 16),
				Model: "iCloud Keychain", Kind: account.KindPhone, Name: "iPhone", Transports: []string{"internal", "hybrid"}, CreatedAt: now}
			if err := tx.InsertPasskey("a1", pk); err != nil {
				return err
			}
			if err := tx.DeleteGrant(grant); err != nil {
				return err
			}
			return tx.AppendEvent("a1", &account.Event{At: now, Type: account.EventPasskeyAdded, Detail: "Phone or tablet: iPhone", Source: account.SourceApp})
		})
		inTx += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(inTx.Nanoseconds())/float64(b.N), "tx-ns/op")
}
