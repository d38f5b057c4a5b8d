package account

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"
)

// Mailer delivers the service's email (verification codes). A nil Mailer
// in Config means email is not configured, and the email factor is then not
// required.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// SMTPConfig names an SMTP relay. The password comes from the environment
// or a secret store, never from a flag or a log.
type SMTPConfig struct {
	Host     string
	Port     int // 0 means 587
	Username string
	Password string
	From     string
	// ImplicitTLS speaks TLS from the first byte (SMTPS) instead of
	// upgrading the connection with STARTTLS. Port 465 always does.
	ImplicitTLS bool
	// RootCAs are the authorities the server's certificate must chain
	// to; nil means the system's.
	RootCAs *x509.CertPool
}

type smtpMailer struct {
	cfg  SMTPConfig
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewSMTPMailer returns a Mailer that sends through cfg's relay over TLS
// 1.2 or newer, the certificate checked against cfg.Host: implicit TLS on
// port 465 (or with cfg.ImplicitTLS), STARTTLS otherwise. Mail goes
// unencrypted only to a server on this computer (cfg.Host "localhost" or
// a loopback IP literal, connected to a loopback address) that does not
// offer STARTTLS; any other name, even one that resolves to a loopback
// address, must offer it. PLAIN auth is used when a username is set.
func NewSMTPMailer(cfg SMTPConfig) Mailer {
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	return &smtpMailer{cfg: cfg, dial: d.DialContext}
}

func (m *smtpMailer) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: m.cfg.RootCAs}
}

// plainAllowed reports whether mail may go unencrypted over conn: only to
// a host named as this computer and reached on a loopback address. Other
// names (such as "x.localhost") are resolved by whatever resolver the
// system has, so they count as remote whatever they resolve to.
func (m *smtpMailer) plainAllowed(conn net.Conn) bool {
	host := m.cfg.Host
	ip := net.ParseIP(host)
	if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return false
	}
	peer, ok := conn.RemoteAddr().(*net.TCPAddr)
	return ok && peer.IP.IsLoopback()
}

func (m *smtpMailer) Send(ctx context.Context, to, subject, body string) error {
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	conn, err := m.dial(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to mail server %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	if m.cfg.ImplicitTLS || m.cfg.Port == 465 {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("starting TLS with %s: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("talking to mail server %s: %w", addr, err)
	}
	defer c.Close()
	if _, isTLS := conn.(*tls.Conn); !isTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fmt.Errorf("starting TLS with %s: %w", addr, err)
			}
		} else if !m.plainAllowed(conn) {
			return fmt.Errorf("mail server %s does not offer STARTTLS, and mail leaves this computer only encrypted", addr)
		}
	}
	if m.cfg.Username != "" {
		// smtp.PlainAuth refuses to send the password over an unencrypted
		// connection to anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return fmt.Errorf("signing in to mail server %s: %w", addr, err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return fmt.Errorf("mail server refused sender: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("mail server refused recipient: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg := "From: " + m.cfg.From + "\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail server refused message: %w", err)
	}
	return c.Quit()
}

// SMTPRoots reads the authorities the mail server's certificate must chain
// to from the PEM file path (the --smtp-ca option of both commands), for a relay whose certificate a
// private CA issued; "" means the system's roots (nil).
func SMTPRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the mail server's CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the mail server's CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
