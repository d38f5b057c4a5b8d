package ui

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

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
// The keys are followed for the whole flow, as in the add-passkey wizard
// and the key panel: the choice shows keys as they are plugged in and
// pulled out, offers to pick one by touch when there are several, and a
// key pulled out during its PIN or touch step ends only that step, with
// "Key removed", back on the choice.
//
// The flow shows its steps through setStep and ends with done, once, on
// the UI goroutine. Sign-in, approvals and identity checks (removal, the
// wizard's check) all use it.
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

	// The keys plugged in, followed for the whole flow (watchKeys): the
	// choice shows them as they come and go, and an operation on a key
	// that is pulled out ends as fido.ErrKeyRemoved.
	devices []fido.DeviceInfo
	stage   assertStage
	using   string           // path of the key the operation under way uses
	pick    flowPick         // the pick by touch among several keys
	fb      *feedback        // on the choice: why the last attempt ended
	focus   []fyne.Focusable // the choice's buttons on display
}

// assertStage is the step an assertFlow is at.
type assertStage int

const (
	stageLooking  assertStage = iota // the first listing of the keys
	stageChoose                      // the choice of authenticators
	stagePicking                     // the keys wait for a touch that picks one
	stageUsing                       // the assertion under way on one authenticator
	stageAccounts                    // the choice of accounts, then the check
)

// start follows the keys plugged in and shows the choice of
// authenticators.
func (f *assertFlow) start() {
	f.ctx, f.cancel = context.WithCancel(f.app.ctx)
	f.sess = newKeySession(f.app)
	f.prompts = &prompter{app: f.app, setStep: f.setStep,
		over: f.closed, leave: func() { f.end(fido.ErrCanceled) }}
	f.pick = flowPick{app: f.app, sess: &f.sess}
	f.fb = newFeedback()
	if f.app.keys == nil {
		f.stage = stageChoose
		if !f.closed() {
			f.showChoices()
		}
		return
	}
	f.stage = stageLooking
	f.prompts.showWaiting("Looking for security keys…")
	f.app.watchKeys(f.ctx, func() bool { return f.ended }, f.setDevices, func(err error) {
		f.app.fail(f.fb, "listing security keys", err)
		f.setDevices(nil)
	})
}

// setDevices takes a new listing of the keys: the choice shows it, a
// pick with fewer than two keys left ends, and the operation on a key
// that is gone ends as fido.ErrKeyRemoved.
func (f *assertFlow) setDevices(list []fido.DeviceInfo) {
	same := f.stage == stageChoose && slices.Equal(list, f.devices)
	f.devices = list
	if same {
		return // the watch's first listing repeats the first listing
	}
	present := func(path string) bool {
		return slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == path })
	}
	switch f.stage {
	case stageLooking, stageChoose:
		f.stage = stageChoose
		if !f.closed() {
			f.showChoices()
		}
	case stagePicking:
		if len(list) < 2 {
			f.pick.end()
		}
	case stageUsing:
		if f.using != "" && !present(f.using) {
			f.prompts.cancel(fido.ErrKeyRemoved)
		}
	}
}

// intro says what to choose; signed out, also why no email is asked for.
func (f *assertFlow) intro() string {
	if f.app.token != "" {
		return "Choose where your passkey is."
	}
	return "Choose where your passkey is. No email is needed: the passkey says which account it is for."
}

