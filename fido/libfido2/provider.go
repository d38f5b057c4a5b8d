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
// U2F-only key gives ErrNotFIDO2.
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
	if !h.isFIDO2() {
		h.close()
		return nil, fmt.Errorf("opening %s: %w", path, fido.ErrNotFIDO2)
	}
	d := &device{path: path, h: h}
	if sim {
		d.sim = simConnOf(h.ioHandle())
	}
	return d, nil
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
