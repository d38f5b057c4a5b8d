package sqlstore

// Upgrade tests: a database made at each earlier schema version, with the
// rows a user would have had then, opened by the current code. They live
// inside the package to read the embedded migrations.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// migration is one embedded script.
type migration struct {
	version int
	name    string
	script  string
}

// embeddedMigrations lists the scripts in migrations/, in order.
func embeddedMigrations(t *testing.T) []migration {
	t.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	sort.Strings(names)
	var out []migration
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: %v", base, err)
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, migration{v, base, string(script)})
	}
	return out
}

// seedAt is 2026-01-01 in the store's nanoseconds.
const seedAt = int64(1767225600) * int64(time.Second)

// seeds are the rows a database held at each version, inserted right
// after that version's migration, written against that version's schema.
// A migration that adds no table needs none: the rows before it must
// still come through it.
var seeds = map[int][]string{
	1: {
		`INSERT INTO accounts VALUES ('a1', 'ann@example.com', 'Ann', 'user', '$argon2id$x', x'5345414c4544', x'68616e646c65', 1, ` + fmt.Sprint(seedAt) + `)`,
		`INSERT INTO factor_states VALUES ('a1', 'password', 2, 0, 0)`,
		`INSERT INTO sessions VALUES (x'73657373696f6e', 'a1', ` + fmt.Sprint(seedAt) + `, ` + fmt.Sprint(seedAt+int64(time.Hour)) + `)`,
		`INSERT INTO grants VALUES (x'6772616e74', 'a1', 'remove-passkey', ` + fmt.Sprint(seedAt+int64(time.Hour)) + `)`,
		`INSERT INTO passkeys VALUES (x'6372656431', 'Y3JlZDE', 'a1', x'636f7365', NULL, 'Soft key', 'security-key', 'Blue key', 'usb,nfc', 0, 0, 7, 0, ` + fmt.Sprint(seedAt) + `, 0, '')`,
		`INSERT INTO events (account_id, at, type, detail, source) VALUES ('a1', ` + fmt.Sprint(seedAt) + `, 'passkey-added', 'Security key: Blue key', 'app')`,
	},
	2: {
		`INSERT INTO phone_enrollments VALUES ('pe1', x'746f6b', 'a1', x'73657373696f6e', x'6772616e74', x'636f6465', 'done', '', 0, NULL, 'Phone', 'ch', 'Y3JlZDE', ` + fmt.Sprint(seedAt) + `, ` + fmt.Sprint(seedAt+int64(time.Hour)) + `)`,
	},
	3: {
		`INSERT INTO api_keys VALUES ('k1', x'6b6579', 'a1', 'exchange backend', 'pdk_ab', ` + fmt.Sprint(seedAt) + `, 0, 0)`,
		`INSERT INTO approvals VALUES ('ap1', 'a1', 'k1', 'withdrawal', 'BTC', '0.015', 'Bitcoin', 'bc1q', '', '0.0001', 'W-1', x'6e6f6e6365', 'approved', ` +
			fmt.Sprint(seedAt) + `, ` + fmt.Sprint(seedAt+int64(5*time.Minute)) + `, ` + fmt.Sprint(seedAt+int64(time.Minute)) +
			`, 'Y3JlZDE', x'6372656431', x'636f7365', x'61757468', x'7b7d', x'736967')`,
		`INSERT INTO approvals VALUES ('ap2', 'a1', 'k1', 'c2c-trade', 'USDT', '10', '', '', 'merchant', '', '', x'6e6f6e6365', 'pending', ` +
			fmt.Sprint(seedAt) + `, ` + fmt.Sprint(seedAt+int64(5*time.Minute)) + `, 0, '', NULL, NULL, NULL, NULL, NULL)`,
		`INSERT INTO account_policies VALUES ('a1', 1, ` + fmt.Sprint(seedAt+int64(24*time.Hour)) + `)`,
		`INSERT INTO grants VALUES (x'6772616e7432', 'a1', 'remove-passkey', ` + fmt.Sprint(seedAt+int64(time.Hour)) + `, 'Y3JlZDE')`,
	},
	4: {
		`UPDATE passkeys SET lost_at = ` + fmt.Sprint(seedAt+int64(2*time.Hour)) + `, lost_reason = 'the key was reset' WHERE id = 'Y3JlZDE'`,
	},
	5: {
		`INSERT INTO approvals VALUES ('ap3', 'a1', 'k1', 'deposit', 'ETH', '1', 'Ethereum', '0xabc', '', '', '', x'6e6f6e6365', 'refused', ` +
			fmt.Sprint(seedAt) + `, ` + fmt.Sprint(seedAt+int64(5*time.Minute)) + `, ` + fmt.Sprint(seedAt+int64(time.Minute)) + `, '', NULL, NULL, NULL, NULL, NULL)`,
	},
}

