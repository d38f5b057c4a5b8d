package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// thisComputerSettings is the "This computer" part of Settings, shown when
// the app has the this-computer method: whether the local PIN is set, a
// form to change it (the current PIN first; a wrong one says the tries
// left), and "Start over", which deletes every passkey kept on this
// computer and the PIN after a warning that names the account's passkeys
// that stop working. Work runs through App.run; fields are read and
// written on the UI goroutine only.
type thisComputerSettings struct {
	app *App
	dev ThisComputer

	status *widget.Label
	note   *widget.Label // what just changed, in green
	body   *fyne.Container
	fb     *feedback
	closed bool

	// The change-PIN form, while on display.
	current, newPIN, repeatPIN *widget.Entry
}

func newThisComputerSettings(a *App) *thisComputerSettings {
	return &thisComputerSettings{app: a, dev: a.thisComputer, fb: newFeedback()}
}

// close stops answers of work under way from changing a Settings that is
// gone.
func (p *thisComputerSettings) close() { p.closed = true }

func (p *thisComputerSettings) build() fyne.CanvasObject {
	p.status = paragraph("")
	p.note = paragraph("")
	p.note.Importance = widget.SuccessImportance
	p.note.Hide()
	p.body = container.NewVBox()
	p.load(nil)
	return container.NewVBox(heading("This computer"), p.status, p.note, p.body, p.fb.object())
}

// load reads whether the PIN is set and shows the part's buttons, and
// then problem, when not nil.
func (p *thisComputerSettings) load(problem error) {
	p.fb.busy("Opening this computer's passkey store…")
	p.body.RemoveAll()
	var st fido.PINState
	p.app.run(func(ctx context.Context) error {
		var err error
		st, err = p.dev.PINState(ctx)
		return err
	}, func(err error) {
		if p.closed {
			return
		}
		p.fb.clear()
		change := newButtonWithIcon("Change PIN…", theme.DocumentCreateIcon(), p.showChange)
		start := newButtonWithIcon("Start over…", theme.WarningIcon(), p.showStartOver)
		start.Importance = widget.DangerImportance
		switch {
		case err != nil:
			p.status.SetText("Passkeys made on this computer are kept here, sealed with a key in the system keyring and your local PIN.")
			p.app.fail(p.fb, "opening this computer's passkeys", err)
			change.Disable()
		case st.Set:
			p.status.SetText("Passkeys made on this computer are kept here, sealed with a key in the system keyring and your local PIN. They ask for the PIN each time they are used.")
		default:
			p.status.SetText("No passkey is kept on this computer yet. Its PIN is chosen when you add this computer as a passkey.")
			change.Disable()
		}
		p.body.Add(container.NewHBox(change, start))
		if err == nil && problem != nil {
			p.app.fail(p.fb, "starting over on this computer", problem)
		}
		p.relayout()
	})
}

// showChange shows the change-PIN form.
func (p *thisComputerSettings) showChange() {
	p.note.Hide()
	p.fb.clear()
	p.current, p.newPIN, p.repeatPIN = widget.NewPasswordEntry(), widget.NewPasswordEntry(), widget.NewPasswordEntry()
	cur, pin, again := p.current, p.newPIN, p.repeatPIN
	var save *button
	submit := func() {
		if save.Disabled() || cur.Text == "" {
			return
		}
		if err := checkLocalPIN(pin.Text, again.Text); err != nil {
			p.app.fail(p.fb, "changing the local PIN", err)
			again.SetText("")
			p.app.focus(pin)
			p.relayout()
			return
		}
		old, nw := []byte(cur.Text), []byte(pin.Text)
		p.fb.busy("Changing the PIN…")
		setEnabled(false, cur, pin, again, save)
		p.app.run(func(ctx context.Context) error {
			defer clear(old)
			defer clear(nw)
			return p.dev.ChangePIN(ctx, old, nw)
		}, func(err error) {
			if p.closed {
				return
			}
			setEnabled(true, cur, pin, again, save)
			var wrong *fido.PINError
			switch {
			case errors.As(err, &wrong):
				p.app.fail(p.fb, "changing the local PIN", &localPINError{Retries: wrong.Retries})
				cur.SetText("")
				p.app.focus(cur)
			case err != nil:
				p.app.fail(p.fb, "changing the local PIN", err)
			default:
				p.changed("The PIN for this computer's passkeys is changed. Use the new one from now on.")
			}
			p.relayout()
		})
	}
	save = newButtonWithIcon("Change PIN", theme.ConfirmIcon(), submit)
	save.Importance = widget.HighImportance
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { p.load(nil) })
	submitOnEnter(p.app.win.Canvas(), submit, cur, pin, again)
	p.body.RemoveAll()
	p.body.Add(headingText("Change the PIN"))
	p.body.Add(paragraph("Type the PIN you use now, then the new one twice: at least " + strconv.Itoa(localMinPINLength) + " digits."))
	p.body.Add(widget.NewForm(
		widget.NewFormItem("Current PIN", cur),
		widget.NewFormItem("New PIN", pin),
		widget.NewFormItem("Repeat new PIN", again),
	))
	p.body.Add(container.NewHBox(save, cancel))
	p.relayout()
	p.app.focus(cur)
}

