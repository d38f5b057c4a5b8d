//go:build cgo

package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// signInKeyTest is the app, signed out, with the security-key method and a
// soft key with a PIN, touched at once, reached through real libfido2.
type signInKeyTest struct {
	*harness
	key *softkey.Key
}

// verifyWithKey answers an identity check's choice with the passkey on
// the plugged key, its PIN typed when asked.
func (k *signInKeyTest) verifyWithKey() {
	k.t.Helper()
	k.tap("Verify with a passkey")
	k.waitText(5*time.Second, "Use a passkey to verify it is you")
	k.tap(k.keyButton())
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.typeFocused(keyPIN)
	k.tap("Continue")
}

func newSignInKeyTest(t *testing.T) *signInKeyTest {
	t.Helper()
	return newSignInKeyTestWith(t, harnessOptions{})
}

// newSignInKeyTestWith is newSignInKeyTest with more of the harness's
// options (the key, the client and the model are set here).
func newSignInKeyTestWith(t *testing.T, ho harnessOptions) *signInKeyTest {
	t.Helper()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	ho.keys, ho.client, ho.model = keyProvider{t.Name()}, c, assets.ModelName
	h := newHarness(t, ho)
	k := &signInKeyTest{harness: h}
	k.key, _ = plugKey(t, "ui-"+t.Name(), softkey.Options{})
	k.key.SetTouch(softkey.TouchAtOnce, 0)
	dev := k.open()
	defer dev.Close()
	if err := dev.SetPIN(context.Background(), []byte(keyPIN)); err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, keyPIN)
	h.setKnownAccount(true)
	return k
}

func (k *signInKeyTest) open() fido.Device {
	k.t.Helper()
	dev, err := libfido2.NewProvider().Open(context.Background(), k.key.HIDInfo().Path)
	if err != nil {
		k.t.Fatal(err)
	}
	return dev
}

// bind makes a passkey for u on the soft key, through the service and the
// real WebAuthn client, as if added earlier.
func (k *signInKeyTest) bind(u *accounttest.User) *account.Passkey {
	k.t.Helper()
	return k.bindOn(u, k.key)
}

// bindOn is bind on another soft key, with the PIN keyPIN.
func (k *signInKeyTest) bindOn(u *accounttest.User, key *softkey.Key) *account.Passkey {
	k.t.Helper()
	ctx := context.Background()
	grant := u.Grant(k.t, account.PurposeAddPasskey)
	opts, err := k.svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindSecurityKey)
	if err != nil {
		k.t.Fatal(err)
	}
	dev, err := libfido2.NewProvider().Open(ctx, key.HIDInfo().Path)
	if err != nil {
		k.t.Fatal(err)
	}
	defer dev.Close()
	prompt := fido.Prompt{
		PIN:   func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil },
		Touch: func() {},
	}
	cred, err := k.client.Create(ctx, dev, opts, prompt)
	if err != nil {
		k.t.Fatal(err)
	}
	pk, err := k.svc.FinishRegistration(ctx, u.Session.Token, grant, cred, "")
	if err != nil {
		k.t.Fatal(err)
	}
	return pk
}

// passkeySignIn goes from the sign-in screen through the key and its PIN.
func (k *signInKeyTest) passkeySignIn() {
	k.t.Helper()
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Use a passkey to sign in", simulatedKeyLabel, "No email is needed")
	k.tap(k.keyButton())
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.typeFocused(keyPIN)
	k.tap("Continue")
}

// keyButton is the text of the soft key's button in the chooser.
func (k *signInKeyTest) keyButton() string {
	k.t.Helper()
	for _, b := range k.buttons() {
		if strings.Contains(b, simulatedKeyLabel) {
			return b
		}
	}
	k.t.Fatalf("no button for the key; buttons: %q", k.buttons())
	return ""
}

