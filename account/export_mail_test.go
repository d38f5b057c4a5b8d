package account

import (
	"context"
	"net"
)

// NewSMTPMailerDialing is NewSMTPMailer with the connection to the relay
// made by dial, so that a test can name a relay (its host and port decide
// the mailer's TLS rules) and still reach its own loopback listener.
func NewSMTPMailerDialing(cfg SMTPConfig, dial func(ctx context.Context, network, addr string) (net.Conn, error)) Mailer {
	m := NewSMTPMailer(cfg).(*smtpMailer)
	m.dial = dial
	return m
}
