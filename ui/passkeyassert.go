package ui

import (
	"context"
	"encoding/json"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
)

// assertFlow uses a passkey the account already has: the person picks a
// plugged security key or this computer, the account service's request
// options go through the WebAuthn client to it (asking for its PIN and a
// touch, each step with a Cancel that cancels the key's operation), and
// when the key holds several accounts of this service the person picks
// one. Only the chosen assertion reaches finish.
//
// The flow shows its steps through setStep and ends with done, once, on
// the UI goroutine. Sign-in, approvals and removal all use it.
type assertFlow struct {
	app *App
	// what says what the passkey is used for, as in "to sign in".
	what string
	// begin gets the request options; finish sends the chosen assertion.
	// Both run off the UI goroutine.
	begin  func(ctx context.Context) (json.RawMessage, error)
	finish func(ctx context.Context, assertion json.RawMessage) error
	// setStep shows the flow's current step; done ends it (err nil: the
	// assertion was accepted).
	setStep func(objs []fyne.CanvasObject, focus fyne.Focusable)
	done    func(err error)
	// stillOpen, when set, is asked on the UI goroutine as the choice of
	// keys is shown, as the person picks one, and again as each of the
	// key's steps (PIN, touch) starts: an error (an approval that expired meanwhile) ends the flow
	// with it before anything is asked of the person.
	stillOpen func() error

	ctx    context.Context
	cancel context.CancelFunc
	op     context.CancelCauseFunc // the key operation under way, or nil
	ended  bool
}

// start lists the authenticators the person can use.
func (f *assertFlow) start() {
	f.ctx, f.cancel = context.WithCancel(f.app.ctx)
	f.showWaiting("Looking for security keys…")
	var list []fido.DeviceInfo
	keys := f.app.keys
	f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
		if keys == nil {
			return nil
		}
		var err error
		list, err = keys.Devices(ctx)
		return err
	}, func(err error) {
		if f.ended {
			return
		}
		if err != nil {
			f.end(err)
			return
		}
		if f.closed() {
			return
		}
		f.showChoices(list)
	})
}

// intro says what to choose; signed out, also why no email is asked for.
func (f *assertFlow) intro() string {
	if f.app.token != "" {
		return "Choose where your passkey is."
	}
	return "Choose where your passkey is. No email is needed: the passkey says which account it is for."
}

// showChoices offers each plugged key and this computer.
func (f *assertFlow) showChoices(list []fido.DeviceInfo) {
	objs := []fyne.CanvasObject{
		heading("Use a passkey " + f.what),
		paragraph(f.intro()),
	}
	var first fyne.Focusable
	for _, d := range list {
		d := d
		b := newButtonWithIcon(keyLabel(d), theme.LoginIcon(), func() { f.use(d.Path, nil) })
		objs = append(objs, b)
		if first == nil {
			first = b
		}
	}
	if f.app.thisComputer != nil {
		b := newButtonWithIcon("This computer", theme.ComputerIcon(), func() { f.use("", f.app.thisComputer) })
		objs = append(objs, b)
		if first == nil {
			first = b
		}
	}
	if first == nil {
		objs = append(objs, infoLine("No security key is plugged in. Plug one in and look again."))
	}
	again := newButtonWithIcon("Look again", theme.ViewRefreshIcon(), f.restart)
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { f.end(fido.ErrCanceled) })
	objs = append(objs, container.NewHBox(again, cancel))
	if first == nil {
		first = again
	}
	f.setStep(objs, first)
}

func (f *assertFlow) restart() {
	if f.cancel != nil {
		f.cancel()
	}
	f.start()
}

// use runs the assertion on the key at path, or on local when set.
func (f *assertFlow) use(path string, local ThisComputer) {
	if f.closed() {
		return
	}
	opCtx, cancel := context.WithCancelCause(f.ctx)
	f.op = cancel
	f.showWaiting("Getting the passkey ready…")
	wait := &userWait{app: f.app}
	label := "your security key"
	prompt := fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			return f.askPIN(ctx, wait, req, local != nil)
		},
		Touch: func() {
			if local != nil {
				return
			}
			wait.show(func() {
				if f.op != nil && !f.ended && opCtx.Err() == nil && !f.closed() {
					f.showTouch(label)
				}
			})
			wait.park()
		},
	}
	var cands []client.Candidate
	keys := f.app.keys
	f.app.runIn(opCtx, keyCeremonyTimeout, func(ctx context.Context) error {
		var dev fido.Device = local
		if local == nil {
			var err error
			if dev, err = keys.Open(ctx, path); err != nil {
				return err
			}
			defer dev.Close()
		}
		opts, err := f.begin(ctx)
		if err != nil {
			return err
		}
		cands, err = f.app.client.Get(ctx, dev, opts, prompt)
		wait.resume()
		if err == nil && len(cands) == 0 {
			err = fido.ErrNoCredentials
		}
		if err == nil && len(cands) == 1 {
			err = f.finish(ctx, cands[0].Credential)
		}
		return err
	}, func(err error) {
		f.op = nil
		cancel(nil)
		if f.ended {
			return
		}
		if err != nil || len(cands) == 1 {
			f.end(err)
			return
		}
		f.showAccounts(cands)
	})
}

