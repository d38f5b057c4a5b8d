package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// brokenStore is the real service except where a test makes a call fail as
// a broken database would; the real service cannot be made to fail so.
type brokenStore struct {
	account.API
	signOut, passkeys, policy bool
}

func (b brokenStore) Policy(ctx context.Context, token string) (*account.Policy, error) {
	if b.policy {
		return nil, errDatabase
	}
	return b.API.Policy(ctx, token)
}

var errDatabase = errors.New("sqlite: database disk image is malformed")

func (b brokenStore) SignOut(ctx context.Context, token string) error {
	if b.signOut {
		return errDatabase
	}
	return b.API.SignOut(ctx, token)
}

func (b brokenStore) Passkeys(ctx context.Context, token string) ([]account.Passkey, error) {
	if b.passkeys {
		return nil, errDatabase
	}
	return b.API.Passkeys(ctx, token)
}

func TestUnknownErrorIsShownPlainlyAndLogged(t *testing.T) {
	h := newHarness(t, harnessOptions{wrap: func(api account.API) account.API {
		return brokenStore{API: api, passkeys: true}
	}})
	h.signedIn(h.user("xena@example.com"))
	h.tap("Passkeys")
	h.wantText("Something went wrong", "Passkey Desk could not finish this.")
	h.notText("malformed")
	log := h.log.String()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "malformed") {
		t.Errorf("the detail is not logged as an error:\n%s", log)
	}
	if h.app.shell == nil {
		t.Error("an unknown error signed the user out")
	}
}

func TestSignOutWhenServiceFails(t *testing.T) {
	h := newHarness(t, harnessOptions{wrap: func(api account.API) account.API {
		return brokenStore{API: api, signOut: true}
	}})
	h.signedIn(h.user("yuri@example.com"))
	h.tap("Sign out")
	if h.app.shell != nil || h.app.signInScreen == nil {
		t.Fatalf("sign-out did not leave the shell; the window shows:\n%s", h.text())
	}
	if h.tokens.get() != "" {
		t.Error("the token is still stored")
	}
	if !strings.Contains(h.log.String(), "signing out at the account service failed") {
		t.Errorf("the failure is not logged:\n%s", h.log.String())
	}
}
