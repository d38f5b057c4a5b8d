//go:build cgo

package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The key panel's Fingerprints section, through the headless window,
// real libfido2 and the soft key's fingerprint sensor.

// newFingerprintTest is a signed-in app with a key that has a sensor and
// a PIN, its panel open and unlocked with the PIN.
func newFingerprintTest(t *testing.T) *keyTest {
	t.Helper()
	k := newKeyTest(t, softkey.Options{Fingerprint: true})
	k.setKeyPIN(keyPIN)
	k.tap("Security keys")
	k.waitText(5*time.Second, "Fingerprints", "Sensor, no fingerprint yet", "Enter the key's PIN above to see and manage its fingerprints.")
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "No fingerprint on this key yet.", "Add fingerprint…")
	return k
}

// While the key waits for a finger, key work stays in flight: the
// helpers below run the results of background work without waiting for
// all of it to end (as tap and waitText do).

// tapAsync taps the visible button labelled text and returns at once.
func (k *keyTest) tapAsync(text string) {
	k.t.Helper()
	test.Tap(k.button(text))
}

// pumpUntil runs the results of background work until cond holds.
func (k *keyTest) pumpUntil(what string, timeout time.Duration, cond func() bool) {
	k.t.Helper()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case fn := <-k.queue:
			fn()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			k.t.Fatalf("%s did not happen within %v; the window shows:\n%s", what, timeout, k.text())
		}
	}
}

// pumpText is pumpUntil each phrase is visible.
func (k *keyTest) pumpText(timeout time.Duration, phrases ...string) {
	k.t.Helper()
	k.pumpUntil(fmt.Sprintf("showing %q", phrases), timeout, func() bool {
		got := k.text()
		for _, p := range phrases {
			if !strings.Contains(got, p) {
				return false
			}
		}
		return true
	})
}

// touchSensor waits until the key waits for the finger, then touches it.
func (k *keyTest) touchSensor() {
	k.t.Helper()
	k.pumpUntil("the key waiting for the finger", 5*time.Second, k.key.WaitingForTouch)
	k.key.Press()
}

func TestKeyPanelFingerprints(t *testing.T) {
	k := newFingerprintTest(t)
	h := k.harness

	// Five good touches; the second is too high and is not counted.
	k.key.SetTouch(softkey.TouchNever, 0)
	k.key.QueueSamples(softkey.Sample{Kind: softkey.SampleGood}, softkey.Sample{Kind: softkey.SampleBad, Status: fido.SampleTooHigh})
	k.tapAsync("Add fingerprint…")
	k.pumpText(5*time.Second, "Add a fingerprint", "Touch the sensor with the finger to add.")
	k.touchSensor()
	k.pumpText(5*time.Second, "Touch the sensor again: 2 of 5.", "5 good touches")
	k.touchSensor()
	k.pumpText(5*time.Second, "That touch was not counted: the finger was too high on the sensor.", "Touch the sensor again: 2 of 5.")
	for n := 3; n <= 5; n++ {
		k.touchSensor()
		k.pumpText(5*time.Second, fmt.Sprintf("Touch the sensor again: %d of 5.", n))
		h.notText("not counted")
	}
	k.touchSensor()
	k.waitText(5*time.Second, "Name the fingerprint", "Fingerprint added.")
	k.typeInto(k.entry("Name of the fingerprint"), "Right thumb")
	k.tap("Save name")
	k.waitText(5*time.Second, "Fingerprint named Right thumb.", "Right thumb", "Sensor, 1 fingerprint", "Built-in verification")
	if got := k.key.Fingerprints(); !slices.Equal(got, []string{"Right thumb"}) {
		t.Fatalf("the key holds %q", got)
	}

	// Rename.
	k.tap("Rename…")
	k.waitText(5*time.Second, "Rename the fingerprint")
	e := k.entry("Name of the fingerprint")
	e.SetText("")
	k.typeInto(e, "Left index")
	k.tap("Save name")
	k.waitText(5*time.Second, "Fingerprint named Left index.", "Left index")
	if got := k.key.Fingerprints(); !slices.Equal(got, []string{"Left index"}) {
		t.Fatalf("the key holds %q", got)
	}

	// Delete, after a change of mind.
	k.tap("Delete…")
	k.waitText(5*time.Second, "Delete Left index from this key?")
	k.tap("Keep it")
	k.waitText(5*time.Second, "Left index", "Add fingerprint…")
	k.tap("Delete…")
	k.tap("Delete fingerprint")
	k.waitText(5*time.Second, "Fingerprint deleted from the key.", "No fingerprint on this key yet.", "Sensor, no fingerprint yet")
	if got := k.key.Fingerprints(); len(got) != 0 {
		t.Fatalf("the key holds %q", got)
	}
}

