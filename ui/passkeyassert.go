package ui

import (
	"context"
	"encoding/json"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

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

	ctx     context.Context
	cancel  context.CancelFunc
	prompts *prompter // the PIN, touch and waiting steps; the operation under way
	// sess orders the opens and closes of the keys the flow uses: a key
	// is opened for one use and closed after it.
	sess  keySession
	ended bool
	// newPIN is a PIN the person just chose when the key forced a change
	// (forcedpin.go): it answers the next use's first PIN request.
	newPIN []byte
}

// start lists the authenticators the person can use.
func (f *assertFlow) start() {
	f.ctx, f.cancel = context.WithCancel(f.app.ctx)
	if f.prompts == nil {
		f.sess = newKeySession(f.app)
		f.prompts = &prompter{app: f.app, setStep: f.setStep,
			over: f.closed, leave: func() { f.end(fido.ErrCanceled) }}
	}
	f.prompts.showWaiting("Looking for security keys…")
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
	words := localWords
	if local == nil {
		words = promptWords{label: "your security key"}
	}
	op := f.prompts.begin(f.ctx, words, f.takeNewPIN())
	f.prompts.showWaiting("Getting the passkey ready…")
	var cands []client.Candidate
	var forced *fido.Info // the key asks for a new PIN first
	keys := f.app.keys
	before, settled := f.sess.queueKeyWork()
	f.app.runIn(op.ctx, keyCeremonyTimeout, func(ctx context.Context) error {
		defer op.release()
		defer settled()
		var dev fido.Device = local
		if local == nil {
			err := waitClosed(ctx, before)
			if err != nil {
				return err
			}
			if dev, err = keys.Open(ctx, path); err != nil {
				return err
			}
			defer f.sess.shut(dev)
		}
		opts, err := f.begin(ctx)
		if err != nil {
			return err
		}
		cands, err = f.app.client.Get(ctx, dev, opts, op.prompt)
		op.release()
		forced = forcedPINChange(ctx, dev, local == nil, err)
		if err == nil && len(cands) == 0 {
			err = fido.ErrNoCredentials
		}
		if err == nil && len(cands) == 1 {
			err = f.finish(ctx, cands[0].Credential)
		}
		return err
	}, func(err error) {
		err = f.prompts.finish(op, err)
		if f.ended {
			return
		}
		if forced != nil {
			f.showForcedPINChange(path, forced)
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

// closed reports whether the flow has ended, asking stillOpen first
// (on the UI goroutine) and ending the flow with its error when it has
// one. The prompt room asks it before each PIN and touch step.
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

func (f *assertFlow) pick(c client.Candidate) {
	f.prompts.showWaiting("Checking the passkey…")
	f.app.runIn(f.ctx, callTimeout, func(ctx context.Context) error {
		return f.finish(ctx, c.Credential)
	}, func(err error) {
		if !f.ended {
			f.end(err)
		}
	})
}

// end finishes the flow once.
func (f *assertFlow) end(err error) {
	if f.stop() {
		f.done(err)
	}
}

// abandon ends the flow without reporting, when its screen goes away.
func (f *assertFlow) abandon() { f.stop() }

// stop ends the flow and any key operation under way; false if it had
// already ended.
func (f *assertFlow) stop() bool {
	if f.ended {
		return false
	}
	f.ended = true
	f.prompts.cancel(fido.ErrCanceled)
	if f.cancel != nil {
		f.cancel()
	}
	return true
}

// canceled reports whether err is the person cancelling.
func canceled(err error) bool {
	return errors.Is(err, fido.ErrCanceled) || errors.Is(err, context.Canceled)
}
