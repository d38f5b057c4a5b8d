//go:build cgo

package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/remote"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// A passkey the authenticator has made is not thrown away when saving it
// fails: the app keeps the credential and the grant, tries the same
// credential again, and when it can no longer be saved offers to delete it
// from the key, so no orphan is left there. The app is on a server (the
// HTTP API and client); the failures come from a wrapper around the client.

// flakyFinish fails the first fail calls of FinishRegistration as a
// server that cannot be reached does. With lost, those calls reach the
// service first: the passkey is saved and the answer lost on the way back.
type flakyFinish struct {
	account.API
	mu    sync.Mutex
	fail  int
	lost  bool
	creds []json.RawMessage // the credential of each call
}

func (f *flakyFinish) FinishRegistration(ctx context.Context, token, grant string, cred json.RawMessage, name string) (*account.Passkey, error) {
	f.mu.Lock()
	f.creds = append(f.creds, bytes.Clone(cred))
	failing := f.fail > 0
	if failing {
		f.fail--
	}
	f.mu.Unlock()
	if !failing {
		return f.API.FinishRegistration(ctx, token, grant, cred, name)
	}
	if f.lost {
		if _, err := f.API.FinishRegistration(ctx, token, grant, cred, name); err != nil {
			return nil, err
		}
	}
	return nil, &remote.Error{Op: "POST /v1/registrations/finish",
		Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
}

func (f *flakyFinish) calls() []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creds
}

// newFlakyKeyTest is a key test on a server whose first finish fails.
func newFlakyKeyTest(t *testing.T, lost bool) (*keyTest, *flakyFinish) {
	t.Helper()
	flaky := &flakyFinish{fail: 1, lost: lost}
	k := newKeyTestWith(t, softkey.Options{}, harnessOptions{overHTTP: true, wrap: func(api account.API) account.API {
		flaky.API = api
		return flaky
	}})
	k.setKeyPIN(keyPIN)
	return k, flaky
}

// toUnsaved makes a passkey on the key and saves it, which fails.
func (k *keyTest) toUnsaved() {
	k.t.Helper()
	k.toKeyList()
	k.tap("Continue")
	k.enterPIN(keyPIN)
	k.waitText(5*time.Second, "Name your passkey")
	k.typeInto(focusedEntry(k.t, k.harness), "Work key")
	k.tap("Save")
	k.wantText("Passkey not saved yet",
		"The passkey was made on your key but the server did not save it.",
		"Try again saves that same passkey; nothing is asked of your key again.",
		"Server not reachable", "Passkey Desk could not reach the account server at "+k.server)
	fits(k.harness, "passkey not saved")
}

// focusedEntry is the entry that has the focus.
func focusedEntry(t *testing.T, h *harness) *widget.Entry {
	t.Helper()
	e, ok := h.canvas().Focused().(*widget.Entry)
	if !ok {
		t.Fatalf("no entry has the focus; the window shows:\n%s", h.text())
	}
	return e
}

