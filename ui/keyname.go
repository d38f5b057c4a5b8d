package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// nameStep names the passkey the key has just made and saves it: only
// then does the account change. The passkey already exists on the key, so
// the step cannot be cancelled (that would leave it on the key, using a
// slot, unknown to the account): the second button saves it under the
// suggested name instead.
type nameStep struct {
	flow *keyFlow
	made *madePasskey
	name *widget.Entry
	save *widget.Button
	skip *widget.Button
	fb   *feedback
}

func (f *keyFlow) showName(cred []byte) {
	f.made = &madePasskey{app: f.app, token: f.app.token, grant: f.grant, cred: cred, def: modelName(f.info, f.chosen)}
	s := &nameStep{flow: f, made: f.made}
	s.name = widget.NewEntry()
	s.name.SetText(s.made.def)
	s.name.OnSubmitted = func(string) { s.submit() }
	s.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.submit)
	s.save.Importance = widget.HighImportance
	s.skip = widget.NewButtonWithIcon(skipNamingLabel, theme.ConfirmIcon(), func() { s.saveAs(s.made.def) })
	s.fb = newFeedback()
	f.setStep([]fyne.CanvasObject{
		container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.ConfirmIcon())), nil,
			paragraph("The key has made a passkey for your account.")),
		heading("Name your passkey"),
		paragraph(namingNote(s.made.def)),
		widget.NewForm(widget.NewFormItem("Name", s.name)),
		container.NewHBox(s.save, s.skip),
		s.fb.object(),
	}, s.name)
}

// skipNamingLabel is the name step's second button: the passkey exists on
// the authenticator already, so it is saved under the suggested name
// rather than dropped.
const skipNamingLabel = "Use the default name"

// namingNote explains the name step: naming is optional, the passkey is
// kept either way.
func namingNote(def string) string {
	return "The name tells your passkeys apart in this list. " + skipNamingLabel + " keeps it as \u201c" + def + "\u201d; you can rename it later in Passkeys."
}

func (s *nameStep) submit() { s.saveAs(s.name.Text) }

// saveAs adds the passkey to the account under name.
func (s *nameStep) saveAs(name string) {
	if s.save.Disabled() {
		return
	}
	f := s.flow
	s.fb.busy("Saving…")
	setEnabled(false, s.name, s.save, s.skip)
	s.made.save(name, func(err error) {
		if f.ended {
			return
		}
		setEnabled(true, s.name, s.save, s.skip)
		if err != nil {
			var input *account.InputError
			if errors.As(err, &input) {
				f.app.fail(s.fb, "saving a passkey", err)
				f.relayout()
				f.app.focus(s.name)
				return
			}
			f.fail("saving a passkey", err)
			return
		}
		f.end()
		f.wizard.leaveAdded(s.made.added.Name)
	})
}
