package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func TestMarkPasskeysLost(t *testing.T) {
	ctx := context.Background()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
	blue := ann.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	green := ann.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Green key")
	bobs := bob.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Bob's key")

	tests := []struct {
		name      string
		ids       []string
		why       string
		wantInput bool
		wantErr   error
	}{
		{"no passkeys", nil, "reset", true, nil},
		{"no reason", []string{blue.ID}, "  ", true, nil},
		{"reason too long", []string{blue.ID}, string(make([]rune, 201)), true, nil},
		{"another account's passkey with one's own", []string{blue.ID, bobs.ID}, "the key was reset", false, account.ErrNotFound},
		{"unknown passkey", []string{"nope"}, "the key was reset", false, account.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.MarkPasskeysLost(ctx, ann.Session.Token, "", tt.ids, tt.why)
			var ie *account.InputError
			switch {
			case tt.wantInput && !errors.As(err, &ie):
				t.Fatalf("got %v, want an InputError", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			list, err := svc.Passkeys(ctx, ann.Session.Token)
			if err != nil {
				t.Fatal(err)
			}
			for _, pk := range list {
				if pk.Lost() {
					t.Fatalf("%s marked lost after a refused call: %+v", pk.Name, pk)
				}
			}
		})
	}
	if err := svc.MarkPasskeysLost(ctx, bob.Session.Token, "", []string{blue.ID}, "the key was reset"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("marking another account's passkey: %v, want ErrNotFound", err)
	}

	before := clock.Now()
	if err := svc.MarkPasskeysLost(ctx, ann.Session.Token, "", []string{blue.ID}, " the security key was reset "); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1000000000)
	if err := svc.MarkPasskeysLost(ctx, ann.Session.Token, "", []string{blue.ID}, "deleted from the key"); err != nil {
		t.Fatalf("marking again: %v", err)
	}
	list, err := svc.Passkeys(ctx, ann.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("passkeys = %+v", list)
	}
	for _, pk := range list {
		switch pk.ID {
		case blue.ID:
			if !pk.Lost() || !pk.LostAt.Equal(before.UTC()) || pk.LostReason != "the security key was reset" {
				t.Errorf("blue key = lost %v at %v (%q), want the first mark at %v", pk.Lost(), pk.LostAt, pk.LostReason, before)
			}
		case green.ID:
			if pk.Lost() {
				t.Errorf("green key marked lost: %+v", pk)
			}
		}
	}
	bobList, _ := svc.Passkeys(ctx, bob.Session.Token)
	if len(bobList) != 1 || bobList[0].Lost() {
		t.Fatalf("bob's passkeys = %+v", bobList)
	}
	evs, err := svc.Activity(ctx, ann.Session.Token, 10)
	if err != nil {
		t.Fatal(err)
	}
	var lost []account.Event
	for _, e := range evs {
		if e.Type == account.EventPasskeyLost {
			lost = append(lost, e)
		}
	}
	if len(lost) != 1 || lost[0].Detail != "Blue key: the security key was reset" {
		t.Fatalf("lost events = %+v", lost)
	}
}

