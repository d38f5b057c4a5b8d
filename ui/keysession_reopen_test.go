//go:build cgo

package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeyPanelReopenAfterSupersededChoose picks another key while the
// panel is still reading the first one, then picks the first one again at
// once. The first read is superseded while its request is in flight on
// the key, and the key lets go of that request only a while after the
// cancel (slowCancel). The panel must not open the key again before the
// superseded connection is closed, or the key answers as busy ("Key
// busy"): it must show the key's card, and that connection must be
// closed.
func TestKeyPanelReopenAfterSupersededChoose(t *testing.T) {
	k, keys := newReopenTest(t)
	first := k.key.HIDInfo().Path

	// The panel opens the only key plugged in; the key holds the request
	// for its PIN state (clientPIN getPINRetries).
	const clientPIN = 0x06 // CTAP command byte
	k.key.StallNext(clientPIN, 0)
	keys.holdNext(first)
	test.Tap(k.button("Security keys"))
	k.drainUntil("the key holding the PIN state request", k.key.Stalled)

	// A second key is plugged in; the panel keeps reading the first.
	second, _ := plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	k.drainUntil("the list of two keys", func() bool { return strings.Contains(k.text(), "2 keys are plugged in") })
	p := k.app.shell.keyPanel
	pick := func(path string) {
		t.Helper()
		for i, d := range p.devices {
			if d.Path == path {
				sel := k.keySelect()
				sel.SetSelected(sel.Options[i])
				return
			}
		}
		t.Fatalf("%s is not listed", path)
	}
	// The user picks the second key, then the first again, without
	// waiting for anything.
	pick(second.HIDInfo().Path)
	pick(first)

	k.waitText(10*time.Second, simModel, "Not set", "Passkey slots")
	k.notText("Key busy", "Key removed", "Reading the key…")
	if p.chosen != first || p.dev == nil {
		t.Fatalf("the panel shows %q (device %v), want %q open", p.chosen, p.dev, first)
	}
	keys.check(t)
}

// TestKeyPanelReopenAfterCancelledReset cancels a reset while the key
// waits for its touch: the panel shows the key again at once (finish
// chooses it), while the reset's request is still in flight on the key,
// which lets go of it only a while after the cancel. The key's card must
// show, not "Key busy", and the reset's connection must be closed.
func TestKeyPanelReopenAfterCancelledReset(t *testing.T) {
	k, keys := newReopenTest(t)
	path := k.key.HIDInfo().Path
	k.tap("Security keys")
	k.waitText(5*time.Second, simModel, "Not set")
	k.tap("Reset key…")
	k.tap("Start reset")
	k.unplug()
	k.waitText(watchLimit*5, "Step 2 of 3")
	k.key.SetTouch(softkey.TouchNever, 0)
	keys.holdNext(path)
	k.plug()
	k.drainUntil("the key waiting for the reset's touch", k.key.WaitingForTouch)
	k.wantText("Step 3 of 3")
	test.Tap(k.button("Cancel"))

	k.waitText(10*time.Second, simModel, "Not set", "Passkey slots")
	k.notText("Key busy", "Key removed", "Reading the key…", "Reset the key")
	keys.check(t)
}

// newReopenTest is a signed-in app whose keys come through a
// reopenProvider, with one soft key (no PIN) plugged in.
func newReopenTest(t *testing.T) (*keyTest, *reopenProvider) {
	t.Helper()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	keys := &reopenProvider{Provider: keyProvider{t.Name()}}
	h := newHarness(t, harnessOptions{keys: keys, client: c, model: assets.ModelName})
	k := &keyTest{harness: h}
	k.key, k.unregister = plugKey(t, "ui-"+t.Name(), softkey.Options{})
	k.user = h.user("walt@example.com")
	h.signedIn(k.user)
	return k, keys
}

// drainUntil runs the results of background work on the test goroutine
// until cond holds, without settling: work stays in flight while the key
// holds a request.
func (k *keyTest) drainUntil(what string, cond func() bool) {
	k.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case fn := <-k.queue:
			fn()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			k.t.Fatalf("%s did not happen; the window shows:\n%s", what, k.text())
		}
	}
}

// reopenProvider is the test's key provider. The connection of the Open
// after holdNext is a slowCancel; every later Open of that key records
// whether that connection was still open.
type reopenProvider struct {
	fido.Provider

	mu              sync.Mutex
	hold            string // the key whose next connection is held, or ""
	held            *slowCancel
	openedWhileHeld bool
}

func (p *reopenProvider) holdNext(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold = path
}

func (p *reopenProvider) Open(ctx context.Context, path string) (fido.Device, error) {
	p.mu.Lock()
	if p.held != nil && p.held.path == path && !p.held.closed {
		p.openedWhileHeld = true
	}
	p.mu.Unlock()
	dev, err := p.Provider.Open(ctx, path)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil && path == p.hold {
		p.hold = ""
		m, _ := dev.(fido.Manager)
		p.held = &slowCancel{Device: dev, Manager: m, p: p, path: path, reopened: make(chan struct{})}
		return p.held, nil
	}
	if d := p.held; d != nil && d.path == path {
		select {
		case <-d.reopened:
		default:
			close(d.reopened)
		}
	}
	return dev, err
}

// check fails unless the held connection was closed, and closed before
// its key was opened again.
func (p *reopenProvider) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held == nil || !p.held.closed {
		t.Errorf("the superseded connection to the key was not closed")
	}
	if p.openedWhileHeld {
		t.Errorf("the key was opened again while the superseded connection to it was still open")
	}
}

// slowCancel is a connection whose key gives up a request (PIN state,
// reset) cancelled by the caller's context only once the key has been
// opened again, or after holdAfterCancel, whichever comes first. A panel
// that opens the key again before this connection is closed therefore
// always finds the key busy with it (libfido2's Open tries for about
// 300 ms); a panel that waits gets the key once this connection is
// closed. holdAfterCancel only bounds how long a waiting panel waits: it
// decides nothing.
type slowCancel struct {
	fido.Device
	fido.Manager
	p        *reopenProvider
	path     string
	reopened chan struct{} // closed once the key has been opened again
	closed   bool          // under p.mu
}

const holdAfterCancel = time.Second

// slow runs f under a context that ends only as described above.
func (d *slowCancel) slow(ctx context.Context, f func(ctx context.Context) error) error {
	inner, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-inner.Done():
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(holdAfterCancel)
		defer t.Stop()
		select {
		case <-inner.Done():
		case <-d.reopened:
		case <-t.C:
		}
		cancel()
	}()
	return f(inner)
}

func (d *slowCancel) PINState(ctx context.Context) (st fido.PINState, err error) {
	err = d.slow(ctx, func(ctx context.Context) error {
		st, err = d.Device.PINState(ctx)
		return err
	})
	return st, err
}

func (d *slowCancel) Reset(ctx context.Context, p fido.Prompt) error {
	return d.slow(ctx, func(ctx context.Context) error { return d.Manager.Reset(ctx, p) })
}

func (d *slowCancel) Close() error {
	err := d.Device.Close()
	d.p.mu.Lock()
	d.closed = true
	d.p.mu.Unlock()
	return err
}