// keyCredentials is how many passkeys the soft key holds.
func (k *keyTest) keyCredentials() int {
	k.t.Helper()
	dev := k.openKey()
	defer dev.Close()
	n, _, err := dev.(fido.Manager).CredentialsMetadata(context.Background(), fido.Prompt{
		PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil },
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return n
}

func TestMadePasskeySavedOnTryAgain(t *testing.T) {
	for _, lost := range []bool{false, true} {
		name := "server not reached"
		if lost {
			// The first save was done; its answer did not come back.
			name = "answer lost"
		}
		t.Run(name, func(t *testing.T) {
			k, flaky := newFlakyKeyTest(t, lost)
			k.toUnsaved()
			if n := k.keyCredentials(); n != 1 {
				t.Fatalf("the key holds %d passkeys after the failed save; want 1", n)
			}
			made := k.app.shell.wizard.keys.made.id()
			if made == nil {
				t.Fatal("the made passkey's credential ID cannot be read")
			}
			k.tap("Try again")
			k.waitText(5*time.Second, "Work key", "Security key · "+simModel, "\u201cWork key\u201d was added to your account")
			list := k.passkeys()
			if len(list) != 1 || list[0].Name != "Work key" {
				t.Fatalf("the account's passkeys %+v; want the one made", list)
			}
			calls := flaky.calls()
			if !lost && (len(calls) != 2 || !bytes.Equal(calls[0], calls[1])) {
				t.Fatalf("%d saves; want 2 with the same credential", len(calls))
			}
			if n := k.keyCredentials(); n != 1 {
				t.Errorf("the key holds %d passkeys; want exactly the one saved", n)
			}
			if !bytes.Equal(list[0].CredentialID, made) {
				t.Error("the account's passkey is not the one the key made")
			}
		})
	}
}

// TestMadePasskeyDeletedWhenItCannotBeSaved: when the grant has expired by
// the time the save is tried again, the window says so and offers to
// delete the passkey from the key, which then holds none.
func TestMadePasskeyDeletedWhenItCannotBeSaved(t *testing.T) {
	k, _ := newFlakyKeyTest(t, false)
	k.toUnsaved()
	k.clock.Advance(account.GrantLifetime + time.Minute)
	k.tap("Try again")
	k.wantText("Passkey cannot be saved", "The passkey was made on your key but the server did not save it, and now it cannot:",
		"Delete it from your key, so it does not stay there unknown to your account")
	fits(k.harness, "passkey cannot be saved")
	k.tap("Delete it from your key")
	k.enterPIN(keyPIN)
	k.waitText(5*time.Second, "Step 1 of 3: verify your identity")
	if n := k.keyCredentials(); n != 0 {
		t.Errorf("the key holds %d passkeys; want none", n)
	}
	if list := k.passkeys(); len(list) != 0 {
		t.Errorf("the account's passkeys %+v; want none", list)
	}
	// Leaving now does not try to save the deleted passkey.
	k.tap("Cancel")
	k.settle()
	if list := k.passkeys(); len(list) != 0 {
		t.Errorf("the account's passkeys after leaving %+v; want none", list)
	}
}

// TestMadePasskeyOnThisComputer: the same for this computer: the save is
// tried again with the same credential and works; and a passkey that can
// no longer be saved is deleted from this computer on request.
func TestMadePasskeyOnThisComputer(t *testing.T) {
	for _, expire := range []bool{false, true} {
		name := "saved on try again"
		if expire {
			name = "deleted when it cannot be saved"
		}
		t.Run(name, func(t *testing.T) {
			flaky := &flakyFinish{fail: 1}
			l := newLocalTestWith(t, harnessOptions{overHTTP: true, wrap: func(api account.API) account.API {
				flaky.API = api
				return flaky
			}})
			l.toMethods()
			l.tap("This computer")
			l.waitText(5*time.Second, "Choose a PIN for this computer's passkeys")
			f := l.app.shell.wizard.local
			l.typeInto(f.newPIN, localPIN)
			l.typeInto(f.repeatPIN, localPIN)
			l.tap("Set PIN")
			l.waitText(5*time.Second, "Name your passkey")
			l.tap("Save")
			l.wantText("Passkey not saved yet", "The passkey was made on this computer but the server did not save it.")
			id := f.made.id()
			if expire {
				l.clock.Advance(account.GrantLifetime + time.Minute)
			}
			l.tap("Try again")
			if !expire {
				l.wantText("was added to your account")
				if list := l.passkeys(); len(list) != 1 || !bytes.Equal(list[0].CredentialID, id) {
					t.Fatalf("the account's passkeys %+v; want the one made", list)
				}
				if c := flaky.calls(); len(c) != 2 || !bytes.Equal(c[0], c[1]) {
					t.Fatalf("%d saves; want 2 with the same credential", len(c))
				}
				return
			}
			l.wantText("Passkey cannot be saved", "Delete it from this computer, so it does not stay there")
			l.tap("Delete it from this computer")
			l.wantText("Step 1 of 3: verify your identity")
			if err := l.dev.DeleteCredential(context.Background(), id); !errors.Is(err, fido.ErrNoCredentials) {
				t.Errorf("this computer still held the passkey (deleting it again: %v)", err)
			}
			if list := l.passkeys(); len(list) != 0 {
				t.Errorf("the account's passkeys %+v; want none", list)
			}
		})
	}
}

// passkeys are the account's passkeys, from the service.
func (l *localTest) passkeys() []account.Passkey {
	l.t.Helper()
	list, err := l.svc.Passkeys(context.Background(), l.user.Session.Token)
	if err != nil {
		l.t.Fatal(err)
	}
	return list
}