// TestMarkLastPasskeyLostNeedsGrant: while "Passkey required" is on,
// marking the last passkey that is not lost lets password and codes sign
// in again, so it needs a remove-passkey grant, uses it up and holds
// withdrawals and C2C trades. Any other mark needs only the session.
func TestMarkLastPasskeyLostNeedsGrant(t *testing.T) {
	ctx := context.Background()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := ann.Session.Token
	blue := ann.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	green := ann.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Green key")
	clock.Advance(account.RemovalHold) // the additions' hold is over
	if err := svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
		t.Fatal(err)
	}
	if err := svc.MarkPasskeysLost(ctx, tok, "", []string{blue.ID}, "the key was reset"); err != nil {
		t.Fatalf("marking one of two: %v", err)
	}
	for name, grant := range map[string]string{
		"no grant":        "",
		"add-passkey one": ann.Grant(t, account.PurposeAddPasskey),
		"made-up grant":   "not-a-grant",
	} {
		for _, ids := range [][]string{{green.ID}, {blue.ID, green.ID}} {
			if err := svc.MarkPasskeysLost(ctx, tok, grant, ids, "the key was reset"); !errors.Is(err, account.ErrGrantRequired) {
				t.Fatalf("%s, marking %d: %v, want ErrGrantRequired", name, len(ids), err)
			}
		}
	}
	pks, _ := svc.Passkeys(ctx, tok)
	if pks[1].Lost() {
		t.Fatal("the last usable passkey was marked without a grant")
	}
	if p, _ := svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("a refused mark started a hold: %+v", p)
	}

	grant := ann.Grant(t, account.PurposeRemovePasskey)
	if err := svc.MarkPasskeysLost(ctx, tok, grant, []string{green.ID}, "the key was reset"); err != nil {
		t.Fatalf("marking the last with a grant: %v", err)
	}
	if pks, _ := svc.Passkeys(ctx, tok); !pks[1].Lost() {
		t.Fatal("not marked")
	}
	end := clock.Now().Add(account.RemovalHold)
	if p, _ := svc.Policy(ctx, tok); !p.HoldUntil.Equal(end) || p.HoldCause != account.HoldPasskeyLost {
		t.Fatalf("policy after the last passkey was marked lost: %+v", p)
	}
	evs, _ := svc.Activity(ctx, tok, 1)
	if evs[0].Type != account.EventHoldStarted || !strings.Contains(evs[0].Detail, "marked lost") {
		t.Fatalf("last event %+v", evs[0])
	}
	if err := svc.RemovePasskey(ctx, tok, grant, blue.ID); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("the grant was not used up: %v", err)
	}

	// With "Passkey required" off, the last passkey is marked on the
	// session alone.
	bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
	bobs := bob.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Bob's key")
	if err := svc.MarkPasskeysLost(ctx, bob.Session.Token, "", []string{bobs.ID}, "the key was reset"); err != nil {
		t.Fatalf("marking the last with the policy off: %v", err)
	}
}

// TestSignInWithOnlyLostPasskeys: lost passkeys do not count for
// "Passkey required": with none usable left, password and code sign in,
// and that sign-in holds withdrawals and C2C trades. With one usable,
// the password is refused as before.
func TestSignInWithOnlyLostPasskeys(t *testing.T) {
	ctx := context.Background()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := ann.Session.Token
	blue := ann.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	if err := svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
		t.Fatal(err)
	}
	var pe *account.PolicyError
	if _, err := svc.SignIn(ctx, ann.Email, ann.Password, ann.Code(t)); !errors.As(err, &pe) || pe.Rule != account.RulePasskeySignIn {
		t.Fatalf("password sign-in with a usable passkey: %v", err)
	}
	if err := svc.MarkPasskeysLost(ctx, tok, ann.Grant(t, account.PurposeRemovePasskey), []string{blue.ID}, "the key was reset"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * account.RemovalHold) // every hold so far is over

	sess, err := svc.SignIn(ctx, ann.Email, ann.Password, ann.Code(t))
	if err != nil {
		t.Fatalf("password sign-in with only a lost passkey: %v", err)
	}
	end := clock.Now().Add(account.RemovalHold)
	p, _ := svc.Policy(ctx, sess.Token)
	if !p.PasskeyRequired || !p.HoldUntil.Equal(end) || p.HoldCause != account.HoldPasswordSignIn {
		t.Fatalf("policy after the sign-in: %+v, want the hold until %v", p, end)
	}
	evs, _ := svc.Activity(ctx, sess.Token, 2)
	if len(evs) != 2 || evs[0].Type != account.EventHoldStarted || !strings.Contains(evs[0].Detail, "sign-in with password and code") ||
		evs[1].Type != account.EventSignedIn {
		t.Fatalf("last events %+v", evs)
	}
}
