package ui

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// keyFlow is the "Security key" method of the add-passkey wizard: choose a
// plugged-in key (this file), set its first PIN if it has none
// (keypin.go), enter its PIN and touch it while the account service's
// registration options go through the WebAuthn client (keytouch.go), then
// name the new passkey and save it (namestep.go).
//
// The key list is watched for the whole flow: a key pulled out during an
// operation ends the operation at once with fido.ErrKeyRemoved. Every key
// and service call runs off the UI goroutine through App.runIn; the
// fields below are read and written on the UI goroutine only.
type keyFlow struct {
	app    *App
	wizard *addPasskeyScreen
	grant  string

	ctx  context.Context // ends with the flow
	stop context.CancelFunc

	ended   bool
	devices []fido.DeviceInfo // the keys plugged in, as last seen
	watched bool              // devices holds a listing

	list *keyListStep // the key list, while on display
	made *madePasskey // the passkey the key has made, from the name step on

	chosen  fido.DeviceInfo
	sess    keySession // the opened key (sess.dev), or none; closes in order
	info    *fido.Info // the opened key's getInfo
	prompts *prompter  // the PIN, touch and waiting steps; the operation under way
	pick    flowPick   // the pick by touch among several keys
}

func newKeyFlow(w *addPasskeyScreen, grant string) *keyFlow {
	f := &keyFlow{app: w.app, wizard: w, grant: grant, sess: newKeySession(w.app)}
	f.ctx, f.stop = context.WithCancel(w.app.ctx)
	f.prompts = &prompter{app: w.app, setStep: f.setStep, over: f.over, leave: f.leave}
	f.pick = flowPick{app: w.app, sess: &f.sess}
	return f
}

// start lists the keys and shows the list, then keeps it current.
func (f *keyFlow) start() {
	f.showList()
	f.app.watchKeys(f.ctx, f.over, f.setDevices, func(err error) {
		f.app.fail(f.list.fb, "listing security keys", err)
		f.relayout()
	})
}

// setDevices takes a new key listing: the list step shows it, and an
// operation on a key that is gone ends as fido.ErrKeyRemoved.
func (f *keyFlow) setDevices(list []fido.DeviceInfo) {
	f.devices, f.watched = list, true
	if f.prompts.busy() && !slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == f.chosen.Path }) {
		f.prompts.cancel(fido.ErrKeyRemoved)
	}
	if f.pick.active() && len(list) < 2 {
		f.pick.end()
	}
	if f.list != nil {
		f.list.update(list)
	}
}

// end stops the flow: the watch, any operation, and the open key.
func (f *keyFlow) end() {
	if f.ended {
		return
	}
	f.ended = true
	f.pick.stop()
	f.stop()
	f.closeKey()
	f.made.keepIfLeft()
}

// closeKey closes the opened key, if any, off the UI goroutine (Close
// waits for a cancelled operation to end); the next open waits for it,
// at most keyCloseWait.
func (f *keyFlow) closeKey() {
	f.info = nil
	f.sess.closeKey(f.sess.take())
}

// fail ends the attempt on the chosen key and shows why on the key list,
// where the user can try again or leave. The account is unchanged: a
// passkey is only stored by the name step's Save.
func (f *keyFlow) fail(op string, err error) {
	if errors.Is(err, account.ErrGrantRequired) || errors.Is(err, account.ErrVerificationExpired) {
		f.end()
		f.wizard.begin(err)
		return
	}
	f.closeKey()
	f.showList()
	f.app.fail(f.list.fb, op, err)
	f.relayout()
}

// setStep shows one step of the flow.
func (f *keyFlow) setStep(objs []fyne.CanvasObject, focus fyne.Focusable) {
	head := []fyne.CanvasObject{headingText("Add a passkey"), heading("Step 3 of 3: add your security key")}
	f.wizard.setStep(page(append(head, objs...)...), focus)
}

// over implements namingFlow.
func (f *keyFlow) over() bool { return f.ended }

// leave ends the flow and goes back to the passkeys list.
func (f *keyFlow) leave() {
	f.end()
	f.wizard.leave()
}

// keyListStep lists the security keys plugged in; with several the user
// picks one.
type keyListStep struct {
	flow  *keyFlow
	empty *widget.Label
	radio *widget.RadioGroup
	paths map[string]string // radio label → device path
	auto  bool              // the choice was made because one key was plugged in
	// updating is set while update changes the radio group, whose
	// OnChanged must then not count as the user's choice.
	updating bool
	next     *button
	cancel   *button
	// pick picks the key by touch; shown with several keys.
	pick *fyne.Container
	fb   *feedback
}

