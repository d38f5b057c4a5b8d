package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// keyReset is the guided reset of a key (authenticatorReset, CTAP 2.1
// §6.6): keys accept it only within seconds of being plugged in and with
// a touch, so the panel walks the person through unplugging the key,
// plugging it back in and touching it.
type keyReset struct {
	panel    *keyPanel
	path     string            // the key being reset
	affected []account.Passkey // the account passkeys that will stop working
	known    bool              // affected comes from the key's passkey list, not from a probe
	stage    resetStage
	result   string // what the reset did, once over

	// A USB key plugged back in may come back under another device path.
	// others are the keys plugged in, other than this one, when it was
	// pulled out: a key that appears beyond them while step 2 waits is
	// taken for it when it is the only one (moved is then set); when
	// several appear, the person picks it by touch (pick).
	others map[string]bool
	moved  bool
	aaguid fido.AAGUID // of the key being reset: a key found under a new path must match it
	pick   flowPick
	// replugGen is bumped by each step 2, so that the timeout of an
	// earlier one does nothing.
	replugGen int
}

type resetStage int

const (
	resetIntro resetStage = iota
	resetUnplug
	resetReplug
	resetTouch
	resetDone
	resetPick     // several keys came back: touch the one being reset
	resetTimedOut // no key came back in time
)

// resetReplugWait is how long step 2 waits for the key to come back
// (resetTimedOutWords says it in words).
const resetReplugWait = time.Minute

const resetTimedOutWords = "No key was plugged back in within a minute, so the reset was not started: nothing on the key has changed. Plug the key in and start the reset again if you still want it."

// resetButton starts the guided reset.
func (p *keyPanel) resetButton() []fyne.CanvasObject {
	b := newButtonWithIcon("Reset key…", theme.WarningIcon(), p.startReset)
	b.Importance = widget.DangerImportance
	return []fyne.CanvasObject{headingText("Reset"), container.NewHBox(b)}
}

func (p *keyPanel) startReset() {
	r := &keyReset{panel: p, path: p.chosen, known: p.credsRead}
	r.pick = flowPick{app: p.app, sess: &p.keySession}
	if p.info != nil {
		r.aaguid = p.info.AAGUID
	}
	for _, pk := range p.accountPKs {
		if onKey(p.creds, pk) || p.held[pk.ID] {
			r.affected = append(r.affected, pk)
		}
	}
	p.reset = r
	p.step(atKeys) // what an earlier step said is not about the reset
	p.render()
	if !r.known {
		r.probe()
	}
}

// probe asks the key, without its PIN and without a touch, which of the
// account's security-key passkeys it holds. A passkey that needs the PIN
// even to be found (credProtect 3) stays hidden from it.
func (r *keyReset) probe() {
	p := r.panel
	m, rpID, pks := p.manager(), p.accountRPID(), p.accountPKs
	if m == nil || rpID == "" || len(pks) == 0 {
		return
	}
	var held map[string]bool
	p.runOp(func(ctx context.Context) error {
		var err error
		held, err = probeAccount(ctx, m, fido.Prompt{}, rpID, pks, nil)
		return err
	}, func(err error) {
		if p.reset != r || r.stage != resetIntro || err != nil {
			return
		}
		for _, pk := range pks {
			if held[pk.ID] {
				r.affected = append(r.affected, pk)
			}
		}
		p.render()
	})
}