// TestKeyPanelFingerprintTimeoutAndCancel: no finger in time says so and
// can go on; Cancel while the key waits for the finger ends the
// enrollment on the key and adds nothing.
func TestKeyPanelFingerprintTimeoutAndCancel(t *testing.T) {
	k := newFingerprintTest(t)
	k.app.shell.keyPanel.sampleTimeout = 300 * time.Millisecond

	k.key.QueueSamples(softkey.Sample{Kind: softkey.SampleTimeout})
	k.tap("Add fingerprint…")
	k.waitText(5*time.Second, "No finger on the sensor", "Try again", "Nothing was added yet.")
	if k.key.Enrolling() {
		t.Fatal("an enrollment was left on the key")
	}
	k.app.shell.keyPanel.sampleTimeout = 10 * time.Second
	k.key.SetTouch(softkey.TouchNever, 0)
	k.tapAsync("Try again")
	k.touchSensor()
	k.pumpText(5*time.Second, "Touch the sensor again: 2 of 5.")
	k.pumpUntil("the key waiting for the finger", 5*time.Second, func() bool { return k.key.WaitingForTouch() && k.key.Enrolling() })
	k.tap("Cancel")
	k.waitText(5*time.Second, "Adding the fingerprint was cancelled; nothing was added.", "No fingerprint on this key yet.")
	k.waitFor("the key to stop waiting", 5*time.Second, func() bool { return !k.key.WaitingForTouch() && !k.key.Enrolling() })
	if got := k.key.Fingerprints(); len(got) != 0 {
		t.Fatalf("the key holds %q", got)
	}
	// The key is free again: a new enrollment starts.
	k.key.SetTouch(softkey.TouchAtOnce, 0)
	k.tap("Add fingerprint…")
	k.waitText(5*time.Second, "Name the fingerprint")
}

// TestKeyPanelNoSensor: a key without a sensor shows no Fingerprints
// section and no sensor line.
func TestKeyPanelNoSensor(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	k.tap("Security keys")
	k.waitText(5*time.Second, "Passkey slots")
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "Passkeys on this key")
	k.notText("Fingerprints", "Add fingerprint")
}

// TestFingerprintScreensFit800x600: the Fingerprints section and each
// of its steps fit a window of 800×600, as TestScreensFit800x600 checks
// the other screens (kept here: it needs the soft key, so cgo).
func TestFingerprintScreensFit800x600(t *testing.T) {
	k := newFingerprintTest(t)
	check := func(screen string) {
		t.Helper()
		if min := k.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
			t.Errorf("%s needs %v; more than 800×600", screen, min)
		}
	}
	check("fingerprints: none")
	k.key.SetTouch(softkey.TouchNever, 0)
	k.key.QueueSamples(softkey.Sample{Kind: softkey.SampleGood}, softkey.Sample{Kind: softkey.SampleBad, Status: fido.SampleTooSkewed})
	k.tapAsync("Add fingerprint…")
	k.touchSensor()
	k.pumpText(5*time.Second, "2 of 5")
	k.touchSensor()
	k.pumpText(5*time.Second, "not counted")
	check("fingerprints: a sample not counted")
	for n := 3; n <= 5; n++ {
		k.touchSensor()
		k.pumpText(5*time.Second, fmt.Sprintf("%d of 5", n))
	}
	k.touchSensor()
	k.waitText(5*time.Second, "Name the fingerprint")
	check("fingerprints: naming")
	k.typeInto(k.entry("Name of the fingerprint"), "A rather long name for a thumb")
	k.tap("Save name")
	k.waitText(5*time.Second, "A rather long name for a thumb")
	check("fingerprints: the list")
	k.tap("Delete…")
	k.waitText(5*time.Second, "Delete the fingerprint")
	check("fingerprints: delete")
}

