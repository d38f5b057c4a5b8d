package main

import (
	"fmt"

	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// simulatedKeyName is the simulated key's name: it is listed at
// sim://passkeydesk, as "Simulated security key".
const simulatedKeyName = "passkeydesk"

// plugSimulatedKey opens the soft key whose state is kept in the file at
// path (created on first use, written back after every change) and
// registers it with libfido2, so it is listed and driven like a USB key.
// With fingerprint the key has a fingerprint sensor (each touch of it
// gives a good sample of the enrolled finger).
func plugSimulatedKey(path string, fingerprint bool) (unplug func(), err error) {
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		return nil, err
	}
	key, err := softkey.Open(path, softkey.Options{Name: simulatedKeyName, AAGUID: aaguid, Fingerprint: fingerprint})
	if err != nil {
		return nil, fmt.Errorf("opening the simulated security key: %w", err)
	}
	return libfido2.Register(simulatedKeyName, key), nil
}
