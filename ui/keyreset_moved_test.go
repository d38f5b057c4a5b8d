//go:build cgo

package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// ctapReset is authenticatorReset's command byte (CTAP 2.1 §6.6).
const ctapReset = 0x07

// replugUnder puts the key back in under another device path, as a USB
// key often comes back after a replug, and returns the path.
func (k *keyTest) replugUnder(name string) string {
	k.key.Plug()
	name = "ui-" + k.t.Name() + "-" + name
	k.unregister = libfido2.Register(name, k.key)
	k.t.Cleanup(k.unregister)
	return libfido2.SimScheme + name
}

// pinSetAt reads through libfido2 whether the key at path has a PIN.
func pinSetAt(t *testing.T, path string) bool {
	t.Helper()
	dev, err := libfido2.NewProvider().Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	st, err := dev.PINState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Set
}

// TestKeyPanelResetUnderNewPath: the key comes back from step 2 under a
// new path, the only FIDO key to appear: it is recognised and reset, its
// passkeys marked lost.
func TestKeyPanelResetUnderNewPath(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.unlockPanel(keyPIN)
	k.tap("Reset key…")
	k.tap("Start reset")
	k.unplug()
	k.waitText(watchLimit*5, "Step 2 of 3")
	moved := k.replugUnder("moved")
	k.waitText(10*time.Second, "The key is reset")
	k.tap("Done")
	k.waitText(5*time.Second, "Not set")
	if pinSetAt(t, moved) {
		t.Fatal("the key still has a PIN")
	}
	if pks := k.passkeys(); len(pks) != 1 || !pks[0].Lost() {
		t.Fatalf("the account's passkeys = %+v, want the one passkey, marked lost", pks)
	}
}

// TestKeyPanelResetNewPathOtherModel: a key of another model appearing
// alone under a new path is not reset.
func TestKeyPanelResetNewPathOtherModel(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.tap("Reset key…")
	k.tap("Start reset")
	k.unplug()
	k.waitText(watchLimit*5, "Step 2 of 3")
	// The key being reset is, say, another model than the soft keys.
	k.app.shell.keyPanel.reset.aaguid = fido.AAGUID{1}
	other, _ := plugKey(t, "ui-"+t.Name()+"-other", softkey.Options{})
	k.waitText(10*time.Second, "Not the key being reset")
	if n := other.Commands(ctapReset); n != 0 {
		t.Fatalf("the other key got %d resets", n)
	}
}

