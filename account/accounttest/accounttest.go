// Package accounttest helps tests drive the account service: a service on a
// temporary SQLite file with a settable clock, and a small software
// authenticator that answers WebAuthn options JSON as a browser plus
// authenticator would.
//
// The authenticator lets the account package's tests prove the ceremonies
// at the WebAuthn level without the key stack (libfido2 and the soft key
// behind the fido packages, which the ui and fido tests use), since
// account may not import fido. It is for tests only: its keys live in
// memory.
package accounttest

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// Origin and RPID are those of the services NewService makes.
const (
	RPID   = "localhost"
	Origin = "http://localhost"
)

// CheapPasswords keep argon2id fast in tests; production uses
// account.DefaultPasswordParams.
var CheapPasswords = &account.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}

// Clock is a settable clock for account.Config.Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Options adjust NewService.
type Options struct {
	Mailer account.Mailer
	Model  func([]byte) string
	// PublicURL, when set, is the base of phone enrollment links and an
	// allowed origin besides Origin (the phone page's, such as
	// http://localhost:PORT in a browser test).
	PublicURL string
	// SecretKey, when set, is the service's Config.SecretKey (32 bytes),
	// for a test that opens a second service on the same database; a
	// random one otherwise.
	SecretKey []byte
	// Store, when set, is given the SQLite store and returns the store the
	// service uses: a test's wrapper around it, or the store itself kept
	// to read rows the API does not show.
	Store func(account.Store) account.Store
	// SessionLifetime and SessionIdle are the service's; 0 means
	// account's defaults.
	SessionLifetime, SessionIdle time.Duration
}

// NewService returns a service on a fresh SQLite file in t.TempDir(), its
// clock, and the path of the database.
func NewService(t testing.TB, opts Options) (*account.Service, *Clock, string) {
	t.Helper()
	path := t.TempDir() + "/passkeydesk.db"
	store, err := sqlstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	key := opts.SecretKey
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	origins := []string{Origin}
	if opts.PublicURL != "" {
		origins = append(origins, opts.PublicURL)
	}
	var st account.Store = store
	if opts.Store != nil {
		st = opts.Store(store)
	}
	svc, err := account.New(account.Config{
		RPID:           RPID,
		RPName:         "Passkey Desk",
		Origins:        origins,
		PublicURL:      opts.PublicURL,
		SecretKey:      key,
		Mailer:         opts.Mailer,
		Now:            clock.Now,
		PasswordParams: CheapPasswords,
		Model:          opts.Model,

		SessionLifetime: opts.SessionLifetime,
		SessionIdle:     opts.SessionIdle,
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	return svc, clock, path
}
