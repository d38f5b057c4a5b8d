//go:build cgo

package ui

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The key panel, driven through the headless window against the real
// account service and a soft key reached through real libfido2.

// addSitePasskey makes a discoverable passkey for rpID on the key
// directly, as another site (or an earlier account) would have.
func (k *keyTest) addSitePasskey(rpID, user, display string) {
	k.t.Helper()
	k.addPasskeyFor(rpID, fido.User{ID: []byte(user), Name: user, DisplayName: display})
}

// addPasskeyFor makes a discoverable passkey for rpID and user on the key
// directly.
func (k *keyTest) addPasskeyFor(rpID string, user fido.User) {
	k.t.Helper()
	dev := k.openKey()
	defer dev.Close()
	cdh := sha256.Sum256(append([]byte(rpID), user.ID...))
	_, err := dev.MakeCredential(context.Background(), &fido.MakeCredentialRequest{
		ClientDataHash:   cdh[:],
		RP:               fido.RelyingParty{ID: rpID},
		User:             user,
		Algorithms:       []int{fido.ES256},
		ResidentKey:      true,
		UserVerification: true,
		CredProtect:      2,
	}, fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }})
	if err != nil {
		k.t.Fatal(err)
	}
}

// newPanelTest is a signed-in app whose key holds the account's passkey
// (bound), another account's passkey for the account's site and a passkey
// for another site, with the key panel open on its card. (An orphan of
// the account cannot sit beside its bound passkey: a key keeps one
// discoverable passkey per site and user handle.)
func newPanelTest(t *testing.T, opts softkey.Options) *keyTest {
	t.Helper()
	k := newKeyTest(t, opts)
	k.setKeyPIN(keyPIN)
	k.register()
	k.addSitePasskey(accounttest.RPID, "old@example.com", "Old account")
	k.addSitePasskey("example.org", "ada@example.org", "Ada")
	k.tap("Security keys")
	k.waitText(5*time.Second, "Model", simModel, "FIDO versions", "FIDO_2_1", "AAGUID", "Algorithms", "ES256", "Set (8 tries left)", "Minimum PIN length", "Passkey slots")
	return k
}

// entry finds the visible entry with this placeholder.
func (k *keyTest) entry(placeholder string) *widget.Entry {
	k.t.Helper()
	var found *widget.Entry
	walkVisible(k.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == placeholder {
			found = e
		}
	})
	if found == nil {
		k.t.Fatalf("no visible entry %q; the window shows:\n%s", placeholder, k.text())
	}
	return found
}

// formEntry finds the visible entry of the form item labelled label.
func (k *keyTest) formEntry(label string) *widget.Entry {
	k.t.Helper()
	var found *widget.Entry
	walkVisible(k.app.Window().Content(), func(o fyne.CanvasObject) {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				if e, ok := it.Widget.(*widget.Entry); ok && it.Text == label {
					found = e
				}
			}
		}
	})
	if found == nil {
		k.t.Fatalf("no visible field %q; the window shows:\n%s", label, k.text())
	}
	return found
}

// unlockPanel types pin and asks for the passkeys.
func (k *keyTest) unlockPanel(pin string) {
	k.t.Helper()
	k.typeInto(k.entry("PIN of the key"), pin)
	k.tap("Show passkeys")
}

func TestKeyPanelPasskeys(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness

	// A wrong PIN shows the retries left and lists nothing.
	k.unlockPanel("0000")
	h.wantText("7 tries")
	h.notText("Passkeys on this key")

	k.unlockPanel(keyPIN)
	h.wantText("Passkeys on this key", "3 used", accounttest.RPID, "example.org",
		"ada@example.org (Ada)", "old@example.com (Old account)", "walt@example.com",
		"Bound to your account as", "Another account's passkey for this site",
		"PIN needed unless the site names this passkey (credProtect 2)")
	h.notText("not connected")

	// Search narrows to one passkey; editing its user goes to the key.
	p := h.app.shell.keyPanel
	h.typeInto(p.search, "example.org")
	h.notText("Bound to your account")
	h.tap("Edit")
	h.wantText("Edit the user of a passkey on example.org")
	h.typeInto(k.formEntry("User name"), "ada.l@example.org")
	h.typeInto(k.formEntry("Display name"), "Ada L")
	h.tap("Save user")
	h.waitText(5*time.Second, "User saved on the key.", "ada.l@example.org (Ada L)")

	// Delete asks first, naming site and user; keeping it changes nothing.
	h.typeInto(p.search, "walt@")
	h.tap("Delete")
	h.wantText("Delete the passkey of walt@example.com on "+accounttest.RPID, "It is one of your account's passkeys")
	h.tap("Keep it")
	h.wantText("Bound to your account")
	h.tap("Delete")
	h.tap("Delete passkey")
	h.waitText(5*time.Second, "Passkey deleted from the key.", "2 used")
	// The account still lists it, marked lost: its key no longer holds it.
	h.typeInto(p.search, "")
	h.waitText(5*time.Second, "Your account's other security-key passkeys", "Lost — the key no longer holds it (deleted from the security key", "Remove in Passkeys…")
	h.notText("not connected")
	pks := k.passkeys()
	if len(pks) != 1 || !pks[0].Lost() || pks[0].LostReason != "deleted from the security key" {
		t.Fatalf("the account's passkeys = %+v, want the one passkey, marked lost", pks)
	}
	h.tap("Remove in Passkeys…")
	h.waitText(5*time.Second, "Lost — the key no longer holds it (deleted from the security key", "Remove")
}