// showChoices offers each plugged key and this computer, and with
// several keys the pick by touch. It is drawn again as keys come and go;
// the keyboard focus moves to the new first choice only when it was on a
// choice that is gone.
func (f *assertFlow) showChoices() {
	objs := []fyne.CanvasObject{
		heading("Use a passkey " + f.what),
		paragraph(f.intro()),
	}
	var focus []fyne.Focusable
	labels := keyLabels(f.devices)
	for i, d := range f.devices {
		path := d.Path
		b := newButtonWithIcon(labels[i], theme.LoginIcon(), func() { f.use(path, nil) })
		objs = append(objs, b)
		focus = append(focus, b)
	}
	if len(f.devices) > 1 {
		pick := newButtonWithIcon("Pick by touch", theme.SearchIcon(), f.startPick)
		objs = append(objs, container.NewHBox(pick),
			paragraph("Not sure which key holds the passkey? Pick by touch, then touch the key you mean."))
		focus = append(focus, pick)
	}
	if f.app.thisComputer != nil {
		b := newButtonWithIcon("This computer", theme.ComputerIcon(), func() { f.use("", f.app.thisComputer) })
		objs = append(objs, b)
		focus = append(focus, b)
	}
	if f.app.keys != nil && len(f.devices) == 0 {
		objs = append(objs, infoLine("No security key is plugged in. Plug one in: it shows here as soon as it is."))
	}
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() { f.end(fido.ErrCanceled) })
	objs = append(objs, container.NewHBox(cancel), f.fb.object())
	focus = append(focus, cancel)
	var first fyne.Focusable
	if now := f.app.win.Canvas().Focused(); now == nil || slices.Contains(f.focus, now) {
		first = focus[0]
	}
	f.focus = focus
	f.setStep(objs, first)
}

// backToChoice ends the step under way on the choice; err, unless nil,
// says why there.
func (f *assertFlow) backToChoice(err error) {
	f.stage = stageChoose
	f.focus = nil // the step's focus is gone with it
	f.fb.clear()
	if err != nil {
		f.app.fail(f.fb, "using a passkey", err)
	}
	if !f.closed() {
		f.showChoices()
	}
}

// startPick asks every key plugged in for a touch; the one touched is
// used.
func (f *assertFlow) startPick() {
	if f.closed() || f.stage != stageChoose || len(f.devices) < 2 {
		return
	}
	f.stage = stagePicking
	f.fb.clear()
	show := func() {
		if !f.closed() && f.stage == stagePicking {
			f.setStep(f.pick.pickStep("that holds your passkey"))
		}
	}
	f.pick.start(f.ctx, pickPaths(f.devices), show, func(path string, err error) {
		if f.ended {
			return
		}
		switch {
		case err == nil:
			f.stage = stageChoose
			f.use(path, nil)
		case canceled(err):
			f.backToChoice(nil)
		default:
			f.backToChoice(err)
		}
	})
	show()
}

// use runs the assertion on the key at path, or on local when set.
func (f *assertFlow) use(path string, local ThisComputer) {
	if f.closed() || f.stage != stageChoose {
		return
	}
	f.stage = stageUsing
	f.fb.clear()
	words := localWords
	if local == nil {
		words = promptWords{label: "your security key"}
		f.using = path
	}
	op := f.prompts.begin(f.ctx, words, f.takeNewPIN())
	f.prompts.showWaiting("Getting the passkey ready…")
	var (
		cands []client.Candidate
		// answered: the key's part is over (set by the worker).
		answered bool
		forced   *fido.Info // the key asks for a new PIN first
	)
	keys, flowCtx := f.app.keys, f.ctx
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
		answered = err == nil
		if err == nil && len(cands) == 0 {
			err = fido.ErrNoCredentials
		}
		if err == nil && len(cands) == 1 {
			// The key has answered: pulling it out now must not cut
			// the service's check short, so that runs in the flow's
			// context, not the key operation's.
			fctx, cancel := context.WithTimeout(flowCtx, callTimeout)
			defer cancel()
			err = f.finish(fctx, cands[0].Credential)
		}
		return err
	}, func(err error) {
		if mapped := f.prompts.finish(op, err); !answered {
			err = mapped
		}
		f.using = ""
		if f.ended {
			return
		}
		if forced != nil {
			f.showForcedPINChange(path, forced)
			return
		}
		if errors.Is(err, fido.ErrKeyRemoved) {
			// The key went before it answered: only this step ends.
			f.backToChoice(err)
			return
		}
		if err != nil || len(cands) == 1 {
			f.end(err)
			return
		}
		f.stage = stageAccounts
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
		b := newButtonWithIcon(name, theme.AccountIcon(), func() { f.pickAccount(c) })
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

func (f *assertFlow) pickAccount(c client.Candidate) {
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
	f.pick.stop()
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