// showList shows the key list.
func (f *keyFlow) showList() {
	s := &keyListStep{flow: f, paths: map[string]string{}}
	s.empty = paragraph("")
	s.radio = widget.NewRadioGroup(nil, func(string) {
		if !s.updating {
			s.auto = false
		}
		s.updateButton()
	})
	s.next = newButtonWithIcon("Continue", theme.NavigateNextIcon(), s.choose)
	s.next.Importance = widget.HighImportance
	s.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	s.fb = newFeedback()
	s.pick = container.NewVBox(
		paragraph("Not sure which one is which? Pick by touch, then touch the key you want to add."),
		container.NewHBox(newButtonWithIcon("Pick by touch", theme.SearchIcon(), f.startPick)))
	s.pick.Hide()
	f.list = s
	f.setStep([]fyne.CanvasObject{
		paragraph("Plug your security key into this computer. This list follows keys as they are plugged in and pulled out."),
		s.empty, s.radio,
		container.NewHBox(s.next, f.wizard.anotherWay(), s.cancel),
		s.pick,
		s.fb.object(),
	}, s.cancel)
	s.update(f.devices)
	if !f.watched {
		s.empty.SetText("Looking for security keys…")
	}
}

// update shows list, keeping the choice while its key stays.
func (s *keyListStep) update(list []fido.DeviceInfo) {
	labels := keyLabels(list)
	chosen := s.paths[s.radio.Selected]
	s.paths = map[string]string{}
	selected := ""
	for i, d := range list {
		s.paths[labels[i]] = d.Path
		if d.Path == chosen {
			selected = labels[i]
		}
	}
	if s.auto && len(list) != 1 {
		// Chosen only because it was alone: with several, the user picks.
		selected, s.auto = "", false
	}
	if selected == "" && len(list) == 1 {
		selected, s.auto = labels[0], true
	}
	s.updating = true
	s.radio.Options = labels
	s.radio.Selected = selected
	s.radio.Refresh()
	s.updating = false
	if len(list) > 1 {
		s.pick.Show()
	} else {
		s.pick.Hide()
	}
	switch len(list) {
	case 0:
		s.empty.SetText("No security key found. Plug one in.")
		s.radio.Hide()
	case 1:
		s.empty.SetText("This key is plugged in:")
		s.radio.Show()
	default:
		s.empty.SetText(strconv.Itoa(len(list)) + " keys are plugged in. Choose the one to add:")
		s.radio.Show()
	}
	s.updateButton()
	s.flow.relayout()
}

func (s *keyListStep) updateButton() {
	if s.paths[s.radio.Selected] == "" {
		s.next.Disable()
		return
	}
	s.next.Enable()
	// With a key chosen, Enter or Space goes on, unless the user has
	// moved the focus elsewhere.
	c := s.flow.app.win.Canvas()
	if f := c.Focused(); f == nil || f == s.cancel {
		c.Focus(s.next)
	}
}

func (s *keyListStep) choose() {
	path := s.paths[s.radio.Selected]
	if s.next.Disabled() || path == "" {
		return
	}
	for _, d := range s.flow.devices {
		if d.Path == path {
			s.flow.open(d)
			return
		}
	}
}

// startPick asks every key plugged in for a touch; the one touched is
// opened as if chosen from the list.
func (f *keyFlow) startPick() {
	if f.ended || f.list == nil || len(f.devices) < 2 {
		return
	}
	f.list = nil
	show := func() {
		if !f.ended && f.pick.active() {
			f.setStep(f.pick.pickStep("you want to add"))
		}
	}
	f.pick.start(f.ctx, pickPaths(f.devices), show, func(path string, err error) {
		if f.ended {
			return
		}
		for _, d := range f.devices {
			if err == nil && d.Path == path {
				f.open(d)
				return
			}
		}
		if err == nil {
			err = fido.ErrKeyRemoved // touched, then pulled out
		}
		f.showList()
		if !canceled(err) {
			f.app.fail(f.list.fb, "picking a security key by touch", err)
			f.relayout()
		}
	})
	show()
}

// open opens the chosen key and reads what the next step depends on: a
// key without a PIN gets one first.
func (f *keyFlow) open(d fido.DeviceInfo) {
	f.chosen = d
	f.list = nil
	f.closeKey()
	f.prompts.showWaiting("Opening " + keyLabel(d) + "…")

	var (
		dev  fido.Device
		info *fido.Info
		pin  fido.PINState
	)
	before, settled := f.sess.queueKeyWork()
	f.app.runIn(f.ctx, keyOpenTimeout, func(ctx context.Context) error {
		defer settled()
		err := waitClosed(ctx, before)
		if err != nil {
			return err
		}
		if dev, err = f.app.keys.Open(ctx, d.Path); err != nil {
			return err
		}
		if info, err = dev.Info(ctx); err == nil {
			pin, err = dev.PINState(ctx)
		}
		if err != nil {
			f.sess.shut(dev)
			dev = nil
		}
		return err
	}, func(err error) {
		if f.ended {
			f.sess.closeKey(dev)
			return
		}
		if err != nil {
			f.fail("opening a security key", err)
			return
		}
		f.sess.dev, f.info = dev, info
		_, canPIN := info.Options["clientPin"]
		switch {
		case canPIN && !pin.Set:
			f.showSetPIN()
		case pin.Set && pin.Retries == 0:
			f.fail("opening a security key", fido.ErrPINBlocked)
		case pin.Set && info.ForcePINChange:
			f.showForcedPINChange() // forcedpin.go
		default:
			f.register(nil)
		}
	})
}

// relayout lays the step out again after a part of it (a feedback strip,
// the radio group) changed height.
func (f *keyFlow) relayout() {
	if !f.ended {
		f.wizard.body.Refresh()
	}
}
