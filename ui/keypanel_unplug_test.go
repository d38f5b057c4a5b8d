//go:build cgo

package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// check finds the visible check box with this text.
func (k *keyTest) check(text string) *widget.Check {
	k.t.Helper()
	var found *widget.Check
	walkVisible(k.app.Window().Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && c.Text == text {
			found = c
		}
	})
	if found == nil {
		k.t.Fatalf("no visible check %q; the window shows:\n%s", text, k.text())
	}
	return found
}

// panelStep is one thing a person does in the key panel.
type panelStep struct {
	name string
	do   func(k *keyTest)
}

// TestKeyPanelUnplugEveryStep pulls the key out after each step of each
// panel operation, before the operation reaches the key. The panel must
// drop what it read from the key and say the key is gone, the app must
// stay usable, and neither the account's passkeys nor those on the key may
// change. (A key pulled out while it waits for a touch is
// TestKeyPanelUnplug.)
func TestKeyPanelUnplugEveryStep(t *testing.T) {
	unlock := panelStep{"PIN typed", func(k *keyTest) { k.typeInto(k.entry("PIN of the key"), keyPIN) }}
	listed := panelStep{"passkeys listed", func(k *keyTest) {
		k.tap("Show passkeys")
		k.wantText("Passkeys on this key", "3 used")
	}}
	ops := []struct {
		name  string
		steps []panelStep
		// resetFrom is the first step after which the reset screen is
		// open (0: never): the reset stays on screen without the key, as
		// pulling the key out is its own first step.
		resetFrom int
	}{
		{"change PIN", []panelStep{
			{"form open", func(k *keyTest) { k.tap("Change PIN…") }},
			{"current PIN typed", func(k *keyTest) { k.typeInto(k.formEntry("Current PIN"), keyPIN) }},
			{"new PIN typed twice", func(k *keyTest) {
				k.typeInto(k.formEntry("New PIN"), "13579")
				k.typeInto(k.formEntry("New PIN again"), "13579")
			}},
		}, 0},
		{"list passkeys", []panelStep{unlock, listed}, 0},
		{"delete", []panelStep{unlock, listed,
			{"searched", func(k *keyTest) { k.typeInto(k.app.shell.keyPanel.search, "walt@") }},
			{"confirmation shown", func(k *keyTest) {
				k.tap("Delete")
				k.wantText("Delete the passkey of walt@example.com on " + accounttest.RPID)
			}},
		}, 0},
		{"edit user", []panelStep{unlock, listed,
			{"searched", func(k *keyTest) { k.typeInto(k.app.shell.keyPanel.search, "example.org") }},
			{"form open", func(k *keyTest) {
				k.tap("Edit")
				k.wantText("Edit the user of a passkey on example.org")
			}},
			{"fields typed", func(k *keyTest) {
				k.typeInto(k.formEntry("User name"), "ada.l@example.org")
				k.typeInto(k.formEntry("Display name"), "Ada L")
			}},
		}, 0},
		{"policy toggle", []panelStep{unlock, listed,
			{"policy shown", func(k *keyTest) { k.check("Always require the PIN or built-in verification") }},
		}, 0},
		{"minimum PIN length", []panelStep{unlock, listed,
			{"length typed", func(k *keyTest) { k.typeInto(k.formEntry("Minimum PIN length"), "6") }},
			{"force change ticked", func(k *keyTest) {
				k.check("Require a new PIN at next use").SetChecked(true)
				k.settle()
			}},
		}, 0},
		{"reset", []panelStep{unlock, listed,
			{"warning shown", func(k *keyTest) {
				k.tap("Reset key…")
				k.wantText("deletes every passkey", "These passkeys of your account will stop working:")
			}},
		}, 3},
	}
	for _, op := range ops {
		for i := range len(op.steps) + 1 {
			name := "before " + op.steps[0].name
			if i > 0 {
				name = "after " + op.steps[i-1].name
			}
			t.Run(fmt.Sprintf("%s/%d %s", op.name, i, name), func(t *testing.T) {
				k := newPanelTest(t, softkey.Options{})
				for _, s := range op.steps[:i] {
					s.do(k)
				}
				k.unplug()
				inReset := op.resetFrom > 0 && i >= op.resetFrom
				if inReset {
					k.waitText(watchLimit*5, "No security key is plugged in", "Reset the key")
				} else {
					k.waitText(watchLimit*5, "No security key is plugged in", "Key removed")
					// The account's passkey is named after the key's model;
					// the reset lists it, nothing else may.
					k.notText(simModel)
				}
				k.notText("Firmware", "AAGUID", "Set (8 tries left)", "Passkeys on this key", "Bound to your account",
					"ada@example.org", "old@example.com", "Current PIN", "Edit the user",
					"Delete the passkey of", "Key policy", "Show passkeys")

				// Back in, the key is as it was and the panel works.
				k.plug()
				if inReset {
					k.tap("Cancel")
				}
				k.waitText(watchLimit*5, simModel, "Set (8 tries left)")
				k.notText("Passkeys on this key")
				k.unlockPanel(keyPIN)
				// A search typed before stays; the list is read anew.
				k.typeInto(k.app.shell.keyPanel.search, "")
				k.waitText(5*time.Second, "Passkeys on this key", "3 used", "walt@example.com",
					"ada@example.org (Ada)", "old@example.com (Old account)", "Bound to your account as")
				if n := len(k.passkeys()); n != 1 {
					t.Fatalf("the account has %d passkeys, want 1", n)
				}
				k.tap("Passkeys")
				k.wantText("Security key · " + simModel)
			})
		}
	}
}