// showStartOver warns what starting over does, naming the account's
// passkeys made on this computer, before it is done.
func (p *thisComputerSettings) showStartOver() {
	p.note.Hide()
	p.fb.busy("Reading your passkeys…")
	p.body.RemoveAll()
	token := p.app.token
	var list []account.Passkey
	p.app.run(func(ctx context.Context) error {
		var err error
		list, err = p.app.api.Passkeys(ctx, token)
		return err
	}, func(err error) {
		if p.closed {
			return
		}
		p.fb.clear()
		if err != nil {
			p.app.fail(p.fb, "reading passkeys", err)
		}
		var mine []account.Passkey
		for _, pk := range list {
			if pk.Kind == account.KindThisComputer {
				mine = append(mine, pk)
			}
		}
		p.body.Add(headingText("Start over on this computer"))
		warn := paragraph("Starting over deletes every passkey kept on this computer, with its private key, and the local PIN. Those passkeys stop working for good, and must then be removed from your account. This cannot be undone.")
		warn.Importance = widget.WarningImportance
		p.body.Add(warn)
		if len(mine) > 0 {
			p.body.Add(paragraph("These passkeys of your account are kept on this computer and will stop working:"))
			for _, pk := range mine {
				p.body.Add(paragraph("• " + pk.Name))
			}
		}
		p.body.Add(paragraph("Use it when you forgot the PIN, or before you give this computer away. Make sure you can still sign in another way first."))
		yes := newButtonWithIcon("Delete this computer's passkeys", theme.DeleteIcon(), func() { p.startOver(mine) })
		yes.Importance = widget.DangerImportance
		cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { p.load(nil) })
		p.body.Add(container.NewHBox(yes, cancel))
		p.relayout()
		p.app.focus(cancel)
	})
}

// startOver deletes this computer's passkeys and PIN; mine are the
// account's passkeys that stop working.
func (p *thisComputerSettings) startOver(mine []account.Passkey) {
	p.fb.busy("Deleting this computer's passkeys…")
	p.body.RemoveAll()
	var aside string
	p.app.run(func(ctx context.Context) error {
		var err error
		aside, err = p.dev.StartOver(ctx)
		return err
	}, func(err error) {
		if p.closed {
			return
		}
		if err != nil {
			p.load(err)
			return
		}
		note := "This computer's passkeys and its PIN are deleted."
		if aside != "" {
			note = "This computer's passkey store, which could not be opened, is set aside as " + filepath.Base(aside) + " in the data folder, and this computer starts afresh."
		}
		names := make([]string, len(mine))
		for i, pk := range mine {
			names[i] = "\u201c" + pk.Name + "\u201d"
		}
		switch len(mine) {
		case 0:
		case 1:
			note += " Remove " + names[0] + " in Passkeys: it no longer works."
		default:
			note += " Remove " + strings.Join(names, ", ") + " in Passkeys: they no longer work."
		}
		p.app.log.Info("this computer started over", "passkeys", len(mine))
		p.changed(note)
	})
}

// relayout lays the page out again after the part changed size. (The
// real driver would on the next frame; Fyne's test canvas does not.)
func (p *thisComputerSettings) relayout() {
	p.app.win.Content().Refresh()
}

// changed shows note and the part's buttons again.
func (p *thisComputerSettings) changed(note string) {
	p.load(nil)
	p.note.SetText(note)
	p.note.Show()
	p.relayout()
}
