package remote_test

import (
	"context"
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// Changing the authenticator app over HTTP: the doors stay shut without
// the right session and grant, the old app works until the new one's
// first code, and then only the new one does.
func TestChangeAuthenticatorOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock := serve(t)
	ann := signUp(t, c, clock, "ann@example.com")
	bob := signUp(t, c, clock, "bob@example.com")
	gone, err := c.SignIn(ctx, ann.email, ann.password, ann.code(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignOut(ctx, gone.Token); err != nil {
		t.Fatal(err)
	}
	grant := ann.grant(t, c, account.PurposeChangeAuthenticator)
	for _, tt := range []struct {
		name, token, grant string
		want               error
	}{
		{"no grant", ann.token, "", account.ErrGrantRequired},
		{"another account's session", bob.token, grant, account.ErrGrantRequired},
		{"no session", "made-up-token", grant, account.ErrUnauthenticated},
		{"a signed-out session", gone.Token, grant, account.ErrUnauthenticated},
		{"a grant of another purpose", ann.token, ann.grant(t, c, account.PurposeChangePassword), account.ErrGrantRequired},
	} {
		if _, err := c.BeginAuthenticatorChange(ctx, tt.token, tt.grant); !errors.Is(err, tt.want) {
			t.Errorf("begin, %s: %v, want %v", tt.name, err, tt.want)
		}
		if err := c.ConfirmAuthenticatorChange(ctx, tt.token, tt.grant, "123456"); !errors.Is(err, tt.want) {
			t.Errorf("confirm, %s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := c.ConfirmAuthenticatorChange(ctx, ann.token, grant, "123456"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("confirming with none begun: %v", err)
	}
	enr, err := c.BeginAuthenticatorChange(ctx, ann.token, grant)
	if err != nil || enr.Secret == "" || enr.Secret == ann.secret {
		t.Fatalf("begin: %+v, %v", enr, err)
	}
	if err := c.ConfirmAuthenticatorChange(ctx, ann.token, grant, ann.code(t)); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the old app's code: %v", err)
	}
	newApp := &user{secret: enr.Secret, clock: clock}
	if err := c.ConfirmAuthenticatorChange(ctx, ann.token, grant, newApp.code(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfirmAuthenticatorChange(ctx, ann.token, grant, newApp.code(t)); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("a used grant: %v", err)
	}
	if _, err := c.SignIn(ctx, ann.email, ann.password, ann.code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the old app: %v", err)
	}
	if _, err := c.SignIn(ctx, ann.email, ann.password, newApp.code(t)); err != nil {
		t.Fatalf("the new app: %v", err)
	}
	if p, err := c.Policy(ctx, ann.token); err != nil || p.HoldCause != account.HoldAuthenticatorChanged {
		t.Fatalf("policy: %+v, %v", p, err)
	}
}

// Sessions over HTTP: the desktop's client is listed as the desktop
// app, with the address the server saw; one is ended by its ID, the rest
// all at once; another account's session cannot be listed or ended.
func TestSessionsOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock := serve(t)
	ann := signUp(t, c, clock, "ann@example.com")
	bob := signUp(t, c, clock, "bob@example.com")
	var more []string
	for range 2 {
		s, err := c.SignIn(ctx, ann.email, ann.password, ann.code(t))
		if err != nil {
			t.Fatal(err)
		}
		more = append(more, s.Token)
	}
	list, err := c.Sessions(ctx, ann.token)
	if err != nil || len(list) != 3 {
		t.Fatalf("sessions: %+v, %v", list, err)
	}
	for i, s := range list {
		if s.Client != account.ClientDesktop || s.Address != "127.0.0.1" || s.Current != (i == 0) || s.CreatedAt.IsZero() || s.LastSeenAt.IsZero() {
			t.Fatalf("session %d: %+v", i, s)
		}
	}
	bobs, err := c.Sessions(ctx, bob.token)
	if err != nil || len(bobs) != 1 {
		t.Fatalf("bob's sessions: %+v, %v", bobs, err)
	}

	// The doors.
	if _, err := c.Sessions(ctx, "made-up-token"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("listing without a session: %v", err)
	}
	if err := c.EndSession(ctx, ann.token, bobs[0].ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("ending another account's session: %v", err)
	}
	if err := c.EndSession(ctx, bob.token, list[1].ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another account ending this one's: %v", err)
	}
	if err := c.EndSession(ctx, "made-up-token", list[1].ID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("ending without a session: %v", err)
	}
	if err := c.EndSession(ctx, ann.token, "made-up"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a made-up ID: %v", err)
	}
	if _, err := c.EndOtherSessions(ctx, "made-up-token"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("ending the others without a session: %v", err)
	}

	if err := c.EndSession(ctx, ann.token, list[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(ctx, more[0]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the ended session: %v", err)
	}
	if _, err := c.Sessions(ctx, more[0]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("an ended session listing: %v", err)
	}
	if _, err := c.EndOtherSessions(ctx, more[0]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("an ended session ending the others: %v", err)
	}
	n, err := c.EndOtherSessions(ctx, ann.token)
	if err != nil || n != 1 {
		t.Fatalf("ending the others: %d, %v", n, err)
	}
	if _, err := c.Me(ctx, more[1]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("another session after ending the others: %v", err)
	}
	if _, err := c.Me(ctx, bob.token); err != nil {
		t.Fatalf("bob after ann ended hers: %v", err)
	}
}
