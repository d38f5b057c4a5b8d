package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// passkeysScreen lists the account's passkeys, oldest first, each renamable
// in place; with none it explains what a passkey is.
type passkeysScreen struct {
	app   *App
	shell *shell

	body *fyne.Container // the list, the empty state, or nothing while loading
	rows []*passkeyRow
	add  *button
	fb   *feedback
	// note, when set, is shown above the list once: what just changed.
	note string
	// removal is the removal on display in place of the list, or nil.
	removal *removeScreen
}

func (s *passkeysScreen) build() fyne.CanvasObject {
	s.body = container.NewVBox()
	s.add = newButtonWithIcon("Add passkey", theme.ContentAddIcon(), func() { s.shell.open(sectionAddPasskey) })
	s.add.Importance = widget.HighImportance
	s.fb = newFeedback()
	s.load()
	return page(
		headingText("Passkeys"),
		s.fb.object(),
		s.body,
	)
}

func (s *passkeysScreen) load() {
	token := s.app.token
	s.fb.busy("Loading your passkeys…")
	var list []account.Passkey
	s.app.run(func(ctx context.Context) error {
		var err error
		list, err = s.app.api.Passkeys(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			s.app.fail(s.fb, "loading passkeys", err)
			return
		}
		s.fb.clear()
		s.show(list)
	})
}

func (s *passkeysScreen) show(list []account.Passkey) {
	s.removal = nil
	s.body.RemoveAll()
	s.rows = nil
	if s.note != "" {
		n := paragraph(s.note)
		n.Importance = widget.SuccessImportance
		s.body.Add(n)
		s.note = ""
	}
	if len(list) == 0 {
		s.body.Add(paragraph("You have no passkeys yet."))
		s.body.Add(paragraph("A passkey is a key pair made for this account and kept on a device you hold: a USB security key, your phone or tablet, or this computer. To sign in or approve a change, the device proves it has the private key, after you unlock it with your PIN, fingerprint or face. Nothing secret is ever typed or sent, so a passkey cannot be phished or guessed."))
		s.body.Add(s.add)
		return
	}
	s.body.Add(s.add)
	if w := backupNudgeWords(list); w != "" {
		s.body.Add(s.app.backupNudge(w))
	}
	for _, pk := range list {
		r := newPasskeyRow(s.app, pk)
		pk, count := pk, len(list)
		r.remove = func() { s.startRemove(pk, count) }
		s.rows = append(s.rows, r)
		s.body.Add(widget.NewSeparator())
		s.body.Add(r.build())
	}
}

// passkeyRow shows one passkey: kind icon, name (renamable in place),
// model, when it was added and when last used.
type passkeyRow struct {
	app *App
	pk  account.Passkey

	name      *widget.Label
	renameBtn *button
	removeBtn *button
	remove    func() // opens the removal of this passkey
	view      *fyne.Container

	entry  *widget.Entry
	save   *button
	cancel *button
	edit   *fyne.Container

	fb *feedback
}

func newPasskeyRow(a *App, pk account.Passkey) *passkeyRow {
	return &passkeyRow{app: a, pk: pk}
}

