// Package sqlstore keeps the account service's state in a SQLite file
// (modernc.org/sqlite, pure Go), through the driver interfaces of
// database/sql/driver (conn.go says why not *sql.DB).
//
// The file runs in WAL mode with foreign keys on. The store holds one
// connection and runs one transaction at a time on it; write transactions
// start with BEGIN IMMEDIATE, so another process on the same file waits on
// the busy timeout instead of failing when it upgrades a read lock. The
// schema is created and upgraded by the numbered scripts in migrations/,
// each applied once in its own transaction and recorded in
// schema_migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/passkeydesk/passkeydesk/account"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an account.Store on a SQLite file.
type Store struct {
	// turn holds the right to use conn: one transaction at a time, and
	// a caller waiting for its turn can give up with its context.
	turn chan struct{}
	conn dbConn // nil once closed
	ckpt *checkpointer
	// stmts holds every registered query, prepared once at Open.
	stmts map[string]driver.Stmt
}

var _ account.Store = (*Store)(nil)

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("sqlstore: the store is closed")

// Options are a store's settings beyond its file.
type Options struct {
	// Log receives what goes wrong in the background, where no caller is
	// there to be told: a failing checkpoint. nil means slog.Default().
	Log *slog.Logger
}

// Open opens (creating if needed) the SQLite database at path and brings
// its schema up to date. The file is created readable by its owner only.
func Open(path string) (*Store, error) {
	return OpenWith(path, Options{})
}

// OpenWith is Open with options.
func OpenWith(path string, opts Options) (*Store, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(NORMAL)",
		"mmap_size(268435456)", fmt.Sprintf("wal_autocheckpoint(%d)", walBackstopPages),
		fmt.Sprintf("journal_size_limit(%d)", restartPages*4096)} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	conn, err := openConn(dsn)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	s := &Store{turn: make(chan struct{}, 1), conn: conn}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrating database %s: %w", path, err)
	}
	if err := s.prepare(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	ckpt, err := openConn(dsn)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	s.ckpt = startCheckpointer(ckpt, s.turn, opts.Log)
	return s, nil
}

func openConn(dsn string) (dbConn, error) {
	c, err := (&sqlite.Driver{}).Open(dsn)
	if err != nil {
		return nil, err
	}
	conn, ok := c.(dbConn)
	if !ok {
		c.Close()
		return nil, errors.New("the driver's connection lacks context methods")
	}
	return conn, nil
}

// Close closes the database. It waits for a transaction in progress.
func (s *Store) Close() error {
	s.turn <- struct{}{}
	defer func() { <-s.turn }()
	if s.conn == nil {
		return nil
	}
	if s.ckpt != nil {
		s.ckpt.stop()
	}
	for _, st := range s.stmts {
		st.Close()
	}
	err := s.conn.Close()
	s.conn, s.stmts = nil, nil
	return err
}

// SchemaVersion returns the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.inTx(ctx, false, func(t *txn) error {
		return t.queryText(`SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	})
	return int(v.Int64), err
}

// prepare prepares every registered query.
func (s *Store) prepare(ctx context.Context) error {
	s.stmts = make(map[string]driver.Stmt, len(queries))
	for _, text := range queries {
		st, err := s.conn.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("preparing %.60q: %w", text, err)
		}
		s.stmts[text] = st
	}
	return nil
}

// ErrNewerSchema is returned by Open for a database written by a newer
// Passkey Desk than this one: its schema has migrations this build does
// not know, and using it could lose what they added.
var ErrNewerSchema = errors.New("the database was written by a newer version of Passkey Desk")

// migrate brings the schema up to date: every migration the file has not
// had, in order, in one transaction, so a failure leaves the file exactly
// as it was.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL)`, nil); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return s.inTx(ctx, true, func(t *txn) error {
		var applied sql.NullInt64
		if err := t.queryText(`SELECT MAX(version) FROM schema_migrations`).Scan(&applied); err != nil {
			return err
		}
		newest := 0
		for _, name := range names {
			base := filepath.Base(name)
			num, _, ok := strings.Cut(base, "_")
			version, err := strconv.Atoi(num)
			if !ok || err != nil {
				return fmt.Errorf("migration %s: name must start with a number and '_'", base)
			}
			newest = version
			var n int
			if err := t.queryText(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				if err != nil {
					return err
				}
				continue
			}
			script, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if err := t.execText(string(script)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			if err := t.execText(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, version, base); err != nil {
				return err
			}
		}
		if int(applied.Int64) > newest {
			return fmt.Errorf("%w (schema %d; this build knows up to %d)", ErrNewerSchema, applied.Int64, newest)
		}
		return nil
	})
}

// inTx runs fn in a transaction on the store's connection when its turn
// comes, and commits if fn returns nil; otherwise, or if fn panics, it
// rolls back. A committed write counts towards the next checkpoint.
func (s *Store) inTx(ctx context.Context, write bool, fn func(*txn) error) (err error) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.turn }()
	if s.conn == nil {
		return ErrClosed
	}
	// The caller's context is checked here and before every statement,
	// not handed to the driver: with a context that can be cancelled,
	// modernc.org/sqlite watches each call from a goroutine of its own.
	// BEGIN IMMEDIATE may wait for another process's write, up to the
	// busy timeout.
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.conn.BeginTx(context.Background(), driver.TxOptions{})
	if err != nil {
		return err
	}
	t := &txn{ctx: ctx, store: s}
	defer func() {
		t.closeRows()
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
			return
		}
		if err = tx.Commit(); err == nil && write && s.ckpt != nil {
			s.ckpt.committed()
		}
	}()
	return fn(t)
}

// Update implements account.Store.
func (s *Store) Update(ctx context.Context, fn func(account.Tx) error) error {
	return s.inTx(ctx, true, func(t *txn) error { return fn(t) })
}

// View implements account.Store. It runs in a transaction too, so what fn
// reads is one consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(account.Tx) error) error {
	return s.inTx(ctx, false, func(t *txn) error { return fn(t) })
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return account.ErrNotFound
	}
	return err
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
