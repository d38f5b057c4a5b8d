package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/passkeydesk/passkeydesk/fido"
)

// pinForm is the one form that sets or changes a PIN, used for a key's
// first PIN in the add-passkey wizard (keypin.go), this computer's first
// local PIN (thiscomputer.go) and the keys panel's Set and Change PIN
// (keypolicy.go): the current PIN when changing, the new PIN and the new
// PIN again, checked by the PIN's rules before the authenticator is
// asked. Enter moves from field to field and submits in the last. The
// form gathers the PINs; its owner does the work in save and says what
// went wrong in refused.
type pinForm struct {
	app                  *App
	current, next, again *widget.Entry // current only when changing
	again2               string
	ok                   *button

	// check applies the PIN's rules to the new PIN typed twice.
	check func(pin, again string) error
	// ready, when set, reports whether the form may be submitted now.
	ready func() bool
	// refused gets why the PINs typed were not taken (a rule, or
	// errNoCurrentPIN); nothing was sent to the authenticator.
	refused func(err error)
	// save gets the PINs that passed (current nil when setting); it owns
	// them and zeroes them once used.
	save func(current, next []byte)
}

// newPINForm makes the form; change adds the current PIN. okLabel names
// its button, againLabel the second entry of the new PIN.
func newPINForm(a *App, change bool, okLabel, againLabel string) *pinForm {
	f := &pinForm{app: a, next: widget.NewPasswordEntry(), again: widget.NewPasswordEntry(), again2: againLabel}
	if change {
		f.current = widget.NewPasswordEntry()
	}
	f.ok = newButtonWithIcon(okLabel, theme.ConfirmIcon(), f.submit)
	f.ok.Importance = widget.HighImportance
	submitOnEnter(a.win.Canvas(), f.submit, f.entries()...)
	return f
}

// entries are the form's entries, in order.
func (f *pinForm) entries() []*widget.Entry {
	if f.current != nil {
		return []*widget.Entry{f.current, f.next, f.again}
	}
	return []*widget.Entry{f.next, f.again}
}

// form lays the entries out with their labels.
func (f *pinForm) form() *widget.Form {
	var items []*widget.FormItem
	if f.current != nil {
		items = append(items, widget.NewFormItem("Current PIN", f.current))
	}
	items = append(items, widget.NewFormItem("New PIN", f.next), widget.NewFormItem(f.again2, f.again))
	return widget.NewForm(items...)
}

// first is the entry to focus.
func (f *pinForm) first() fyne.Focusable { return f.entries()[0] }

// setEnabled enables or disables the entries and the button together.
func (f *pinForm) setEnabled(on bool) {
	for _, e := range f.entries() {
		setEnabled(on, e)
	}
	setEnabled(on, f.ok)
}

// clear empties every entry.
func (f *pinForm) clear() {
	for _, e := range f.entries() {
		e.SetText("")
	}
}

func (f *pinForm) submit() {
	if f.ok.Disabled() || f.ready != nil && !f.ready() {
		return
	}
	if f.current != nil && f.current.Text == "" {
		f.refused(errNoCurrentPIN)
		f.app.focus(f.current)
		return
	}
	if err := f.check(f.next.Text, f.again.Text); err != nil {
		f.refused(err)
		return
	}
	var current []byte
	if f.current != nil {
		current = []byte(f.current.Text)
	}
	f.save(current, []byte(f.next.Text))
}

// firstPIN is the save of a first PIN on the authenticator of an
// add-passkey method (a key, this computer): set runs off the UI
// goroutine under ctx while the form waits; a PIN the authenticator
// refuses by its rules (fido.ErrPINPolicy) is said on fb and the form
// stays for another; any other failure goes to fail; once set, the form
// is emptied and next gets the PIN (which it owns). Nothing happens once
// over reports true.
type firstPIN struct {
	ctx      context.Context
	fb       *feedback
	op       string // what is being done, for the log: "setting a PIN"
	over     func() bool
	relayout func()
	set      func(ctx context.Context, pin []byte) error
	fail     func(op string, err error)
	next     func(pin []byte)
}

// saveWith makes s the form's save.
func (f *pinForm) saveWith(s firstPIN) {
	f.save = func(_, pin []byte) {
		s.fb.busy("Setting the PIN…")
		f.setEnabled(false)
		f.app.runIn(s.ctx, keyOpenTimeout, func(ctx context.Context) error {
			return s.set(ctx, pin)
		}, func(err error) {
			if s.over() {
				clear(pin)
				return
			}
			f.setEnabled(true)
			if err != nil {
				clear(pin)
				if errors.Is(err, fido.ErrPINPolicy) {
					f.app.fail(s.fb, s.op, err)
					s.relayout()
					return
				}
				s.fail(s.op, err)
				return
			}
			f.clear()
			s.next(pin)
		})
	}
}
