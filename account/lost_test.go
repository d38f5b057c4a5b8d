package account_test

import (
	"context"
	"errors"
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
			err := svc.MarkPasskeysLost(ctx, ann.Session.Token, tt.ids, tt.why)
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
	if err := svc.MarkPasskeysLost(ctx, bob.Session.Token, []string{blue.ID}, "the key was reset"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("marking another account's passkey: %v, want ErrNotFound", err)
	}

	before := clock.Now()
	if err := svc.MarkPasskeysLost(ctx, ann.Session.Token, []string{blue.ID}, " the security key was reset "); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1000000000)
	if err := svc.MarkPasskeysLost(ctx, ann.Session.Token, []string{blue.ID}, "deleted from the key"); err != nil {
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