// buildAt makes a database at path with the migrations up to version
// upTo applied, as the runner applies them, each followed by its seeds.
func buildAt(t *testing.T, path string, ms []migration, upTo int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version > upTo {
			break
		}
		if _, err := db.Exec(m.script); err != nil {
			t.Fatalf("applying %s: %v", m.name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
			t.Fatal(err)
		}
		for _, s := range seeds[m.version] {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("seeding version %d: %v\n%s", m.version, err, s)
			}
		}
	}
}

// snapshot is a database's schema (every object but schema_migrations'
// own table, plus test triggers) and contents, as text to compare.
type snapshot struct {
	schema   string
	contents string
	version  int
}

func take(t *testing.T, path string) snapshot {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var snap snapshot
	rows, err := db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' AND type != 'trigger' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	var b strings.Builder
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s: %s\n", typ, name, text)
		if typ == "table" {
			tables = append(tables, name)
		}
	}
	rows.Close()
	snap.schema = b.String()
	b.Reset()
	for _, table := range append(tables, "schema_migrations") {
		rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	snap.contents = b.String()
	var v sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	snap.version = int(v.Int64)
	return snap
}

// TestUpgradeFromEveryVersion builds a database at each earlier version
// with real rows, opens it with the current code, and checks that the
// rows came through and the schema is the one a new database gets.
func TestUpgradeFromEveryVersion(t *testing.T) {
	ms := embeddedMigrations(t)
	latest := ms[len(ms)-1].version

	fresh := filepath.Join(t.TempDir(), "fresh.db")
	s, err := Open(fresh)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := take(t, fresh)
	if want.version != latest {
		t.Fatalf("a new database is at version %d, the newest migration is %d", want.version, latest)
	}

	for _, from := range ms[:len(ms)-1] {
		t.Run(fmt.Sprintf("from %d", from.version), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			buildAt(t, path, ms, from.version)
			s, err := Open(path)
			if err != nil {
				t.Fatalf("opening a version %d database: %v", from.version, err)
			}
			defer s.Close()
			if v, err := s.SchemaVersion(context.Background()); err != nil || v != latest {
				t.Fatalf("version after the upgrade %d, %v; want %d", v, err, latest)
			}
			checkSeeds(t, s, from.version)
			s.Close()
			if got := take(t, path); got.schema != want.schema {
				t.Fatalf("schema after upgrading from %d differs from a new database's:\n%s\nwant:\n%s", from.version, got.schema, want.schema)
			}
		})
	}
}

