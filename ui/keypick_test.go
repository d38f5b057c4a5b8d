//go:build cgo

package ui

import (
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelPickByTouch: with two soft keys plugged in (through real
// libfido2), "Pick by touch" makes both wait; the one touched is shown and
// the other stops waiting. Picking from the list during a pick ends it.
func TestKeyPanelPickByTouch(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	first := k.key
	second, unplugSecond := plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	k.waitText(watchLimit*5, "2 keys are plugged in", "Pick by touch")
	first.SetTouch(softkey.TouchNever, 0)
	second.SetTouch(softkey.TouchNever, 0)
	bothWaiting := func() bool { return first.WaitingForTouch() && second.WaitingForTouch() }
	noneWaiting := func() bool { return !first.WaitingForTouch() && !second.WaitingForTouch() }

	// Touch the second key (no PIN): it is shown.
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	k.wantText("Touch the key you want to manage")
	k.notText("Set (8 tries left)", "Firmware")
	second.Press()
	k.waitText(5*time.Second, "Not set", "This key has no PIN")
	k.notText("Touch the key you want to manage")
	k.waitFor("the other key to stop waiting", 10*time.Second, noneWaiting)

	// Touch the first key (PIN set): it is shown, and no PIN try is spent.
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	first.Press()
	k.waitText(5*time.Second, "Set (8 tries left)")
	k.waitFor("the other key to stop waiting", 10*time.Second, noneWaiting)

	// The list still works during a pick: choosing from it ends the pick.
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	sel := k.keySelect()
	sel.SetSelected(sel.Options[1])
	k.waitText(5*time.Second, "Not set", "This key has no PIN")
	k.notText("Touch the key you want to manage")
	k.waitFor("the keys to stop waiting", 10*time.Second, noneWaiting)

	// Cancel ends a pick and shows a key again.
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	k.tap("Cancel")
	k.waitText(5*time.Second, "Model")
	k.waitFor("the keys to stop waiting", 10*time.Second, noneWaiting)
	k.notText("Touch the key you want to manage")

	// A key pulled out during a pick leaves one key: the pick ends and the
	// one left is shown.
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	second.Unplug()
	unplugSecond()
	k.waitText(watchLimit*5, "This key is plugged in", "Set (8 tries left)")
	k.notText("Touch the key you want to manage", "Pick by touch")
	k.waitFor("the key left to stop waiting", 10*time.Second, noneWaiting)
}
