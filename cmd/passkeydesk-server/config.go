package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/server"
	"github.com/passkeydesk/passkeydesk/cmd/internal/envflag"
)

// config is the command line, after the environment filled its defaults.
type config struct {
	listen, publicURL, dataDir, db string
	secretKeyFile                  string
	tlsCert, tlsKey                string
	trustedProxies                 string
	smtpHost, smtpUser, smtpFrom   string
	smtpCA                         string
	smtpPort                       int
	allowRPIDChange                bool
	approvalRate                   float64
	approvalBurst                  int
	noRateLimits                   bool
	signUp                         string
	shutdownTimeout                time.Duration
}

func defineFlags(fs *flag.FlagSet) *config {
	c := &config{}
	fs.StringVar(&c.listen, "listen", envflag.String("PASSKEYDESK_LISTEN", "127.0.0.1:8787"), "address to listen on (env PASSKEYDESK_LISTEN)")
	fs.StringVar(&c.publicURL, "public-url", envflag.String("PASSKEYDESK_PUBLIC_URL", "http://localhost:8787"), "where browsers reach the service: RP ID and origin (env PASSKEYDESK_PUBLIC_URL)")
	fs.StringVar(&c.dataDir, "data-dir", envflag.String("PASSKEYDESK_DATA_DIR", defaultDataDir()), "folder of the default database and secret key (env PASSKEYDESK_DATA_DIR)")
	fs.StringVar(&c.db, "db", envflag.String("PASSKEYDESK_DB", ""), "postgres://… or a SQLite file path; default DATA_DIR/passkeydesk.db (env PASSKEYDESK_DB)")
	fs.StringVar(&c.secretKeyFile, "secret-key-file", envflag.String("PASSKEYDESK_SECRET_KEY_FILE", ""), "file holding the 32-byte TOTP sealing key (env PASSKEYDESK_SECRET_KEY_FILE; or PASSKEYDESK_SECRET_KEY, base64)")
	fs.StringVar(&c.tlsCert, "tls-cert", envflag.String("PASSKEYDESK_TLS_CERT", ""), "TLS certificate file; without it a TLS proxy is expected (env PASSKEYDESK_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", envflag.String("PASSKEYDESK_TLS_KEY", ""), "TLS private key file (env PASSKEYDESK_TLS_KEY)")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", envflag.String("PASSKEYDESK_TRUSTED_PROXIES", ""), "comma-separated CIDRs whose X-Forwarded-For is believed (env PASSKEYDESK_TRUSTED_PROXIES)")
	fs.StringVar(&c.smtpHost, "smtp-host", envflag.String("PASSKEYDESK_SMTP_HOST", ""), "SMTP server for email codes and security alerts; empty turns them off (env PASSKEYDESK_SMTP_HOST)")
	fs.IntVar(&c.smtpPort, "smtp-port", envflag.Int("PASSKEYDESK_SMTP_PORT", 587), "SMTP port (env PASSKEYDESK_SMTP_PORT)")
	fs.StringVar(&c.smtpUser, "smtp-user", envflag.String("PASSKEYDESK_SMTP_USER", ""), "SMTP user; the password comes from env PASSKEYDESK_SMTP_PASSWORD only (env PASSKEYDESK_SMTP_USER)")
	fs.StringVar(&c.smtpFrom, "smtp-from", envflag.String("PASSKEYDESK_SMTP_FROM", ""), "sender of email codes and alerts (env PASSKEYDESK_SMTP_FROM)")
	fs.StringVar(&c.smtpCA, "smtp-ca", envflag.String("PASSKEYDESK_SMTP_CA", ""), "PEM file of the CA that issued the SMTP server's certificate; empty means the system's roots (env PASSKEYDESK_SMTP_CA)")
	fs.Float64Var(&c.approvalRate, "approval-rate", envflag.Float("PASSKEYDESK_APPROVAL_RATE", httpapi.DefaultApprovalRate), "approval requests each API key may make a second, on average (env PASSKEYDESK_APPROVAL_RATE)")
	fs.IntVar(&c.approvalBurst, "approval-burst", envflag.Int("PASSKEYDESK_APPROVAL_BURST", httpapi.DefaultApprovalBurst), "approval requests each API key may make at once (env PASSKEYDESK_APPROVAL_BURST)")
	fs.StringVar(&c.signUp, "signup", envflag.String("PASSKEYDESK_SIGNUP", "on"), "on: anyone may make an account here; off: only accounts made by the operator sign in (env PASSKEYDESK_SIGNUP)")
	fs.BoolVar(&c.allowRPIDChange, "allow-rp-id-change", false, "confirm a public URL whose host changes the RP ID: every passkey bound so far stops working")
	fs.BoolVar(&c.noRateLimits, "no-rate-limits", false, "turn the rate limits off: for benchmarks whose clients share one address, never in service")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", envflag.Duration("PASSKEYDESK_SHUTDOWN_TIMEOUT", 10*time.Second), "how long calls in flight may finish when stopping (env PASSKEYDESK_SHUTDOWN_TIMEOUT)")
	return c
}