func TestKeyPanelChangePIN(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	h.tap("Change PIN…")
	h.typeInto(k.formEntry("Current PIN"), keyPIN)
	h.typeInto(k.formEntry("New PIN"), "12")
	h.typeInto(k.formEntry("New PIN again"), "12")
	h.tap("Change PIN")
	h.wantText("at least 4")
	if st := k.pinState(); st.Retries != 8 {
		t.Fatalf("the key was asked with a too short PIN: %d retries left", st.Retries)
	}

	h.typeInto(k.formEntry("Current PIN"), "9999")
	h.typeInto(k.formEntry("New PIN"), "13579")
	h.typeInto(k.formEntry("New PIN again"), "13579")
	h.tap("Change PIN")
	h.waitText(5*time.Second, "7 tries")

	h.typeInto(k.formEntry("Current PIN"), keyPIN)
	h.typeInto(k.formEntry("New PIN"), "13579")
	h.typeInto(k.formEntry("New PIN again"), "13579")
	h.tap("Change PIN")
	h.waitText(5*time.Second, "PIN saved on the key.", "Set (8 tries left)")
	k.unlockPanel("13579")
	h.wantText("Passkeys on this key")
}

func TestKeyPanelPolicy(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	h.wantText("Key policy", "Enter the key's PIN above to change its policy.")
	k.unlockPanel(keyPIN)
	var check *widget.Check
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && c.Text == "Always require the PIN or built-in verification" {
			check = c
		}
	})
	if check == nil || check.Checked {
		t.Fatalf("always-UV check missing or on; the window shows:\n%s", h.text())
	}
	check.SetChecked(true)
	h.settle()
	h.waitText(5*time.Second, "Policy saved on the key.")
	info, err := k.openKey().Info(context.Background())
	if err != nil || !info.HasOption("alwaysUv") {
		t.Fatalf("alwaysUv not on after the toggle: %v %v", info, err)
	}
}

func TestKeyPanelPolicyHiddenWhenUnsupported(t *testing.T) {
	// A key whose getInfo lacks authnrCfg shows no policy: the soft key
	// always has it, so this checks the rule on the panel directly.
	k := newPanelTest(t, softkey.Options{})
	p := k.app.shell.keyPanel
	delete(p.info.Options, "authnrCfg")
	if objs := p.policyObjects(); objs != nil {
		t.Fatalf("policy shown for a key without authnrCfg")
	}
}

func TestKeyPanelReset(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	k.unlockPanel(keyPIN)
	h.tap("Reset key…")
	h.wantText("deletes every passkey", "These passkeys of your account will stop working:")
	h.tap("Start reset")
	h.wantText("Step 1 of 3: unplug the key now.")
	k.unplug()
	h.waitText(watchLimit*5, "Step 2 of 3")
	k.plug()
	h.waitText(10*time.Second, "The key is reset")
	h.tap("Done")
	h.waitText(5*time.Second, "Not set")
	h.notText("Passkeys on this key")
	if pks := k.passkeys(); len(pks) != 1 || !pks[0].Lost() || pks[0].LostReason != "the security key was reset" {
		t.Fatalf("the account's passkeys = %+v, want the one passkey, marked lost", pks)
	}
	h.tap("Passkeys")
	h.waitText(5*time.Second, "Lost — the key no longer holds it (the security key was reset")
}

