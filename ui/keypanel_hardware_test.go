//go:build cgo && hardware

package ui

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
)

// The security keys panel on a real USB key, headless: the card (getInfo,
// the PIN state) and, with PASSKEYDESK_HARDWARE_PIN, the passkeys on the
// key. It only reads: no PIN is changed, nothing is deleted or reset.
//
//	.ci/with-session go test -tags hardware -run Hardware -v ./ui/
//	PASSKEYDESK_HARDWARE_PIN=… .ci/with-session go test -tags hardware -run Hardware -v ./ui/

// usbKeys is the real provider without the simulated keys.
type usbKeys struct{ fido.Provider }

func (u usbKeys) usb(list []fido.DeviceInfo) []fido.DeviceInfo {
	var out []fido.DeviceInfo
	for _, d := range list {
		if !d.Simulated {
			out = append(out, d)
		}
	}
	return out
}

func (u usbKeys) Devices(ctx context.Context) ([]fido.DeviceInfo, error) {
	list, err := u.Provider.Devices(ctx)
	return u.usb(list), err
}

func (u usbKeys) Watch(ctx context.Context, interval time.Duration) <-chan []fido.DeviceInfo {
	in := u.Provider.Watch(ctx, interval)
	out := make(chan []fido.DeviceInfo)
	go func() {
		defer close(out)
		for list := range in {
			select {
			case out <- u.usb(list):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func TestHardwareKeyPanel(t *testing.T) {
	keys := usbKeys{libfido2.NewProvider()}
	list, err := keys.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Skip("no USB security key plugged in")
	}
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{keys: keys, client: c, model: assets.ModelName})
	pin := os.Getenv("PASSKEYDESK_HARDWARE_PIN")
	if pin != "" {
		h.secrets = append(h.secrets, pin)
	}
	h.signedIn(h.user("walt@example.com"))
	h.tap("Security keys")
	h.waitText(10*time.Second, "Model", "PIN", "Passkey slots", "Technical details", "Firmware", "AAGUID")
	t.Logf("the panel shows:\n%s", h.text())
	if pin == "" {
		t.Log("set PASSKEYDESK_HARDWARE_PIN to list the passkeys on the key")
		return
	}
	k := &keyTest{harness: h}
	k.unlockPanel(pin)
	h.waitText(30*time.Second, "Passkeys on this key")
	t.Logf("the panel shows:\n%s", h.text())
}
