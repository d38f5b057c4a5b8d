package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// The overview says when withdrawals and C2C trades are held after a
// passkey was removed with password and codes, until when, and stops
// saying it once the hold has passed.
func TestOverviewShowsHold(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("vera@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	pk := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Red key")
	h.clock.Advance(account.RemovalHold) // the additions' hold is over
	h.signedIn(u)
	h.notText("held until")

	grant := u.Grant(t, account.PurposeRemovePasskey)
	if err := h.svc.RemovePasskey(context.Background(), u.Session.Token, grant, pk.ID); err != nil {
		t.Fatal(err)
	}
	p, err := h.svc.Policy(context.Background(), u.Session.Token)
	if err != nil || p.HoldUntil.IsZero() {
		t.Fatalf("the removal started no hold: %+v, %v", p, err)
	}
	h.tap("Settings")
	h.tap("Overview")
	h.waitText(5*time.Second, "A passkey was removed without another passkey's approval, so withdrawals and C2C trades are held until "+p.HoldUntil.Local().Format("Mon 2 Jan 15:04"), "1 passkey is bound")

	h.clock.Advance(25 * time.Hour)
	h.tap("Settings")
	h.tap("Overview")
	h.settle()
	h.wantText("Security overview", "1 passkey is bound")
	h.notText("held until")
}

// A passkey added with password and code holds withdrawals and C2C
// trades: the overview says so, with the cause and the end, and the
// passkeys list says the new passkey cannot approve them until then.
func TestOverviewShowsAddHold(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("wim@example.com")
	pk := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	h.signedIn(u)
	end := pk.HeldUntil.Local().Format("Mon 2 Jan 15:04")
	h.waitText(5*time.Second, "A passkey was added without another passkey's approval, so withdrawals and C2C trades are held until "+end, "1 passkey is bound")
	h.tap("Passkeys")
	h.waitText(5*time.Second, "Blue key", "Added without another passkey's approval: it cannot approve withdrawals or C2C trades until "+end)

	h.clock.Advance(account.RemovalHold)
	h.tap("Overview")
	h.settle()
	h.wantText("Security overview", "1 passkey is bound")
	h.notText("held until")
	h.tap("Passkeys")
	h.waitText(5*time.Second, "Blue key")
	h.notText("cannot approve")
}

// The hold is one line of the overview: when it cannot be read, the rest
// of the screen still shows, and the failure is logged.
func TestOverviewWithoutPolicy(t *testing.T) {
	h := newHarness(t, harnessOptions{wrap: func(api account.API) account.API {
		return brokenStore{API: api, policy: true}
	}})
	u := h.user("wes@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	h.signedIn(u)
	h.wantText("Security overview", "1 passkey is bound")
	h.notText("Something went wrong", "held until")
	if !strings.Contains(h.log.String(), "malformed") {
		t.Errorf("the failure is not logged:\n%s", h.log.String())
	}
}

// With "Passkey required" on, sign-in takes a passkey: the overview no
// longer says the password and the code are asked at sign-in.
func TestOverviewPasskeyRequiredSignInWords(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("pia@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	h.signedIn(u)
	h.waitText(5*time.Second, "Set. Asked at sign-in and before security changes.")
	if err := h.svc.SetPasskeyRequired(context.Background(), u.Session.Token, "", true); err != nil {
		t.Fatal(err)
	}
	h.tap("Settings")
	h.tap("Overview")
	h.waitText(5*time.Second, "Set. Asked before security changes. Sign-in takes a passkey",
		"Its 6-digit code is asked before security changes. Sign-in takes a passkey")
	h.notText("at sign-in")
}
