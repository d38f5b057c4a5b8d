//go:build cgo

package libfido2

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// openTimeout bounds opening a key (CTAPHID_INIT and getInfo) when the
// context has no earlier deadline.
const openTimeout = 5 * time.Second

// Provider lists and opens USB keys through libfido2, and the simulated
// keys registered with Register.
type Provider struct{}

var _ fido.Provider = (*Provider)(nil)

// NewProvider returns a Provider.
func NewProvider() *Provider { return &Provider{} }

// Devices lists the USB keys libfido2 finds (fido_dev_info_manifest),
// then the registered simulated keys.
func (*Provider) Devices(ctx context.Context) ([]fido.DeviceInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(ctx)
	}
	usb, err := manifest()
	if err != nil {
		return nil, err
	}
	return append(usb, simDevices()...), nil
}

// Open opens the key at path. A key that is gone gives ErrKeyRemoved; a
// U2F-only key gives ErrNotFIDO2; a key busy with a request on another
// connection (waiting for a touch, say) gives ErrBusy once it is still
// busy after a few tries.
//
// libfido2's open asks the key for getInfo and, when that fails, falls
// back to U2F, so a busy key looks like a U2F-only one. Open tells them
// apart by what the key answered: a simulated key's connection saw
// CTAPHID_ERROR CHANNEL_BUSY; a USB key said at CTAPHID_INIT that it does
// not speak U2F (CAPABILITY_NMSG), so the fallback cannot be what it is.
// A USB key that speaks both and is busy still reads as ErrNotFIDO2.
func (*Provider) Open(ctx context.Context, path string) (fido.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(ctx)
	}
	sim := strings.HasPrefix(path, SimScheme)
	if sim {
		if _, ok := simLookupDevice(path); !ok {
			return nil, fmt.Errorf("opening %s: no such simulated key: %w", path, fido.ErrKeyRemoved)
		}
	}
	for try := 1; ; try++ {
		timeout := openTimeout
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
			timeout = max(time.Until(dl), time.Millisecond)
		}
		h, rc := openHandle(path, sim, int(timeout/time.Millisecond))
		if rc != codeOK {
			if ctx.Err() != nil {
				return nil, ctxError(ctx)
			}
			if sim {
				// The hook's open fails when the device refuses a connection,
				// which a HIDDevice does once unplugged.
				return nil, fmt.Errorf("opening %s: %w", path, fido.ErrKeyRemoved)
			}
			if list, err := manifest(); err == nil && !slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == path }) {
				// Listed a moment ago, gone now.
				return nil, fmt.Errorf("opening %s: %w", path, fido.ErrKeyRemoved)
			}
			return nil, fmt.Errorf("opening %s: %w", path, codeError("open", rc))
		}
		if h.isFIDO2() {
			d := &device{path: path, h: h}
			if sim {
				d.sim = simConnOf(h.ioHandle())
			}
			return d, nil
		}
		busy := h.openedBusy(sim)
		h.close()
		if !busy {
			return nil, fmt.Errorf("opening %s: %w", path, fido.ErrNotFIDO2)
		}
		if try == openBusyTries {
			return nil, fmt.Errorf("opening %s: %w", path, fido.ErrBusy)
		}
		// A connection closing a moment ago may still be finishing its
		// request: try again shortly.
		t := time.NewTimer(openBusyGap)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctxError(ctx)
		case <-t.C:
		}
	}
}

// How often Open tries a busy key, and how long it waits between tries.
const (
	openBusyTries = 3
	openBusyGap   = 100 * time.Millisecond
)

// capNMSG is the CTAPHID_INIT capability flag of a key that does not
// speak U2F (CTAP 2.1 §11.2.9.1.3).
const capNMSG = 0x08

// openedBusy reports whether h, which libfido2 opened as a U2F key, fell
// back to U2F because the key was busy rather than because it is one.
func (h *handle) openedBusy(sim bool) bool {
	if sim {
		c := simConnOf(h.ioHandle())
		if c == nil {
			return false
		}
		_, hidErr := c.state()
		return hidErr == codeChannelBusy
	}
	return h.flags()&capNMSG != 0
}

// Watch sends the device list at once and whenever it changes, checking
// every interval, until ctx ends; then it closes the channel. A failed
// listing is skipped. An interval of 0 or less means one second.
func (p *Provider) Watch(ctx context.Context, interval time.Duration) <-chan []fido.DeviceInfo {
	if interval <= 0 {
		interval = time.Second
	}
	ch := make(chan []fido.DeviceInfo)
	go func() {
		defer close(ch)
		t := time.NewTicker(interval)
		defer t.Stop()
		var last []fido.DeviceInfo
		first := true
		for {
			if list, err := p.Devices(ctx); err == nil && (first || !slices.Equal(list, last)) {
				select {
				case ch <- list:
					first, last = false, list
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch
}
