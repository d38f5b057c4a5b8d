//go:build cgo && hardware

package libfido2

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Opt-in tests with a real USB key: go test -tags hardware ./fido/libfido2.
// They only read from the key; -hardware.touch also asks for a touch
// (a credential for the RP ID "passkeydesk.invalid" without PIN, which a
// key with alwaysUv refuses).

var hardwareTouch = flag.Bool("hardware.touch", false, "ask for a touch on the USB key")

func TestHardwareKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Skip("no USB security key plugged in")
	}
	t.Logf("keys: %+v", list)
	d, err := NewProvider().Open(ctx, list[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	info, err := d.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("info: %+v", info)
	st, err := d.PINState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PIN: %+v", st)
	if info.HasSensor() {
		si, err := d.(fido.BioManager).SensorInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fingerprint sensor: %+v, fingerprints enrolled: %v", si, info.HasFingerprints())
	}
	if !*hardwareTouch {
		return
	}
	req := softMakeReqNoUV("hardware")
	req.RP.ID = "passkeydesk.invalid"
	att, err := d.MakeCredential(ctx, req, touchPrompt(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attestation format %s, alg %d, %d certificates", att.Format, att.Algorithm, len(att.X5C))
}

func touchPrompt(t *testing.T) fido.Prompt {
	return fido.Prompt{Touch: func() { t.Log("touch the key") }}
}
