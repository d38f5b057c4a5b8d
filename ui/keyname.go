package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// namingFlow is what the name step needs of the flow whose authenticator
// made the passkey: the security-key flow and this computer's.
type namingFlow interface {
	setStep(objs []fyne.CanvasObject, focus fyne.Focusable)
	relayout()
	// fail shows why the attempt ended; over reports whether the flow
	// has ended; end ends it.
	fail(op string, err error)
	over() bool
	end()
}

// nameStep names the passkey an authenticator has just made and saves it:
// only then does the account change. The passkey already exists on the
// authenticator, so the step cannot be cancelled (that would leave it
// there, using a slot, unknown to the account): the second button saves
// it under the suggested name instead, as leaving the flow does (see
// madePasskey).
type nameStep struct {
	flow   namingFlow
	wizard *addPasskeyScreen
	made   *madePasskey
	name   *widget.Entry
	save   *widget.Button
	skip   *widget.Button
	fb     *feedback
}

// showNameStep shows the name step of made on flow; madeBy says what made
// it, as in "The key".
func showNameStep(flow namingFlow, w *addPasskeyScreen, made *madePasskey, madeBy string) {
	s := &nameStep{flow: flow, wizard: w, made: made}
	s.name = widget.NewEntry()
	s.name.SetText(made.def)
	s.name.OnSubmitted = func(string) { s.submit() }
	s.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.submit)
	s.save.Importance = widget.HighImportance
	s.skip = widget.NewButtonWithIcon(skipNamingLabel, theme.ConfirmIcon(), func() { s.saveAs(made.def) })
	s.fb = newFeedback()
	flow.setStep([]fyne.CanvasObject{
		container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.ConfirmIcon())), nil,
			paragraph(madeBy+" has made a passkey for your account.")),
		heading("Name your passkey"),
		paragraph(namingNote(made.def)),
		widget.NewForm(widget.NewFormItem("Name", s.name)),
		container.NewHBox(s.save, s.skip),
		s.fb.object(),
	}, s.name)
}

func (f *keyFlow) showName(cred []byte) {
	f.made = &madePasskey{app: f.app, token: f.app.token, grant: f.grant, cred: cred, def: modelName(f.info, f.chosen)}
	showNameStep(f, f.wizard, f.made, "The key")
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
	app := s.wizard.app
	s.fb.busy("Saving…")
	setEnabled(false, s.name, s.save, s.skip)
	s.made.save(name, func(err error) {
		if s.flow.over() {
			return
		}
		setEnabled(true, s.name, s.save, s.skip)
		var input *account.InputError
		switch {
		case errors.As(err, &input):
			app.fail(s.fb, "saving a passkey", err)
			s.flow.relayout()
			app.focus(s.name)
		case err != nil:
			s.flow.fail("saving a passkey", err)
		default:
			s.flow.end()
			s.wizard.leaveAdded(s.made.added)
		}
	})
}
