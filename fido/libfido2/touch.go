//go:build cgo

package libfido2

import (
	"context"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// touchPoll is how long one fido_dev_get_touch_status waits; between two
// polls the context is checked.
const touchPoll = 100 * time.Millisecond

// WaitTouch implements fido.Manager with fido_dev_get_touch_begin and
// fido_dev_get_touch_status. libfido2 reports a failed read while polling
// as "not touched yet", so a poll that comes back well before its time
// several times in a row means the key is gone.
func (d *device) WaitTouch(ctx context.Context) error {
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	if err := d.call(ctx, "wait for a touch", nil, func(h *handle) int { return h.touchBegin() }); err != nil {
		return err
	}
	fast := 0
	for {
		var touched bool
		start := time.Now()
		err := d.call(ctx, "wait for a touch", nil, func(h *handle) (rc int) {
			touched, rc = h.touchStatus(int(touchPoll / time.Millisecond))
			return rc
		})
		switch {
		case err != nil:
			d.stopWaiting()
			return err
		case touched:
			return nil
		case time.Since(start) < touchPoll/4:
			fast++
		default:
			fast = 0
		}
		if removed, _ := d.simState(); removed || fast >= 3 {
			return fido.ErrKeyRemoved
		}
	}
}

// stopWaiting sends CTAPHID_CANCEL, so a key left waiting for a touch
// stops, and reads its answer (KEEPALIVE_CANCEL) for a moment, so the key
// is free for the next request when WaitTouch returns. The operation is
// still under way (opMu held), so d.h is open.
func (d *device) stopWaiting() {
	d.mu.Lock()
	h := d.h
	h.cancel()
	d.mu.Unlock()
	h.touchStatus(int(2 * touchPoll / time.Millisecond))
}

// simState is what a simulated key's connection saw; false for a USB key.
func (d *device) simState() (removed bool, hidErr int) {
	if d.sim == nil {
		return false, -1
	}
	return d.sim.state()
}
