// Package pgtest starts a throwaway PostgreSQL cluster for tests: Debian's
// postgresql binaries, initdb into a temporary folder, a server on a unix
// socket and a free loopback port, stopped and removed afterwards.
// PostgreSQL refuses to run as root, so under root the cluster runs as the
// postgres user (runuser). Each test gets a database of its own.
//
// Without PostgreSQL installed a test skips, except under CI=true, where it
// fails: CI must run what needs it.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	bin  string // the folder of initdb, pg_ctl, postgres
	dir  string // holds data/, the socket and the log
	port int
	as   *user.User // nil when not run as another user
	dbs  atomic.Int64
}

// ErrNotInstalled says no PostgreSQL binaries were found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL is not installed (Debian: apt-get install postgresql)")

// binDir finds the newest /usr/lib/postgresql/N/bin with initdb in it.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", ErrNotInstalled
	}
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi < vj
	})
	return filepath.Dir(found[len(found)-1]), nil
}

// Start makes and starts a new cluster.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		if c.as, err = user.Lookup("postgres"); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: PostgreSQL will not run as root and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(c.as.Uid)
		gid, _ := strconv.Atoi(c.as.Gid)
		if err := os.Chmod(dir, 0o755); err == nil {
			err = os.Chown(dir, uid, gid)
		}
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if c.port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := c.StartServer(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// command runs one of the cluster's binaries, as the postgres user when
// the test runs as root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.as != nil {
		return exec.Command("runuser", append([]string{"-u", c.as.Username, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// StartServer starts the cluster's server (again, after StopServer).
func (c *Cluster) StartServer() error {
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c max_connections=200", c.dir, c.port)
	out, err := c.command("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pgtest: starting PostgreSQL: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// StopServer stops the cluster's server, fast: open connections are cut.
func (c *Cluster) StopServer() error {
	out, err := c.command("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: stopping PostgreSQL: %v\n%s", err, out)
	}
	return nil
}

// Close stops the server and removes the cluster.
func (c *Cluster) Close() error {
	err := c.StopServer()
	os.RemoveAll(c.dir)
	return err
}

// DSN is the address of database name over loopback TCP.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// NewDatabase makes an empty database and returns its address.
func (c *Cluster) NewDatabase() (string, error) {
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), c.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return c.DSN(name), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// Database gives the test an empty database on the cluster this test
// binary shares (started on first use; stop it with Stop from TestMain).
// Without PostgreSQL it skips the test, or fails it under CI=true.
func Database(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.cluster, shared.err = Start() })
	if shared.err != nil {
		if errors.Is(shared.err, ErrNotInstalled) && os.Getenv("CI") != "true" {
			t.Skip(shared.err)
		}
		t.Fatal(shared.err)
	}
	dsn, err := shared.cluster.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Shared is the cluster Database uses, or nil before its first use.
func Shared() *Cluster { return shared.cluster }

// Stop stops the shared cluster, if one was started. Call it from
// TestMain after m.Run.
func Stop() {
	if shared.cluster != nil {
		shared.cluster.Close()
	}
}

// Query runs one statement on the cluster's postgres database as the
// superuser and scans its one row into dest (nothing when dest is empty).
func Query(c *Cluster, sql string, dest ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if len(dest) == 0 {
		_, err = conn.Exec(ctx, sql)
		return err
	}
	return conn.QueryRow(ctx, sql).Scan(dest...)
}