// TestKeyPanelResetWithoutPIN: with no PIN entered, the key is asked
// silently which of the account's passkeys it holds; after the reset
// those are marked lost.
func TestKeyPanelResetWithoutPIN(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	name := k.passkeys()[0].Name
	h.tap("Reset key…")
	h.waitText(5*time.Second, "are on this key and will stop working", "• "+name)
	h.tap("Start reset")
	k.unplug()
	h.waitText(watchLimit*5, "Step 2 of 3")
	k.plug()
	h.waitText(10*time.Second, "The key is reset", "Your account now lists the passkeys that were on it as lost")
	h.tap("Done")
	h.waitText(5*time.Second, "Not set")
	if pks := k.passkeys(); len(pks) != 1 || !pks[0].Lost() {
		t.Fatalf("the account's passkeys = %+v, want the one passkey, marked lost", pks)
	}
}

func TestKeyPanelResetTooLate(t *testing.T) {
	k := newPanelTest(t, softkey.Options{ResetWindow: 200 * time.Millisecond})
	h := k.harness
	k.key.SetTouch(softkey.TouchAfterDelay, 2*time.Second)
	h.tap("Reset key…")
	// Without the PIN the key is asked silently which passkeys it holds.
	h.waitText(5*time.Second, "Enter the key's PIN first", "are on this key and will stop working", "• "+k.passkeys()[0].Name)
	h.tap("Start reset")
	k.unplug()
	h.waitText(watchLimit*5, "Step 2 of 3")
	k.plug()
	h.waitText(15*time.Second, "Too late to reset", "first 10 seconds")
	h.tap("Cancel")
	h.waitText(5*time.Second, "Set (8 tries left)")
}

func TestKeyPanelUnplug(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	k.unlockPanel(keyPIN)
	h.wantText("Passkeys on this key")

	// Pulled out with the list on screen: nothing of it stays.
	k.unplug()
	h.waitText(watchLimit*5, "No security key is plugged in")
	h.notText("Passkeys on this key", "Bound to your account", simModel)
	k.plug()
	h.waitText(watchLimit*5, simModel, "Set (8 tries left)")

	// Pulled out while the key waits for a touch: the operation ends with
	// "Key removed" and the app stays usable.
	k.key.SetTouch(softkey.TouchNever, 0)
	h.tap("Reset key…")
	h.tap("Start reset")
	k.unplug()
	h.waitText(watchLimit*5, "Step 2 of 3")
	k.plug()
	h.waitText(10*time.Second, "Step 3 of 3")
	k.unplug()
	h.waitText(watchLimit*5, "Key removed")
	k.plug()
	h.tap("Cancel")
	h.waitText(5*time.Second, "Set (8 tries left)")
	h.tap("Passkeys")
	h.wantText("Security key · " + simModel)
	if n := len(k.passkeys()); n != 1 {
		t.Fatalf("the account has %d passkeys, want 1", n)
	}
}

func TestKeyPanelSeveralKeys(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	h := k.harness
	k.unlockPanel(keyPIN)
	h.wantText("Passkeys on this key")
	plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	h.waitText(watchLimit*5, "2 keys are plugged in")
	sel := k.keySelect()
	sel.SetSelected(sel.Options[1])
	h.waitText(5*time.Second, "Not set", "This key has no PIN")
	h.notText("Passkeys on this key", "Bound to your account")
	sel.SetSelected(sel.Options[0])
	h.waitText(5*time.Second, "Set (8 tries left)")
}

func TestKeyPanelCardStates(t *testing.T) {
	t.Run("built-in verification", func(t *testing.T) {
		k := newKeyTest(t, softkey.Options{BuiltInUV: true})
		k.setKeyPIN(keyPIN)
		k.tap("Security keys")
		k.waitText(5*time.Second, "Built-in verification", "5 tries left", "Set (8 tries left)")
	})
	t.Run("blocked PIN", func(t *testing.T) {
		k := newKeyTest(t, softkey.Options{})
		k.setKeyPIN(keyPIN)
		k.blockPIN()
		k.tap("Security keys")
		k.waitText(5*time.Second, "Blocked: only a reset makes the key usable again", "a reset deletes every passkey on it")
		k.notText("Show passkeys")
	})
	t.Run("no PIN", func(t *testing.T) {
		k := newKeyTest(t, softkey.Options{})
		k.tap("Security keys")
		k.waitText(5*time.Second, "Not set", "This key has no PIN")
		k.tap("Set PIN…")
		k.typeInto(k.formEntry("New PIN"), "12")
		k.typeInto(k.formEntry("New PIN again"), "12")
		k.tap("Set PIN")
		k.wantText("at least 4")
		k.typeInto(k.formEntry("New PIN"), keyPIN)
		k.typeInto(k.formEntry("New PIN again"), keyPIN)
		k.tap("Set PIN")
		k.waitText(5*time.Second, "PIN saved on the key.", "Set (8 tries left)")
	})
}

