//go:build cgo

package ui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/platform"
)

// bindLocal sets the local PIN and binds a passkey of this computer named
// name to the test's account, as the wizard would have earlier.
func (l *localTest) bindLocal(name string) *account.Passkey {
	l.t.Helper()
	ctx := context.Background()
	l.firstUse()
	grant := l.user.Grant(l.t, account.PurposeAddPasskey)
	opts, err := l.svc.BeginRegistration(ctx, l.user.Session.Token, grant, account.KindThisComputer)
	if err != nil {
		l.t.Fatal(err)
	}
	cred, err := l.client.Create(ctx, l.dev, opts, fido.Prompt{
		PIN:   func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(localPIN), nil },
		Touch: func() {},
	})
	if err != nil {
		l.t.Fatal(err)
	}
	pk, err := l.svc.FinishRegistration(ctx, l.user.Session.Token, grant, cred, name)
	if err != nil {
		l.t.Fatal(err)
	}
	return pk
}

// fresh is a new authenticator on the same store and keyring, as after a
// restart: it remembers no PIN.
func (l *localTest) fresh() *platform.Authenticator {
	l.t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.ThisComputerAAGUID)
	if err != nil {
		l.t.Fatal(err)
	}
	dev, err := platform.New(platform.Options{Dir: l.dir, AAGUID: aaguid, Keyring: l.keyring})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { dev.Close() })
	return dev
}

// sign asks dev for an assertion by pk with pin, typed once: a wrong PIN
// gives fido.ErrCanceled when asked again.
func sign(dev fido.Device, pk *account.Passkey, pin string) error {
	typed := false
	_, err := dev.GetAssertion(context.Background(), &fido.GetAssertionRequest{
		RPID:           "localhost",
		ClientDataHash: bytes.Repeat([]byte{3}, 32),
		Allow:          []fido.CredentialDescriptor{{ID: pk.CredentialID}},
	}, fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) {
		if typed {
			return nil, fido.ErrCanceled
		}
		typed = true
		return []byte(pin), nil
	}})
	return err
}

// TestThisComputerChangePIN changes the local PIN in Settings: the
// current PIN first (a wrong one says the tries left), the new one twice;
// afterwards the passkey signs with the new PIN only.
func TestThisComputerChangePIN(t *testing.T) {
	l := newLocalTest(t)
	h := l.harness
	pk := l.bindLocal("laptop")
	const newPIN = "86420975"
	h.secrets = append(h.secrets, newPIN)

	h.tap("Settings")
	h.waitText(5*time.Second, "This computer", "They ask for the PIN each time they are used.")
	fits(h, "local-settings")
	h.tap("Change PIN…")
	p := h.app.shell.settings.local
	h.wantText("Type the PIN you use now")
	fits(h, "local-change-pin")

	h.typeInto(p.current, "000000")
	h.typeInto(p.newPIN, newPIN)
	h.typeInto(p.repeatPIN, newPIN)
	h.tap("Change PIN")
	h.waitText(5*time.Second, "Wrong PIN", "4 tries left before Passkey Desk makes you wait")
	fits(h, "local-change-pin-wrong")

	h.typeInto(p.current, localPIN)
	h.typeInto(p.newPIN, "1234")
	h.typeInto(p.repeatPIN, "1234")
	h.tap("Change PIN")
	h.wantText("PIN not accepted")

	h.typeInto(p.newPIN, newPIN)
	h.typeInto(p.repeatPIN, newPIN)
	h.tap("Change PIN")
	h.waitText(5*time.Second, "The PIN for this computer's passkeys is changed.")
	h.notText("Current PIN")

	dev := l.fresh()
	if err := sign(dev, pk, localPIN); !errors.Is(err, fido.ErrCanceled) {
		t.Fatalf("the old PIN: %v; want it refused (and asked again)", err)
	}
	if err := sign(dev, pk, newPIN); err != nil {
		t.Fatalf("the new PIN does not sign: %v", err)
	}
}