// checkSeeds reads the seeded rows back through the store, as the
// service would.
func checkSeeds(t *testing.T, s *Store, from int) {
	t.Helper()
	err := s.Update(context.Background(), func(tx account.Tx) error {
		a, err := tx.AccountByID("a1")
		if err != nil || a.Email != "ann@example.com" || string(a.TOTPSecret) != "SEALED" || !a.Active {
			return fmt.Errorf("account: %+v, %v", a, err)
		}
		if sr, err := tx.SessionByHash([]byte("session")); err != nil || sr.Restricted {
			return fmt.Errorf("session: %+v, %v", sr, err)
		}
		// An old session was last seen when it began, by an app not
		// recorded, and is listed with the account's.
		if list, err := tx.Sessions("a1"); err != nil || len(list) != 1 || !list[0].LastSeenAt.Equal(list[0].CreatedAt) ||
			list[0].CreatedAt.UnixNano() != seedAt || list[0].Client != "" || list[0].PasskeyID != "" {
			return fmt.Errorf("old sessions listed: %+v, %v", list, err)
		}
		// A session of an old database can be restricted and lifted.
		if err := tx.SetSessionRestricted([]byte("session"), true); err != nil {
			return fmt.Errorf("restricting an old session: %w", err)
		}
		if sr, _, err := tx.SessionAccount([]byte("session")); err != nil || !sr.Restricted {
			return fmt.Errorf("restricted session: %+v, %v", sr, err)
		}
		if g, err := tx.GrantByHash([]byte("grant")); err != nil || g.Purpose != account.PurposeRemovePasskey || g.PasskeyID != "" {
			return fmt.Errorf("grant: %+v, %v", g, err)
		}
		pks, err := tx.Passkeys("a1")
		if err != nil || len(pks) != 1 || pks[0].Name != "Blue key" || pks[0].SignCount != 7 || !slices.Equal(pks[0].Transports, []string{"usb", "nfc"}) {
			return fmt.Errorf("passkeys: %+v, %v", pks, err)
		}
		ev, err := tx.Events("a1", 10)
		if err != nil || len(ev) != 1 || ev[0].Detail != "Security key: Blue key" {
			return fmt.Errorf("events: %+v, %v", ev, err)
		}
		if st, err := tx.FactorState("a1", account.FactorPassword); err != nil || st != (account.FactorState{Failures: 2}) {
			return fmt.Errorf("factor state: %+v, %v", st, err)
		}
		if from < 2 {
			return nil
		}
		if e, err := tx.PhoneEnrollmentByID("pe1"); err != nil || e.State != account.EnrollmentDone {
			return fmt.Errorf("phone enrollment: %+v, %v", e, err)
		}
		if from < 3 {
			return nil
		}
		if k, err := tx.APIKeyByHash([]byte("key")); err != nil || k.Name != "exchange backend" {
			return fmt.Errorf("api key: %+v, %v", k, err)
		}
		ap, err := tx.ApprovalByID("ap1")
		if err != nil || ap.State != account.ApprovalApproved || ap.Assertion == nil || ap.Operation.Amount != "0.015" ||
			ap.Operation.Reference != "W-1" || string(ap.Nonce) != "nonce" || ap.PasskeyID != "Y3JlZDE" ||
			string(ap.Assertion.CredentialID) != "cred1" || string(ap.Assertion.PublicKey) != "cose" ||
			string(ap.Assertion.AuthenticatorData) != "auth" || string(ap.Assertion.ClientDataJSON) != "{}" ||
			string(ap.Assertion.Signature) != "sig" || ap.DecidedAt.UnixNano() != seedAt+int64(time.Minute) {
			return fmt.Errorf("approved approval: %+v, %v", ap, err)
		}
		pending, err := tx.Approvals("a1", account.ApprovalPending)
		if err != nil || len(pending) != 1 || pending[0].ID != "ap2" {
			return fmt.Errorf("pending approvals: %+v, %v", pending, err)
		}
		// A pending approval of an old database can end in any state the
		// current code knows.
		pending[0].State, pending[0].DecidedAt = account.ApprovalRefused, time.Unix(0, seedAt+int64(2*time.Minute))
		if err := tx.UpdateApproval(&pending[0]); err != nil {
			return fmt.Errorf("refusing an old approval: %w", err)
		}
		p, err := tx.Policy("a1")
		if err != nil || !p.PasskeyRequired || p.HoldUntil.UnixNano() != seedAt+int64(24*time.Hour) {
			return fmt.Errorf("policy: %+v, %v", p, err)
		}
		if g, err := tx.GrantByHash([]byte("grant2")); err != nil || g.PasskeyID != "Y3JlZDE" {
			return fmt.Errorf("grant with passkey: %+v, %v", g, err)
		}
		if from < 4 {
			return nil
		}
		if !pks[0].Lost() || pks[0].LostReason != "the key was reset" || pks[0].LostAt.UnixNano() != seedAt+int64(2*time.Hour) {
			return fmt.Errorf("lost passkey: %+v", pks[0])
		}
		if from < 5 {
			return nil
		}
		if ap, err := tx.ApprovalByID("ap3"); err != nil || ap.State != account.ApprovalRefused || ap.Operation.Kind != account.OperationDeposit {
			return fmt.Errorf("refused approval: %+v, %v", ap, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFailedMigrationLeavesTheOldVersion makes each migration fail at its
// very end (a trigger refuses its row in schema_migrations, after the
// whole script ran) and checks that the file is exactly as before:
// version, schema and rows. Without the trigger the upgrade then works.
func TestFailedMigrationLeavesTheOldVersion(t *testing.T) {
	ms := embeddedMigrations(t)
	for i, m := range ms {
		// The first migration fails on an empty file; every later one
		// fails partway through an upgrade from the first version, after
		// the migrations before it have run: all of them must go.
		prev := 0
		if i > 0 {
			prev = ms[0].version
		}
		t.Run(m.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			buildAt(t, path, ms, prev)
			before := take(t, path)
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			trigger := fmt.Sprintf(`CREATE TRIGGER fail_migration BEFORE INSERT ON schema_migrations
				WHEN NEW.version = %d BEGIN SELECT RAISE(ABORT, 'migration refused by the test'); END`, m.version)
			if _, err := db.Exec(trigger); err != nil {
				t.Fatal(err)
			}
			db.Close()

			if s, err := Open(path); err == nil {
				s.Close()
				t.Fatalf("opened although migration %s failed", m.name)
			} else if !strings.Contains(err.Error(), "migration refused by the test") {
				t.Fatalf("open failed otherwise: %v", err)
			}
			after := take(t, path)
			if after.version != prev || after.schema != before.schema || after.contents != before.contents {
				t.Fatalf("the failed migration left changes: version %d (want %d)\nschema:\n%s\nwant:\n%s\ncontents:\n%s\nwant:\n%s",
					after.version, prev, after.schema, before.schema, after.contents, before.contents)
			}

			if db, err = sql.Open("sqlite", "file:"+path); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`DROP TRIGGER fail_migration`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			s, err := Open(path)
			if err != nil {
				t.Fatalf("opening once the cause is gone: %v", err)
			}
			defer s.Close()
			if v, _ := s.SchemaVersion(context.Background()); v != ms[len(ms)-1].version {
				t.Fatalf("version %d after the retry", v)
			}
		})
	}
}

// TestNewerSchemaIsRefused: a file written by a newer Passkey Desk, with
// migrations this build does not know, is not opened, and is left as it
// was.
func TestNewerSchemaIsRefused(t *testing.T) {
	ms := embeddedMigrations(t)
	path := filepath.Join(t.TempDir(), "newer.db")
	buildAt(t, path, ms, ms[len(ms)-1].version)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES (999, '0999_from_the_future.sql')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := take(t, path)
	if s, err := Open(path); err == nil {
		s.Close()
		t.Fatal("opened a database with a schema newer than this build")
	} else if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "999") {
		t.Fatalf("open: %v", err)
	}
	if after := take(t, path); after != before {
		t.Fatalf("the refused open changed the file: %+v", after)
	}
}
