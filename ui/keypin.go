package ui

import (
	"context"
	"errors"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido"
)

// setPINStep gives a key without a PIN its first one. A passkey on a key
// needs user verification, and on a key without a fingerprint reader that
// is the PIN.
type setPINStep struct {
	flow   *keyFlow
	min    int
	pin    *widget.Entry
	again  *widget.Entry
	set    *widget.Button
	cancel *widget.Button
	fb     *feedback
}

func (f *keyFlow) showSetPIN() {
	s := &setPINStep{flow: f, min: f.info.MinPINLength}
	if s.min <= 0 {
		s.min = defaultMinPINLength
	}
	s.pin = widget.NewPasswordEntry()
	s.again = widget.NewPasswordEntry()
	s.set = widget.NewButtonWithIcon("Set PIN", theme.ConfirmIcon(), s.submit)
	s.set.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	s.fb = newFeedback()
	submitOnEnter(f.app.win.Canvas(), s.submit, s.pin, s.again)
	f.setStep([]fyne.CanvasObject{
		heading("Set a PIN for your key"),
		paragraph(keyLabel(f.chosen) + " has no PIN yet. Choose one of at least " + strconv.Itoa(s.min) + " characters: the key asks for it whenever this passkey is used, so someone who finds the key cannot use it."),
		widget.NewForm(widget.NewFormItem("New PIN", s.pin), widget.NewFormItem("Repeat PIN", s.again)),
		container.NewHBox(s.set, s.cancel),
		s.fb.object(),
	}, s.pin)
}

func (s *setPINStep) submit() {
	if s.set.Disabled() {
		return
	}
	if err := checkNewPIN(s.pin.Text, s.again.Text, s.min); err != nil {
		s.flow.app.fail(s.fb, "setting a PIN", err)
		s.flow.relayout()
		s.again.SetText("")
		s.flow.app.focus(s.pin)
		return
	}
	f := s.flow
	pin := []byte(s.pin.Text)
	dev := f.sess.dev
	s.fb.busy("Setting the PIN…")
	setEnabled(false, s.pin, s.again, s.set)
	f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
		return dev.SetPIN(ctx, pin)
	}, func(err error) {
		if f.ended {
			clear(pin)
			return
		}
		setEnabled(true, s.pin, s.again, s.set)
		if err != nil {
			clear(pin)
			if errorIsPolicy(err) {
				s.flow.app.fail(s.fb, "setting a PIN", err)
				s.flow.relayout()
				return
			}
			f.fail("setting a PIN", err)
			return
		}
		s.pin.SetText("")
		s.again.SetText("")
		f.register(pin)
	})
}

// errorIsPolicy reports a PIN the key refused by its rules: the step stays
// so that another PIN can be typed.
func errorIsPolicy(err error) bool {
	return errors.Is(err, fido.ErrPINPolicy)
}
