package account_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// TestPinDeployment: the first open records the RP ID and a check of the
// key; later opens with another RP ID are refused unless confirmed, and
// another key always is. The key itself is not stored.
func TestPinDeployment(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "passkeydesk.db")
	store, err := sqlstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	key := bytes.Repeat([]byte{1}, 32)
	if rp, err := account.StoredRPID(ctx, store); err != nil || rp != "" {
		t.Fatalf("a new database's RP ID: %q, %v", rp, err)
	}
	if err := account.CheckDeployment(ctx, store, account.Deployment{RPID: "localhost", SecretKey: key}); err != nil {
		t.Fatalf("checking a new database: %v", err)
	}
	if rp, _ := account.StoredRPID(ctx, store); rp != "" {
		t.Fatalf("CheckDeployment wrote the RP ID %q", rp)
	}
	if err := account.PinDeployment(ctx, store, account.Deployment{RPID: "localhost", SecretKey: key}); err != nil {
		t.Fatal(err)
	}
	if err := account.PinDeployment(ctx, store, account.Deployment{RPID: "localhost", SecretKey: key}); err != nil {
		t.Fatalf("the same deployment again: %v", err)
	}
	var change *account.RPIDChangeError
	err = account.PinDeployment(ctx, store, account.Deployment{RPID: "passkeys.example.com", SecretKey: key})
	if !errors.As(err, &change) || change.Stored != "localhost" || change.Wanted != "passkeys.example.com" {
		t.Fatalf("another RP ID: %v", err)
	}
	if err := account.PinDeployment(ctx, store, account.Deployment{RPID: "localhost", SecretKey: bytes.Repeat([]byte{2}, 32)}); !errors.Is(err, account.ErrSecretKeyMismatch) {
		t.Fatalf("another key: %v", err)
	}
	if err := account.PinDeployment(ctx, store, account.Deployment{RPID: "passkeys.example.com", SecretKey: key, AllowRPIDChange: true}); err != nil {
		t.Fatalf("a confirmed change: %v", err)
	}
	if rp, _ := account.StoredRPID(ctx, store); rp != "passkeys.example.com" {
		t.Fatalf("after the change the RP ID is %q", rp)
	}
}
