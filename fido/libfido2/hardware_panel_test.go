//go:build cgo && hardware

package libfido2

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// What the security keys panel reads from a real USB key (getInfo, the
// PIN state, the passkeys on it), read the same way, through this
// package, and nothing written unless a flag asks:
//
//	go test -tags hardware -run Hardware -v ./fido/libfido2
//	PASSKEYDESK_HARDWARE_PIN=… go test -tags hardware -run HardwarePanel -v ./fido/libfido2
//
// The PIN comes from the environment, not a flag, so it is not in the
// process list; it unlocks credential management (a wrong one costs a
// try). -hardware.change-pin changes the PIN to PASSKEYDESK_HARDWARE_NEW_PIN
// and back; -hardware.reset resets the key (every passkey on it is
// deleted) after asking for the unplug, replug and touch.

var (
	hardwareChangePIN = flag.Bool("hardware.change-pin", false, "change the USB key's PIN to $PASSKEYDESK_HARDWARE_NEW_PIN and back")
	hardwareReset     = flag.Bool("hardware.reset", false, "RESET the USB key: deletes every passkey on it and its PIN")
)

// hardwareKey opens the first USB key, or skips when none is plugged in.
func hardwareKey(t *testing.T, ctx context.Context) (fido.Device, fido.DeviceInfo) {
	t.Helper()
	list, err := manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Skip("no USB security key plugged in")
	}
	d, err := NewProvider().Open(ctx, list[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, list[0]
}

func hardwarePIN() fido.Prompt {
	return fido.Prompt{
		PIN: func(_ context.Context, req fido.PINRequest) ([]byte, error) {
			if req.Wrong {
				return nil, &fido.PINError{Retries: req.Retries}
			}
			return []byte(os.Getenv("PASSKEYDESK_HARDWARE_PIN")), nil
		},
	}
}

// TestHardwarePanelReads reads what the panel shows: the card, the PIN
// state and, with PASSKEYDESK_HARDWARE_PIN, the passkeys on the key.
func TestHardwarePanelReads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, di := hardwareKey(t, ctx)
	t.Logf("key: %s %s (vendor %#04x, product %#04x)", di.Manufacturer, di.Product, di.VendorID, di.ProductID)
	info, err := d.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Versions) == 0 {
		t.Error("getInfo lists no versions")
	}
	t.Logf("versions %v, firmware %d (%#x), options %v, min PIN length %d, remaining discoverable %d",
		info.Versions, info.FirmwareVersion, info.FirmwareVersion, info.Options, info.MinPINLength, info.RemainingDiscoverable)
	st, err := d.PINState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PIN set %v, %d retries, %d UV retries", st.Set, st.Retries, st.UVRetries)
	if st.Set && st.Retries == 0 {
		t.Log("the PIN is blocked: nothing more to read")
		return
	}

	m, ok := d.(fido.Manager)
	if !ok || !info.HasOption("credMgmt") && !info.HasOption("credentialMgmtPreview") {
		t.Log("the key has no credential management")
		return
	}
	if os.Getenv("PASSKEYDESK_HARDWARE_PIN") == "" || !st.Set {
		t.Log("set PASSKEYDESK_HARDWARE_PIN to read the passkeys on the key")
		return
	}
	existing, remaining, err := m.CredentialsMetadata(ctx, hardwarePIN())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("passkeys: %d stored, %d free", existing, remaining)
	rps, err := m.RelyingParties(ctx, hardwarePIN())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rp := range rps {
		creds, err := m.Credentials(ctx, rp.ID, hardwarePIN())
		if err != nil {
			t.Fatalf("%s: %v", rp.ID, err)
		}
		t.Logf("%s: %d passkeys", rp.ID, len(creds))
		n += len(creds)
	}
	if n != existing {
		t.Errorf("%d passkeys listed by site, %d counted by the key", n, existing)
	}
	after, err := d.PINState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Retries < st.Retries {
		t.Errorf("PIN retries went from %d to %d: the PIN given is wrong", st.Retries, after.Retries)
	}
}

// TestHardwareChangePIN changes the PIN and back, with
// -hardware.change-pin only.
func TestHardwareChangePIN(t *testing.T) {
	if !*hardwareChangePIN {
		t.Skip("changes the key's PIN: pass -hardware.change-pin to run it")
	}
	old, next := os.Getenv("PASSKEYDESK_HARDWARE_PIN"), os.Getenv("PASSKEYDESK_HARDWARE_NEW_PIN")
	if old == "" || next == "" {
		t.Fatal("set PASSKEYDESK_HARDWARE_PIN and PASSKEYDESK_HARDWARE_NEW_PIN")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, _ := hardwareKey(t, ctx)
	if err := d.ChangePIN(ctx, []byte(old), []byte(next)); err != nil {
		t.Fatal(err)
	}
	if err := d.ChangePIN(ctx, []byte(next), []byte(old)); err != nil {
		t.Fatalf("the PIN is now $PASSKEYDESK_HARDWARE_NEW_PIN; changing it back failed: %v", err)
	}
}

// TestHardwareReset resets the key, with -hardware.reset only: unplug it
// and plug it back in when asked, then touch it.
func TestHardwareReset(t *testing.T) {
	if !*hardwareReset {
		t.Skip("deletes every passkey on the key: pass -hardware.reset to run it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := manifest(); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		list, err := manifest()
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if count() != 1 {
		t.Skip("plug in exactly one USB security key")
	}
	t.Log("unplug the key now")
	for count() != 0 {
		if ctx.Err() != nil {
			t.Fatal("the key was not unplugged")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Log("plug it back in, then touch it")
	for count() != 1 {
		if ctx.Err() != nil {
			t.Fatal("the key was not plugged back in")
		}
		time.Sleep(100 * time.Millisecond)
	}
	d, _ := hardwareKey(t, ctx)
	m, ok := d.(fido.Manager)
	if !ok {
		t.Fatal("the device cannot be reset here")
	}
	if err := m.Reset(ctx, touchPrompt(t)); err != nil {
		t.Fatal(err)
	}
	st, err := d.PINState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Set {
		t.Error("the key still has a PIN after the reset")
	}
}