// TestKeyPanelUnplugMidRequest pulls the key out while libfido2 waits for
// its answer to a request of the operation (the soft key holds the answer
// until it is unplugged): the operation ends as Key removed, nothing of
// the key stays on screen, and the key and the account are unchanged.
func TestKeyPanelUnplugMidRequest(t *testing.T) {
	unlock := panelStep{"PIN typed", func(k *keyTest) { k.typeInto(k.entry("PIN of the key"), keyPIN) }}
	listed := panelStep{"passkeys listed", func(k *keyTest) {
		k.tap("Show passkeys")
		k.wantText("Passkeys on this key", "3 used")
	}}
	const clientPIN, credMgmtPreview = 0x06, 0x41 // CTAP command bytes
	tests := []struct {
		name  string
		steps []panelStep
		cmd   byte // the request held: the skip+1st with this command byte
		skip  int
		tap   string
	}{
		{"change PIN", []panelStep{
			{"form filled", func(k *keyTest) {
				k.tap("Change PIN…")
				k.typeInto(k.formEntry("Current PIN"), keyPIN)
				k.typeInto(k.formEntry("New PIN"), "13579")
				k.typeInto(k.formEntry("New PIN again"), "13579")
			}},
		}, clientPIN, 1, "Change PIN"},
		{"list passkeys (the sites)", []panelStep{unlock}, credMgmtPreview, 1, "Show passkeys"},
		{"delete", []panelStep{unlock, listed, {"confirmation shown", func(k *keyTest) {
			k.typeInto(k.app.shell.keyPanel.search, "walt@")
			k.tap("Delete")
		}}}, credMgmtPreview, 0, "Delete passkey"},
		{"edit user", []panelStep{unlock, listed, {"form filled", func(k *keyTest) {
			k.typeInto(k.app.shell.keyPanel.search, "example.org")
			k.tap("Edit")
			k.typeInto(k.formEntry("User name"), "ada.l@example.org")
		}}}, credMgmtPreview, 0, "Save user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newPanelTest(t, softkey.Options{})
			for _, s := range tt.steps {
				s.do(k)
			}
			k.key.StallNext(tt.cmd, tt.skip)
			b := k.button(tt.tap)
			test.Tap(b)
			// Not k.waitFor: it settles, and the operation is in flight
			// until the key goes.
			deadline := time.After(10 * time.Second)
			for !k.key.Stalled() {
				select {
				case fn := <-k.queue:
					fn()
				case <-time.After(5 * time.Millisecond):
				case <-deadline:
					t.Fatalf("the key never held the request; the window shows:\n%s", k.text())
				}
			}
			k.unplug()
			k.waitText(watchLimit*5, "No security key is plugged in", "Key removed")
			k.notText(simModel, "Firmware", "AAGUID", "Set (8 tries left)", "Passkeys on this key", "Bound to your account",
				"ada@example.org", "old@example.com", "Current PIN", "Edit the user", "Delete the passkey of",
				"Show passkeys", "Reading the passkeys", "Deleting", "Saving", "PIN saved", "Passkey deleted")
			if pks := k.passkeys(); len(pks) != 1 || pks[0].Lost() {
				t.Fatalf("the account's passkeys = %+v, want the one passkey, not lost", pks)
			}

			// Back in, the key is as it was: same PIN, same passkeys.
			k.plug()
			k.waitText(watchLimit*5, simModel, "Set (8 tries left)")
			k.unlockPanel(keyPIN)
			k.typeInto(k.app.shell.keyPanel.search, "")
			k.waitText(5*time.Second, "Passkeys on this key", "3 used", "walt@example.com",
				"ada@example.org (Ada)", "old@example.com (Old account)", "Bound to your account as")
		})
	}
}
