//go:build cgo

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido/libfido2"
)

// TestSimulatedKeyKeepsItsState: --simulated-key lists a key labelled as
// simulated, and what it learns (here its PIN) is in the data folder on
// the next run; --simulated-key-fingerprint gives it a fingerprint sensor.
func TestSimulatedKeyKeepsItsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "simulated-key.json")
	p := libfido2.NewProvider()

	unplug, err := plugSimulatedKey(path, false)
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
	unplug()

	// The next run, with a fingerprint sensor.
	unplug, err = plugSimulatedKey(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer unplug()
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
