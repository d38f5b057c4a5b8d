package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/cmd/internal/envflag"
)

// operatorCommand runs "passkeydesk operator grant|revoke EMAIL
// [--data-dir DIR]" on the embedded service's database in the data
// folder, which must exist: the operator role (the enrollment station)
// is given only here, as passkeydesk-server's operator command gives it
// on a server. It opens no window and needs no keyring: the role is not
// a secret. It returns the exit code: 2 for a mistake on the command
// line, 1 for a failure.
func operatorCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("passkeydesk operator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", envflag.String("PASSKEYDESK_DATA_DIR", defaultDataDir()), "the data folder (env PASSKEYDESK_DATA_DIR)")
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "passkeydesk operator:", msg)
		fmt.Fprintln(stderr, "usage: passkeydesk operator grant|revoke EMAIL [--data-dir DIR]")
		return 2
	}
	// Arguments and flags in any order.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return usage(err.Error())
		}
		if fs.NArg() == 0 {
			break
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	switch {
	case len(positional) == 0:
		return usage("say what to do: grant EMAIL or revoke EMAIL")
	case positional[0] != "grant" && positional[0] != "revoke":
		return usage(fmt.Sprintf("unknown operator command %q: want grant EMAIL or revoke EMAIL", positional[0]))
	case len(positional) != 2:
		return usage(fmt.Sprintf("operator %s needs one account's email", positional[0]))
	}
	sub, email := positional[0], positional[1]
	path := filepath.Join(*dataDir, "passkeydesk.db")
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "passkeydesk operator: no account database at %s: start the app on this data folder first\n", path)
		return 1
	}
	store, err := sqlstore.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "passkeydesk operator: opening the account database:", err)
		return 1
	}
	defer store.Close()
	changed, err := account.SetOperator(context.Background(), store, email, sub == "grant", time.Now())
	switch {
	case errors.Is(err, account.ErrNotFound):
		fmt.Fprintf(stderr, "passkeydesk operator: no account has the email %q\n", email)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "passkeydesk operator:", err)
		return 1
	case !changed && sub == "grant":
		fmt.Fprintf(stdout, "%s is an operator already\n", email)
	case !changed:
		fmt.Fprintf(stdout, "%s is not an operator\n", email)
	case sub == "grant":
		fmt.Fprintf(stdout, "%s is an operator: the enrollment station opens to them after a sign-in with their own passkey\n", email)
	default:
		fmt.Fprintf(stdout, "%s is no longer an operator\n", email)
	}
	return 0
}
