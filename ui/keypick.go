package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Pick by touch: with several keys plugged in, every key is asked at once
// for a touch that does nothing but pick it (fido.Manager.WaitTouch); the
// first one touched is shown and the others stop waiting. The list of
// keys keeps working meanwhile: picking from it ends the pick.

// pickButton starts a pick by touch.
func (p *keyPanel) pickButton() fyne.CanvasObject {
	return newButtonWithIcon("Pick by touch", theme.SearchIcon(), p.startPick)
}

// pickObjects is what the panel shows while the keys wait for a touch.
func (p *keyPanel) pickObjects() []fyne.CanvasObject {
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { p.endPick("") })
	words := "Getting the keys ready…"
	switch {
	case p.pickEnding:
		words = "Ending the pick…"
	case p.pickReady:
		words = "Touch the key you want to manage: its button or metal contact. Every key plugged in is waiting for it."
	}
	return []fyne.CanvasObject{paragraph(words), container.NewHBox(cancel)}
}

// startPick closes the key on display and, once it is closed, asks every
// key for a touch.
func (p *keyPanel) startPick() {
	if p.picking != nil || p.reset != nil || len(p.devices) < 2 {
		return
	}
	closed := p.forget()
	p.chosen = ""
	ctx, cancel := context.WithCancel(p.ctx)
	p.picking, p.pickReady, p.pickEnding, p.pickNext = cancel, false, false, ""
	p.pickGen++
	gen := p.pickGen
	p.fb.clear()
	p.render()
	paths := make([]string, len(p.devices))
	for i, d := range p.devices {
		paths[i] = d.Path
	}
	keys := p.app.keys
	wait := &userWait{app: p.app}
	var touched string
	p.app.runIn(ctx, keyCeremonyTimeout, func(ctx context.Context) error {
		defer wait.resume()
		// The key that was on display is opened again only once its
		// connection is closed.
		if err := waitClosed(ctx, closed); err != nil {
			return err
		}
		var err error
		touched, err = pickByTouch(ctx, keys, paths, func() {
			wait.show(func() {
				if p.picking != nil && p.pickGen == gen {
					p.pickReady = true
					p.render()
				}
			})
			wait.park()
		})
		return err
	}, func(err error) {
		if p.ended || p.pickGen != gen {
			return
		}
		p.picking()
		p.picking = nil
		switch {
		case p.pickEnding && p.pickNext != "":
			p.choose(p.pickNext)
		case p.pickEnding:
			p.setDevices(p.devices)
		case err == nil:
			p.choose(touched)
		default:
			p.app.fail(p.fb, "picking a security key by touch", err)
			p.setDevices(p.devices)
		}
	})
}

// endPick ends the pick under way, if any: the keys stop waiting and are
// closed, then the key at next is shown (the first in the list for "").
func (p *keyPanel) endPick(next string) {
	if p.picking == nil {
		return
	}
	p.picking()
	p.pickEnding, p.pickNext = true, next
}

// pickByTouch opens the keys at paths, asks each for a touch at once and
// returns the path of the first touched; the others are cancelled and
// every key is closed before it returns. A key that cannot be opened or
// is pulled out drops out of the pick; when none is left, the pick ends
// with the last error. waiting is called once every key waits.
func pickByTouch(ctx context.Context, keys fido.Provider, paths []string, waiting func()) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		path string
		err  error
	}
	results := make(chan result, len(paths))
	var (
		devs    []fido.Device
		asked   int
		lastErr error = fido.ErrKeyRemoved
	)
	defer func() {
		cancel()
		for _, d := range devs {
			d.Close()
		}
	}()
	for _, path := range paths {
		dev, err := keys.Open(ctx, path)
		if err != nil {
			lastErr = err
			continue
		}
		devs = append(devs, dev)
		m, ok := dev.(fido.Manager)
		if !ok {
			lastErr = errManagementUnsupported
			continue
		}
		asked++
		go func() { results <- result{path, m.WaitTouch(ctx)} }()
	}
	waiting()
	for range asked {
		r := <-results
		if r.err == nil {
			return r.path, nil
		}
		if ctx.Err() != nil {
			return "", fido.ErrCanceled
		}
		lastErr = r.err
	}
	return "", lastErr
}