func TestPasskeySignInOneAccount(t *testing.T) {
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	k.start()
	k.wantText("Sign in to Passkey Desk", "Sign in with a passkey")

	k.passkeySignIn()
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
	if k.app.me.Email != "ann@example.com" {
		t.Fatalf("signed in as %q", k.app.me.Email)
	}
	if k.tokens.get() == "" {
		t.Fatal("the session was not remembered")
	}
}

func TestPasskeySignInChooser(t *testing.T) {
	k := newSignInKeyTest(t)
	ann, bob := k.user("ann@example.com"), k.user("bob@example.com")
	k.bind(ann)
	k.bind(bob)
	k.start()

	k.passkeySignIn()
	k.waitText(10*time.Second, "Choose an account", "ann@example.com", "bob@example.com")
	if k.app.shell != nil {
		t.Fatal("signed in before an account was chosen")
	}
	var bobButton string
	for _, b := range k.buttons() {
		if strings.Contains(b, "bob@example.com") {
			bobButton = b
		}
	}
	k.tap(bobButton)
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
	if k.app.me.Email != "bob@example.com" {
		t.Fatalf("signed in as %q, want bob", k.app.me.Email)
	}
}

func TestPasskeySignInCancelKeepsPassword(t *testing.T) {
	k := newSignInKeyTest(t)
	k.user("ann@example.com")
	k.start()
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Use a passkey to sign in")
	k.tap("Use password and code instead")
	k.wantText("Sign in to Passkey Desk", "Email", "Password")
}

func TestPasskeyRequiredSetting(t *testing.T) {
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	k.signedIn(u)
	k.tap("Settings")
	k.wantText("Passkey required")
	test.Tap(k.check("Passkey required"))
	k.settle()
	pol, err := k.svc.Policy(context.Background(), u.Session.Token)
	if err != nil || !pol.PasskeyRequired {
		t.Fatalf("Passkey required is not on: %+v, %v", pol, err)
	}

	// Password and code no longer sign in; the screen says why.
	k.tap("Sign out")
	s := k.app.signInScreen
	k.typeInto(s.email, u.Email)
	k.typeInto(s.password, u.Password)
	k.typeInto(s.code, k.code(u.Secret))
	k.tap("Sign in")
	k.wantText("A passkey is required", "Sign in with a passkey")
	if k.app.shell != nil {
		t.Fatal("password sign-in went through")
	}
	k.passkeySignIn()
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
}

// check is the visible check box labelled text.
func (h *harness) check(text string) *widget.Check {
	h.t.Helper()
	var found *widget.Check
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && c.Text == text {
			found = c
		}
	})
	if found == nil {
		h.t.Fatalf("no check box %q; the window shows:\n%s", text, h.text())
	}
	return found
}

// TestPasskeySignInThisComputer signs in with a passkey of this computer
// (the real platform authenticator on an in-memory keyring).
func TestPasskeySignInThisComputer(t *testing.T) {
	l := newLocalTest(t)
	ctx := context.Background()
	if err := l.dev.SetPIN(ctx, []byte(localPIN)); err != nil {
		t.Fatal(err)
	}
	u := l.user
	grant := u.Grant(t, account.PurposeAddPasskey)
	opts, err := l.svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindThisComputer)
	if err != nil {
		t.Fatal(err)
	}
	prompt := fido.Prompt{
		PIN:   func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(localPIN), nil },
		Touch: func() {},
	}
	cred, err := l.client.Create(ctx, l.dev, opts, prompt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.svc.FinishRegistration(ctx, u.Session.Token, grant, cred, ""); err != nil {
		t.Fatal(err)
	}
	l.tap("Sign out")
	l.tap("Sign in with a passkey")
	l.waitText(5*time.Second, "Use a passkey to sign in")
	l.tap("This computer")
	l.waitText(5*time.Second, "Enter the PIN for this computer")
	l.typeFocused(localPIN)
	l.tap("Continue")
	l.waitFor("signed in", 10*time.Second, func() bool { return l.app.shell != nil })
	if l.app.me.Email != u.Email {
		t.Fatalf("signed in as %q", l.app.me.Email)
	}
}
