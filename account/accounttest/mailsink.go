package accounttest

import (
	"bufio"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// MailSink is a loopback SMTP server that keeps every message it is
// given, for tests of what the service mails (codes, alerts). Mailer
// returns the service's real SMTP mailer pointed at it.
type MailSink struct {
	addr string
	mu   sync.Mutex
	msgs []Mail
}

// Mail is one message a MailSink received.
type Mail struct {
	To   string // the RCPT TO address
	Text string // headers and body, as sent
}

// StartMailSink starts a sink on 127.0.0.1, stopped when the test ends.
func StartMailSink(t testing.TB) *MailSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &MailSink{addr: ln.Addr().String()}
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

// Mailer is the service's SMTP mailer sending to the sink.
func (s *MailSink) Mailer() account.Mailer {
	host, port, _ := net.SplitHostPort(s.addr)
	p := 0
	for _, r := range port {
		p = p*10 + int(r-'0')
	}
	return account.NewSMTPMailer(account.SMTPConfig{Host: host, Port: p, From: "desk@example.com"})
}

func (s *MailSink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	say("220 sink ready")
	var to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = strings.Trim(strings.TrimSpace(line)[len("RCPT TO:"):], "<> ")
			say("250 ok")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
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
			s.msgs = append(s.msgs, Mail{To: to, Text: msg.String()})
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// Messages returns what the sink has received so far.
func (s *MailSink) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

// WaitFor waits up to 5 seconds for a message to to whose text has
// every one of words, and returns the first such; the test fails
// without one.
func (s *MailSink) WaitFor(t testing.TB, to string, words ...string) Mail {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, m := range s.Messages() {
			if m.To == to && hasAll(m.Text, words) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with %q; got %d messages", to, words, len(s.Messages()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Count counts the messages to to whose text has every one of words.
func (s *MailSink) Count(to string, words ...string) int {
	n := 0
	for _, m := range s.Messages() {
		if m.To == to && hasAll(m.Text, words) {
			n++
		}
	}
	return n
}

func hasAll(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// LastCode is the 6-digit code of the newest message to to with words
// ("" when none).
func (s *MailSink) LastCode(to string, words ...string) string {
	msgs := s.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && hasAll(msgs[i].Text, words) {
			return sixDigits.FindString(msgs[i].Text[strings.Index(msgs[i].Text, "\r\n\r\n"):])
		}
	}
	return ""
}
