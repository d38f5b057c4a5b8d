package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/server"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/assets"
)

// database is an opened store of either kind.
type database interface {
	account.Store
	Ready(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int, error)
}

// deployment is an opened database with the service configured on it.
type deployment struct {
	store  database
	close  func()
	cfg    account.Config
	pinned account.Deployment
	// collectors are the database's own metrics (the PostgreSQL pool).
	collectors []prometheus.Collector
}

// open validates c, opens (creating and migrating) the database and reads
// or makes the secret key. mustExist refuses a database file that is not
// there yet.
func open(c *config, log *slog.Logger, mustExist bool) (*deployment, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	d := &deployment{}
	var key []byte
	if c.postgres() {
		var err error
		if key, err = c.secretKey(false); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		store, err := pgstore.Open(ctx, c.db)
		if err != nil {
			return nil, fmt.Errorf("opening the database: %w", err)
		}
		d.store, d.close = store, store.Close
		d.collectors = append(d.collectors, poolCollector(store))
	} else {
		path := c.dbPath()
		_, err := os.Stat(path)
		fresh := errors.Is(err, fs.ErrNotExist)
		if fresh && mustExist {
			return nil, fmt.Errorf("no database at %s: serve or migrate makes it", path)
		}
		if key, err = c.secretKey(fresh); err != nil {
			return nil, err
		}
		store, err := sqlstore.OpenWith(path, sqlstore.Options{Log: log})
		if err != nil {
			return nil, fmt.Errorf("opening the database: %w", err)
		}
		d.store, d.close = store, func() { store.Close() }
	}
	rpID, origin, _ := httpapi.RelyingParty(c.publicURL)
	d.pinned = account.Deployment{RPID: rpID, SecretKey: key, AllowRPIDChange: c.allowRPIDChange}
	d.cfg = account.Config{
		RPID:      rpID,
		RPName:    "Passkey Desk",
		Origins:   []string{origin},
		PublicURL: origin,
		SecretKey: key,
		Model:     assets.ModelName,

		SignUpClosed: c.signUp == "off",
	}
	if c.smtpHost != "" {
		roots, err := account.SMTPRoots(c.smtpCA)
		if err != nil {
			d.close()
			return nil, err
		}
		d.cfg.Mailer = account.NewSMTPMailer(account.SMTPConfig{
			Host:     c.smtpHost,
			Port:     c.smtpPort,
			Username: c.smtpUser,
			Password: os.Getenv("PASSKEYDESK_SMTP_PASSWORD"),
			From:     c.smtpFrom,
			RootCAs:  roots,
		})
	}
	return d, nil
}

// serve runs the server until ctx ends.
func serve(ctx context.Context, c *config, log *slog.Logger) error {
	d, err := open(c, log, false)
	if err != nil {
		return err
	}
	defer d.close()
	if err := account.PinDeployment(ctx, d.store, d.pinned); err != nil {
		return err
	}
	d.cfg.Logger = log
	svc, err := account.New(d.cfg, d.store)
	if err != nil {
		return err
	}
	// Alert mails of changes already made go out before the store closes.
	defer svc.WaitAlerts()
	// Watches here hear of the changes other instances make.
	go svc.Follow(ctx)
	proxies, _ := c.proxies()
	var srv *server.Server // counts the ceremonies; made below, before any request
	api, err := httpapi.New(svc, httpapi.Config{PublicURL: d.cfg.PublicURL, Logger: log, RateLimitsOff: c.noRateLimits,
		ApprovalRate: c.approvalRate, ApprovalBurst: c.approvalBurst,
		// The rate limits count the client a trusted proxy names.
		ClientAddr: func(r *http.Request) string { return server.ClientAddr(r, proxies) },
		Ceremony:   func(ceremony, outcome string) { srv.CountCeremony(ceremony, outcome) }})
	if err != nil {
		return err
	}
	srv, err = server.New(api, server.Config{
		Listen:          c.listen,
		TLSCertFile:     c.tlsCert,
		TLSKeyFile:      c.tlsKey,
		TrustedProxies:  proxies,
		Ready:           d.store.Ready,
		ShutdownTimeout: c.shutdownTimeout,
		Logger:          log,
		Collectors:      d.collectors,
	})
	if err != nil {
		return err
	}
	err = srv.Run(ctx, func(addr net.Addr) {
		log.Info("listening", "addr", addr.String(), "public_url", d.cfg.PublicURL, "rp_id", d.cfg.RPID,
			"db", c.dbName(), "email_codes", d.cfg.Mailer != nil, "tls", c.tlsCert != "")
	})
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// migrate brings the database's schema up to date.
func migrate(ctx context.Context, c *config, log *slog.Logger) error {
	d, err := open(c, log, false)
	if err != nil {
		return err
	}
	defer d.close()
	v, err := d.store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("schema up to date", "db", c.dbName(), "version", v)
	return nil
}

// check reaches the database and checks it against the configuration.
func check(ctx context.Context, c *config, log *slog.Logger) error {
	d, err := open(c, log, true)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.store.Ready(ctx); err != nil {
		return err
	}
	if err := account.CheckDeployment(ctx, d.store, d.pinned); err != nil {
		return err
	}
	if _, err := account.New(d.cfg, d.store); err != nil {
		return err
	}
	stored, err := account.StoredRPID(ctx, d.store)
	if err != nil {
		return err
	}
	log.Info("configuration good", "db", c.dbName(), "rp_id", d.cfg.RPID, "stored_rp_id", stored, "public_url", d.cfg.PublicURL)
	return nil
}

func withRequestIDs(h slog.Handler) slog.Handler { return server.WithRequestIDs(h) }

// poolCollector reports the PostgreSQL connection pool.
func poolCollector(s *pgstore.Store) prometheus.Collector {
	return &pool{s: s,
		total:    prometheus.NewDesc("passkeydesk_db_connections", "Open database connections.", nil, nil),
		acquired: prometheus.NewDesc("passkeydesk_db_connections_in_use", "Database connections in use.", nil, nil),
		max:      prometheus.NewDesc("passkeydesk_db_connections_max", "The most database connections the pool opens.", nil, nil),
		waits:    prometheus.NewDesc("passkeydesk_db_connection_waits_total", "Times a call waited for a free database connection.", nil, nil),
	}
}

type pool struct {
	s                           *pgstore.Store
	total, acquired, max, waits *prometheus.Desc
}

func (p *pool) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.total
	ch <- p.acquired
	ch <- p.max
	ch <- p.waits
}

func (p *pool) Collect(ch chan<- prometheus.Metric) {
	st := p.s.Pool().Stat()
	ch <- prometheus.MustNewConstMetric(p.total, prometheus.GaugeValue, float64(st.TotalConns()))
	ch <- prometheus.MustNewConstMetric(p.acquired, prometheus.GaugeValue, float64(st.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(p.max, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(p.waits, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
}
