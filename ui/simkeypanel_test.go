//go:build cgo

package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// simControls is the test's SimulatedKey: the keyTest's soft key, plugged
// into libfido2 and pulled out of it as cmd/passkeydesk's is.
type simControls struct {
	k          *keyTest
	mu         sync.Mutex
	plugged    bool
	needsClick bool
}

func (s *simControls) Touch() { s.k.key.Press() }
func (s *simControls) Deny()  { s.k.key.Deny() }
func (s *simControls) Unplug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plugged {
		s.k.unplug()
		s.plugged = false
	}
}
func (s *simControls) Plug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.plugged {
		s.k.key.Plug()
		s.k.unregister = libfido2.Register(s.k.key.HIDInfo().Path[len(libfido2.SimScheme):], s.k.key)
		s.plugged = true
	}
}
func (s *simControls) Plugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plugged
}
func (s *simControls) WaitingForTouch() bool { return s.k.key.WaitingForTouch() }
func (s *simControls) SetTouchNeedsClick(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.needsClick = on
	if on {
		s.k.key.SetTouch(softkey.TouchNever, 0)
	} else {
		s.k.key.SetTouch(softkey.TouchAtOnce, 0)
	}
}
func (s *simControls) TouchNeedsClick() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needsClick
}

// simText is every visible word of the simulated key's control window.
func (k *keyTest) simText() string {
	k.t.Helper()
	if k.app.simWin == nil {
		k.t.Fatal("the simulated key's controls are not open")
	}
	return visibleText(k.app.simWin.win.Content())
}

// simTap taps a control of the simulated key's window once it can be
// used, as a person would, and lets its work finish.
func (k *keyTest) simTap(b *button) {
	k.t.Helper()
	k.waitFor("the control "+b.Text+" enabled", 10*time.Second, func() bool { return !b.Disabled() })
	test.Tap(b)
	k.settle()
}

// TestSimulatedKeyWindow: with the simulated key, Security keys opens its
// controls, labelled as a simulation. With "Touch needs a click" the key
// waits for the touch: the app shows its touch prompt until Deny (the key
// declines) or Touch (the passkey is made). Unplug and Plug in are seen by
// the app as a USB key's are. The setting is kept for the next run.
func TestSimulatedKeyWindow(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	sim := &simControls{k: k, plugged: true}
	k.app.simKey = sim
	k.setKeyPIN(keyPIN)

	k.tap("Security keys")
	k.waitText(5*time.Second, simModel)
	k.tap("Simulated key controls…")
	w := k.app.simWin
	k.waitFor("the controls show the key", 5*time.Second, func() bool {
		return strings.Contains(k.simText(), "Plugged in. Nothing waits for a touch.")
	})
	for _, want := range []string{"A simulation, not a real key", "Touch needs a click"} {
		if !strings.Contains(k.simText(), want) {
			t.Errorf("the controls do not say %q:\n%s", want, k.simText())
		}
	}
	if !w.touch.Disabled() || !w.deny.Disabled() || !w.plug.Disabled() || w.unplug.Disabled() {
		t.Error("with nothing waiting only Unplug should be enabled")
	}
	fits(k.harness, "security keys with the simulated key")
	if min, size := w.win.Content().MinSize(), w.win.Canvas().Size(); min.Width > size.Width || min.Height > size.Height {
		t.Errorf("the controls need %v; their window is %v", min, size)
	}
	test.Tap(w.needsClick)
	k.settle()
	if !sim.TouchNeedsClick() || !k.fa.Preferences().Bool(simKeyNeedsClickPref) {
		t.Fatal("\"Touch needs a click\" did not reach the key or was not kept")
	}

	// Denied: the key declines, the app says so and the key list is back.
	k.toKeyList()
	k.tap("Continue")
	k.enterPIN(keyPIN)
	k.waitFor("the key asking for a touch", 10*time.Second, func() bool { return !w.touch.Disabled() })
	k.wantText("Touch your key")
	fits(k.harness, "touch prompt of the simulated key")
	k.button("Simulated key controls…") // the prompt leads to them too
	if !strings.Contains(k.simText(), "asks for a touch") {
		t.Errorf("the controls do not say the key asks for a touch:\n%s", k.simText())
	}
	k.simTap(w.deny)
	k.waitText(10*time.Second, "Declined on the key")

	// Touched: the passkey is made.
	k.tap("Continue")
	k.enterPIN(keyPIN)
	k.simTap(w.touch)
	k.waitText(10*time.Second, "Name your passkey")
	k.tap("Save")
	k.waitText(5*time.Second, "Security key · "+simModel)

	// Pulled out and put back, as a USB key.
	k.tap("Security keys")
	k.waitText(5*time.Second, simModel)
	k.simTap(w.unplug)
	k.waitText(watchLimit*5, "No security key is plugged in")
	k.simTap(w.plug)
	k.waitText(watchLimit*5, simModel, "Set (8 tries left)")

	// The next run applies the kept setting.
	sim.SetTouchNeedsClick(false)
	k.app.startSimulatedKey()
	k.settle()
	if !sim.TouchNeedsClick() {
		t.Error("the kept setting was not applied at start")
	}
	k.app.closeSimulatedKey()
	if k.app.simWin != nil {
		t.Error("the controls stayed open")
	}
}

// TestSimulatedKeyControlsOnlyWithIt: without the simulated key, Security
// keys offers no controls.
func TestSimulatedKeyControlsOnlyWithIt(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.tap("Security keys")
	k.waitText(5*time.Second, simModel)
	k.notText("Simulated key controls")
}
