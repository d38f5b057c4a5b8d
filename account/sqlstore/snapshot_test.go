package sqlstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestSnapshotIsConsistentAndPrivate: a snapshot holds what was committed
// before it and nothing after, opens as a database of its own while the
// store stays open, is the owner's only, and never overwrites a file.
func TestSnapshotIsConsistentAndPrivate(t *testing.T) {
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "live.db"))
	insert := func(id string) {
		t.Helper()
		if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertAccount(newAccount(id, id+"@example.com")) }); err != nil {
			t.Fatal(err)
		}
	}
	insert("before")
	snap := filepath.Join(dir, "snap.db")
	if err := s.Snapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	insert("after")
	if err := s.Snapshot(ctx, snap); err == nil {
		t.Fatal("a snapshot overwrote an existing file")
	}
	fi, err := os.Stat(snap)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot mode %v, %v", fi.Mode(), err)
	}
	c := open(t, snap)
	err = c.View(ctx, func(tx account.Tx) error {
		if _, err := tx.AccountByEmail("before@example.com"); err != nil {
			t.Errorf("the snapshot lacks what was committed before it: %v", err)
		}
		if _, err := tx.AccountByEmail("after@example.com"); err == nil {
			t.Error("the snapshot holds what was committed after it")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Snapshot(ctx, filepath.Join(dir, "closed.db")); err == nil {
		t.Fatal("a closed store made a snapshot")
	}
	if _, err := os.Stat(filepath.Join(dir, "closed.db")); err == nil {
		t.Fatal("a failed snapshot left a file behind")
	}
}
