// Package pgstore keeps the account service's state in PostgreSQL, through
// jackc/pgx v5 and its connection pool, so that any number of server
// instances can share one database.
//
// Every Update is a SERIALIZABLE transaction: the service reads and then
// writes inside it (a grant is read, then used up; a challenge is taken,
// then answered), and serializable isolation makes two instances that race
// on one row behave as if one went first. A transaction PostgreSQL aborts
// for a serialization failure or a deadlock is run again from the start,
// a few times with a short random pause; fn must therefore have no effect
// outside the transaction before it returns (the service's do not). View is
// a read-only REPEATABLE READ transaction: one consistent snapshot.
//
// The schema is created and upgraded by the numbered scripts in
// migrations/, each applied once and recorded in schema_migrations, all
// under a session advisory lock, so instances that start together migrate
// once. Times are stored as Unix nanoseconds, as in package sqlstore.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passkeydesk/passkeydesk/account"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key held while migrating.
const migrationLock = 0x706b6465736b // "pkdesk"

// maxAttempts bounds the runs of one Update that keeps losing races, and
// maxPause the pause before a run: the pauses grow from 2 ms, doubling,
// so transactions that keep colliding (serializable isolation also
// collides on shared index pages, between accounts) spread out instead
// of meeting again in step. Together they allow about 1.5 s of retrying,
// well inside a call's timeout.
const (
	maxAttempts = 24
	maxPause    = 64 * time.Millisecond
)

// Store is an account.Store on PostgreSQL. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ account.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// string), brings its schema up to date and returns the store.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: the database address: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every connection, waiting for those in use.
func (s *Store) Close() { s.pool.Close() }

// Pool gives the connection pool, for its statistics.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ErrNewerSchema is returned by Open for a database written by a newer
// Passkey Desk than this one.
var ErrNewerSchema = errors.New("the database was written by a newer version of Passkey Desk")

// LatestSchema is the highest migration this build knows.
func LatestSchema() int {
	latest := 0
	for _, m := range scripts() {
		latest = max(latest, m.version)
	}
	return latest
}

type script struct {
	version int
	name    string
}

func scripts() []script {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	var out []script
	for _, n := range names {
		base := path.Base(n)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			continue
		}
		out = append(out, script{v, base})
	}
	return out
}

// migrate applies every migration not yet applied, in order, each in its own
// transaction, under an advisory lock held on one connection.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: reaching the database: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("pgstore: taking the migration lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	var applied int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if latest := LatestSchema(); applied > latest {
		return fmt.Errorf("pgstore: %w (schema %d; this build knows up to %d)", ErrNewerSchema, applied, latest)
	}
	// Every script not yet recorded is applied, in order, also one below
	// the newest applied: numbers are handed out per branch, so a build
	// may bring a lower number than one a database already has.
	done := map[int]bool{}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("pgstore: %w", err)
		}
		done[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	for _, m := range scripts() {
		if done[m.version] {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + m.name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("pgstore: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Ready reports whether the store can serve: the database answers and its
// schema is the one this build expects.
func (s *Store) Ready(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("database not reachable: %w", err)
	}
	if latest := LatestSchema(); v != latest {
		return fmt.Errorf("database schema is at %d, this build expects %d", v, latest)
	}
	return nil
}

// Update implements account.Store.
func (s *Store) Update(ctx context.Context, fn func(account.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, beginUpdate, fn)
		if !retryable(err) || attempt == maxAttempts {
			return err
		}
		// Losers of a race try again after a short random pause, so they
		// do not collide in step.
		pause := time.Duration(rand.Int64N(int64(min(maxPause, time.Millisecond<<min(attempt, 16)))))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// View implements account.Store.
func (s *Store) View(ctx context.Context, fn func(account.Tx) error) error {
	return s.run(ctx, beginView, fn)
}

func (s *Store) run(ctx context.Context, begin string, fn func(account.Tx) error) error {
	err := s.runTx(ctx, begin, fn)
	if unreachable(err) && ctx.Err() == nil {
		return fmt.Errorf("%w (%v)", account.ErrUnavailable, err)
	}
	return err
}

// The statements that begin each kind of transaction.
const (
	beginUpdate = `BEGIN ISOLATION LEVEL SERIALIZABLE`
	beginView   = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
)

// runTx runs fn in a transaction begun with begin on a connection of the
// pool, pipelined (see txn): BEGIN goes with the first statement, COMMIT
// with the writes still pending. A transaction that ran no statement
// sends nothing.
func (s *Store) runTx(ctx context.Context, begin string, fn func(account.Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection left in a transaction (one that failed to roll back)
	// is closed by the pool rather than reused.
	defer conn.Release()
	t := &txn{ctx: ctx, conn: conn}
	t.pending.Queue(begin)
	err = fn(t)
	switch {
	case err != nil && (t.failed == nil || !retryable(t.failed)):
	case err != nil || t.failed != nil:
		err = t.failed
	case !t.begun && t.pending.Len() == 1: // nothing but BEGIN
		return nil
	default:
		committed := false
		t.pending.Queue(`COMMIT`).Exec(func(ct pgconn.CommandTag) error {
			committed = ct.String() == "COMMIT"
			return nil
		})
		if err = t.send(); err == nil && !committed {
			err = errors.New("pgstore: the transaction was rolled back at commit")
		}
		if err == nil {
			return nil
		}
	}
	t.rollback()
	return err
}

// rollback ends a transaction that will not commit, if it began.
func (t *txn) rollback() {
	pg := t.conn.Conn().PgConn()
	if pg.IsClosed() || pg.TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := t.conn.Exec(ctx, `ROLLBACK`); err != nil {
		t.conn.Conn().Close(ctx)
	}
}

// retryable reports a transaction PostgreSQL gave up to keep
// transactions serializable, or to break a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// unreachable reports an error that says the database cannot be reached
// or is going away: a failed connection, a broken one, or PostgreSQL
// shutting down or starting up (SQLSTATE classes 08 and 57P).
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return account.ErrNotFound
	}
	return err
}

// nanos stores a time as Unix nanoseconds; the zero time is 0.
func nanos(tm time.Time) int64 {
	if tm.IsZero() {
		return 0
	}
	return tm.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
