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
	// madeOn names the authenticator in a sentence: "your key".
	madeOn() string
	// deleteMade deletes the credential with this ID from the
	// authenticator (asking for what it needs, such as a key's PIN), off
	// the UI goroutine; done gets the result on the UI goroutine. A
	// credential the authenticator no longer holds is deleted already.
	deleteMade(id []byte, done func(error))
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
	save   *button
	skip   *button
	fb     *feedback
}

// showNameStep shows the name step of made on flow; madeBy says what made
// it, as in "The key".
func showNameStep(flow namingFlow, w *addPasskeyScreen, made *madePasskey, madeBy string) {
	s := &nameStep{flow: flow, wizard: w, made: made}
	s.name = widget.NewEntry()
	s.name.SetText(made.def)
	s.name.OnSubmitted = func(string) { s.submit() }
	s.save = newButtonWithIcon("Save", theme.DocumentSaveIcon(), s.submit)
	s.save.Importance = widget.HighImportance
	s.skip = newButtonWithIcon(skipNamingLabel, theme.ConfirmIcon(), func() { s.saveAs(made.def) })
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
		if errors.As(err, &input) {
			app.fail(s.fb, "saving a passkey", err)
			s.flow.relayout()
			app.focus(s.name)
			return
		}
		s.saved(err)
	})
}

// saved ends a save of the made passkey: on success back to the list;
// when a retry may cure the failure, the same credential is offered to
// be saved again (showUnsaved); when it can no longer be saved, to be
// deleted from the authenticator (showOrphan).
func (s *nameStep) saved(err error) {
	switch {
	case err == nil:
		s.flow.end()
		s.wizard.leaveAdded(s.made.added)
	case retryable(err):
		s.showUnsaved(err)
	case unsaveable(err):
		// A save whose answer was lost may have been done: the
		// challenge is then used up. The account's list tells.
		s.made.findSaved(func(pk *account.Passkey, lerr error) {
			switch {
			case s.flow.over():
			case pk != nil:
				s.flow.end()
				s.wizard.leaveAdded(pk)
			case lerr != nil:
				s.showUnsaved(lerr)
			default:
				s.showOrphan(err, nil)
			}
		})
	default:
		s.flow.fail("saving a passkey", err)
	}
}

// serverWords is the account service in a sentence: "the server" when
// the app is on one.
func (s *nameStep) serverWords() string {
	if s.wizard.app.server != "" {
		return "the server"
	}
	return "the account service"
}

// showUnsaved says that the made passkey was not saved and offers to try
// again with the same credential: the authenticator is not asked again.
func (s *nameStep) showUnsaved(err error) {
	on := s.flow.madeOn()
	fb := newFeedback()
	again := newButtonWithIcon("Try again", theme.ViewRefreshIcon(), nil)
	again.Importance = widget.HighImportance
	again.OnTapped = func() {
		if again.Disabled() {
			return
		}
		again.Disable()
		fb.busy("Saving…")
		s.flow.relayout()
		s.made.save(s.made.name, func(err error) {
			if !s.flow.over() {
				s.saved(err)
			}
		})
	}
	s.flow.setStep([]fyne.CanvasObject{
		heading("Passkey not saved yet"),
		paragraph("The passkey was made on " + on + " but " + s.serverWords() + " did not save it. Try again saves that same passkey; nothing is asked of " + on + " again."),
		fb.object(),
		container.NewHBox(again),
	}, again)
	s.wizard.app.fail(fb, "saving a passkey", err)
	s.flow.relayout()
}

// showOrphan says that the made passkey can no longer be saved (err says
// why) and offers to delete it from the authenticator, where it would
// otherwise stay, unknown to the account; delErr is why the last delete
// failed, or nil.
func (s *nameStep) showOrphan(err, delErr error) {
	if delErr == nil {
		s.wizard.app.log.Info("saving a passkey failed; it can no longer be saved", "err", err)
	}
	on := s.flow.madeOn()
	why := "your identity check has expired"
	if errors.Is(err, account.ErrCeremonyExpired) {
		why = "the request it answered has expired"
	}
	fb := newFeedback()
	del := newButtonWithIcon("Delete it from "+on, theme.DeleteIcon(), nil)
	del.Importance = widget.HighImportance
	keep := newButtonWithIcon("Leave it there", theme.CancelIcon(), func() {
		s.made.gone = true
		s.flow.end()
		s.wizard.begin(err)
	})
	del.OnTapped = func() {
		if del.Disabled() {
			return
		}
		del.Disable()
		s.flow.deleteMade(s.made.id(), func(derr error) {
			if s.flow.over() {
				return
			}
			if derr != nil {
				s.showOrphan(err, derr)
				return
			}
			s.made.gone = true
			s.flow.end()
			s.wizard.begin(err)
		})
	}
	s.flow.setStep([]fyne.CanvasObject{
		heading("Passkey cannot be saved"),
		paragraph("The passkey was made on " + on + " but " + s.serverWords() + " did not save it, and now it cannot: " + why + "."),
		paragraph("Delete it from " + on + ", so it does not stay there unknown to your account; then verify your identity and add a passkey again."),
		fb.object(),
		container.NewHBox(del, keep),
	}, del)
	if delErr != nil {
		s.wizard.app.fail(fb, "deleting a passkey that could not be saved", delErr)
	}
	s.flow.relayout()
}
