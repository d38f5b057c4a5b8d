package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// apiKey runs "apikey create NAME --scope approvals", "apikey list" and
// "apikey revoke ID" on the configured database, which must exist.
func apiKey(ctx context.Context, c *config, log *slog.Logger, out io.Writer, sub string, args []string, scope string) error {
	want := map[string]int{"create": 1, "list": 0, "revoke": 1}
	n, ok := want[sub]
	switch {
	case !ok:
		return usageError{fmt.Errorf("unknown apikey command %q: want create, list or revoke", sub)}
	case len(args) != n && sub == "create":
		return usageError{errors.New("apikey create needs the key's name: apikey create NAME --scope approvals")}
	case len(args) != n && sub == "revoke":
		return usageError{errors.New("apikey revoke needs the key's ID (apikey list shows it)")}
	case len(args) != n:
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	case sub == "create" && scope == "":
		return usageError{errors.New("apikey create needs --scope: approvals (request approvals for any account and read their answers)")}
	case sub != "create" && scope != "":
		return usageError{errors.New("--scope is for apikey create only")}
	}
	d, err := open(c, log, true)
	if err != nil {
		return err
	}
	defer d.close()
	switch sub {
	case "create":
		k, err := account.CreateServiceKey(ctx, d.store, args[0], account.ServiceKeyScope(scope), time.Now())
		if err != nil {
			return err
		}
		log.Info("service key made", "id", k.ID, "name", k.Name, "scope", string(k.Scope), "db", c.dbName())
		fmt.Fprintf(out, "id      %s\nname    %s\nscope   %s\nsecret  %s\n\n", k.ID, k.Name, k.Scope, k.Secret)
		fmt.Fprintln(out, "Keep the secret now: it is shown only this once. The backend sends it as Authorization: Bearer.")
		return nil
	case "revoke":
		if err := account.RevokeServiceKey(ctx, d.store, args[0], time.Now()); errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("no service key has the ID %q (apikey list shows them)", args[0])
		} else if err != nil {
			return err
		}
		log.Info("service key revoked", "id", args[0], "db", c.dbName())
		fmt.Fprintf(out, "revoked %s\n", args[0])
		return nil
	}
	keys, err := account.ListServiceKeys(ctx, d.store)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintln(out, "no service keys: apikey create NAME --scope approvals makes one")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tSECRET STARTS\tCREATED\tLAST USED\tREVOKED")
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Scope, k.Hint, when(k.CreatedAt), when(k.LastUsedAt), when(k.RevokedAt))
	}
	return tw.Flush()
}
