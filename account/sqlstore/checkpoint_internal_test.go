package sqlstore

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// failingConn is a real connection whose queries fail while fail is set.
// It exists because the failures a checkpoint meets in the field (a full
// disk, an I/O error) cannot be made on demand here without privileges.
type failingConn struct {
	dbConn
	fail atomic.Bool
}

var errDiskFull = errors.New("database or disk is full (13) (SQLITE_FULL)")

func (c *failingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.fail.Load() {
		return nil, errDiskFull
	}
	return c.dbConn.QueryContext(ctx, query, args)
}

// A checkpoint that fails is logged once, with its error, however often it
// fails in a row; the first success after it is logged too.
func TestCheckpointFailuresAreLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	s, err := OpenWith(filepath.Join(t.TempDir(), "passkeydesk.db"), Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ckpt.log != log {
		t.Fatal("the store's checkpointer does not log to Options.Log")
	}

	conn, err := openConn("file:" + filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	fc := &failingConn{dbConn: conn}
	c := &checkpointer{conn: fc, log: log} // not started: the test calls checkpoint itself
	defer conn.Close()

	c.checkpoint()
	if buf.Len() != 0 {
		t.Fatalf("a checkpoint that worked logged:\n%s", buf.String())
	}
	fc.fail.Store(true)
	for range 5 {
		if pages := c.checkpoint(); pages != 0 {
			t.Fatalf("a failed checkpoint reports a WAL of %d pages", pages)
		}
	}
	if n := strings.Count(buf.String(), "checkpoint failed"); n != 1 || !strings.Contains(buf.String(), "SQLITE_FULL") {
		t.Fatalf("5 failures in a row logged %d warnings (want 1, with the error):\n%s", n, buf.String())
	}
	fc.fail.Store(false)
	c.checkpoint()
	c.checkpoint()
	if n := strings.Count(buf.String(), "succeed again"); n != 1 || !strings.Contains(buf.String(), "failed_in_a_row=5") {
		t.Fatalf("the recovery is not logged once with the count:\n%s", buf.String())
	}
	fc.fail.Store(true)
	c.checkpoint()
	if n := strings.Count(buf.String(), "checkpoint failed"); n != 2 {
		t.Fatalf("a new run of failures is not logged:\n%s", buf.String())
	}
}