// TestKeyPanelFingerprintUnplug: a key pulled out while it waits for a
// finger ends the enrollment with "Key removed" and nothing else changed;
// plugged back, it holds no new fingerprint and adds one again.
func TestKeyPanelFingerprintUnplug(t *testing.T) {
	k := newFingerprintTest(t)
	k.key.SetTouch(softkey.TouchNever, 0)
	k.tapAsync("Add fingerprint…")
	k.touchSensor()
	k.pumpText(5*time.Second, "Touch the sensor again: 2 of 5.")
	k.pumpUntil("the key waiting for the finger", 5*time.Second, k.key.WaitingForTouch)
	k.unplug()
	k.waitText(watchLimit*5, "Key removed", "No security key is plugged in")
	k.notText("Add a fingerprint", "Touch the sensor again")
	k.plug()
	k.waitText(watchLimit*5, "Sensor, no fingerprint yet", "Enter the key's PIN above to see and manage its fingerprints.")
	if got := k.key.Fingerprints(); len(got) != 0 || k.key.Enrolling() {
		t.Fatalf("the key holds %q, enrolling %v", got, k.key.Enrolling())
	}
	k.key.SetTouch(softkey.TouchAtOnce, 0)
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "No fingerprint on this key yet.")
	k.tap("Add fingerprint…")
	k.waitText(5*time.Second, "Name the fingerprint")
}

// enrollOnKey enrolls n fingerprints on the key directly, through
// libfido2, as if added earlier.
func (k *keyTest) enrollOnKey(n int) {
	k.t.Helper()
	dev := k.openKey()
	defer dev.Close()
	m := dev.(fido.BioManager)
	p := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }}
	for i := range n {
		ctx := context.Background()
		en, step, err := m.BeginEnroll(ctx, time.Second, p)
		for err == nil && step.Remaining > 0 {
			step, err = en.Next(ctx, time.Second)
		}
		if err == nil {
			err = m.RenameFingerprint(ctx, en.ID(), fmt.Sprint("Finger ", i+1), p)
		}
		if err != nil {
			k.t.Fatal(err)
		}
	}
}

// TestKeyPanelFingerprintsFull: a key whose sensor is full says so in
// words and adds nothing.
func TestKeyPanelFingerprintsFull(t *testing.T) {
	k := newKeyTest(t, softkey.Options{Fingerprint: true})
	k.setKeyPIN(keyPIN)
	k.enrollOnKey(softkey.MaxFingerprints)
	k.tap("Security keys")
	k.waitText(5*time.Second, "Sensor, fingerprints set up (enter the PIN to see them)", "Built-in verification")
	k.unlockPanel(keyPIN)
	k.waitText(5*time.Second, "Finger 1", "Finger 5", "Sensor, 5 fingerprints")
	k.tap("Add fingerprint…")
	k.waitText(5*time.Second, "No room for another fingerprint", "Delete a fingerprint you no longer use")
	k.tap("Back")
	k.waitText(5*time.Second, "Finger 5", "Add fingerprint…")
	if got := k.key.Fingerprints(); len(got) != softkey.MaxFingerprints || k.key.Enrolling() {
		t.Fatalf("the key holds %q, enrolling %v", got, k.key.Enrolling())
	}
}
