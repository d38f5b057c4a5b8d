package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// SimulatedKey is the simulated security key of --simulated-key as its
// control window drives it: the person's finger and the USB port. Its
// methods are safe from any goroutine; they may wait briefly on the key.
type SimulatedKey interface {
	// Touch answers the request waiting for a touch; Deny declines it.
	// With none waiting they do nothing.
	Touch()
	Deny()
	// Unplug pulls the key out; Plug puts it back in.
	Unplug()
	Plug()
	Plugged() bool
	// WaitingForTouch reports whether a request waits for a touch now.
	WaitingForTouch() bool
	// SetTouchNeedsClick makes the key wait for Touch or Deny (on), or
	// touch at once (off).
	SetTouchNeedsClick(on bool)
	TouchNeedsClick() bool
}

// simKeyPollInterval is how often the control window looks at whether the
// key waits for a touch and is plugged in.
const simKeyPollInterval = 150 * time.Millisecond

// simKeyNeedsClickPref keeps "Touch needs a click" between runs.
const simKeyNeedsClickPref = "simulatedKeyTouchNeedsClick"

// simKeyWindow is the simulated key's control window: a small window of
// its own, labelled as the simulation it is, so that the flows a real key
// shows (a touch prompt and its Cancel, a denied touch, a key pulled out
// mid-reset) can be tried without one.
type simKeyWindow struct {
	app  *App
	key  SimulatedKey
	win  fyne.Window
	stop context.CancelFunc

	state                      *widget.Label
	touch, deny, unplug, plug  *button
	needsClick                 *widget.Check
	plugged, waiting, lookedAt bool
}

// startSimulatedKey applies the saved "Touch needs a click" to the key.
func (a *App) startSimulatedKey() {
	if a.simKey != nil {
		on := a.fyne.Preferences().Bool(simKeyNeedsClickPref)
		key := a.simKey
		a.run(func(context.Context) error {
			key.SetTouchNeedsClick(on)
			return nil
		}, func(error) {})
	}
}

// simKeyObjects is the part of Security keys that opens the control
// window; none without a simulated key.
func (a *App) simKeyObjects() []fyne.CanvasObject {
	if a.simKey == nil {
		return nil
	}
	return []fyne.CanvasObject{
		headingText("Simulated key"),
		paragraph("The simulated key is touched, denied, unplugged and plugged in from a small window of its own."),
		container.NewHBox(newButtonWithIcon("Simulated key controls…", theme.SettingsIcon(), a.showSimulatedKey)),
	}
}

// showSimulatedKey opens the control window, or brings it to the front.
func (a *App) showSimulatedKey() {
	if a.simKey == nil {
		return
	}
	if w := a.simWin; w != nil {
		w.win.Show()
		w.win.RequestFocus()
		return
	}
	w := &simKeyWindow{app: a, key: a.simKey}
	a.simWin = w
	w.win = a.fyne.NewWindow("Simulated key controls")
	w.win.SetContent(w.build())
	w.win.Resize(fyne.NewSize(460, 420))
	var ctx context.Context
	ctx, w.stop = context.WithCancel(a.ctx)
	w.win.SetOnClosed(func() {
		w.stop()
		if a.simWin == w {
			a.simWin = nil
		}
	})
	w.win.Show()
	w.follow(ctx)
}

// closeSimulatedKey closes the control window with the app's window.
func (a *App) closeSimulatedKey() {
	if w := a.simWin; w != nil {
		a.simWin = nil
		w.stop()
		w.win.Close()
	}
}

func (w *simKeyWindow) build() fyne.CanvasObject {
	w.state = paragraph("Looking at the key…")
	w.touch = newButtonWithIcon("Touch", theme.ConfirmIcon(), func() { w.do(w.key.Touch) })
	w.touch.Importance = widget.HighImportance
	w.deny = newButtonWithIcon("Deny", theme.CancelIcon(), func() { w.do(w.key.Deny) })
	w.unplug = newButtonWithIcon("Unplug", theme.LogoutIcon(), func() { w.do(w.key.Unplug) })
	w.plug = newButtonWithIcon("Plug in", theme.LoginIcon(), func() { w.do(w.key.Plug) })
	w.needsClick = widget.NewCheck("Touch needs a click", nil)
	w.needsClick.SetChecked(w.app.fyne.Preferences().Bool(simKeyNeedsClickPref))
	w.needsClick.OnChanged = func(on bool) {
		w.app.fyne.Preferences().SetBool(simKeyNeedsClickPref, on)
		w.do(func() { w.key.SetTouchNeedsClick(on) })
	}
	w.show()
	return container.NewPadded(container.NewVBox(
		headingText(simulatedKeyLabel),
		warningLine("A simulation, not a real key: these controls stand in for your finger and the USB port. Its passkeys protect nothing."),
		w.state,
		container.NewHBox(w.touch, w.deny),
		container.NewHBox(w.unplug, w.plug),
		w.needsClick,
		paragraph("With the box ticked the key waits, as a real one does, until you press Touch or Deny (or 30 seconds pass). Without it, it touches at once."),
	))
}

// do runs a control off the UI goroutine (the key may be busy for a
// moment), then shows the key's state.
func (w *simKeyWindow) do(control func()) {
	key := w.key
	var plugged, waiting bool
	w.app.run(func(context.Context) error {
		control()
		plugged, waiting = key.Plugged(), key.WaitingForTouch()
		return nil
	}, func(error) {
		w.set(plugged, waiting)
	})
}

// follow looks at the key every simKeyPollInterval until ctx ends, and
// shows what changed.
func (w *simKeyWindow) follow(ctx context.Context) {
	key := w.key
	go func() {
		t := time.NewTicker(simKeyPollInterval)
		defer t.Stop()
		first := true
		var plugged, waiting bool
		for {
			p, wt := key.Plugged(), key.WaitingForTouch()
			if first || p != plugged || wt != waiting {
				first, plugged, waiting = false, p, wt
				w.app.deliver(func() {
					if ctx.Err() == nil {
						w.set(p, wt)
					}
				})
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// set takes what the key was seen to be and shows it.
func (w *simKeyWindow) set(plugged, waiting bool) {
	w.plugged, w.waiting, w.lookedAt = plugged, waiting, true
	w.show()
}

// show draws the state and enables the controls that can act now.
func (w *simKeyWindow) show() {
	switch {
	case !w.lookedAt:
		w.state.SetText("Looking at the key…")
	case !w.plugged:
		w.state.SetText("Unplugged. Plug it in to use it.")
	case w.waiting:
		w.state.SetText("The key asks for a touch: press Touch to answer, or Deny to refuse.")
	default:
		w.state.SetText("Plugged in. Nothing waits for a touch.")
	}
	setEnabled(w.lookedAt && w.plugged && w.waiting, w.touch, w.deny)
	setEnabled(w.lookedAt && w.plugged, w.unplug)
	setEnabled(w.lookedAt && !w.plugged, w.plug)
}