func (r *keyReset) objects() []fyne.CanvasObject {
	p := r.panel
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), r.cancel)
	objs := []fyne.CanvasObject{headingText("Reset the key")}
	switch r.stage {
	case resetIntro:
		objs = append(objs, paragraph("A reset deletes every passkey on this key and its PIN. Sites cannot sign you in with those passkeys any more. It cannot be undone."))
		switch {
		case !r.known && len(r.affected) > 0:
			objs = append(objs, paragraph("These passkeys of your account are on this key and will stop working:"))
		case r.known && len(r.affected) > 0:
			objs = append(objs, paragraph("These passkeys of your account will stop working:"))
		case r.known:
			objs = append(objs, paragraph("None of your account's passkeys is on this key."))
		}
		for _, pk := range r.affected {
			objs = append(objs, paragraph("• "+pk.Name))
		}
		if !r.known {
			objs = append(objs, paragraph("Enter the key's PIN first to see every passkey of your account on it; without it Passkey Desk can miss those that need the PIN."))
		}
		start := newButtonWithIcon("Start reset", theme.WarningIcon(), func() {
			if p.op != nil {
				p.op(fido.ErrCanceled) // the probe, if still asking
			}
			r.stage = resetUnplug
			p.render()
		})
		start.Importance = widget.DangerImportance
		objs = append(objs, container.NewHBox(start, cancel))
	case resetUnplug:
		objs = append(objs, paragraph("Step 1 of 3: unplug the key now."), container.NewHBox(cancel))
	case resetReplug:
		objs = append(objs, paragraph("Step 2 of 3: plug the key back in. You then have 10 seconds to touch it."), container.NewHBox(cancel))
	case resetPick:
		words := "Step 2 of 3: several keys were plugged in. Getting them ready…"
		if r.pick.ready {
			words = "Step 2 of 3: several keys were plugged in. Touch the one you are resetting; the touch only picks it. Then touch it again to confirm the reset."
		}
		objs = append(objs, paragraph(words), container.NewHBox(cancel))
	case resetTimedOut:
		done := newButtonWithIcon("Done", theme.ConfirmIcon(), r.finish)
		objs = append(objs, paragraph(resetTimedOutWords), container.NewHBox(done))
	case resetTouch:
		objs = append(objs, paragraph("Step 3 of 3: touch the key now to confirm the reset."), container.NewHBox(cancel))
	case resetDone:
		done := newButtonWithIcon("Done", theme.ConfirmIcon(), r.finish)
		done.Importance = widget.HighImportance
		result := r.result
		if len(r.affected) > 0 && p.lost == nil {
			// Unless marking them needs an identity check first (the
			// panel then asks for it above).
			result += " Your account now lists the passkeys that were on it as lost: remove them in Passkeys."
		}
		objs = append(objs, paragraph(result), container.NewHBox(done))
	}
	return objs
}

// devicesChanged moves the reset on as the key leaves and comes back;
// prev is the listing before list.
func (r *keyReset) devicesChanged(prev, list []fido.DeviceInfo) {
	p := r.panel
	present := slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == r.path })
	switch {
	case !present && p.dev != nil:
		// Whatever the stage, the key that was open is gone.
		p.forget()
		if r.stage == resetUnplug {
			r.awaitReplug(prev)
			r.findReplugged(list)
		}
		if r.stage == resetTouch {
			p.fb.show(describe(fido.ErrKeyRemoved))
			r.stage = resetIntro
		}
	case !present && r.stage == resetUnplug:
		r.awaitReplug(prev)
		r.findReplugged(list)
	case !present && r.stage == resetTouch:
		if p.op != nil {
			p.op(fido.ErrKeyRemoved)
		}
	case present && r.stage == resetReplug:
		r.stage = resetTouch
		r.run()
	case r.stage == resetReplug:
		r.findReplugged(list)
	}
}

// awaitReplug is step 2: the key is out; the other keys of prev, the
// listing it was last in, are not taken for it when it comes back. The
// step times out after resetReplugWait.
func (r *keyReset) awaitReplug(prev []fido.DeviceInfo) {
	p := r.panel
	r.stage = resetReplug
	r.others = map[string]bool{}
	for _, d := range prev {
		if d.Path != r.path {
			r.others[d.Path] = true
		}
	}
	r.replugGen++
	gen := r.replugGen
	p.app.after(resetReplugWait, func() {
		if p.ended || p.reset != r || r.replugGen != gen || (r.stage != resetReplug && r.stage != resetPick) {
			return
		}
		r.pick.stop()
		r.stage = resetTimedOut
		p.fb.clear()
		p.render()
	})
}