// showAccounts lets the person pick one of the accounts the key holds.
func (f *assertFlow) showAccounts(cands []client.Candidate) {
	objs := []fyne.CanvasObject{
		heading("Choose an account"),
		paragraph("This passkey holder has passkeys for several accounts of this service. Choose the one to use."),
	}
	var first fyne.Focusable
	for _, c := range cands {
		c := c
		name := c.User.Name
		if c.User.DisplayName != "" && c.User.DisplayName != name {
			name = c.User.DisplayName + " (" + name + ")"
		}
		if name == "" {
			name = "An unnamed account"
		}
		b := newButtonWithIcon(name, theme.AccountIcon(), func() { f.pick(c) })
		objs = append(objs, b)
		if first == nil {
			first = b
		}
	}
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { f.end(fido.ErrCanceled) })
	objs = append(objs, container.NewHBox(cancel))
	f.setStep(objs, first)
}

func (f *assertFlow) pick(c client.Candidate) {
	f.showWaiting("Checking the passkey…")
	f.app.runIn(f.ctx, callTimeout, func(ctx context.Context) error {
		return f.finish(ctx, c.Credential)
	}, func(err error) {
		if !f.ended {
			f.end(err)
		}
	})
}

// closed asks stillOpen, on the UI goroutine, and ends the flow with its
// error: it reports whether the flow has ended.
func (f *assertFlow) closed() bool {
	if f.ended {
		return true
	}
	if f.stillOpen == nil {
		return false
	}
	if err := f.stillOpen(); err != nil {
		f.end(err)
		return true
	}
	return false
}

// askPIN runs on the operation's goroutine: it shows the PIN step and
// waits for the answer or for ctx to end.
func (f *assertFlow) askPIN(ctx context.Context, wait *userWait, req fido.PINRequest, local bool) ([]byte, error) {
	type answer struct {
		pin []byte
		err error
	}
	ch := make(chan answer, 1)
	wait.show(func() {
		if f.ended || ctx.Err() != nil || f.closed() {
			return
		}
		f.showPIN(req, local, func(pin []byte, err error) {
			wait.resume()
			ch <- answer{pin, err}
		})
	})
	wait.park()
	select {
	case a := <-ch:
		return a.pin, a.err
	case <-ctx.Done():
		wait.resume()
		return nil, ctx.Err()
	}
}

func (f *assertFlow) showPIN(req fido.PINRequest, local bool, reply func([]byte, error)) {
	answered := false
	answer := func(pin []byte, err error) {
		if !answered {
			answered = true
			reply(pin, err)
		}
	}
	pin := widget.NewPasswordEntry()
	submit := func() {
		if pin.Text == "" || answered {
			return
		}
		p := []byte(pin.Text)
		pin.SetText("")
		f.showWaiting("Checking the PIN…")
		answer(p, nil)
	}
	pin.OnSubmitted = func(string) { submit() }
	ok := newButtonWithIcon("Continue", theme.ConfirmIcon(), submit)
	ok.Importance = widget.HighImportance
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		answer(nil, fido.ErrCanceled)
		f.cancelOp()
	})
	var objs []fyne.CanvasObject
	if local {
		pin.SetPlaceHolder("PIN for this computer's passkeys")
		objs = append(objs, heading("Enter the PIN for this computer"),
			paragraph("Type the PIN you chose for this computer's passkeys. It stays on this computer."))
	} else {
		pin.SetPlaceHolder("PIN of your security key")
		objs = append(objs, heading("Enter your key's PIN"),
			paragraph("Type the PIN of your security key. It unlocks the key and is never sent to the account service."))
	}
	if req.Wrong {
		fb := newFeedback()
		if local {
			fb.show(describe(&localPINError{Retries: req.Retries}))
		} else {
			fb.show(describe(&fido.PINError{Retries: req.Retries}))
		}
		objs = append(objs, fb.object())
	} else if !local && req.Retries > 0 && req.Retries <= 3 {
		objs = append(objs, infoLine(retriesWords(req.Retries)+" left before the PIN is blocked."))
	}
	objs = append(objs, widget.NewForm(widget.NewFormItem("PIN", pin)), container.NewHBox(ok, cancel))
	f.setStep(objs, pin)
}

// showTouch is the step while the key waits for a touch.
func (f *assertFlow) showTouch(label string) {
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.cancelOp)
	act := widget.NewActivity()
	act.Start()
	f.setStep([]fyne.CanvasObject{
		container.NewHBox(heading("Touch your key"), act),
		paragraph("Touch the button or metal contact of " + label + " now. If it has a light, it is blinking."),
		container.NewHBox(cancel),
	}, cancel)
}

func (f *assertFlow) showWaiting(text string) {
	fb := newFeedback()
	fb.busy(text)
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if f.op != nil {
			f.cancelOp()
		} else {
			f.end(fido.ErrCanceled)
		}
	})
	f.setStep([]fyne.CanvasObject{fb.object(), container.NewHBox(cancel)}, cancel)
}

// cancelOp cancels the key operation under way: libfido2 sends
// CTAPHID_CANCEL until the key gives up. Nothing here waits.
func (f *assertFlow) cancelOp() {
	if f.op != nil {
		f.op(fido.ErrCanceled)
	}
}

// end finishes the flow once.
func (f *assertFlow) end(err error) {
	if f.ended {
		return
	}
	f.ended = true
	f.cancelOp()
	if f.cancel != nil {
		f.cancel()
	}
	f.done(err)
}

// abandon ends the flow without reporting, when its screen goes away.
func (f *assertFlow) abandon() {
	if f.ended {
		return
	}
	f.ended = true
	f.cancelOp()
	if f.cancel != nil {
		f.cancel()
	}
}

// canceled reports whether err is the person cancelling.
func canceled(err error) bool {
	return errors.Is(err, fido.ErrCanceled) || errors.Is(err, context.Canceled)
}
