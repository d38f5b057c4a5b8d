package account_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// testCA is a certificate authority made for one test run, and a server
// certificate it issued for "localhost", "mail.example.test", 127.0.0.1
// and ::1.
type testCA struct {
	pool   *x509.CertPool
	server tls.Certificate
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Passkey Desk test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "mail.example.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "mail.example.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return testCA{pool: pool, server: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}
}

// How a mailRelay speaks.
type relayMode int

const (
	relayPlain    relayMode = iota // no TLS at all, no STARTTLS offered
	relaySTARTTLS                  // plain, offering STARTTLS
	relayImplicit                  // TLS from the first byte (SMTPS)
)

// delivery is a message a mailRelay accepted and how it came.
type delivery struct {
	msg     string
	tls     bool
	version uint16 // TLS version, when tls
	user    string // the user name of AUTH PLAIN, if any
}

// mailRelay is a loopback SMTP server that keeps the messages it receives
// and whether they came over TLS.
type mailRelay struct {
	addr string
	mode relayMode
	tls  *tls.Config

	mu        sync.Mutex
	delivered []delivery
}

func startRelay(t *testing.T, mode relayMode, conf *tls.Config) *mailRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &mailRelay{addr: ln.Addr().String(), mode: mode, tls: conf}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *mailRelay) port(t *testing.T) int {
	_, p, _ := net.SplitHostPort(r.addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *mailRelay) messages() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.delivered...)
}

func (r *mailRelay) serve(raw net.Conn) {
	c := raw
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var state *tls.ConnectionState
	if r.mode == relayImplicit {
		tc := tls.Server(c, r.tls)
		if tc.Handshake() != nil {
			return
		}
		c = tc
		st := tc.ConnectionState()
		state = &st
	}
	in := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	say("220 relay ready")
	var user string
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if r.mode == relaySTARTTLS && state == nil {
				say("250-relay")
				say("250 STARTTLS")
			} else {
				say("250-relay")
				say("250 AUTH PLAIN")
			}
		case cmd == "STARTTLS" && r.mode == relaySTARTTLS && state == nil:
			say("220 go ahead")
			tc := tls.Server(c, r.tls)
			if tc.Handshake() != nil {
				return
			}
			c = tc
			st := tc.ConnectionState()
			state = &st
			in = bufio.NewReader(c)
		case strings.HasPrefix(cmd, "AUTH PLAIN"):
			fields := strings.Fields(strings.TrimSpace(line))
			if len(fields) != 3 {
				say("501 say it in one line")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(fields[2])
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 {
				say("501 bad credentials")
				continue
			}
			user = parts[1]
			say("235 welcome")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var msg strings.Builder
			for {
				l, err := in.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			d := delivery{msg: msg.String(), user: user}
			if state != nil {
				d.tls, d.version = true, state.Version
			}
			r.mu.Lock()
			r.delivered = append(r.delivered, d)
			r.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// dialTo returns a dial function that reaches addr whatever address it is
// asked for: the mailer takes its TLS rules from the relay's name and
// port, and the test keeps the traffic on loopback. peer, when set, is
// the remote address the connection reports.
func dialTo(addr string, peer net.Addr) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil || peer == nil {
			return c, err
		}
		return peerConn{c, peer}, nil
	}
}

type peerConn struct {
	net.Conn
	peer net.Addr
}

func (c peerConn) RemoteAddr() net.Addr { return c.peer }

func send(t *testing.T, m account.Mailer) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return m.Send(ctx, "ann@example.com", "Your code", "Your code is 123456.\n")
}

// wantTLS checks that exactly one message arrived, over TLS 1.2 or newer.
func wantTLS(t *testing.T, r *mailRelay, err error) delivery {
	t.Helper()
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	got := r.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages delivered; want 1", len(got))
	}
	if !got[0].tls || got[0].version < tls.VersionTLS12 {
		t.Fatalf("message delivered with TLS %v, version %#x; want TLS 1.2 or newer", got[0].tls, got[0].version)
	}
	if !strings.Contains(got[0].msg, "Your code is 123456.") {
		t.Fatalf("message is %q", got[0].msg)
	}
	return got[0]
}

// wantRefused checks that sending failed and nothing arrived.
func wantRefused(t *testing.T, r *mailRelay, err error, words string) {
	t.Helper()
	if err == nil {
		t.Fatal("the mail was sent")
	}
	if !strings.Contains(err.Error(), words) {
		t.Errorf("error %q does not say %q", err, words)
	}
	if strings.Contains(err.Error(), "123456") || strings.Contains(err.Error(), "relay password") {
		t.Errorf("the error gives a secret away: %q", err)
	}
	if got := r.messages(); len(got) != 0 {
		t.Fatalf("%d messages delivered; want none", len(got))
	}
}

