package sqlstore

import (
	"context"
	"log/slog"
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
// beginning. Under a steady stream of writes a passive checkpoint never
// quite catches up, and the WAL would only grow: once it holds
// restartPages pages, the checkpointer takes the store's turn, so that no
// write runs meanwhile, and checkpoints again; that pass copies only what
// the last one left and syncs, and the next write starts the WAL afresh.
// (SQLite's own RESTART mode would wait for the writer through its busy
// handler, which polls, and the writer takes its lock back first every
// time.) SQLite's own checkpoint stays on as a backstop at
// walBackstopPages, should the checkpointer be starved of CPU.

const (
	checkpointEvery  = 64
	restartPages     = 2048 // 8 MiB of 4 KiB pages
	walBackstopPages = 4096
)

// checkpointer runs passive checkpoints on its own connection when kicked.
type checkpointer struct {
	conn     dbConn
	turn     chan struct{} // the store's
	kick     chan struct{}
	stopping chan struct{}
	done     sync.WaitGroup
	// writes counts write transactions since the last kick; guarded by
	// the store's turn.
	writes int
	log    *slog.Logger
	// failures counts the checkpoints that failed in a row; only run
	// touches it.
	failures int
}

func startCheckpointer(conn dbConn, turn chan struct{}, log *slog.Logger) *checkpointer {
	c := &checkpointer{conn: conn, turn: turn, kick: make(chan struct{}, 1), stopping: make(chan struct{}), log: log}
	c.done.Add(1)
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer c.done.Done()
	for range c.kick {
		if c.checkpoint() < restartPages {
			continue
		}
		select {
		case c.turn <- struct{}{}:
			c.checkpoint()
			<-c.turn
		case <-c.stopping: // Close holds the turn and waits for us
		}
	}
}

// checkpoint runs a passive checkpoint and returns the WAL's size in
// pages. A failure (SQLITE_BUSY while the backstop checkpoint runs, say,
// or a full disk) leaves the WAL to the next round or the backstop, and
// reads as an empty WAL. The first failure of a run is logged, and the
// first success after it: a failure that persists shows as one warning
// and a WAL that grows to the backstop, not as a line per write.
func (c *checkpointer) checkpoint() int64 {
	var busy, log, copied int64
	err := queryOn(context.Background(), c.conn, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
	if err != nil {
		if c.failures++; c.failures == 1 {
			c.log.Warn("database checkpoint failed; the write-ahead log grows until one succeeds", "err", err)
		}
		return 0
	}
	if c.failures > 0 {
		c.log.Info("database checkpoints succeed again", "failed_in_a_row", c.failures)
		c.failures = 0
	}
	return log
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
// The caller holds the store's turn.
func (c *checkpointer) stop() error {
	close(c.stopping)
	close(c.kick)
	c.done.Wait()
	return c.conn.Close()
}
