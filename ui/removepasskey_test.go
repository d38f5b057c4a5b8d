//go:build cgo

package ui

import (
	"context"
	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// removeTest is a signed-in app whose account has n passkeys on the soft
// key, on the passkeys list.
func newRemoveTest(t *testing.T, n int) (*signInKeyTest, *accounttest.User) {
	t.Helper()
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	if n > 1 {
		// A key holds one passkey per account: the second is on a
		// second key, pulled out again so that the first is used.
		other, unplug := plugKey(t, "ui-"+t.Name()+"-other", softkey.Options{})
		other.SetTouch(softkey.TouchAtOnce, 0)
		dev, err := libfido2.NewProvider().Open(context.Background(), other.HIDInfo().Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := dev.SetPIN(context.Background(), []byte(keyPIN)); err != nil {
			t.Fatal(err)
		}
		dev.Close()
		k.bindOn(u, other)
		unplug()
	}
	k.signedIn(u)
	k.tap("Passkeys")
	k.waitText(5*time.Second, "Remove")
	return k, u
}

func passkeyCount(t *testing.T, k *signInKeyTest, token string) int {
	t.Helper()
	list, err := k.svc.Passkeys(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestRemovePasskeyWithPassword(t *testing.T) {
	k, u := newRemoveTest(t, 1)
	k.tap("Remove")
	// What it needs, before the click.
	k.waitText(5*time.Second, "With your password and code", "held for 24 hours")
	rs := k.app.shell.passkeys.removal
	k.typeInto(rs.password, u.Password)
	k.typeInto(rs.totp, k.code(u.Secret))
	k.tap("Verify and remove")
	k.waitText(5*time.Second, "was removed", "held until")
	if n := passkeyCount(t, k, u.Session.Token); n != 0 {
		t.Fatalf("%d passkeys left", n)
	}
	pol, err := k.svc.Policy(context.Background(), u.Session.Token)
	if err != nil || pol.HoldUntil.IsZero() {
		t.Fatalf("no hold after a removal by password: %+v, %v", pol, err)
	}
}

func TestRemovePasskeyWithAnotherPasskey(t *testing.T) {
	k, u := newRemoveTest(t, 2)
	test.Tap(k.app.shell.passkeys.rows[1].removeBtn)
	k.settle()
	k.waitText(5*time.Second, "With another of your passkeys", "no hold")
	k.tap("Verify with another passkey and remove")
	k.waitText(5*time.Second, "Use a passkey to verify it is you")
	k.tap(k.keyButton())
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.typeFocused(keyPIN)
	k.tap("Continue")
	k.waitText(10*time.Second, "was removed")
	if n := passkeyCount(t, k, u.Session.Token); n != 1 {
		t.Fatalf("%d passkeys left, want 1", n)
	}
	pol, err := k.svc.Policy(context.Background(), u.Session.Token)
	if err != nil || !pol.HoldUntil.IsZero() {
		t.Fatalf("a hold after a removal by another passkey: %+v, %v", pol, err)
	}
}

func TestRemoveLastPasskeyGuard(t *testing.T) {
	k, u := newRemoveTest(t, 1)
	if err := k.svc.SetPasskeyRequired(context.Background(), u.Session.Token, true); err != nil {
		t.Fatal(err)
	}
	k.tap("Remove")
	k.waitText(5*time.Second, "This is your last passkey", "Passkey required")
	k.notText("Verify and remove")
	if n := passkeyCount(t, k, u.Session.Token); n != 1 {
		t.Fatalf("%d passkeys left", n)
	}
}
