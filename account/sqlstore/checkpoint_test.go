package sqlstore_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestWALStaysBounded writes without pause far more pages than the WAL
// may hold: the background checkpoints cannot catch up with such a
// stream, and the backstop must still restart the WAL.
func TestWALStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passkeydesk.db")
	s := open(t, path)
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertAccount(newAccount("a1", "a@example.com")) }); err != nil {
		t.Fatal(err)
	}
	// Each event dirties at least two pages (the table and its index):
	// 4000 transactions leave a WAL of 8000+ frames, over 32 MiB, unless
	// it is checkpointed and restarted along the way.
	detail := string(make([]byte, 200))
	for range 4000 {
		err := s.Update(ctx, func(tx account.Tx) error {
			return tx.AppendEvent("a1", &account.Event{Type: account.EventSignedIn, At: time.Now(), Detail: detail})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	const limit = 24 << 20
	if fi.Size() > limit {
		t.Fatalf("WAL is %d bytes after 4000 small writes; checkpoints should keep it under %d", fi.Size(), limit)
	}
	events := 0
	err = s.View(ctx, func(tx account.Tx) error {
		es, err := tx.Events("a1", 5000)
		events = len(es)
		return err
	})
	if err != nil || events != 4000 {
		t.Fatalf("%d events read back, %v", events, err)
	}
}

// TestPagesReachTheDatabaseFileWithoutAnInlineCheckpoint makes fewer
// writes than SQLite's own checkpoint waits for; the pages reach the
// database file all the same, copied there by the background checkpoint.
func TestPagesReachTheDatabaseFileWithoutAnInlineCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passkeydesk.db")
	s := open(t, path)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx account.Tx) error { return tx.InsertAccount(newAccount("a1", "a@example.com")) }); err != nil {
		t.Fatal(err)
	}
	detail := string(make([]byte, 2000))
	for range 100 { // about 200 pages: well under the backstop's 4096
		err := s.Update(ctx, func(tx account.Tx) error {
			return tx.AppendEvent("a1", &account.Event{Type: account.EventSignedIn, At: time.Now(), Detail: detail})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The checkpoint runs on its own goroutine; give it ample time.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= before.Size()+100*2000 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (was %d) after 100 writes of 2 kB: no checkpoint ran", fi.Size(), before.Size())
		}
	}
}
