package sqlstore

import (
	"context"
	"sync"
)

// Checkpoints. In WAL mode a commit appends pages to the -wal file; a
// checkpoint copies them back into the database file and fsyncs both. Left
// to SQLite, a checkpoint runs inside whichever commit pushes the WAL past
// 1000 pages, so one write in every couple of hundred pays two fsyncs,
// milliseconds on a slow disk, against tens of microseconds for the write.
// The store instead runs passive checkpoints from a connection of its own,
// in the background, after every checkpointEvery write transactions; they
// neither block nor wait for the writer. When writes pause, a background
// checkpoint catches up and the next write restarts the WAL from its
// beginning. Under a steady stream of writes it never quite catches up, so
// SQLite's own checkpoint stays on, at walBackstopPages: by then the
// background has copied nearly every page, and the writer that trips it
// pays little more than the fsyncs, a few times less often than before.

const (
	checkpointEvery  = 64
	walBackstopPages = 4096 // 16 MiB of 4 KiB pages
)

// checkpointer runs passive checkpoints on its own connection when kicked.
type checkpointer struct {
	conn dbConn
	kick chan struct{}
	done sync.WaitGroup
	// writes counts write transactions since the last kick; guarded by
	// the store's turn.
	writes int
}

func startCheckpointer(conn dbConn) *checkpointer {
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1)}
	c.done.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.done.Done()
	for range c.kick {
		// SQLITE_BUSY (another checkpoint in progress) and the like
		// leave the WAL for the next round or the backstop; there is
		// nothing to tell a caller.
		c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`, nil)
	}
}

// committed notes a committed write transaction; called in the store's
// turn.
func (c *checkpointer) committed() {
	if c.writes++; c.writes < checkpointEvery {
		return
	}
	c.writes = 0
	select {
	case c.kick <- struct{}{}:
	default: // a checkpoint is already due
	}
}

// stop waits for a checkpoint in progress and closes the connection.
func (c *checkpointer) stop() error {
	close(c.kick)
	c.done.Wait()
	return c.conn.Close()
}
