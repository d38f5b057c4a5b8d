package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The store talks to its one SQLite connection through the driver
// interfaces of database/sql/driver rather than through *sql.DB. A
// transaction through *sql.DB costs a goroutine and a cancelable context
// per BEGIN, and a Tx-bound copy of every prepared statement, each added
// to and removed from the pool's dependency map; on the ceremony finish
// path that bookkeeping cost as much as SQLite's own work. The driver
// interfaces are the same ones any database/sql driver implements, so the
// store is not tied to modernc.org/sqlite beyond Open.

// dbConn is what the store needs of a driver connection.
type dbConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
}

// txn implements account.Tx on one database transaction.
type txn struct {
	// ctx is checked before every statement. The statements themselves
	// run without it: SQLite statements here take microseconds, and a
	// cancelable context makes the driver watch each one from a
	// goroutine of its own.
	ctx   context.Context
	store *Store
	// open lists the queries this transaction started, so that one left
	// unclosed is closed before the transaction ends: an open query
	// leaves its prepared statement un-reset for the next user.
	open []*rows
}

// closeRows closes every query the transaction left open.
func (t *txn) closeRows() {
	for _, r := range t.open {
		r.Close()
	}
	t.open = nil
}

// prefixed puts p before each column name in the list cols.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// queries lists every query text; Open prepares them all.
var queries []string

// q registers a query text for preparation and returns it.
func q(text string) string {
	queries = append(queries, text)
	return text
}

// prepared returns query's prepared statement, with the arguments
// converted for the driver.
func (t *txn) prepared(query string, args []any) (driver.Stmt, []driver.NamedValue, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, nil, err
	}
	st, ok := t.store.stmts[query]
	if !ok {
		return nil, nil, fmt.Errorf("sqlstore: query not registered with q(): %.40s", query)
	}
	nv, err := namedValues(args)
	return st, nv, err
}

func (t *txn) exec(query string, args ...any) error {
	_, err := t.execResult(query, args...)
	return err
}

func (t *txn) execResult(query string, args ...any) (driver.Result, error) {
	st, nv, err := t.prepared(query, args)
	if err != nil {
		return nil, err
	}
	return st.(driver.StmtExecContext).ExecContext(context.Background(), nv)
}

func (t *txn) query(query string, args ...any) (*rows, error) {
	st, nv, err := t.prepared(query, args)
	if err != nil {
		return nil, err
	}
	r, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), nv)
	if err != nil {
		return nil, err
	}
	out := &rows{r: r, vals: make([]driver.Value, len(r.Columns()))}
	t.open = append(t.open, out)
	return out, nil
}

// scanner is a row to scan: *rows after Next, or a single row.
type scanner interface{ Scan(...any) error }

// singleRow is the first row of a query; Scan reads it and closes the
// query, and says sql.ErrNoRows when there is none.
type singleRow struct {
	rows *rows
	err  error
}

func (r singleRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	return r.rows.Scan(dest...)
}

func (t *txn) queryRow(query string, args ...any) scanner {
	r, err := t.query(query, args...)
	return singleRow{rows: r, err: err}
}

// namedValues converts arguments the way database/sql would, with bools
// as integers (SQLite has no boolean type).
func namedValues(args []any) ([]driver.NamedValue, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: argument %d: %w", i+1, err)
		}
		if b, ok := v.(bool); ok {
			v = int64(0)
			if b {
				v = int64(1)
			}
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv, nil
}

// rows reads a query's result, with the methods of *sql.Rows the store
// uses.
type rows struct {
	r    driver.Rows
	vals []driver.Value
	err  error
	done bool
}

// Next reads the next row; false at the end or on an error (see Err).
func (r *rows) Next() bool {
	if r.done {
		return false
	}
	if err := r.r.Next(r.vals); err != nil {
		if err != io.EOF {
			r.err = err
		}
		r.Close()
		return false
	}
	return true
}

// Scan copies the current row's columns into dest, one pointer a column.
func (r *rows) Scan(dest ...any) error {
	if len(dest) != len(r.vals) {
		return fmt.Errorf("sqlstore: %d destinations for %d columns", len(dest), len(r.vals))
	}
	for i, v := range r.vals {
		if err := assign(dest[i], v); err != nil {
			return fmt.Errorf("sqlstore: column %d: %w", i+1, err)
		}
	}
	return nil
}

// Err is the error that ended Next early, if any.
func (r *rows) Err() error { return r.err }

// Close ends the query; it may be called more than once.
func (r *rows) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	return r.r.Close()
}

var errNull = errors.New("NULL in a column that cannot hold it")

// assign stores the column value v in dest. It knows the destination
// types the store scans into; byte slices are copied, as the driver may
// reuse its buffer for the next row.
func assign(dest any, v driver.Value) error {
	if s, ok := dest.(sql.Scanner); ok {
		if b, ok := v.([]byte); ok {
			v = append([]byte(nil), b...)
		}
		return s.Scan(v)
	}
	switch d := dest.(type) {
	case *string:
		switch x := v.(type) {
		case string:
			*d = x
			return nil
		case []byte:
			*d = string(x)
			return nil
		case nil:
			return errNull
		}
	case *[]byte:
		switch x := v.(type) {
		case []byte:
			*d = append([]byte(nil), x...)
			return nil
		case string:
			*d = []byte(x)
			return nil
		case nil:
			*d = nil
			return nil
		}
	case *int64:
		if x, ok := v.(int64); ok {
			*d = x
			return nil
		}
	case *int:
		if x, ok := v.(int64); ok {
			*d = int(x)
			return nil
		}
	case *uint32:
		if x, ok := v.(int64); ok && x >= 0 && x <= 1<<32-1 {
			*d = uint32(x)
			return nil
		}
	case *bool:
		if x, ok := v.(int64); ok {
			*d = x != 0
			return nil
		}
	}
	return fmt.Errorf("cannot store %T in %T", v, dest)
}

// execText runs a statement (or a script of several) that is not
// registered with q(): for migrations, which run once.
func (t *txn) execText(text string, args ...any) error {
	nv, err := namedValues(args)
	if err != nil {
		return err
	}
	_, err = t.store.conn.ExecContext(t.ctx, text, nv)
	return err
}

// queryText is queryRow for a query not registered with q().
func (t *txn) queryText(text string, args ...any) scanner {
	return queryOn(t.ctx, t.store.conn, text, args...)
}

// queryOn runs a query that is not registered with q() on conn, for its
// first row.
func queryOn(ctx context.Context, conn dbConn, text string, args ...any) scanner {
	nv, err := namedValues(args)
	if err != nil {
		return singleRow{err: err}
	}
	r, err := conn.QueryContext(ctx, text, nv)
	if err != nil {
		return singleRow{err: err}
	}
	return singleRow{rows: &rows{r: r, vals: make([]driver.Value, len(r.Columns()))}}
}
