// Command passkeydesk-server runs the Passkey Desk account service as a
// network server: the WebAuthn relying party, its phone enrollment page and
// its HTTP API, for phones, desktops and an operator's backend.
//
// Usage:
//
//	passkeydesk-server [serve|migrate|check] [flags]
//	passkeydesk-server apikey create NAME --scope approvals [flags]
//	passkeydesk-server apikey list [flags]
//	passkeydesk-server apikey revoke ID [flags]
//	passkeydesk-server operator grant EMAIL [flags]
//	passkeydesk-server operator revoke EMAIL [flags]
//
// serve (the default) serves until SIGTERM or SIGINT, then stops accepting,
// ends event streams with a retry hint and waits up to --shutdown-timeout
// for calls in flight. migrate brings the database's schema up to date and
// exits. check validates the configuration, reaches the database and
// checks it against the configuration (schema, RP ID, secret key), and
// exits non-zero with the reason when something is wrong; on a SQLite file
// it applies pending migrations as serve would, and it refuses a file that
// does not exist yet.
//
// apikey manages the server's service keys, with which the operator's
// backend (an exchange itself) requests approvals for any account, named
// by account ID or email, and reads their answers; an account's own API
// keys stay for personal integrations. create prints the new key's secret
// on standard output, once: only its hash is stored, and no log holds it.
// list shows every key, revoked ones too; revoke stops one at once. They
// work on the database the other flags name, as serve would open it.
//
// operator grants or revokes the operator role of the account with EMAIL
// on the database the flags name: an operator may use the enrollment
// station (binding security keys to other people's accounts, in
// batches) from a session signed in with their own passkey. No API call
// makes an operator.
//
// Every flag has an environment variable that sets its default:
//
//	--listen           PASSKEYDESK_LISTEN           address to listen on (127.0.0.1:8787)
//	--public-url       PASSKEYDESK_PUBLIC_URL       where browsers reach the service: the WebAuthn
//	                                                RP ID (its host) and origin; https, or http for
//	                                                a loopback host (http://localhost:8787)
//	--data-dir         PASSKEYDESK_DATA_DIR         folder of the default SQLite file and secret key
//	--db               PASSKEYDESK_DB               a SQLite file path (default DATA_DIR/passkeydesk.db)
//	--secret-key-file  PASSKEYDESK_SECRET_KEY_FILE  the 32-byte key that seals TOTP secrets
//	--tls-cert, --tls-key  PASSKEYDESK_TLS_CERT, PASSKEYDESK_TLS_KEY  serve HTTPS directly
//	--trusted-proxies  PASSKEYDESK_TRUSTED_PROXIES  CIDRs whose X-Forwarded-For is believed, by
//	                                                the logs and the rate limits per client address
//	--smtp-host, --smtp-port, --smtp-user, --smtp-from  (PASSKEYDESK_SMTP_*) email codes
//	--allow-rp-id-change                            confirm a public URL whose host changes the RP ID
//	--no-rate-limits                                turn the rate limits off (benchmarks only)
//	--shutdown-timeout PASSKEYDESK_SHUTDOWN_TIMEOUT (10s)
//
// The SMTP password comes only from PASSKEYDESK_SMTP_PASSWORD. The secret
// key may also be given as PASSKEYDESK_SECRET_KEY (base64). Without either,
// a server on the default SQLite file keeps the key in DATA_DIR/secret.key,
// made when the database is made; it is never made for a database that
// already exists, so a second instance with the wrong key refuses to start
// instead of sealing secrets no other instance can open.
//
// The RP ID is fixed when the database is first served: a later start
// whose public URL would change it refuses to start and says why, unless
// --allow-rp-id-change confirms it.
//
// Logs are JSON lines on standard error, each request's with its
// request_id. main only wires: package account/server serves.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	log := newLogger(os.Stderr)
	if err := run(context.Background(), os.Args[1:], log); err != nil {
		var usage usageError
		if errors.As(err, &usage) {
			fmt.Fprintln(os.Stderr, "passkeydesk-server:", err)
			os.Exit(2)
		}
		log.Error("passkeydesk-server cannot go on", "err", err)
		os.Exit(1)
	}
}

// usageError is a mistake on the command line.
type usageError struct{ error }

// run parses the command line and runs the subcommand.
func run(ctx context.Context, args []string, log *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("passkeydesk-server "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := defineFlags(fs)
	var sub, scope string
	if cmd == "operator" {
		if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
			return usageError{errors.New("operator needs what to do: grant EMAIL or revoke EMAIL")}
		}
		sub, args = args[0], args[1:]
	}
	if cmd == "apikey" {
		if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
			return usageError{errors.New("apikey needs what to do: create NAME --scope approvals, list, or revoke ID")}
		}
		sub, args = args[0], args[1:]
		fs.StringVar(&scope, "scope", "", "what a new service key may do: approvals")
	}
	// Arguments and flags may come in any order: "apikey create NAME
	// --scope approvals".
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(os.Stdout)
				fs.PrintDefaults()
				return nil
			}
			return usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	if cmd == "apikey" {
		return apiKey(ctx, cfg, log, os.Stdout, sub, positional, scope)
	}
	if cmd == "operator" {
		return operator(ctx, cfg, log, os.Stdout, sub, positional)
	}
	if len(positional) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", positional[0])}
	}
	switch cmd {
	case "serve":
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "check":
		return check(ctx, cfg, log)
	}
	return usageError{fmt.Errorf("unknown command %q: want serve, migrate, check, apikey or operator", cmd)}
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(withRequestIDs(slog.NewJSONHandler(w, nil)))
}
