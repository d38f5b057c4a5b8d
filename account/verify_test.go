package account_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func TestVerificationAndGrants(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := u.Session.Token

	v, err := svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Factors; len(got) != 2 || got[0] != account.FactorPassword || got[1] != account.FactorTOTP || v.EmailConfigured {
		t.Fatalf("without mail: factors %v, email configured %v", got, v.EmailConfigured)
	}

	t.Run("unknown purpose", func(t *testing.T) {
		var ie *account.InputError
		if _, err := svc.BeginVerification(ctx, tok, "delete-everything"); !errors.As(err, &ie) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		if _, err := svc.BeginVerification(ctx, "nope", account.PurposeAddPasskey); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("wrong password then wrong code", func(t *testing.T) {
		if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: "wrong one!", TOTPCode: u.Code(t)}); !errors.Is(err, account.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: "999999"}); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("wrong code: %v", err)
		}
	})
	grant, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t)})
	if err != nil {
		t.Fatal(err)
	}
	if grant.Purpose != account.PurposeAddPasskey || !grant.ExpiresAt.Equal(clock.Now().Add(account.GrantLifetime)) {
		t.Fatalf("grant = %+v", grant)
	}
	t.Run("a verification is used once", func(t *testing.T) {
		if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t)}); !errors.Is(err, account.ErrVerificationExpired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("grant for another purpose", func(t *testing.T) {
		other := u.Grant(t, account.PurposeRemovePasskey)
		if _, err := svc.BeginRegistration(ctx, tok, other, account.KindSecurityKey); !errors.Is(err, account.ErrGrantRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("grant of another account", func(t *testing.T) {
		bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
		if _, err := svc.BeginRegistration(ctx, bob.Session.Token, grant.Token, account.KindSecurityKey); !errors.Is(err, account.ErrGrantRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no grant", func(t *testing.T) {
		if _, err := svc.BeginRegistration(ctx, tok, "", account.KindSecurityKey); !errors.Is(err, account.ErrGrantRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("grant good within its life", func(t *testing.T) {
		if _, err := svc.BeginRegistration(ctx, tok, grant.Token, account.KindSecurityKey); err != nil {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("grant expired", func(t *testing.T) {
		clock.Advance(account.GrantLifetime)
		if _, err := svc.BeginRegistration(ctx, tok, grant.Token, account.KindSecurityKey); !errors.Is(err, account.ErrGrantRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("verification expired", func(t *testing.T) {
		v, err := svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(account.VerificationLifetime)
		if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t)}); !errors.Is(err, account.ErrVerificationExpired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("verification of another account", func(t *testing.T) {
		bob := accounttest.SignUp(t, svc, clock, "bob2@example.com")
		v, err := svc.BeginVerification(ctx, bob.Session.Token, account.PurposeAddPasskey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t)}); !errors.Is(err, account.ErrVerificationExpired) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestVerificationLockout(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	v, err := svc.BeginVerification(ctx, u.Session.Token, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < account.MaxFailures; i++ {
		_, err = svc.CompleteVerification(ctx, u.Session.Token, v.ID, account.Proof{Password: "wrong password", TOTPCode: "000000"})
	}
	var le *account.LockedError
	if !errors.As(err, &le) || le.Factor != account.FactorPassword {
		t.Fatalf("5th wrong password: %v", err)
	}
	if _, err := svc.CompleteVerification(ctx, u.Session.Token, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t)}); !errors.As(err, &le) {
		t.Fatalf("right answers while locked: %v", err)
	}
	// The lock is the account's, so sign-in with the password is locked
	// too, though it says only that it failed.
	if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("sign-in while the password is locked: %v", err)
	}
}

// smtpSink is a loopback SMTP server that keeps the messages it receives.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	msgs []string
	got  chan struct{}
}

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpSink{addr: ln.Addr().String(), got: make(chan struct{}, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	say("220 sink ready")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, msg.String())
			s.mu.Unlock()
			s.got <- struct{}{}
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func (s *smtpSink) lastCode(t *testing.T) string {
	t.Helper()
	select {
	case <-s.got:
	case <-time.After(5 * time.Second):
		t.Fatal("no email arrived")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code := sixDigits.FindString(s.msgs[len(s.msgs)-1])
	if code == "" {
		t.Fatalf("no code in the email: %q", s.msgs[len(s.msgs)-1])
	}
	return code
}

func TestEmailCodeOverSMTP(t *testing.T) {
	sink := startSMTP(t)
	host, port, _ := net.SplitHostPort(sink.addr)
	p, _ := strconv.Atoi(port)
	var store account.Store
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{
		Mailer: account.NewSMTPMailer(account.SMTPConfig{Host: host, Port: p, From: "desk@example.com"}),
		Store:  keep(&store),
	})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := u.Session.Token
	// The email code is a factor once the address is confirmed.
	if _, err := svc.ConfirmEmail(ctx, tok, sink.lastCode(t)); err != nil {
		t.Fatal(err)
	}
	begin := func() *account.Verification {
		v, err := svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	v := begin()
	if len(v.Factors) != 3 || v.Factors[2] != account.FactorEmailCode || v.EmailSentTo != "a•••@example.com" {
		t.Fatalf("verification = %+v", v)
	}
	code := sink.lastCode(t)
	wrong := otherCode(code)
	// What is stored is not a plain hash a copy of the database could be
	// searched with.
	err := store.View(ctx, func(tx account.Tx) error {
		rec, err := tx.VerificationByID(v.ID)
		if err == nil {
			if plain := sha256.Sum256([]byte(v.ID + "\x00" + code)); bytes.Equal(rec.EmailCodeHash, plain[:]) || len(rec.EmailCodeHash) != sha256.Size {
				t.Error("the email code is stored as SHA-256 of the verification ID and the code")
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t), EmailCode: wrong}); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("wrong email code: %v", err)
	}
	// The authenticator code is checked after the email code, so the step
	// it would have used is still free: the same code works on retry.
	totp := u.Code(t)
	if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: totp, EmailCode: code}); err != nil {
		t.Fatalf("right email code: %v", err)
	}

	t.Run("email code expires", func(t *testing.T) {
		v := begin()
		code := sink.lastCode(t)
		clock.Advance(account.VerificationLifetime + time.Second)
		if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t), EmailCode: code}); !errors.Is(err, account.ErrVerificationExpired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a code of one verification does not pass another", func(t *testing.T) {
		begin()
		first := sink.lastCode(t)
		v2 := begin()
		for sink.lastCode(t) == first { // one in a million: draw again
			v2 = begin()
		}
		if _, err := svc.CompleteVerification(ctx, tok, v2.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t), EmailCode: first}); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("mail server down", func(t *testing.T) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{
			Mailer: account.NewSMTPMailer(account.SMTPConfig{Host: "127.0.0.1", Port: 1, From: "desk@example.com"}),
		})
		// The sign-up goes through without its code; "Send again" says
		// the mail could not be sent.
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		if _, err := svc.SendEmailCode(ctx, u.Session.Token); err == nil {
			t.Fatal("no error when the mail could not be sent")
		}
	})
}
