package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// operator runs "operator grant EMAIL" and "operator revoke EMAIL" on the
// configured database, which must exist: the operator role (the
// enrollment station) is given only here, where the database is.
func operator(ctx context.Context, c *config, log *slog.Logger, out io.Writer, sub string, args []string) error {
	if sub != "grant" && sub != "revoke" {
		return usageError{fmt.Errorf("unknown operator command %q: want grant EMAIL or revoke EMAIL", sub)}
	}
	if len(args) != 1 {
		return usageError{fmt.Errorf("operator %s needs one account's email: operator %s EMAIL", sub, sub)}
	}
	d, err := open(c, log, true)
	if err != nil {
		return err
	}
	defer d.close()
	changed, err := account.SetOperator(ctx, d.store, args[0], sub == "grant", time.Now())
	if errors.Is(err, account.ErrNotFound) {
		return fmt.Errorf("no account has the email %q", args[0])
	}
	if err != nil {
		return err
	}
	log.Info("operator role "+map[bool]string{true: "granted", false: "revoked"}[sub == "grant"], "email", args[0], "changed", changed, "db", c.dbName())
	switch {
	case !changed && sub == "grant":
		fmt.Fprintf(out, "%s is an operator already\n", args[0])
	case !changed:
		fmt.Fprintf(out, "%s is not an operator\n", args[0])
	case sub == "grant":
		fmt.Fprintf(out, "%s is an operator: the enrollment station opens to them after a sign-in with their own passkey\n", args[0])
	default:
		fmt.Fprintf(out, "%s is no longer an operator\n", args[0])
	}
	return nil
}
