package main

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// simulatedKeyName is the simulated key's name: it is listed at
// sim://passkeydesk, as "Simulated security key".
const simulatedKeyName = "passkeydesk"

// simulatedKey is the soft key of --simulated-key, plugged into libfido2,
// with the controls of its window in the app (ui.SimulatedKey): the
// person's finger (Touch, Deny) and the USB port (Unplug, Plug).
type simulatedKey struct {
	key *softkey.Key

	mu         sync.Mutex
	unregister func() // nil while unplugged
	needsClick bool
}

// plugSimulatedKey opens the soft key whose state is kept in the file at
// path (created on first use, written back after every change) and
// registers it with libfido2, so it is listed and driven like a USB key.
// It touches at once until SetTouchNeedsClick says otherwise. With
// fingerprint the key has a fingerprint sensor (each touch of it gives a
// good sample of the enrolled finger).
func plugSimulatedKey(path string, fingerprint bool) (*simulatedKey, error) {
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		return nil, err
	}
	key, err := softkey.Open(path, softkey.Options{Name: simulatedKeyName, AAGUID: aaguid, Fingerprint: fingerprint})
	if err != nil {
		return nil, fmt.Errorf("opening the simulated security key: %w", err)
	}
	return &simulatedKey{key: key, unregister: libfido2.Register(simulatedKeyName, key)}, nil
}

// plugMoreSimulatedKey plugs in the simulated key number n (2 and up,
// --simulated-keys), named passkeydesk-N, its state in
// simulated-key-N.json in dataDir. Only the first key has a control
// window; the others touch at once.
func plugMoreSimulatedKey(dataDir string, n int) (*simulatedKey, error) {
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s-%d", simulatedKeyName, n)
	key, err := softkey.Open(filepath.Join(dataDir, fmt.Sprintf("simulated-key-%d.json", n)), softkey.Options{Name: name, AAGUID: aaguid})
	if err != nil {
		return nil, fmt.Errorf("opening simulated security key %d: %w", n, err)
	}
	return &simulatedKey{key: key, unregister: libfido2.Register(name, key)}, nil
}

// Touch answers the request waiting for a touch.
func (s *simulatedKey) Touch() { s.key.Press() }

// Deny declines the request waiting for a touch.
func (s *simulatedKey) Deny() { s.key.Deny() }

// Unplug pulls the key out: it leaves libfido2's list and its open
// connections fail, as a USB key's do.
func (s *simulatedKey) Unplug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unregister == nil {
		return
	}
	s.key.Unplug()
	s.unregister()
	s.unregister = nil
}

// Plug puts the key back in (powered up afresh).
func (s *simulatedKey) Plug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unregister != nil {
		return
	}
	s.key.Plug()
	s.unregister = libfido2.Register(simulatedKeyName, s.key)
}

// Plugged reports whether the key is plugged in.
func (s *simulatedKey) Plugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unregister != nil
}

// WaitingForTouch reports whether a request waits for a touch now.
func (s *simulatedKey) WaitingForTouch() bool { return s.key.WaitingForTouch() }

// SetTouchNeedsClick makes the key wait for Touch or Deny (on) or touch
// at once (off).
func (s *simulatedKey) SetTouchNeedsClick(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.needsClick = on
	if on {
		s.key.SetTouch(softkey.TouchNever, 0)
	} else {
		s.key.SetTouch(softkey.TouchAtOnce, 0)
	}
}

// TouchNeedsClick reports the setting SetTouchNeedsClick made.
func (s *simulatedKey) TouchNeedsClick() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needsClick
}

// close takes the key off libfido2's list as the app ends.
func (s *simulatedKey) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unregister != nil {
		s.unregister()
		s.unregister = nil
	}
}
