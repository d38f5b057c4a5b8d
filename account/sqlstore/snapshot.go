package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Snapshot writes a consistent copy of the whole database to a new file at
// path with SQLite's VACUUM INTO: one read transaction's view, made while
// the store stays open, never a copy of the live file and its WAL. The
// file must not exist yet. It is made readable by its owner only.
func (s *Store) Snapshot(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("sqlstore: snapshot: %s already exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// The file is made first with the owner's mode; VACUUM INTO fills an
	// empty file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	f.Close()
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		os.Remove(path)
		return ctx.Err()
	}
	defer func() { <-s.turn }()
	if s.conn == nil {
		os.Remove(path)
		return ErrClosed
	}
	if _, err := s.conn.ExecContext(ctx, `VACUUM INTO ?`, []driver.NamedValue{{Ordinal: 1, Value: path}}); err != nil {
		os.Remove(path)
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	return nil
}
