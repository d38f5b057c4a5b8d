package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// The backup nudge: with only one passkey to count on, the overview and
// the passkeys list say so and offer "Add another passkey".

// backupNudgeWords is the nudge for the account's passkeys, "" for none.
// A passkey counts unless it is lost or looks cloned (it cannot approve
// anything); one still on its own hold counts, as the hold ends by itself.
func backupNudgeWords(list []account.Passkey) string {
	var only *account.Passkey
	n := 0
	for i := range list {
		if !list[i].Lost() && !list[i].CloneWarning {
			n++
			only = &list[i]
		}
	}
	if n != 1 {
		return ""
	}
	return "Only one passkey can sign you in and approve changes: " + only.Name + ". If you lose it or it is reset, " +
		"you are back to your password and codes, and withdrawals are held. Add another passkey as a backup: a second security key, your phone, or this computer."
}

// backupNudge is the nudge with its button, hidden when words is "".
func (a *App) backupNudge(words string) fyne.CanvasObject {
	l := paragraph(words)
	l.Importance = widget.WarningImportance
	add := newButtonWithIcon("Add another passkey", theme.ContentAddIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionAddPasskey)
		}
	})
	box := container.NewVBox(l, container.NewHBox(add))
	if words == "" {
		box.Hide()
	}
	return box
}

// backupNudgeLoaded is backupNudge for the overview: it reads the
// passkeys itself and shows once they are read.
func (a *App) backupNudgeLoaded() fyne.CanvasObject {
	box := container.NewVBox()
	token := a.token
	var list []account.Passkey
	a.run(func(ctx context.Context) error {
		var err error
		list, err = a.api.Passkeys(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			a.log.Warn("reading the passkeys for the overview's backup note failed", "err", err)
			return
		}
		if w := backupNudgeWords(list); w != "" {
			box.Objects = []fyne.CanvasObject{a.backupNudge(w)}
			box.Refresh()
		}
	})
	return box
}
