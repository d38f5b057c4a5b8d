package remote_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// Account deletion over HTTP: every door without the account's own
// session, its delete-account grant and its email stays shut with the
// account's errors; the request ends the sessions and a sign-in in the
// grace period cancels it, which the session says across the wire.
func TestAccountDeletionOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock := serve(t)
	ann := signUp(t, c, clock, "ann@example.com")
	bob := signUp(t, c, clock, "bob@example.com")
	gone := signUp(t, c, clock, "gone@example.com")
	goneGrant := gone.grant(t, c, account.PurposeDeleteAccount)
	if err := c.SignOut(ctx, gone.token); err != nil {
		t.Fatal(err)
	}

	annGrant := ann.grant(t, c, account.PurposeDeleteAccount)
	for _, tc := range []struct {
		name                  string
		token, grant, confirm string
		want                  error
	}{
		{"no session", "made-up-token", annGrant, ann.email, account.ErrUnauthenticated},
		{"a signed-out session", gone.token, goneGrant, gone.email, account.ErrUnauthenticated},
		{"another account's session", bob.token, annGrant, ann.email, account.ErrGrantRequired},
		{"no grant", ann.token, "", ann.email, account.ErrGrantRequired},
		{"a grant of another purpose", ann.token, ann.grant(t, c, account.PurposeChangePassword), ann.email, account.ErrGrantRequired},
		{"another account's grant", ann.token, bob.grant(t, c, account.PurposeDeleteAccount), ann.email, account.ErrGrantRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.RequestAccountDeletion(ctx, tc.token, tc.grant, tc.confirm); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	var in *account.InputError
	if _, err := c.RequestAccountDeletion(ctx, ann.token, annGrant, bob.email); !errors.As(err, &in) || in.Field != "confirmation" {
		t.Fatalf("another email typed: %v", err)
	}
	d, err := c.RequestAccountDeletion(ctx, ann.token, annGrant, ann.email)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.DeletesAt.Sub(d.RequestedAt); got != account.DeletionGrace {
		t.Fatalf("grace %v", got)
	}
	if _, err := c.RequestAccountDeletion(ctx, ann.token, annGrant, ann.email); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the ended session again: %v", err)
	}
	if _, err := c.Me(ctx, bob.token); err != nil {
		t.Fatalf("Bob's session: %v", err)
	}
	clock.Advance(24 * time.Hour)
	sess, err := c.SignIn(ctx, ann.email, ann.password, ann.code(t))
	if err != nil || !sess.DeletionCanceled {
		t.Fatalf("a sign-in in the grace period: %+v, %v", sess, err)
	}
}