// TestThisComputerStartOver starts over in Settings: a warning first,
// naming the account's passkey that stops working; afterwards the store
// holds no passkey and no PIN, and the note says to remove the passkey.
func TestThisComputerStartOver(t *testing.T) {
	l := newLocalTest(t)
	h := l.harness
	pk := l.bindLocal("work laptop")

	h.tap("Settings")
	h.waitText(5*time.Second, "This computer")
	h.tap("Start over…")
	h.waitText(5*time.Second, "Starting over deletes every passkey kept on this computer",
		"stop working for good", "must then be removed from your account", "cannot be undone",
		"will stop working: • work laptop")
	fits(h, "local-start-over")
	if st, err := l.fresh().PINState(context.Background()); err != nil || !st.Set {
		t.Fatalf("the warning alone changed the store: %+v, %v", st, err)
	}
	h.tap("Cancel")
	h.notText("cannot be undone")

	h.tap("Start over…")
	h.waitText(5*time.Second, "cannot be undone")
	h.tap("Delete this computer's passkeys")
	h.waitText(5*time.Second, "This computer's passkeys and its PIN are deleted.", "Remove \u201cwork laptop\u201d in Passkeys")
	h.wantText("No passkey is kept on this computer yet.")
	fits(h, "local-started-over")

	dev := l.fresh()
	if st, err := dev.PINState(context.Background()); err != nil || st.Set {
		t.Errorf("after starting over: %+v, %v; want no PIN", st, err)
	}
	if err := sign(dev, pk, localPIN); !errors.Is(err, fido.ErrNoCredentials) && !errors.Is(err, fido.ErrPINNotSet) {
		t.Errorf("the old passkey after starting over: %v", err)
	}
}

// TestThisComputerStartOverUnusable: with the keyring's master key gone,
// Settings says why and still offers to start over, which sets the old
// store aside.
func TestThisComputerStartOverUnusable(t *testing.T) {
	l := newLocalTest(t)
	h := l.harness
	l.bindLocal("laptop")
	l.keyring.mu.Lock()
	clear(l.keyring.m)
	l.keyring.mu.Unlock()
	h.tap("Settings")
	h.waitText(5*time.Second, "This computer's passkeys cannot be opened", "start over under Settings")
	h.tap("Start over…")
	h.waitText(5*time.Second, "cannot be undone")
	h.tap("Delete this computer's passkeys")
	h.waitText(5*time.Second, "is set aside as", "in the data folder, and this computer starts afresh.", "No passkey is kept on this computer yet.")
}

// TestRemoveThisComputerPasskeyDeletesKey: removing a passkey of this
// computer from the account deletes its private key from the store too.
func TestRemoveThisComputerPasskeyDeletesKey(t *testing.T) {
	l := newLocalTest(t)
	h := l.harness
	gone := l.bindLocal("old laptop")
	kept := l.bindLocalAgain("second account on this computer")

	h.tap("Passkeys")
	h.waitText(5*time.Second, "old laptop")
	test.Tap(h.app.shell.passkeys.rows[0].removeBtn)
	h.settle()
	h.waitText(5*time.Second, "With your password and codes")
	h.tap("Verify with password and codes")
	check := h.app.shell.passkeys.removal.check
	h.typeInto(check.factors.password, l.user.Password)
	h.typeInto(check.factors.totp, h.code(l.user.Secret))
	h.tap("Verify and remove")
	h.waitText(5*time.Second, "\u201cold laptop\u201d was removed.", "Its private key is deleted from this computer.")
	if !strings.Contains(h.log.String(), "private key is deleted from this computer") {
		t.Errorf("no log line of the deletion:\n%s", h.log.String())
	}

	dev := l.fresh()
	if err := sign(dev, gone, localPIN); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("the removed passkey's key: %v, want ErrNoCredentials (deleted)", err)
	}
	if err := dev.DeleteCredential(context.Background(), gone.CredentialID); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("the removed passkey is still in the store: %v", err)
	}
	if err := sign(dev, kept, localPIN); err != nil {
		t.Errorf("the other passkey on this computer: %v", err)
	}
}

// bindLocalAgain binds a second passkey of this computer, for another
// account (the store keeps one per account and site), PIN already set.
func (l *localTest) bindLocalAgain(email string) *account.Passkey {
	l.t.Helper()
	ctx := context.Background()
	u := l.user
	defer func() { l.user = u }()
	l.user = l.harness.user(strings.ReplaceAll(email, " ", "-") + "@example.com")
	grant := l.user.Grant(l.t, account.PurposeAddPasskey)
	opts, err := l.svc.BeginRegistration(ctx, l.user.Session.Token, grant, account.KindThisComputer)
	if err != nil {
		l.t.Fatal(err)
	}
	cred, err := l.client.Create(ctx, l.dev, opts, fido.Prompt{
		PIN:   func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(localPIN), nil },
		Touch: func() {},
	})
	if err != nil {
		l.t.Fatal(err)
	}
	pk, err := l.svc.FinishRegistration(ctx, l.user.Session.Token, grant, cred, email)
	if err != nil {
		l.t.Fatal(err)
	}
	return pk
}
