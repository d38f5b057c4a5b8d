package ui

import (
	"context"
	"errors"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/passkeydesk/passkeydesk/fido"
)

// A key enrolled for someone else at a station (or one whose owner ticked
// "Require a new PIN at next use") refuses its PIN until it is changed:
// CTAP 2.1 forcePINChange, which the key reports in getInfo and answers
// with PIN_POLICY_VIOLATION when a PIN token is asked for. assertFlow
// (sign-in, approvals, removal) meets it as fido.ErrPINPolicy; instead of
// failing, it walks the person through choosing their own PIN here, with
// the one PIN form (pinform.go), and then goes on with the same key, the
// new PIN answering its first PIN request.

// forcedPINChange reports, on the worker that used dev, whether err is
// dev refusing its PIN because a change is forced; the key's info then
// (for its minimum PIN length), else nil. Only a security key (isKey)
// can be in that state.
func forcedPINChange(ctx context.Context, dev fido.Device, isKey bool, err error) *fido.Info {
	if !isKey || !errors.Is(err, fido.ErrPINPolicy) {
		return nil
	}
	info, ierr := dev.Info(ctx)
	if ierr != nil || !info.ForcePINChange {
		return nil
	}
	return info
}

// takeNewPIN returns the PIN just chosen in the forced change, for the
// next use of the key, and forgets it (the prompter zeroes it).
func (f *assertFlow) takeNewPIN() []byte {
	pin := f.newPIN
	f.newPIN = nil
	return pin
}

// showForcedPINChange asks for the key's current PIN and a new one, and
// changes it on the key at path; then the flow uses the key again.
func (f *assertFlow) showForcedPINChange(path string, info *fido.Info) {
	min := max(info.MinPINLength, defaultMinPINLength)
	form := newPINForm(f.app, true, "Save PIN", "New PIN again")
	fb := newFeedback()
	form.check = func(pin, again string) error { return checkNewPIN(pin, again, min) }
	form.refused = func(err error) { fb.show(describe(err)) }
	form.save = func(old, next []byte) { f.changeForcedPIN(path, form, fb, old, next) }
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { f.end(fido.ErrCanceled) })
	f.setStep([]fyne.CanvasObject{
		heading("Choose your own PIN"),
		paragraph("Your security key needs a new PIN before it can be used: it was set up with a PIN that someone else knows, such as the one on the slip that came with it."),
		paragraph("Type that PIN, then choose one only you know, of at least " + strconv.Itoa(min) + " characters. The key keeps it; it is never sent to the account service. Then your passkey is used " + f.what + "."),
		form.form(),
		container.NewHBox(form.ok, cancel),
		fb.object(),
	}, form.first())
}

// changeForcedPIN changes the PIN on the key at path off the UI
// goroutine. A wrong current PIN, or a new one the key refuses, is said
// on fb and the form stays; another failure ends the flow.
func (f *assertFlow) changeForcedPIN(path string, form *pinForm, fb *feedback, old, next []byte) {
	fb.busy("Saving the PIN on the key…")
	form.setEnabled(false)
	keys := f.app.keys
	before, settled := f.sess.queueKeyWork()
	f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
		defer settled()
		defer clear(old)
		if err := waitClosed(ctx, before); err != nil {
			return err
		}
		dev, err := keys.Open(ctx, path)
		if err != nil {
			return err
		}
		defer f.sess.shut(dev)
		return dev.ChangePIN(ctx, old, next)
	}, func(err error) {
		if f.ended {
			clear(next)
			return
		}
		form.setEnabled(true)
		if err != nil {
			clear(next)
			if errors.Is(err, fido.ErrPINInvalid) || errors.Is(err, fido.ErrPINPolicy) {
				form.clear()
				f.app.fail(fb, "changing a key's PIN", err)
				f.app.focus(form.first())
				return
			}
			if errors.Is(err, fido.ErrKeyRemoved) {
				f.backToChoice(err) // only this step ends
				return
			}
			f.end(err)
			return
		}
		form.clear()
		f.newPIN = next
		f.stage = stageChoose // the key's turn again
		f.use(path, nil)
		clear(f.takeNewPIN()) // not taken: the flow had ended
	})
}

// showForcedPINChange is the add-passkey wizard's step for a key whose
// getInfo says a PIN change is forced: the current PIN and a new one,
// changed on the open key; then the registration goes on, the new PIN
// answering the key's first request.
func (f *keyFlow) showForcedPINChange() {
	min := max(f.info.MinPINLength, defaultMinPINLength)
	form := newPINForm(f.app, true, "Save PIN", "New PIN again")
	fb := newFeedback()
	form.check = func(pin, again string) error { return checkNewPIN(pin, again, min) }
	form.refused = func(err error) {
		fb.show(describe(err))
		f.relayout()
	}
	dev := f.sess.dev
	form.save = func(old, next []byte) {
		fb.busy("Saving the PIN on the key…")
		form.setEnabled(false)
		f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
			defer clear(old)
			return dev.ChangePIN(ctx, old, next)
		}, func(err error) {
			if f.over() {
				clear(next)
				return
			}
			form.setEnabled(true)
			if err != nil {
				clear(next)
				if errors.Is(err, fido.ErrPINInvalid) || errors.Is(err, fido.ErrPINPolicy) {
					form.clear()
					f.app.fail(fb, "changing a key's PIN", err)
					f.relayout()
					f.app.focus(form.first())
					return
				}
				f.fail("changing a key's PIN", err)
				return
			}
			form.clear()
			f.register(next)
		})
	}
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	f.setStep([]fyne.CanvasObject{
		heading("Choose your own PIN"),
		paragraph(keyLabel(f.chosen) + " needs a new PIN before it can be used: it was set up with a PIN that someone else knows, such as the one on the slip that came with it."),
		paragraph("Type that PIN, then choose one only you know, of at least " + strconv.Itoa(min) + " characters. The key keeps it; it is never sent to the account service."),
		form.form(),
		container.NewHBox(form.ok, cancel),
		fb.object(),
	}, form.first())
}