func (r *passkeyRow) build() fyne.CanvasObject {
	r.name = widget.NewLabelWithStyle(r.pk.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.renameBtn = newButtonWithIcon("Rename", theme.DocumentCreateIcon(), r.startRename)
	r.removeBtn = newButtonWithIcon("Remove", theme.DeleteIcon(), func() {
		if r.remove != nil {
			r.remove()
		}
	})
	r.view = container.NewBorder(nil, nil, nil, container.NewHBox(r.renameBtn, r.removeBtn), r.name)

	r.entry = widget.NewEntry()
	r.entry.OnSubmitted = func(string) { r.commit() }
	r.save = newButtonWithIcon("Save", theme.ConfirmIcon(), r.commit)
	r.save.Importance = widget.HighImportance
	r.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), r.stopRename)
	r.edit = container.NewBorder(nil, nil, nil, container.NewHBox(r.save, r.cancel), r.entry)
	r.edit.Hide()

	r.fb = newFeedback()
	details := container.NewVBox(
		container.NewStack(r.view, r.edit),
		widget.NewLabel(kindAndModel(r.pk)),
		widget.NewLabel(usage(r.pk)),
	)
	if r.pk.CloneWarning {
		w := paragraph("Its signature counter went backwards, so it may have been copied. It cannot approve operations.")
		w.Importance = widget.WarningImportance
		details.Add(w)
	}
	if r.pk.Lost() {
		w := paragraph(lostWords(r.pk) + ". It can no longer sign in: remove it.")
		w.Importance = widget.WarningImportance
		details.Add(w)
	}
	if r.pk.Held(r.app.now()) && !r.pk.Lost() {
		details.Add(paragraph("Added without another passkey's approval: it cannot approve withdrawals or C2C trades until " + holdTime(r.pk.HeldUntil) + "."))
	}
	details.Add(r.fb.object())
	icon := widget.NewIcon(kindIcon(r.pk.Kind))
	return container.NewBorder(nil, nil, container.NewVBox(icon), nil, details)
}

// startRename swaps the name for an entry holding it.
func (r *passkeyRow) startRename() {
	r.entry.SetText(r.pk.Name)
	r.fb.clear()
	r.view.Hide()
	r.edit.Show()
	r.app.focus(r.entry)
}

// stopRename puts the name back without changing it.
func (r *passkeyRow) stopRename() {
	r.edit.Hide()
	r.view.Show()
	r.app.focus(r.renameBtn)
}

// commit saves the new name.
func (r *passkeyRow) commit() {
	if r.save.Disabled() {
		return
	}
	name := strings.TrimSpace(r.entry.Text)
	if name == r.pk.Name {
		r.stopRename()
		return
	}
	token, id := r.app.token, r.pk.ID
	r.fb.busy("Renaming…")
	setEnabled(false, r.entry, r.save, r.cancel)
	var pk *account.Passkey
	r.app.run(func(ctx context.Context) error {
		var err error
		pk, err = r.app.api.RenamePasskey(ctx, token, id, name)
		return err
	}, func(err error) {
		setEnabled(true, r.entry, r.save, r.cancel)
		if err != nil {
			r.app.fail(r.fb, "renaming a passkey", err)
			r.app.focus(r.entry)
			return
		}
		r.fb.clear()
		r.pk = *pk
		r.name.SetText(pk.Name)
		r.stopRename()
	})
}

func kindIcon(k account.Kind) fyne.Resource {
	switch k {
	case account.KindSecurityKey:
		return component.SecurityKeyIcon()
	case account.KindPhone:
		return component.PhoneIcon()
	case account.KindThisComputer:
		return theme.ComputerIcon()
	}
	return theme.LoginIcon()
}

// kindAndModel is a line like "Phone or tablet · iPhone — iCloud Keychain ·
// Synced": the kind, the model when known, and "Synced" when the passkey is
// backed up by its platform (the BS flag).
func kindAndModel(pk account.Passkey) string {
	s := pk.Kind.Label()
	if pk.Model != "" {
		s += " · " + pk.Model
	}
	if pk.BackedUp {
		s += " · Synced"
	}
	return s
}

// usage is a line like "Added 2 Mar 2026 · Last used 5 Mar 2026 (sign-in)".
func usage(pk account.Passkey) string {
	s := "Added " + day(pk.CreatedAt) + " · "
	if pk.LastUsedAt.IsZero() {
		return s + "Never used"
	}
	s += "Last used " + day(pk.LastUsedAt)
	if pk.LastUsedFor != "" {
		s += " (" + pk.LastUsedFor + ")"
	}
	return s
}

func day(t time.Time) string { return t.Local().Format("2 Jan 2006") }

// lostWords says that a passkey's key no longer holds it, and why.
func lostWords(pk account.Passkey) string {
	w := "Lost — the key no longer holds it"
	if pk.LostReason != "" {
		w += " (" + pk.LostReason + ", " + day(pk.LostAt) + ")"
	}
	return w
}
