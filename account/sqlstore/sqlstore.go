// Package sqlstore keeps the account service's state in SQL through
// database/sql: a SQLite file (modernc.org/sqlite, pure Go) today.
//
// The file runs in WAL mode with foreign keys on. Write transactions start
// with BEGIN IMMEDIATE, so concurrent writers queue on the busy timeout
// instead of failing when they upgrade a read lock. The schema is created
// and upgraded by the numbered scripts in migrations/, each applied once in
// its own transaction and recorded in schema_migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/passkeydesk/passkeydesk/account"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an account.Store on a SQLite file.
type Store struct {
	db *sql.DB
	// stmts holds every registered query, prepared once at Open (the
	// pool has one connection, so a statement cannot be prepared while a
	// transaction holds it). Read-only after Open.
	stmts map[string]*sql.Stmt
}

var _ account.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path and brings
// its schema up to date. The file is created readable by its owner only.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(NORMAL)", "mmap_size(268435456)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	// One connection: write transactions are serialised by SQLite anyway
	// (BEGIN IMMEDIATE), and queueing in Go is cheaper than SQLite's
	// busy-wait. Other processes on the same file still wait on the busy
	// timeout.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating database %s: %w", path, err)
	}
	if err := s.prepare(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	return s.db.Close()
}

// SchemaVersion returns the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// prepare prepares every registered query.
func (s *Store) prepare(ctx context.Context) error {
	s.stmts = make(map[string]*sql.Stmt, len(queries))
	for _, text := range queries {
		st, err := s.db.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("preparing %.60q: %w", text, err)
		}
		s.stmts[text] = st
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must start with a number and '_'", base)
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(script)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, version, base)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
			return
		}
		err = tx.Commit()
	}()
	return fn(tx)
}

// Update implements account.Store.
func (s *Store) Update(ctx context.Context, fn func(account.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(&txn{ctx: ctx, tx: tx, store: s}) })
}

// View implements account.Store. It runs in a transaction too, so what fn
// reads is one consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(account.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(&txn{ctx: ctx, tx: tx, store: s}) })
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
