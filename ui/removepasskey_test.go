//go:build cgo

package ui

import (
	"context"
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
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
	// Bound a day ago: the passkeys' hold is over, so their word spares a
	// removal the hold.
	k.clock.Advance(account.RemovalHold)
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
	k.waitText(5*time.Second, "With your password and codes", "held for 24 hours")
	k.tap("Verify with password and codes")
	check := k.app.shell.passkeys.removal.check
	k.typeInto(check.factors.password, u.Password)
	k.typeInto(check.factors.totp, k.code(u.Secret))
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
	k.waitText(5*time.Second, "With one of your passkeys", "no hold")
	k.verifyWithKey()
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
	if err := k.svc.SetPasskeyRequired(context.Background(), u.Session.Token, "", true); err != nil {
		t.Fatal(err)
	}
	k.tap("Remove")
	k.waitText(5*time.Second, "This is your last passkey", "Passkey required")
	k.notText("Verify and remove")
	if n := passkeyCount(t, k, u.Session.Token); n != 1 {
		t.Fatalf("%d passkeys left", n)
	}
}

// TestRemoveSendsNoEmailBeforeTheChoice: opening a removal starts no
// check; the email code goes out only when the person picks password and
// codes.
func TestRemoveSendsNoEmailBeforeTheChoice(t *testing.T) {
	mail := &mailbox{}
	h := newHarness(t, harnessOptions{mailer: mail})
	u := h.user("ann@example.com")
	addPasskeyWithEmailCode(t, h, mail, u)
	sent := func() int {
		mail.mu.Lock()
		defer mail.mu.Unlock()
		return len(mail.to)
	}
	h.signedIn(u)
	before := sent()
	h.startRemoval()
	h.waitText(5*time.Second, "Verify with password and codes", "held for 24 hours")
	if n := sent(); n != before {
		t.Fatalf("%d emails sent on opening the removal", n-before)
	}
	h.tap("Verify with password and codes")
	h.waitText(5*time.Second, "A code was emailed to", "Email code")
	if n := sent(); n != before+1 {
		t.Fatalf("%d emails sent after choosing codes, want 1", n-before)
	}
	check := h.app.shell.passkeys.removal.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.typeInto(check.factors.email, mail.lastCode(t))
	h.tap("Verify and remove")
	h.waitText(5*time.Second, "was removed")
	if pks, err := h.svc.Passkeys(context.Background(), u.Session.Token); err != nil || len(pks) != 0 {
		t.Fatalf("passkeys after removal: %+v, %v", pks, err)
	}
}

// addPasskeyWithEmailCode binds a phone passkey to u as if added
// earlier, on a service that asks for email codes.
func addPasskeyWithEmailCode(t *testing.T, h *harness, mail *mailbox, u *accounttest.User) {
	t.Helper()
	ctx := context.Background()
	v, err := h.svc.BeginVerification(ctx, u.Session.Token, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	g, err := h.svc.CompleteVerification(ctx, u.Session.Token, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t), EmailCode: mail.lastCode(t)})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := h.svc.BeginRegistration(ctx, u.Session.Token, g.Token, account.KindPhone)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := (&accounttest.Authenticator{}).Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.FinishRegistration(ctx, u.Session.Token, g.Token, cred, "Phone"); err != nil {
		t.Fatal(err)
	}
}

// startRemoval opens the passkeys list and asks to remove the first
// passkey listed, which leaves the identity check's choice on screen.
func (h *harness) startRemoval() {
	h.t.Helper()
	h.tap("Passkeys")
	h.waitText(5*time.Second, "Remove")
	h.tap("Remove")
}

// TestRemoveCancelGoesBack: the removal screen has one way back, "Back
// to passkeys", enabled on the choice and on the codes form (not a Cancel
// beside it); it leads back to the list and removes nothing.
func TestRemoveCancelGoesBack(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "Phone")
	h.signedIn(u)
	h.startRemoval()
	h.waitText(5*time.Second, "Verify with password and codes")
	oneWayBack := func() {
		t.Helper()
		var ways []string
		for _, l := range h.buttons() {
			if l == "Cancel" || l == "Back to passkeys" {
				ways = append(ways, l)
			}
		}
		if len(ways) != 1 || h.button("Back to passkeys").Disabled() {
			t.Fatalf("ways back %q, want one enabled \"Back to passkeys\"; the window shows:\n%s", ways, h.text())
		}
	}
	oneWayBack()
	h.tap("Verify with password and codes")
	h.waitText(5*time.Second, "Confirm it is you")
	oneWayBack()
	h.tap("Back to passkeys")
	h.waitText(5*time.Second, "Phone")
	h.notText("Verify with password and codes")
	if pks, _ := h.svc.Passkeys(context.Background(), u.Session.Token); len(pks) != 1 {
		t.Fatalf("%d passkeys left, want 1", len(pks))
	}
}

// assertionWatch is the test's libfido2 provider with each opened
// device's GetAssertion result reported on results, so that a test can
// see how the key's operation ended.
type assertionWatch struct {
	fido.Provider
	results chan error
}

func (w *assertionWatch) Open(ctx context.Context, path string) (fido.Device, error) {
	d, err := w.Provider.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &watchedDevice{Device: d, results: w.results}, nil
}

type watchedDevice struct {
	fido.Device
	results chan error
}

func (d *watchedDevice) GetAssertion(ctx context.Context, req *fido.GetAssertionRequest, p fido.Prompt) ([]fido.Assertion, error) {
	out, err := d.Device.GetAssertion(ctx, req, p)
	d.results <- err
	return out, err
}

// TestLeavingPasskeysCancelsTheKeyOperation: going to another section
// while a passkey-verified removal waits for the key's touch cancels the
// key's request (the key answers it as cancelled, not timed out) and
// removes nothing.
func TestLeavingPasskeysCancelsTheKeyOperation(t *testing.T) {
	k, u := newRemoveTest(t, 2)
	watch := &assertionWatch{Provider: k.app.keys, results: make(chan error, 4)}
	k.app.keys = watch
	k.key.SetTouch(softkey.TouchNever, 0)
	test.Tap(k.app.shell.passkeys.rows[1].removeBtn)
	k.settle()
	k.verifyWithKey()
	k.waitText(5*time.Second, "Touch your key")

	k.tap("Overview")
	// The key's answer: cancelled. Had the request been left running,
	// the key would answer only at its touch timeout, with ErrTimeout.
	var err error
	select {
	case err = <-watch.results:
	case <-time.After(softkey.DefaultTouchTimeout + 10*time.Second):
		t.Fatal("the key's request never ended")
	}
	if !errors.Is(err, fido.ErrCanceled) || errors.Is(err, fido.ErrTimeout) {
		t.Fatalf("the key's request ended with %v, want cancelled", err)
	}
	k.settle()
	// The key is free again at once, and nothing was removed.
	dev := k.open()
	defer dev.Close()
	if _, err := dev.Info(context.Background()); err != nil {
		t.Fatalf("the key after leaving: %v", err)
	}
	if n := passkeyCount(t, k, u.Session.Token); n != 2 {
		t.Fatalf("%d passkeys left, want 2", n)
	}
}
