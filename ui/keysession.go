package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// keySession owns a security key opened by a flow or a panel: the key
// (dev), the operation under way on it with its cancellation (op), the
// order of all key work, and closing. The security-key method (keyFlow),
// the security keys panel (keyPanel) and assertFlow each hold one.
//
// Key work runs in order: a key opened while another connection to it is
// still busy answers as busy (fido.ErrBusy), and fido's Open retries only
// briefly, so work that opens a key first waits until every earlier piece
// of work (an operation that was superseded, a close) has closed the keys
// it opened (queue). A close counts as done once Close returns or after
// keyCloseWait, whichever is first.
//
// The fields are read and written on the UI goroutine only.
type keySession struct {
	app *App
	dev fido.Device             // the open key, or nil
	op  context.CancelCauseFunc // ends the operation under way, or nil
	// opID says which operation op belongs to.
	opID int
	// settled is closed once all key work started so far has closed
	// every connection to a key it opened.
	settled chan struct{}
	// opening is where the worker that opens the key hands it over to the
	// UI goroutine, or nil.
	opening *handoff
}

func newKeySession(a *App) keySession {
	s := keySession{app: a, settled: make(chan struct{})}
	close(s.settled)
	return s
}

// queueKeyWork puts new key work after all key work started so far. The
// new work waits for before until it opens a key, and calls settled
// (off the UI goroutine) once it has closed every key it opened; settled
// waits for before too, so that s.settled, once closed, speaks for all
// work up to it, also work that ended without waiting.
func (s *keySession) queueKeyWork() (before <-chan struct{}, settled func()) {
	before = s.settled
	next := make(chan struct{})
	s.settled = next
	return before, func() {
		<-before
		close(next)
	}
}

// closeKey closes dev, if not nil, off the UI goroutine, as key work
// that later work waits for (at most keyCloseWait). It counts as work in
// flight until it is over.
func (s *keySession) closeKey(dev fido.Device) {
	if dev == nil {
		return
	}
	_, settled := s.queueKeyWork()
	a := s.app
	a.inflight.Add(1)
	go func() {
		s.shut(dev)
		settled()
		a.deliver(func() { a.inflight.Add(-1) })
	}()
}

// shut closes dev and waits for it, at most keyCloseWait. It runs off
// the UI goroutine.
func (s *keySession) shut(dev fido.Device) {
	done := make(chan error, 1)
	go func() { done <- dev.Close() }()
	t := time.NewTimer(keyCloseWait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			s.app.log.Warn("closing a security key failed", "err", err)
		}
	case <-t.C:
		s.app.log.Warn("closing a security key did not end in time; going on without it", "wait", keyCloseWait)
	}
}

// startOp makes a new operation the one under way, cancelling the one
// before it: its context (a child of parent that cancel ends with a
// cause) and its ID for endOp.
func (s *keySession) startOp(parent context.Context) (ctx context.Context, cancel context.CancelCauseFunc, id int) {
	s.cancelOp(fido.ErrCanceled)
	ctx, cancel = context.WithCancelCause(parent)
	s.opID++
	s.op = cancel
	return ctx, cancel, s.opID
}

// endOp ends the operation id, if it is still the one under way.
func (s *keySession) endOp(id int) {
	if s.opID == id {
		s.op = nil
	}
}

// cancelOp cancels the operation under way, if any, with cause.
func (s *keySession) cancelOp(cause error) {
	if s.op != nil {
		s.op(cause)
	}
}

// take returns the open key and forgets it: the caller closes it.
func (s *keySession) take() fido.Device {
	dev := s.dev
	s.dev = nil
	return dev
}

// drop ends the session's hold on keys: the operation under way ends
// with cause, and the open key and one being opened are closed. The
// channel returned is closed once they are and all earlier key work is
// over.
func (s *keySession) drop(cause error) <-chan struct{} {
	if s.op != nil {
		s.op(cause)
		s.op = nil
	}
	s.closeKey(s.take())
	if s.opening != nil {
		s.closeKey(s.opening.take())
		s.opening = nil
	}
	return s.settled
}

// watchKeys is the one watch of the key list: it lists the keys plugged
// in, then follows plug and unplug through Provider.Watch until ctx ends.
// set gets every listing, failed a first listing that failed (the watch
// starts all the same), both on the UI goroutine and only while over
// reports false. The first listing counts as work in flight; the watch's
// updates do not: they come whenever a key moves.
func (a *App) watchKeys(ctx context.Context, over func() bool, set func([]fido.DeviceInfo), failed func(error)) {
	var list []fido.DeviceInfo
	a.runIn(ctx, keyOpenTimeout, func(ctx context.Context) error {
		var err error
		list, err = a.keys.Devices(ctx)
		return err
	}, func(err error) {
		if over() {
			return
		}
		if err != nil {
			failed(err)
		} else {
			set(list)
		}
		ch := a.keys.Watch(ctx, keyWatchInterval)
		go func() {
			for list := range ch {
				a.deliver(func() {
					if !over() {
						set(list)
					}
				})
			}
		}()
	})
}

// handoff passes the key that a worker opened to the UI goroutine.
// Whichever comes second closes it: a worker that finds the handoff taken
// (the session dropped it meanwhile) closes the key itself, before its
// work counts as settled; drop closes a key handed over but not yet
// taken. Either way, the close is part of the queued key work.
type handoff struct {
	mu    sync.Mutex
	dev   fido.Device
	taken bool
}

// give hands dev over; false if the handoff was already taken, and the
// caller must close dev.
func (h *handoff) give(dev fido.Device) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.taken {
		return false
	}
	h.dev = dev
	return true
}

// take returns the key handed over, if any; later gives are refused.
func (h *handoff) take() fido.Device {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.taken = true
	dev := h.dev
	h.dev = nil
	return dev
}

// waitClosed waits for earlier key work (a channel queueKeyWork or drop
// returned), or for ctx to end.
func waitClosed(ctx context.Context, closed <-chan struct{}) error {
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", fido.ErrCanceled, ctx.Err())
	}
}
