package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/passkeydesk/passkeydesk/fido"
)

// flowPick is a pick by touch inside a flow that uses one key (the
// add-passkey wizard's key list, assertFlow's choice): every key plugged
// in waits for a touch that does nothing but pick it (pickByTouch), and
// the flow goes on with the key touched. Its key work is queued on the
// flow's key session, so the flow's next open of the touched key waits
// until the pick has closed it.
//
// Its fields are read and written on the UI goroutine only.
type flowPick struct {
	app  *App
	sess *keySession
	// cancel ends the pick under way, or is nil.
	cancel context.CancelFunc
	ready  bool // every key waits for the touch
	gen    int  // bumped by each pick and by stop
}

// active reports whether a pick is under way.
func (p *flowPick) active() bool { return p.cancel != nil }

// start asks the keys at paths for a touch under parent. ready is called
// once they all wait; done once the pick is over, with the path touched
// or why none was (fido.ErrCanceled after end). Neither is called after
// stop.
func (p *flowPick) start(parent context.Context, paths []string, ready func(), done func(path string, err error)) {
	p.stop()
	ctx, cancel := context.WithCancel(parent)
	p.cancel, p.ready = cancel, false
	p.gen++
	gen := p.gen
	keys := p.app.keys
	before, settled := p.sess.queueKeyWork()
	wait := &userWait{app: p.app}
	var touched string
	p.app.runIn(ctx, keyCeremonyTimeout, func(ctx context.Context) error {
		defer wait.resume()
		defer settled()
		if err := waitClosed(ctx, before); err != nil {
			return err
		}
		var err error
		touched, err = pickByTouch(ctx, keys, paths, func() {
			wait.show(func() {
				if p.gen == gen && p.cancel != nil {
					p.ready = true
					ready()
				}
			})
			wait.park()
		})
		return err
	}, func(err error) {
		if p.gen != gen {
			return
		}
		p.cancel()
		p.cancel, p.ready = nil, false
		if ctx.Err() != nil && err != nil {
			err = fido.ErrCanceled
		}
		done(touched, err)
	})
}

// end ends the pick under way, if any: its done hears fido.ErrCanceled
// once the keys have stopped waiting.
func (p *flowPick) end() {
	if p.cancel != nil {
		p.cancel()
	}
}

// stop ends the pick under way, if any, without calling its done.
func (p *flowPick) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel, p.ready = nil, false
	}
	p.gen++
}

// pickStep is what a flow shows during a pick: what is wanted of the
// person (what names the purpose, as in "you want to use") and Cancel.
func (p *flowPick) pickStep(what string) ([]fyne.CanvasObject, fyne.Focusable) {
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), p.end)
	words := "Getting the keys ready…"
	if p.ready {
		words = "Touch the key " + what + ": its button or metal contact. Every key plugged in is waiting for it; the touch only picks the key."
	}
	return []fyne.CanvasObject{heading("Pick a key by touch"), paragraph(words), container.NewHBox(cancel)}, cancel
}

// pickPaths are the paths of the keys in list.
func pickPaths(list []fido.DeviceInfo) []string {
	paths := make([]string, len(list))
	for i, d := range list {
		paths[i] = d.Path
	}
	return paths
}
