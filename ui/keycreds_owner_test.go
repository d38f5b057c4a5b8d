//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// userHandle is the WebAuthn user.id of the signed-in account.
func (k *keyTest) userHandle() []byte {
	k.t.Helper()
	return k.handleOf(k.user)
}

// handleOf is the WebAuthn user.id of u's account.
func (k *keyTest) handleOf(u *accounttest.User) []byte {
	k.t.Helper()
	me, err := k.svc.Me(context.Background(), u.Session.Token)
	if err != nil {
		k.t.Fatal(err)
	}
	if len(me.UserHandle) == 0 {
		k.t.Fatalf("the account of %s has no user handle", u.Email)
	}
	return me.UserHandle
}

// TestKeyPanelTellsOtherAccountsPasskeys: on a key shared by two accounts
// of the same site, the passkey of the account not signed in is called
// another account's, not an orphan of the signed-in one; deleting it is
// possible and warns that the other account loses it. A passkey with the
// signed-in account's user handle that the account does not know is the
// orphan.
func TestKeyPanelTellsOtherAccountsPasskeys(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	h := k.harness
	k.setKeyPIN(keyPIN)
	alice := h.user("alice@example.com")
	k.addPasskeyFor(accounttest.RPID, fido.User{ID: k.handleOf(alice), Name: "alice@example.com", DisplayName: "Alice"})
	k.addPasskeyFor(accounttest.RPID, fido.User{ID: k.userHandle(), Name: "walt.old@example.com", DisplayName: "Walt"})
	h.tap("Security keys")
	h.waitText(5*time.Second, "Set (8 tries left)")
	k.unlockPanel(keyPIN)
	h.waitText(5*time.Second, "Passkeys on this key")

	p := h.app.shell.keyPanel
	h.typeInto(p.search, "alice@")
	h.wantText("alice@example.com (Alice)", "Another account's passkey for this site")
	h.notText("Orphan")
	h.tap("Delete")
	h.wantText("Delete the passkey of alice@example.com on "+accounttest.RPID,
		"It belongs to another account on this site: that account will no longer be able to sign in with it.")
	h.tap("Delete passkey")
	h.waitText(5*time.Second, "Passkey deleted from the key.", "1 used")

	h.typeInto(p.search, "")
	h.wantText("walt.old@example.com (Walt)", "Orphan: your account no longer knows this passkey")
	h.notText("Another account's passkey")
	h.tap("Delete")
	h.notText("another account")
	h.tap("Keep it")
}