// validate checks what can be checked without the database.
func (c *config) validate() error {
	if _, _, err := httpapi.RelyingParty(c.publicURL); err != nil {
		return err
	}
	if c.approvalRate <= 0 || c.approvalBurst < 1 {
		return errors.New("--approval-rate must be above 0 and --approval-burst at least 1")
	}
	if c.signUp != "on" && c.signUp != "off" {
		return fmt.Errorf("--signup must be on or off, not %q", c.signUp)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("give --tls-cert and --tls-key together, or neither")
	}
	if _, err := c.proxies(); err != nil {
		return err
	}
	if c.postgres() {
		if c.secretKeyFile == "" && os.Getenv("PASSKEYDESK_SECRET_KEY") == "" {
			return errors.New("a server on PostgreSQL needs the secret key given: --secret-key-file or PASSKEYDESK_SECRET_KEY (every instance the same)")
		}
		return nil
	}
	if c.dbPath() == "" {
		return errors.New("no database: set --db or --data-dir")
	}
	if c.smtpHost != "" && c.smtpFrom == "" {
		return errors.New("--smtp-host needs --smtp-from, the sender of email codes")
	}
	return nil
}

func (c *config) proxies() ([]netip.Prefix, error) { return server.ParsePrefixes(c.trustedProxies) }

// postgres reports whether --db names a PostgreSQL database.
func (c *config) postgres() bool {
	return strings.HasPrefix(c.db, "postgres://") || strings.HasPrefix(c.db, "postgresql://")
}

// dbName is the database for logs: the SQLite path, or the PostgreSQL
// address without its password.
func (c *config) dbName() string {
	if !c.postgres() {
		return c.dbPath()
	}
	u, err := url.Parse(c.db)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

// dbPath is the SQLite file.
func (c *config) dbPath() string {
	if c.db != "" {
		return c.db
	}
	if c.dataDir == "" {
		return ""
	}
	return filepath.Join(c.dataDir, "passkeydesk.db")
}

// secretKey returns the TOTP sealing key: from PASSKEYDESK_SECRET_KEY, from
// --secret-key-file, or from the data folder's secret.key. The last is made
// only when fresh is true (the database is being created), so a key is
// never made up for a database sealed under another one.
func (c *config) secretKey(fresh bool) ([]byte, error) {
	if v, ok := os.LookupEnv("PASSKEYDESK_SECRET_KEY"); ok {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(key) != 32 {
			return nil, errors.New("PASSKEYDESK_SECRET_KEY must be 32 bytes in base64")
		}
		return key, nil
	}
	path, made := c.secretKeyFile, false
	if path == "" {
		if c.dataDir == "" {
			return nil, errors.New("no secret key: set --secret-key-file, PASSKEYDESK_SECRET_KEY or --data-dir")
		}
		path, made = filepath.Join(c.dataDir, "secret.key"), fresh
	}
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != 32 {
			return nil, fmt.Errorf("the secret key file %s is damaged: it holds %d bytes, not 32", path, len(key))
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading the secret key: %w", err)
	case !made:
		return nil, fmt.Errorf("the secret key file %s does not exist; it is made only with a new database, so give the key this database was set up with", path)
	}
	key = make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("making the secret key: %w", err)
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("making the secret key: %w", err)
	}
	return key, nil
}

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "passkeydesk-server")
}
