package ui

import (
	"context"
	"encoding/json"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// nameStep names the passkey the key has just made and saves it: only
// then does the account change.
type nameStep struct {
	flow   *keyFlow
	cred   json.RawMessage
	name   *widget.Entry
	save   *widget.Button
	cancel *widget.Button
	fb     *feedback
}

func (f *keyFlow) showName(cred []byte) {
	s := &nameStep{flow: f, cred: cred}
	s.name = widget.NewEntry()
	s.name.SetText(modelName(f.info, f.chosen))
	s.name.OnSubmitted = func(string) { s.submit() }
	s.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.submit)
	s.save.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	s.fb = newFeedback()
	f.setStep([]fyne.CanvasObject{
		container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.ConfirmIcon())), nil,
			paragraph("The key has made a passkey for your account.")),
		heading("Name your passkey"),
		paragraph("The name tells your passkeys apart in this list; you can change it later."),
		widget.NewForm(widget.NewFormItem("Name", s.name)),
		container.NewHBox(s.save, s.cancel),
		s.fb.object(),
	}, s.name)
}

func (s *nameStep) submit() {
	if s.save.Disabled() {
		return
	}
	f := s.flow
	token, grant, name, cred := f.app.token, f.grant, s.name.Text, s.cred
	s.fb.busy("Saving…")
	setEnabled(false, s.name, s.save, s.cancel)
	f.app.run(func(ctx context.Context) error {
		_, err := f.app.api.FinishRegistration(ctx, token, grant, cred, name)
		return err
	}, func(err error) {
		if f.ended {
			return
		}
		setEnabled(true, s.name, s.save, s.cancel)
		if err != nil {
			var input *account.InputError
			if errors.As(err, &input) {
				f.app.fail(s.fb, "saving a passkey", err)
				f.relayout()
				f.app.win.Canvas().Focus(s.name)
				return
			}
			f.fail("saving a passkey", err)
			return
		}
		f.leave()
	})
}
