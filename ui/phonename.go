package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// showName is the phone method's name step, as the other methods have
// (namestep.go). The service saved the passkey when the phone sent it,
// under a name from the phone's browser ("iPhone — iCloud Keychain"): the
// step renames it, or keeps that name as the other methods' "Use the
// default name" does. Leaving the step keeps it too.
func (f *phoneFlow) showName(pk *account.Passkey) {
	f.stopWatch()
	if pk == nil {
		// A service that did not say which passkey: nothing to name.
		f.end()
		f.wizard.leaveAdded(nil)
		return
	}
	name := widget.NewEntry()
	name.SetText(pk.Name)
	fb := newFeedback()
	save := newButtonWithIcon("Save", theme.DocumentSaveIcon(), nil)
	save.Importance = widget.HighImportance
	keep := newButtonWithIcon(skipNamingLabel, theme.ConfirmIcon(), nil)
	done := func(added *account.Passkey) {
		f.end()
		f.wizard.leaveAdded(added)
	}
	submit := func() {
		if save.Disabled() {
			return
		}
		text := strings.TrimSpace(name.Text)
		if text == pk.Name {
			done(pk)
			return
		}
		fb.busy("Saving…")
		setEnabled(false, name, save, keep)
		f.relayout()
		token, id := f.app.token, pk.ID
		var renamed *account.Passkey
		f.app.run(func(ctx context.Context) error {
			var err error
			renamed, err = f.app.api.RenamePasskey(ctx, token, id, text)
			return err
		}, func(err error) {
			if f.ended {
				return
			}
			setEnabled(true, name, save, keep)
			if err != nil {
				// The passkey stays added under its first name.
				f.app.fail(fb, "naming a passkey", err)
				f.relayout()
				f.app.focus(name)
				return
			}
			done(renamed)
		})
	}
	name.OnSubmitted = func(string) { submit() }
	save.OnTapped = submit
	keep.OnTapped = func() {
		if !keep.Disabled() {
			done(pk)
		}
	}
	f.setStep([]fyne.CanvasObject{
		container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.ConfirmIcon())), nil,
			paragraph("Your phone or tablet has added a passkey to your account.")),
		heading("Name your passkey"),
		paragraph(namingNote(pk.Name)),
		widget.NewForm(widget.NewFormItem("Name", name)),
		container.NewHBox(save, keep),
		fb.object(),
	}, name)
}
