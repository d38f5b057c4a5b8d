package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

var (
	qSelectSetting = q(`SELECT value FROM settings WHERE name = ?`)
	qPutSetting    = q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`)
)

// Setting implements account.Tx.
func (t *txn) Setting(name string) (string, error) {
	var v string
	err := t.queryRow(qSelectSetting, name).Scan(&v)
	return v, notFound(err)
}

// PutSetting implements account.Tx.
func (t *txn) PutSetting(name, value string) error {
	return t.exec(qPutSetting, name, value)
}

// LatestSchema is the highest migration this build knows: a database whose
// SchemaVersion is lower is out of date.
func LatestSchema() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	latest := 0
	for _, name := range names {
		num, _, _ := strings.Cut(filepath.Base(name), "_")
		if v, err := strconv.Atoi(num); err == nil && v > latest {
			latest = v
		}
	}
	return latest
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
