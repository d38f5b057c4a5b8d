package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestQueryLeftOpenIsClosedWithItsTransaction: a query a transaction
// forgets to close must not leave its prepared statement mid-cursor for
// the next transaction that runs it.
func TestQueryLeftOpenIsClosedWithItsTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx account.Tx) error {
		if err := tx.InsertAccount(&account.AccountRecord{ID: "a1", Email: "a@example.com", DisplayName: "A", Role: account.RoleUser,
			PasswordHash: "x", TOTPSecret: []byte("s"), UserHandle: []byte("h"), Active: true, CreatedAt: time.Now()}); err != nil {
			return err
		}
		for _, d := range []string{"one", "two", "three"} {
			if err := tx.AppendEvent("a1", &account.Event{Type: account.EventSignedIn, At: time.Now(), Detail: d}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.inTx(ctx, false, func(tx *txn) error {
		r, err := tx.query(qSelectEvents, "a1", 10)
		if err != nil {
			return err
		}
		r.Next() // read one row of three and walk away
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []account.Event
	err = s.View(ctx, func(tx account.Tx) error {
		got, err = tx.Events("a1", 10)
		return err
	})
	if err != nil || len(got) != 3 || got[0].Detail != "three" {
		t.Fatalf("events after a query was left open: %+v, %v", got, err)
	}
}
