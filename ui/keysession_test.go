//go:build cgo

package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestKeySessionCloseThatHangs: the panel shows the first of two keys,
// whose connection never finishes closing (Close blocks). Picking the
// second key closes the first; the second must still open and show,
// after keyCloseWait, instead of waiting behind the hung Close for as
// long as an operation may last.
func TestKeySessionCloseThatHangs(t *testing.T) {
	old := keyCloseWait
	keyCloseWait = 300 * time.Millisecond
	t.Cleanup(func() { keyCloseWait = old })

	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	keys := &hangingClose{Provider: keyProvider{t.Name()}, release: make(chan struct{})}
	h := newHarness(t, harnessOptions{keys: keys, client: c, model: assets.ModelName})
	k := &keyTest{harness: h}
	first, _ := plugKey(t, "ui-"+t.Name(), softkey.Options{})
	keys.hang = first.HIDInfo().Path
	second, _ := plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	t.Cleanup(keys.releaseAll) // before the keys are unplugged
	k.user = h.user("hana@example.com")
	h.signedIn(k.user)

	k.tap("Security keys")
	p := k.app.shell.keyPanel
	k.waitFor("the first key's card", 10*time.Second, func() bool {
		return p.chosen == keys.hang && p.dev != nil && strings.Contains(k.text(), "2 keys are plugged in")
	})
	sel := k.keySelect()
	for i, d := range p.devices {
		if d.Path == second.HIDInfo().Path {
			sel.SetSelected(sel.Options[i])
		}
	}
	start := time.Now()
	k.waitFor("the second key's card", 10*time.Second, func() bool {
		return p.chosen == second.HIDInfo().Path && p.dev != nil && !strings.Contains(k.text(), "Reading the key…")
	})
	k.waitText(5*time.Second, "Passkey slots")
	k.notText("Key busy")
	if !keys.hung() {
		t.Fatal("the first key's Close was never called")
	}
	if !strings.Contains(k.log.String(), "did not end in time") {
		t.Errorf("the hung Close was not logged:\n%s", k.log.String())
	}
	t.Logf("the second key showed %v after the pick", time.Since(start))
}

// hangingClose is the test's key provider; Close on a connection to the
// key at hang blocks until release is closed.
type hangingClose struct {
	fido.Provider
	hang    string
	release chan struct{}

	mu     sync.Mutex
	closes int // Close calls that blocked
	once   sync.Once
}

func (p *hangingClose) Open(ctx context.Context, path string) (fido.Device, error) {
	dev, err := p.Provider.Open(ctx, path)
	if err != nil || path != p.hang {
		return dev, err
	}
	return &hungDevice{Device: dev, p: p}, nil
}

func (p *hangingClose) hung() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closes > 0
}

func (p *hangingClose) releaseAll() { p.once.Do(func() { close(p.release) }) }

type hungDevice struct {
	fido.Device
	p *hangingClose
}

func (d *hungDevice) Close() error {
	d.p.mu.Lock()
	d.p.closes++
	d.p.mu.Unlock()
	<-d.p.release
	return d.Device.Close()
}
