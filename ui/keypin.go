package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// showSetPIN gives a key without a PIN its first one. A passkey on a key
// needs user verification, and on a key without a fingerprint reader that
// is the PIN.
func (f *keyFlow) showSetPIN() {
	min := f.info.MinPINLength
	if min <= 0 {
		min = defaultMinPINLength
	}
	form := newPINForm(f.app, false, "Set PIN", "Repeat PIN")
	fb := newFeedback()
	form.check = func(pin, again string) error { return checkNewPIN(pin, again, min) }
	form.refused = func(err error) {
		f.app.fail(fb, "setting a PIN", err)
		f.relayout()
		form.again.SetText("")
		f.app.focus(form.next)
	}
	dev := f.sess.dev
	form.saveWith(firstPIN{ctx: f.ctx, fb: fb, op: "setting a PIN", over: f.over, relayout: f.relayout,
		set: dev.SetPIN, fail: f.fail, next: f.register})
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	f.setStep([]fyne.CanvasObject{
		heading("Set a PIN for your key"),
		paragraph(keyLabel(f.chosen) + " has no PIN yet. Choose one of at least " + strconv.Itoa(min) + " characters: the key asks for it whenever this passkey is used, so someone who finds the key cannot use it."),
		form.form(),
		container.NewHBox(form.ok, cancel),
		fb.object(),
	}, form.first())
}
