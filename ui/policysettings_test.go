//go:build cgo

package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func passkeyRequired(t *testing.T, h *harness, token string) bool {
	t.Helper()
	pol, err := h.svc.Policy(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return pol.PasskeyRequired
}

// TestPasskeyRequiredOffAsksWhoItIs: unticking "Passkey required" keeps it
// on until the person confirms it is them; Cancel leaves it on; password
// and codes turn it off.
func TestPasskeyRequiredOffAsksWhoItIs(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "Phone")
	if err := h.svc.SetPasskeyRequired(context.Background(), u.Session.Token, "", true); err != nil {
		t.Fatal(err)
	}
	h.signedIn(u)
	h.tap("Settings")
	h.waitFor("the policy", 5*time.Second, func() bool { return !h.check("Passkey required").Disabled() })
	box := h.check("Passkey required")
	if !box.Checked {
		t.Fatal("Passkey required shown off")
	}

	// Unticked: still on, the check is asked; Cancel leaves it on.
	test.Tap(box)
	h.settle()
	h.waitText(5*time.Second, "confirm it is you", "Verify with password and codes")
	if !box.Checked || !passkeyRequired(t, h, u.Session.Token) {
		t.Fatal("turned off before the check")
	}
	h.tap("Cancel")
	h.notText("Verify with password and codes")
	if !box.Checked || box.Disabled() || !passkeyRequired(t, h, u.Session.Token) {
		t.Fatalf("after Cancel: checked %v, disabled %v", box.Checked, box.Disabled())
	}

	// A wrong code keeps it on and says so; the right ones turn it off.
	test.Tap(box)
	h.settle()
	h.tap("Verify with password and codes")
	check := h.app.shell.settings.security.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, "000000")
	h.tap("Verify and turn off")
	if !passkeyRequired(t, h, u.Session.Token) {
		t.Fatal("turned off with a wrong code")
	}
	h.wantText("Verify and turn off")
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and turn off")
	if passkeyRequired(t, h, u.Session.Token) {
		t.Fatal("still on after the check")
	}
	if box.Checked {
		t.Fatal("the box is still ticked")
	}
	h.notText("Verify and turn off")
	ev, _ := h.svc.Activity(context.Background(), u.Session.Token, 5)
	if !slices.ContainsFunc(ev, func(e account.Event) bool {
		return e.Type == account.EventPolicyChanged && strings.Contains(e.Detail, "off")
	}) {
		t.Fatalf("no policy event: %+v", ev)
	}
	// Turned off with password and codes, withdrawals are held, and the
	// screen says so.
	if len(ev) == 0 || ev[0].Type != account.EventHoldStarted {
		t.Fatalf("no hold after turning it off with password and codes: %+v", ev)
	}
	h.wantText("\u201cPasskey required\u201d was turned off without a passkey's approval, so withdrawals and C2C trades are held until")
	// On again needs no check.
	test.Tap(box)
	h.settle()
	if !passkeyRequired(t, h, u.Session.Token) {
		t.Fatal("not on again")
	}
	h.notText("Verify with password and codes")
}

// TestPasskeyRequiredOffWithAPasskey turns "Passkey required" off with
// the soft key's passkey through real libfido2.
func TestPasskeyRequiredOffWithAPasskey(t *testing.T) {
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	if err := k.svc.SetPasskeyRequired(context.Background(), u.Session.Token, "", true); err != nil {
		t.Fatal(err)
	}
	k.signedIn(u)
	k.tap("Settings")
	k.waitFor("the policy", 5*time.Second, func() bool { return !k.check("Passkey required").Disabled() })
	test.Tap(k.check("Passkey required"))
	k.settle()
	k.verifyWithKey()
	k.waitFor("turned off", 10*time.Second, func() bool { return !passkeyRequired(t, k.harness, u.Session.Token) })
	if k.check("Passkey required").Checked {
		t.Fatal("the box is still ticked")
	}
}
