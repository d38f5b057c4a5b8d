package ui

import (
	"context"
	"errors"
	"os"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// thisComputerChoice is the wizard's "This computer" button with a strip
// under it. The button stays disabled while the authenticator's Check runs
// and, when Check finds it unusable, the strip says why and what to do.
func (s *addPasskeyScreen) thisComputerChoice() (*button, fyne.CanvasObject) {
	b := newButtonWithIcon("This computer", theme.ComputerIcon(), s.addThisComputer)
	b.Disable()
	fb := newFeedback()
	fb.busy("Checking this computer's passkey store…")
	dev := s.app.thisComputer
	s.app.run(func(ctx context.Context) error {
		return dev.Check(ctx)
	}, func(err error) {
		if err != nil {
			s.app.log.Warn("this computer's passkeys cannot be used", "err", err)
			fb.show(describe(err))
		} else {
			fb.clear()
			b.Enable()
		}
		s.relayout()
	})
	return b, fb.object()
}

// addThisComputer starts the this-computer method.
func (s *addPasskeyScreen) addThisComputer() {
	f := &thisComputerFlow{app: s.app, wizard: s, grant: s.grant.Token, dev: s.app.thisComputer}
	f.ctx, f.stop = context.WithCancel(s.app.ctx)
	f.prompts = &prompter{app: s.app, setStep: f.setStep, over: f.over, leave: f.leave}
	s.local = f
	f.start()
}

// thisComputerFlow is the "This computer" method of the add-passkey
// wizard: on first use it sets the local PIN (typed twice), then the
// account service's creation options go through the WebAuthn client to
// the platform authenticator, which asks for the local PIN (unless it was
// just set); the new passkey is named ("<hostname> — this computer") and
// saved as kind "This computer". Work runs through App.runIn; fields are
// read and written on the UI goroutine only.
type thisComputerFlow struct {
	app    *App
	wizard *addPasskeyScreen
	grant  string
	dev    ThisComputer

	ctx  context.Context // ends with the flow
	stop context.CancelFunc

	ended   bool
	prompts *prompter // the PIN and waiting steps; the registration under way

	newPIN, repeatPIN *widget.Entry // the set-PIN step's entries, while on display
	made              *madePasskey  // the passkey this computer has made, from the name step on
}

// start reads whether the local PIN is set and goes on to set it or to
// register.
func (f *thisComputerFlow) start() {
	f.prompts.showWaiting("Opening this computer's passkey store…")
	var pin fido.PINState
	f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
		var err error
		pin, err = f.dev.PINState(ctx)
		return err
	}, func(err error) {
		switch {
		case f.ended:
		case err != nil:
			f.fail("opening this computer's passkeys", err)
		case !pin.Set:
			f.showSetPIN()
		default:
			f.register(nil)
		}
	})
}

// showSetPIN asks for the first local PIN, typed twice.
func (f *thisComputerFlow) showSetPIN() {
	form := newPINForm(f.app, false, "Set PIN", "Repeat PIN")
	f.newPIN, f.repeatPIN = form.next, form.again
	fb := newFeedback()
	form.check = checkLocalPIN
	form.refused = func(err error) {
		f.app.fail(fb, "setting the local PIN", err)
		form.again.SetText("")
		f.app.focus(form.next)
		f.relayout()
	}
	form.saveWith(firstPIN{ctx: f.ctx, fb: fb, op: "setting the local PIN", over: f.over, relayout: f.relayout,
		set: f.dev.SetPIN, fail: f.fail, next: f.register})
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	f.setStep([]fyne.CanvasObject{
		heading("Choose a PIN for this computer's passkeys"),
		paragraph("Passkey Desk asks for this PIN whenever a passkey on this computer is used, so someone else at this computer cannot use it. Use at least " + strconv.Itoa(localMinPINLength) + " digits."),
		form.form(),
		container.NewHBox(form.ok, cancel),
		fb.object(),
	}, form.first())
}

// register makes the passkey. newPIN, when set, is the PIN just set: it
// answers the first PIN request and is zeroed after.
func (f *thisComputerFlow) register(newPIN []byte) {
	makePasskey(f.prompts, f.ctx, localWords, newPIN, f.dev, f.grant, account.KindThisComputer, func(cred []byte, err error) {
		if err != nil {
			f.fail("adding this computer", err)
			return
		}
		f.showName(cred)
	})
}

// showName shows the name step of the passkey this computer has made.
func (f *thisComputerFlow) showName(cred []byte) {
	f.made = &madePasskey{app: f.app, token: f.app.token, grant: f.grant, cred: cred, def: thisComputerName()}
	showNameStep(f, f.wizard, f.made, "This computer")
}

// over implements namingFlow.
func (f *thisComputerFlow) over() bool { return f.ended }

// thisComputerName is the name suggested for a passkey on this computer.
func thisComputerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "This computer"
	}
	return host + " — this computer"
}

// fail shows why the attempt ended, with Try again, another way and
// Cancel. The
// account is unchanged: a passkey is only stored by the name step's Save.
func (f *thisComputerFlow) fail(op string, err error) {
	if errors.Is(err, account.ErrGrantRequired) || errors.Is(err, account.ErrVerificationExpired) {
		f.end()
		f.wizard.begin(err)
		return
	}
	if canceled(err) {
		// In words of its own: fido.ErrCanceled speaks of a security key.
		err = context.Canceled
	}
	fb := newFeedback()
	again := newButtonWithIcon("Try again", theme.ViewRefreshIcon(), f.start)
	again.Importance = widget.HighImportance
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	f.setStep([]fyne.CanvasObject{fb.object(), container.NewHBox(again, f.wizard.anotherWay(), cancel)}, again)
	f.app.fail(fb, op, err)
	f.relayout()
}

func (f *thisComputerFlow) setStep(objs []fyne.CanvasObject, focus fyne.Focusable) {
	head := []fyne.CanvasObject{headingText("Add a passkey"), heading("Step 3 of 3: add this computer")}
	f.wizard.setStep(page(append(head, objs...)...), focus)
}

func (f *thisComputerFlow) relayout() {
	if !f.ended {
		f.wizard.relayout()
	}
}

// end stops the flow and any registration under way.
func (f *thisComputerFlow) end() {
	if f.ended {
		return
	}
	f.ended = true
	f.prompts.cancel(fido.ErrCanceled)
	f.stop()
	f.made.keepIfLeft()
}

// leave ends the flow and goes back to the passkeys list.
func (f *thisComputerFlow) leave() {
	f.end()
	f.wizard.leave()
}

// madeOn implements namingFlow.
func (f *thisComputerFlow) madeOn() string { return "this computer" }

// deleteMade implements namingFlow: this computer deletes a passkey
// without its PIN.
func (f *thisComputerFlow) deleteMade(id []byte, done func(error)) {
	f.prompts.showWaiting("Deleting the passkey from this computer…")
	f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
		err := f.dev.DeleteCredential(ctx, id)
		if errors.Is(err, fido.ErrNoCredentials) {
			return nil
		}
		return err
	}, done)
}