func TestSMTPMailerTLS(t *testing.T) {
	ca := newTestCA(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{ca.server}}

	t.Run("STARTTLS on loopback, checked against the configured CA", func(t *testing.T) {
		r := startRelay(t, relaySTARTTLS, serverTLS)
		m := account.NewSMTPMailer(account.SMTPConfig{
			Host: "127.0.0.1", Port: r.port(t), From: "desk@example.com",
			Username: "desk", Password: "relay password", RootCAs: ca.pool,
		})
		if d := wantTLS(t, r, send(t, m)); d.user != "desk" {
			t.Errorf("signed in as %q; want desk", d.user)
		}
	})
	t.Run("STARTTLS on a named relay", func(t *testing.T) {
		r := startRelay(t, relaySTARTTLS, serverTLS)
		m := account.NewSMTPMailerDialing(account.SMTPConfig{
			Host: "mail.example.test", Port: 587, From: "desk@example.com",
			Username: "desk", Password: "relay password", RootCAs: ca.pool,
		}, dialTo(r.addr, nil))
		wantTLS(t, r, send(t, m))
	})
	t.Run("a certificate from an unknown CA is refused", func(t *testing.T) {
		r := startRelay(t, relaySTARTTLS, serverTLS)
		m := account.NewSMTPMailer(account.SMTPConfig{Host: "127.0.0.1", Port: r.port(t), From: "desk@example.com"})
		wantRefused(t, r, send(t, m), "starting TLS")
	})
	t.Run("a certificate for another name is refused", func(t *testing.T) {
		r := startRelay(t, relaySTARTTLS, serverTLS)
		m := account.NewSMTPMailerDialing(account.SMTPConfig{
			Host: "smtp.example.test", Port: 587, From: "desk@example.com", RootCAs: ca.pool,
		}, dialTo(r.addr, nil))
		wantRefused(t, r, send(t, m), "starting TLS")
	})
	t.Run("TLS older than 1.2 is refused", func(t *testing.T) {
		old := &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
		r := startRelay(t, relaySTARTTLS, old)
		m := account.NewSMTPMailer(account.SMTPConfig{Host: "127.0.0.1", Port: r.port(t), From: "desk@example.com", RootCAs: ca.pool})
		wantRefused(t, r, send(t, m), "starting TLS")
	})

	t.Run("a relay elsewhere without STARTTLS is refused", func(t *testing.T) {
		r := startRelay(t, relayPlain, nil)
		// "x.localhost" is a name like any other: the system's resolver
		// decides where it goes, so it is not taken for this computer.
		for _, host := range []string{"mail.example.test", "x.localhost", "localhost.example.test"} {
			m := account.NewSMTPMailerDialing(account.SMTPConfig{
				Host: host, Port: 587, From: "desk@example.com", Username: "desk", Password: "relay password",
			}, dialTo(r.addr, nil))
			wantRefused(t, r, send(t, m), "does not offer STARTTLS")
		}
		// "localhost" that reaches a remote address is not this computer.
		m := account.NewSMTPMailerDialing(account.SMTPConfig{Host: "localhost", Port: 587, From: "desk@example.com"},
			dialTo(r.addr, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 587}))
		wantRefused(t, r, send(t, m), "does not offer STARTTLS")
	})
	t.Run("a relay on this computer may go without TLS", func(t *testing.T) {
		r := startRelay(t, relayPlain, nil)
		for i, host := range []string{"127.0.0.1", "localhost"} {
			m := account.NewSMTPMailer(account.SMTPConfig{Host: host, Port: r.port(t), From: "desk@example.com"})
			if err := send(t, m); err != nil {
				t.Fatalf("%s: %v", host, err)
			}
			if got := r.messages(); len(got) != i+1 || got[i].tls {
				t.Fatalf("%s: deliveries %+v", host, got)
			}
		}
	})

	t.Run("implicit TLS", func(t *testing.T) {
		r := startRelay(t, relayImplicit, serverTLS)
		m := account.NewSMTPMailer(account.SMTPConfig{
			Host: "localhost", Port: r.port(t), ImplicitTLS: true, From: "desk@example.com",
			Username: "desk", Password: "relay password", RootCAs: ca.pool,
		})
		if d := wantTLS(t, r, send(t, m)); d.user != "desk" {
			t.Errorf("signed in as %q; want desk", d.user)
		}
	})
	t.Run("port 465 speaks implicit TLS", func(t *testing.T) {
		r := startRelay(t, relayImplicit, serverTLS)
		m := account.NewSMTPMailerDialing(account.SMTPConfig{
			Host: "mail.example.test", Port: 465, From: "desk@example.com", RootCAs: ca.pool,
		}, dialTo(r.addr, nil))
		wantTLS(t, r, send(t, m))
	})
	t.Run("implicit TLS with an unknown CA is refused", func(t *testing.T) {
		r := startRelay(t, relayImplicit, serverTLS)
		m := account.NewSMTPMailer(account.SMTPConfig{Host: "127.0.0.1", Port: r.port(t), ImplicitTLS: true, From: "desk@example.com"})
		wantRefused(t, r, send(t, m), "starting TLS")
	})
}