// findReplugged looks in list, during step 2, for the key come back
// under another path: the one key beyond the others is taken for it;
// with several, the person touches it.
func (r *keyReset) findReplugged(list []fido.DeviceInfo) {
	var fresh []string
	for _, d := range list {
		if !r.others[d.Path] {
			fresh = append(fresh, d.Path)
		}
	}
	switch {
	case len(fresh) == 1:
		// Back under another path, as USB keys often come back.
		r.moveTo(fresh[0])
		r.stage = resetTouch
		r.run()
	case len(fresh) > 1:
		r.pickAmong(fresh)
	}
}

// moveTo takes the key at path for the key being reset.
func (r *keyReset) moveTo(path string) {
	r.path, r.moved = path, true
	r.panel.chosen = path
}

// pickAmong asks the keys that appeared at paths for a touch: the one
// touched is reset.
func (r *keyReset) pickAmong(paths []string) {
	p := r.panel
	r.stage = resetPick
	r.pick.start(p.ctx, paths, p.render, func(path string, err error) {
		if p.reset != r || r.stage != resetPick {
			return
		}
		switch {
		case err == nil:
			r.moveTo(path)
			r.stage = resetTouch
			r.run()
		case canceled(err):
			r.stage = resetReplug
		default:
			p.app.fail(p.fb, "picking a security key by touch", err)
			r.stage = resetReplug
		}
		p.render()
	})
}

// run opens the replugged key and resets it; the key asks for a touch.
func (r *keyReset) run() {
	p := r.panel
	keys, path, moved, aaguid := p.app.keys, r.path, r.moved, r.aaguid
	// While the key waits for the touch the worker waits for the person,
	// not for work (see userWait).
	wait := &userWait{app: p.app}
	prompt := fido.Prompt{Touch: wait.park}
	p.fb.clear()
	p.runOp(func(ctx context.Context) error {
		defer wait.resume()
		dev, err := keys.Open(ctx, path)
		if err != nil {
			return err
		}
		defer p.shut(dev)
		m, ok := dev.(fido.Manager)
		if !ok {
			return fido.ErrUnsupported
		}
		if moved && aaguid != (fido.AAGUID{}) {
			// Found under a new path: it must at least be the same model.
			info, err := dev.Info(ctx)
			if err != nil {
				return err
			}
			if info.AAGUID != aaguid {
				return errNotTheResetKey
			}
		}
		return m.Reset(ctx, prompt)
	}, func(err error) {
		if p.reset != r {
			return
		}
		if err != nil {
			p.app.fail(p.fb, "resetting a key", err)
			r.stage = resetIntro
			p.render()
			return
		}
		r.stage = resetDone
		r.result = "The key is reset: every passkey on it is deleted and it has no PIN."
		if len(r.affected) > 0 {
			ids := make([]string, len(r.affected))
			for i, pk := range r.affected {
				ids[i] = pk.ID
			}
			p.markLost(ids, "the security key was reset")
		}
		p.render()
	})
}

// cancel leaves the reset; a reset already sent to the key is cancelled.
func (r *keyReset) cancel() {
	p := r.panel
	r.pick.stop()
	if p.op != nil {
		p.op(fido.ErrCanceled)
	}
	r.finish()
}

// finish leaves the reset and shows the key again.
func (r *keyReset) finish() {
	p := r.panel
	p.reset = nil
	p.fb.clear()
	path := r.path
	if slices.ContainsFunc(p.devices, func(d fido.DeviceInfo) bool { return d.Path == path }) {
		// The reset's connection may still be open, its request being
		// cancelled: choose opens the key only once it is closed (runOp).
		p.choose(path)
		return
	}
	p.forget()
	p.chosen = ""
	p.setDevices(p.devices)
}
