//go:build cgo

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
)

// TestSimulatedKeyKeepsItsState: --simulated-key lists a key labelled as
// simulated, and what it learns (here its PIN) is in the data folder on
// the next run; --simulated-key-fingerprint gives it a fingerprint sensor.
func TestSimulatedKeyKeepsItsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "simulated-key.json")
	p := libfido2.NewProvider()

	sim, err := plugSimulatedKey(path, false)
	if err != nil {
		t.Fatal(err)
	}
	list, err := p.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, d := range list {
		if d.Path == libfido2.SimScheme+simulatedKeyName {
			found = d.Simulated && d.Product == "Simulated security key"
		}
	}
	if !found {
		t.Fatalf("no simulated key labelled as such in %+v", list)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file at start: %v", err)
	}
	dev, err := p.Open(ctx, libfido2.SimScheme+simulatedKeyName)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}

	info, err := dev.Info(ctx)
	if err != nil || info.HasSensor() {
		t.Fatalf("a fingerprint sensor without --simulated-key-fingerprint (%v)", err)
	}
	dev.Close()
	sim.close()

	// The next run, with a fingerprint sensor.
	sim, err = plugSimulatedKey(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.close()
	dev, err = p.Open(ctx, libfido2.SimScheme+simulatedKeyName)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	st, err := dev.PINState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Set {
		t.Error("the PIN set on the last run is gone")
	}
	if info, err := dev.Info(ctx); err != nil || !info.HasSensor() {
		t.Errorf("no fingerprint sensor with --simulated-key-fingerprint (%v)", err)
	}
}

// TestSimulatedKeyControls: the controls of the simulated key's window,
// through libfido2: Unplug takes it off the list and Plug in brings it
// back; with "Touch needs a click" a request waits until Touch (it goes
// on) or Deny (it is refused).
func TestSimulatedKeyControls(t *testing.T) {
	ctx := context.Background()
	p := libfido2.NewProvider()
	sim, err := plugSimulatedKey(filepath.Join(t.TempDir(), "simulated-key.json"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.close()
	path := libfido2.SimScheme + simulatedKeyName
	listed := func() bool {
		list, err := p.Devices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == path })
	}

	sim.Unplug()
	if listed() || sim.Plugged() {
		t.Fatal("the key is still listed after Unplug")
	}
	if _, err := p.Open(ctx, path); err == nil {
		t.Fatal("an unplugged key opened")
	}
	sim.Plug()
	if !listed() || !sim.Plugged() {
		t.Fatal("the key is not listed after Plug in")
	}

	sim.SetTouchNeedsClick(true)
	if !sim.TouchNeedsClick() {
		t.Fatal("the setting did not stick")
	}
	for _, tc := range []struct {
		name   string
		answer func()
		want   error
	}{{"touch", sim.Touch, nil}, {"deny", sim.Deny, fido.ErrDenied}} {
		dev, err := p.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- dev.(fido.Manager).WaitTouch(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for !sim.WaitingForTouch() {
			select {
			case err := <-done:
				t.Fatalf("%s: the key answered before the click: %v", tc.name, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the key never asked for a touch", tc.name)
			}
			time.Sleep(10 * time.Millisecond)
		}
		tc.answer()
		if err := <-done; !errors.Is(err, tc.want) && (tc.want != nil || err != nil) {
			t.Errorf("%s: the request ended with %v, want %v", tc.name, err, tc.want)
		}
		dev.Close()
	}

	// Unticked, the key touches at once again.
	sim.SetTouchNeedsClick(false)
	dev, err := p.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := dev.(fido.Manager).WaitTouch(ctx); err != nil {
		t.Fatalf("a touch at once failed: %v", err)
	}
}

// TestMoreSimulatedKeys: --simulated-keys 3 lists three keys, each with
// its own state file, and a PIN set on one is kept in its file only.
func TestMoreSimulatedKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := plugSimulatedKey(filepath.Join(dir, "simulated-key.json"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer first.close()
	for n := 2; n <= 3; n++ {
		more, err := plugMoreSimulatedKey(dir, n)
		if err != nil {
			t.Fatal(err)
		}
		defer more.close()
	}
	list, err := libfido2.NewProvider().Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{simulatedKeyName, simulatedKeyName + "-2", simulatedKeyName + "-3"} {
		if !slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == libfido2.SimScheme+name }) {
			t.Errorf("%s is not listed: %v", name, list)
		}
	}
	dev, err := libfido2.NewProvider().Open(ctx, libfido2.SimScheme+simulatedKeyName+"-3")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := dev.SetPIN(ctx, []byte("424242")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "simulated-key-3.json")); err != nil {
		t.Fatalf("key 3 keeps no state file: %v", err)
	}
	info, err := dev.Info(ctx)
	if err != nil || !info.Options["clientPin"] {
		t.Fatalf("key 3's PIN: %+v, %v", info, err)
	}
	other, err := libfido2.NewProvider().Open(ctx, libfido2.SimScheme+simulatedKeyName+"-2")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if info, err := other.Info(ctx); err != nil || info.Options["clientPin"] {
		t.Fatalf("key 2 has key 3's PIN: %+v, %v", info, err)
	}
}
