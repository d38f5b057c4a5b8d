//go:build cgo

package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
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

// TestKeyPanelPickIncludesKeyOnDisplay: the key on display, busy with a
// request when "Pick by touch" starts, takes part in the pick once its
// connection is closed: the pick does not open it while that connection
// is still live (which a busy key answers as "not a FIDO2 key"), and it
// can be picked by touch.
func TestKeyPanelPickIncludesKeyOnDisplay(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	first := k.key
	second, _ := plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	hold := &closeHold{Provider: k.app.keys, path: first.HIDInfo().Path}
	k.app.keys = hold
	k.waitText(watchLimit*5, "2 keys are plugged in", "Pick by touch")
	// Show the first key again, now opened through hold.
	sel := k.keySelect()
	sel.SetSelected(sel.Options[1])
	k.waitText(5*time.Second, "Not set", "This key has no PIN")
	sel = k.keySelect()
	sel.SetSelected(sel.Options[0])
	k.waitText(5*time.Second, "Set (8 tries left)")
	first.SetTouch(softkey.TouchNever, 0)
	second.SetTouch(softkey.TouchNever, 0)

	// A request is under way on the key on display when the pick starts;
	// closing the connection ends it.
	shown := hold.device()
	if shown == nil {
		t.Fatal("the key on display was not opened through the test's provider")
	}
	go shown.(fido.Manager).WaitTouch(context.Background())
	k.waitFor("the key on display to wait for a touch", 10*time.Second, first.WaitingForTouch)

	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, func() bool {
		return shown.(*heldDevice).closed() && first.WaitingForTouch() && second.WaitingForTouch()
	})
	k.waitText(5*time.Second, "Touch the key you want to manage")
	first.Press()
	k.waitText(5*time.Second, "Set (8 tries left)")
	k.notText("Touch the key you want to manage")
	k.waitFor("the other key to stop waiting", 10*time.Second, func() bool { return !second.WaitingForTouch() })
}

// closeHold is the test's provider with the closing of the key at path
// held back, as a slow close is: the connection stays live until the next
// Open of that path (which then meets the live connection) or, when none
// comes, for a second.
type closeHold struct {
	fido.Provider
	path string

	mu      sync.Mutex
	dev     fido.Device   // the last device opened at path
	closing chan struct{} // made when a close of it is held, closed to let it go
}

func (h *closeHold) Open(ctx context.Context, path string) (fido.Device, error) {
	d, err := h.Provider.Open(ctx, path)
	h.mu.Lock()
	defer h.mu.Unlock()
	if path != h.path {
		return d, err
	}
	if h.closing != nil {
		close(h.closing) // the open met the live connection: let it close
		h.closing = nil
	}
	if err != nil {
		return nil, err
	}
	m, ok := d.(managedDevice)
	if !ok {
		d.Close()
		return nil, errManagementUnsupported
	}
	h.dev = &heldDevice{managedDevice: m, hold: h, done: make(chan struct{})}
	return h.dev, nil
}

func (h *closeHold) device() fido.Device {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dev
}

// managedDevice is what libfido2 opens: a Device and a Manager.
type managedDevice interface {
	fido.Device
	fido.Manager
}

type heldDevice struct {
	managedDevice
	hold *closeHold
	done chan struct{} // closed once Close has closed the device
	once sync.Once
}

func (d *heldDevice) closed() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

func (d *heldDevice) Close() error {
	h := d.hold
	h.mu.Lock()
	held := make(chan struct{})
	h.closing = held
	h.mu.Unlock()
	select {
	case <-held:
	case <-time.After(time.Second):
	}
	err := d.managedDevice.Close()
	h.mu.Lock()
	if h.closing == held {
		h.closing = nil
	}
	h.mu.Unlock()
	d.once.Do(func() { close(d.done) })
	return err
}
