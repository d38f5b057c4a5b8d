//go:build cgo

package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/platform"
)

// memKeyring is an OS keyring in memory. It exists because these headless
// UI tests must not touch a real keyring (go-keyring's only seam swaps a
// package-wide provider for good, and a developer's keyring is not the
// tests' to change). The real keyring under fido/platform is tested there,
// against gnome-keyring under a private D-Bus session. Setting err makes
// every call fail, as a locked keyring or a missing Secret Service does.
type memKeyring struct {
	mu  sync.Mutex
	m   map[string]string
	err error
}

func (k *memKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return "", k.err
	}
	v, ok := k.m[service+"/"+user]
	if !ok {
		return "", platform.ErrSecretNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	k.m[service+"/"+user] = secret
	return nil
}

func (k *memKeyring) fail(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.err = err
}

// localTest is a signed-in app with the this-computer method: the real
// platform authenticator (fido/platform) on a temp folder and an in-memory
// keyring, the real WebAuthn client and the real account service.
type localTest struct {
	*harness
	user    *accounttest.User
	keyring *memKeyring
	dev     *platform.Authenticator
	dir     string // the data folder of dev's store
}

const localPIN = "135790"

func newLocalTest(t *testing.T) *localTest {
	t.Helper()
	return newLocalTestWith(t, harnessOptions{})
}

// newLocalTestWith is newLocalTest with more of the harness's options
// (the client, this computer and the model are set here).
func newLocalTestWith(t *testing.T, ho harnessOptions) *localTest {
	t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.ThisComputerAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	kr := &memKeyring{m: map[string]string{}}
	dir := t.TempDir()
	dev, err := platform.New(platform.Options{Dir: dir, AAGUID: aaguid, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	ho.client, ho.thisComputer, ho.model = c, dev, assets.ModelName
	h := newHarness(t, ho)
	l := &localTest{harness: h, user: h.user("lee@example.com"), keyring: kr, dev: dev, dir: dir}
	h.signedIn(l.user)
	h.secrets = append(h.secrets, localPIN)
	return l
}

// toMethods goes from the passkeys list through identity verification to
// the choice of method, and waits for the this-computer check.
func (l *localTest) toMethods() *button {
	l.t.Helper()
	h := l.harness
	h.tap("Passkeys")
	h.tap("Add passkey")
	w := h.app.shell.wizard
	h.typeInto(w.password, l.user.Password)
	h.typeInto(w.totp, h.code(l.user.Secret))
	h.tap("Verify")
	h.wantText("Step 2 of 3: choose how to add it")
	h.secrets = append(h.secrets, w.grant.Token)
	h.notText("Checking this computer's passkey store…")
	return h.button("This computer")
}

func (l *localTest) enterPIN(pin string) {
	l.t.Helper()
	l.waitText(5*time.Second, "Enter the PIN for this computer")
	l.typeFocused(pin)
	l.tap("Continue")
}

func TestThisComputerMethod(t *testing.T) {
	l := newLocalTest(t)
	h := l.harness
	b := l.toMethods()
	if b.Disabled() {
		t.Fatalf("This computer is disabled:\n%s", h.text())
	}
	fits(h, "local-methods")
	h.tap("This computer")
	h.waitText(5*time.Second, "Choose a PIN for this computer's passkeys")

	// First use: the PIN is set, typed twice, digits only, 6 or more.
	setPIN := func(pin, again string) {
		t.Helper()
		f := h.app.shell.wizard.local
		h.typeInto(f.newPIN, pin)
		h.typeInto(f.repeatPIN, again)
		h.tap("Set PIN")
	}
	setPIN("12345", "12345")
	h.wantText("PIN not accepted", "6 to 63 digits")
	fits(h, "local-set-pin")
	setPIN("123456", "123457")
	h.wantText("The PINs differ")
	setPIN(localPIN, localPIN)
	h.waitText(5*time.Second, "Name your passkey")
	fits(h, "local-name")
	name := thisComputerName()
	if !strings.HasSuffix(name, " — this computer") {
		t.Errorf("suggested name %q", name)
	}
	h.tap("Save")
	if h.app.shell.passkeys == nil {
		t.Fatalf("Save did not go back to the list:\n%s", h.text())
	}
	h.wantText(name, "This computer · Passkey Desk — this computer")
	list, err := h.svc.Passkeys(context.Background(), l.user.Session.Token)
	if err != nil || len(list) != 1 || list[0].Kind != account.KindThisComputer || list[0].Name != name {
		t.Fatalf("passkeys %+v, %v", list, err)
	}

	// The PIN is set now: the next passkey asks for it. A wrong one says
	// how many tries are left; five wrong ones make the user wait.
	l.toMethods()
	h.tap("This computer")
	l.enterPIN("000000")
	h.waitText(5*time.Second, "Wrong PIN", "4 tries left before Passkey Desk makes you wait")
	fits(h, "local-wrong-pin")
	for range 4 {
		l.enterPIN("000000")
	}
	h.waitText(10*time.Second, "Too many wrong PINs", "take no PIN until")
	fits(h, "local-backoff")
	if len(h.buttons()) == 0 || h.button("Try again") == nil {
		t.Fatal("no way to try again")
	}
	// Or another method, on the same identity check.
	grant := h.app.shell.wizard.grant.Token
	h.tap("Choose another way")
	h.wantText("Step 2 of 3: choose how to add it")
	if g := h.app.shell.wizard.grant; g == nil || g.Token != grant {
		t.Fatal("choosing another way did not keep the identity check's grant")
	}
}

// TestThisComputerUnusable: when this computer's passkeys cannot be used,
// the method is shown disabled with the reason and what to do, and the
// rest of the wizard still works.
func TestThisComputerUnusable(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(l *localTest)
		want  []string
	}{
		{"keyring unavailable", func(l *localTest) {
			l.keyring.fail(errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"))
		}, []string{"System keyring not available", "Unlock the keyring, or install and start one"}},
		{"master key missing", func(l *localTest) {
			l.firstUse()
			l.keyring.mu.Lock()
			clear(l.keyring.m)
			l.keyring.mu.Unlock()
		}, []string{"This computer's passkeys cannot be opened", "They are kept as they are."}},
		{"store damaged", func(l *localTest) {
			l.firstUse()
			if err := os.WriteFile(filepath.Join(l.dir, platform.FileName), []byte("{\"version\":"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"This computer's passkey store is damaged", platform.FileName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLocalTest(t)
			tt.spoil(l)
			b := l.toMethods()
			if !b.Disabled() {
				t.Error("This computer is enabled, and cannot be used")
			}
			l.wantText(tt.want...)
			fits(l.harness, "local-"+strings.ReplaceAll(tt.name, " ", "-"))
			l.tap("Cancel")
			if l.app.shell.passkeys == nil {
				t.Error("Cancel did not go back to the list")
			}
		})
	}
}

// firstUse sets the local PIN, as a first use of the method does, so that
// the store and the master key exist.
func (l *localTest) firstUse() {
	l.t.Helper()
	if err := l.dev.SetPIN(context.Background(), []byte(localPIN)); err != nil {
		l.t.Fatal(err)
	}
}