// TestKeyPanelResetSeveralKeysAppear: when several keys appear while
// step 2 waits, the person touches the one being reset; only that one is
// reset.
func TestKeyPanelResetSeveralKeysAppear(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	k.register()
	gate := &gatedKeys{Provider: k.app.keys}
	k.app.keys = gate
	k.tap("Security keys")
	k.waitText(5*time.Second, simModel, "Set (8 tries left)")
	k.tap("Reset key…")
	k.tap("Start reset")
	k.unplug()
	k.waitText(watchLimit*5, "Step 2 of 3")

	// Both keys show in the same listing.
	gate.hold()
	other, _ := plugKey(t, "ui-"+t.Name()+"-other", softkey.Options{})
	otherDev, err := libfido2.NewProvider().Open(context.Background(), other.HIDInfo().Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := otherDev.SetPIN(context.Background(), []byte("1357")); err != nil {
		t.Fatal(err)
	}
	otherDev.Close()
	moved := k.replugUnder("moved")
	gate.release(t, 2)
	k.key.SetTouch(softkey.TouchNever, 0)
	other.SetTouch(softkey.TouchNever, 0)
	k.waitFor("both keys waiting for a touch", 10*time.Second, func() bool {
		return k.key.WaitingForTouch() && other.WaitingForTouch()
	})
	k.wantText("several keys were plugged in", "Touch the one you are resetting")
	fits(k.harness, "reset pick by touch")
	k.key.Press()
	k.waitText(5*time.Second, "Step 3 of 3")
	k.waitFor("the key to wait for the reset's touch", 10*time.Second, k.key.WaitingForTouch)
	k.key.Press()
	k.waitText(10*time.Second, "The key is reset")
	if pinSetAt(t, moved) {
		t.Fatal("the touched key still has a PIN")
	}
	if !pinSetAt(t, other.HIDInfo().Path) || other.Commands(ctapReset) != 0 {
		t.Fatal("the other key was reset")
	}
}

// TestKeyPanelResetReplugInOneListing: the key is pulled out and back
// in under a new path between two listings: it is recognised all the
// same.
func TestKeyPanelResetReplugInOneListing(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	k.register()
	gate := &gatedKeys{Provider: k.app.keys}
	k.app.keys = gate
	k.tap("Security keys")
	k.waitText(5*time.Second, simModel, "Set (8 tries left)")
	k.tap("Reset key…")
	k.tap("Start reset")
	gate.hold()
	k.unplug()
	moved := k.replugUnder("moved")
	gate.releaseWhen(t, func(list []fido.DeviceInfo) bool {
		return len(list) == 1 && list[0].Path == moved
	})
	k.waitText(10*time.Second, "The key is reset")
	if pinSetAt(t, moved) {
		t.Fatal("the key still has a PIN")
	}
}

// TestKeyPanelResetTimesOut: with no key back within the wait, step 2
// ends in words, and nothing on the key changed.
func TestKeyPanelResetTimesOut(t *testing.T) {
	k := newPanelTest(t, softkey.Options{})
	k.tap("Reset key…")
	k.tap("Start reset")
	k.unplug()
	k.waitText(watchLimit*5, "Step 2 of 3")
	k.runTimer(resetReplugWait)
	k.wantText("No key was plugged back in within a minute", "nothing on the key has changed")
	fits(k.harness, "reset timed out")
	k.notText("Step 2 of 3")
	// Plugged in now, it is not reset: the reset was not started.
	k.plug()
	k.waitFor("the key listed", watchLimit*5, func() bool { return len(k.app.shell.keyPanel.devices) == 1 })
	k.wantText("No key was plugged back in within a minute")
	k.tap("Done")
	k.waitText(5*time.Second, "Set (8 tries left)")
	if n := k.key.Commands(ctapReset); n != 0 {
		t.Fatalf("%d resets reached the key", n)
	}
}

// gatedKeys holds back the key list's updates while held, keeping only
// the latest, so that several keys plugged in show in one listing.
type gatedKeys struct {
	fido.Provider
	mu     sync.Mutex
	held   bool
	latest []fido.DeviceInfo
}

func (g *gatedKeys) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held = true
}

// release lets the latest listing through once it has n keys.
func (g *gatedKeys) release(t *testing.T, n int) {
	t.Helper()
	g.releaseWhen(t, func(list []fido.DeviceInfo) bool { return len(list) == n })
}

// releaseWhen lets the latest listing through once ok says it is the one.
func (g *gatedKeys) releaseWhen(t *testing.T, ok func([]fido.DeviceInfo) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		if ok(g.latest) {
			g.held = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the key list never showed the keys wanted")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (g *gatedKeys) Watch(ctx context.Context, interval time.Duration) <-chan []fido.DeviceInfo {
	in := g.Provider.Watch(ctx, interval)
	out := make(chan []fido.DeviceInfo)
	go func() {
		defer close(out)
		var pending []fido.DeviceInfo
		have := false
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			g.mu.Lock()
			held := g.held
			g.mu.Unlock()
			var send chan<- []fido.DeviceInfo
			if have && !held {
				send = out
			}
			select {
			case list, ok := <-in:
				if !ok {
					return
				}
				pending, have = list, true
				g.mu.Lock()
				g.latest = list
				g.mu.Unlock()
			case send <- pending:
				have = false
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
