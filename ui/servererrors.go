package ui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// describeServer puts into words a call to the account server that got
// no answer of the service's own (a *remote.Error: no answer, TLS
// refused, a 429 or 5xx), and account.ErrUnavailable (the service cannot
// reach its database). server is the server's URL, "" when unknown or
// embedded. None of these offers a way around a certificate: a server
// that is not trusted is not talked to.
func describeServer(err error, server string) (message, bool) {
	at := "the account server"
	if server != "" {
		at += " at " + server
	}
	var re *remote.Error
	switch {
	case errors.Is(err, account.ErrUnavailable):
		s := "The account database cannot be reached just now."
		if server != "" {
			s = "The account server at " + server + " cannot reach its database just now."
		}
		return message{
			Title:    "Server problem",
			Sentence: s,
			Next:     "Try again in a minute. If it keeps happening, tell whoever runs the server.",
		}, true
	case !errors.As(err, &re):
		return message{}, false
	case re.Status == 0:
		if m, ok := describeTLS(err, at); ok {
			return m, true
		}
		var dns *net.DNSError
		switch {
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return message{
				Title:    "Server not answering",
				Sentence: sentence(at + " did not answer in time."),
				Next:     "Check this computer's network connection and try again. If it keeps happening, the server may be overloaded or down: ask whoever runs it.",
			}, true
		case errors.As(err, &dns) && dns.IsNotFound:
			s := "The account server's name cannot be found."
			if server != "" {
				s = "The name in the server address " + server + " cannot be found."
			}
			return message{
				Title:    "Server not found",
				Sentence: s,
				Next:     "Check the server address Passkey Desk was started with (--server), and this computer's network connection.",
			}, true
		}
		return message{
			Title:    "Server not reachable",
			Sentence: "Passkey Desk could not reach " + at + ".",
			Next:     "Check this computer's network connection, then try again. If the network works, the server may be down: ask whoever runs it.",
		}, true
	case re.Status == http.StatusTooManyRequests:
		next := "Wait a little, then try again."
		if re.RetryAfter > 0 {
			next = "Wait " + waitWords(re.RetryAfter) + ", then try again."
		}
		return message{
			Title:    "Too many tries",
			Sentence: sentence(at + " limits how often this can be done, to protect accounts, and the limit is reached."),
			Next:     next,
		}, true
	case re.Status >= 500:
		next := "Try again shortly."
		if re.RetryAfter > 0 {
			next = "Try again in " + waitWords(re.RetryAfter) + "."
		}
		return message{
			Title:    "Server problem",
			Sentence: sentence(at + " has a problem and could not do this."),
			Next:     next + " If it keeps happening, tell whoever runs the server.",
		}, true
	}
	return message{
		Title:    "Unexpected answer from the server",
		Sentence: sentence(at + " did not answer as a Passkey Desk account server does."),
		Next:     "Check the server address Passkey Desk was started with (--server). If it is right, the server may run another version: tell whoever runs it.",
		internal: true,
	}, true
}

// describeTLS puts a failed TLS handshake with the server into words:
// its certificate is not trusted (unknown authority, another name,
// expired), or no secure connection could be set up at all.
func describeTLS(err error, at string) (message, bool) {
	var (
		unknown  x509.UnknownAuthorityError
		name     x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		why      string
		insecure bool
	)
	switch {
	case errors.As(err, &unknown):
		why = "its certificate is not signed by an authority this computer trusts"
	case errors.As(err, &name):
		why = "its certificate is made out to another name"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		why = "its certificate has expired or is not valid yet"
	case errors.As(err, &invalid), errors.As(err, &verify):
		why = "its certificate is not valid"
	case errors.As(err, &record):
		why, insecure = "it does not speak HTTPS at this address", true
	case errors.As(err, &alert):
		why, insecure = "it refused to set up a secure connection", true
	default:
		return message{}, false
	}
	if insecure {
		return message{
			Title:    "No secure connection",
			Sentence: "Passkey Desk could not connect securely to " + at + ": " + why + ". Nothing was sent to it.",
			Next:     "Check the server address Passkey Desk was started with (--server); if it is right, tell whoever runs the server.",
		}, true
	}
	return message{
		Title:    "Server not trusted",
		Sentence: "Passkey Desk did not talk to " + at + ": " + why + ", so someone may be posing as the server. Nothing was sent to it.",
		Next:     "Tell whoever runs the server to fix its certificate, and check the address Passkey Desk was started with (--server).",
	}, true
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// waitWords is a wait in words, in whole seconds up to two minutes and in
// minutes after: "30 seconds", "1 second", "5 minutes".
func waitWords(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	switch {
	case s <= 1:
		return "1 second"
	case s < 120:
		return strconv.Itoa(s) + " seconds"
	}
	return strconv.Itoa((s+59)/60) + " minutes"
}
