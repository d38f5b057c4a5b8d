package sqlstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

func TestApprovalStoreRoundTrip(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "passkeydesk.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	k := &account.APIKeyRecord{ID: "k1", Hash: []byte("key-hash"), AccountID: "a1", Name: "backend", Hint: "pdk_abcd", CreatedAt: at}
	a := &account.ApprovalRecord{
		ID: "ap1", AccountID: "a1", APIKeyID: "k1",
		Operation: account.Operation{Kind: account.OperationWithdrawal, Asset: "BTC", Amount: "0.015", Network: "Bitcoin",
			Destination: "bc1q", Fee: "0.0001", Reference: "W-1"},
		Nonce: []byte("nonce"), State: account.ApprovalPending, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute),
	}
	g := &account.GrantRecord{Hash: []byte("grant"), AccountID: "a1", Purpose: account.PurposeRemovePasskey, ExpiresAt: at, PasskeyID: "pk1"}
	err := s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(newAccount("a1", "a@example.com")); err != nil {
			return err
		}
		if err := tx.InsertAPIKey(k); err != nil {
			return err
		}
		if err := tx.InsertGrant(g); err != nil {
			return err
		}
		return tx.InsertApproval(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	k.LastUsedAt, k.RevokedAt = at.Add(time.Minute), at.Add(time.Hour)
	a.State, a.DecidedAt, a.PasskeyID = account.ApprovalApproved, at.Add(time.Minute), "pk1"
	a.Assertion = &account.Assertion{CredentialID: []byte("cred"), PublicKey: []byte("cose"), AuthenticatorData: []byte("ad"),
		ClientDataJSON: []byte("{}"), Signature: []byte("sig")}
	err = s.Update(ctx, func(tx account.Tx) error {
		if err := tx.UpdateAPIKey(k); err != nil {
			return err
		}
		if err := tx.UpdateApproval(a); err != nil {
			return err
		}
		return tx.PutPolicy("a1", account.Policy{PasskeyRequired: true, HoldUntil: at.Add(24 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx account.Tx) error {
		gotK, err := tx.APIKeyByHash([]byte("key-hash"))
		if err != nil || fmt.Sprint(*gotK) != fmt.Sprint(*k) {
			return fmt.Errorf("key %+v, %v", gotK, err)
		}
		if ks, err := tx.APIKeys("a1"); err != nil || len(ks) != 1 {
			return fmt.Errorf("keys %+v, %v", ks, err)
		}
		gotA, err := tx.ApprovalByID("ap1")
		if err != nil || fmt.Sprint(gotA.Operation, gotA.State, gotA.DecidedAt, *gotA.Assertion) != fmt.Sprint(a.Operation, a.State, a.DecidedAt, *a.Assertion) {
			return fmt.Errorf("approval %+v, %v", gotA, err)
		}
		if as, err := tx.Approvals("a1", account.ApprovalApproved); err != nil || len(as) != 1 {
			return fmt.Errorf("approved list %+v, %v", as, err)
		}
		if as, _ := tx.Approvals("a1", account.ApprovalPending); len(as) != 0 {
			return fmt.Errorf("pending list %+v", as)
		}
		if gotG, err := tx.GrantByHash([]byte("grant")); err != nil || gotG.PasskeyID != "pk1" {
			return fmt.Errorf("grant %+v, %v", gotG, err)
		}
		if p, err := tx.Policy("a1"); err != nil || !p.PasskeyRequired || !p.HoldUntil.Equal(at.Add(24*time.Hour)) {
			return fmt.Errorf("policy %+v, %v", p, err)
		}
		if p, err := tx.Policy("nobody"); err != nil || p != (account.Policy{}) {
			return fmt.Errorf("default policy %+v, %v", p, err)
		}
		if _, err := tx.APIKeyByHash([]byte("nope")); !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("unknown key: %v", err)
		}
		if _, err := tx.ApprovalByID("nope"); !errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("unknown approval: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx account.Tx) error { return tx.DeletePasskey("a1", []byte("nope")) })
	if !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("deleting an unknown passkey: %v", err)
	}
	// The table refuses a kind or state the service does not know.
	bad := *a
	bad.ID, bad.Operation.Kind = "ap2", "transfer"
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertApproval(&bad) }); err == nil {
		t.Fatal("an unknown kind was stored")
	}
}