// TestKeyPanelWhereAccountPasskeysAre: the account's security-key passkeys
// missing from the key's list are told apart: on this key all the same
// (not discoverable), not on this key though of its model (the silent
// probe says no), on a key that is not plugged in (another model), and
// lost.
func TestKeyPanelWhereAccountPasskeysAre(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	k.register()
	ctx := context.Background()
	simAAGUID, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	// Passkeys of the account made elsewhere: on another key of the same
	// model, on a key of another model, and one since lost.
	k.user.AddPasskey(t, &accounttest.Authenticator{AAGUID: simAAGUID}, account.KindSecurityKey, "Twin key")
	k.user.AddPasskey(t, &accounttest.Authenticator{AAGUID: [16]byte{1, 2, 3}}, account.KindSecurityKey, "Travel key")
	gone := k.user.AddPasskey(t, &accounttest.Authenticator{AAGUID: simAAGUID}, account.KindSecurityKey, "Old key")
	if err := k.svc.MarkPasskeysLost(ctx, k.user.Session.Token, "", []string{gone.ID}, "the security key was reset"); err != nil {
		t.Fatal(err)
	}
	// A passkey on this key that is not discoverable, so not listed.
	dev := k.openKey()
	k.bindOn(dev, "Hidden key", false)
	dev.Close()
	// And one on another key plugged in.
	spare, _ := plugKey(t, "ui-"+t.Name()+"-spare", softkey.Options{})
	spareDev, err := libfido2.NewProvider().Open(ctx, spare.HIDInfo().Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := spareDev.SetPIN(ctx, []byte(keyPIN)); err != nil {
		t.Fatal(err)
	}
	k.bindOn(spareDev, "Spare key", true)
	spareDev.Close()

	k.tap("Security keys")
	k.waitText(5*time.Second, "2 keys are plugged in", "Set (8 tries left)")
	if sel := k.keySelect(); sel.Selected != sel.Options[0] {
		t.Fatalf("the panel shows %q, want the first key", sel.Selected)
	}
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "Passkeys on this key", "Your account's other security-key passkeys",
		"“Spare key” · on another key plugged in: "+simulatedKeyLabel+" (2). Pick that key to manage it.",
		"“Twin key” · not on this key. If you made it with this key, the key no longer holds it",
		"“Travel key” · not connected: the key that holds it is not plugged in",
		"“Old key” · Lost — the key no longer holds it (the security key was reset",
		"“Hidden key” · on this key (it is not listed above")
	k.notText("“Twin key” · not connected", "“Old key” · not connected", "“Spare key” · not")
}

// bindOn binds a passkey made on dev to the account under name; one not
// discoverable has the service's options rewritten to discourage a
// resident key.
func (k *keyTest) bindOn(dev fido.Device, name string, discoverable bool) {
	k.t.Helper()
	ctx := context.Background()
	token := k.user.Session.Token
	grant := k.user.Grant(k.t, account.PurposeAddPasskey)
	opts, err := k.svc.BeginRegistration(ctx, token, grant, account.KindSecurityKey)
	if err != nil {
		k.t.Fatal(err)
	}
	// No exclude list: the key may already hold the account's
	// discoverable passkey.
	var o map[string]map[string]any
	if err := json.Unmarshal(opts, &o); err != nil {
		k.t.Fatal(err)
	}
	if !discoverable {
		o["publicKey"]["authenticatorSelection"] = map[string]any{"residentKey": "discouraged", "userVerification": "required"}
	}
	delete(o["publicKey"], "excludeCredentials")
	if opts, err = json.Marshal(o); err != nil {
		k.t.Fatal(err)
	}
	c, err := client.New(accounttest.Origin)
	if err != nil {
		k.t.Fatal(err)
	}
	cred, err := c.Create(ctx, dev, opts, fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }})
	if err != nil {
		k.t.Fatal(err)
	}
	if _, err := k.svc.FinishRegistration(ctx, token, grant, cred, name); err != nil {
		k.t.Fatal(err)
	}
}

// keySelect finds the list of two keys plugged in.
func (k *keyTest) keySelect() *widget.Select {
	k.t.Helper()
	var sel *widget.Select
	walkVisible(k.app.Window().Content(), func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && len(s.Options) == 2 && strings.HasPrefix(s.Options[0], simulatedKeyLabel) {
			sel = s
		}
	})
	if sel == nil {
		k.t.Fatalf("no key list; the window shows:\n%s", k.text())
	}
	return sel
}
