package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// prompter is the prompt room of one flow: it turns a fido.Prompt (the
// authenticator asking for its PIN or for a touch) into the flow's PIN
// step, touch step and waiting step, and holds the authenticator operation
// under way. Every flow that talks to an authenticator (the security-key
// and this-computer methods of the add-passkey wizard, and assertFlow)
// uses one, so every Cancel on those steps does the same: it cancels the
// operation with the cause fido.ErrCanceled (libfido2 then sends
// CTAPHID_CANCEL until the key gives up) and the flow stays, going on
// from the operation's failure as it does from any other. With no
// operation under way, Cancel leaves the flow.
//
// Its fields and methods belong to the UI goroutine, except the
// fido.Prompt an operation hands to the authenticator, which runs on the
// operation's goroutine.
type prompter struct {
	app *App
	// setStep shows a step in the flow's frame.
	setStep func(objs []fyne.CanvasObject, focus fyne.Focusable)
	// over reports whether the flow has ended: no step is shown then.
	over func() bool
	// leave is Cancel while no operation is under way: it ends the flow.
	leave func()

	op *keyOp // the operation under way, or nil
}

// promptWords say how the steps speak of the authenticator.
type promptWords struct {
	// local is this computer: its local PIN, which has no retry counter
	// to show, and no touch step.
	local bool
	// label names the key, as in "the PIN of <label>".
	label string
	// touchNote is a line under "Touch your key", or "".
	touchNote string
}

// keyWords are the steps' words for the key d.
func keyWords(d fido.DeviceInfo) promptWords { return promptWords{label: keyLabel(d)} }

// localWords are the steps' words for this computer.
var localWords = promptWords{local: true, label: "this computer"}

// keyOp is one operation on an authenticator: the context it runs in,
// which its Cancel ends, and the fido.Prompt that shows its PIN and touch
// steps. The worker calls release once the authenticator call is over.
type keyOp struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	prompt fido.Prompt
	wait   *userWait

	mu     sync.Mutex
	newPIN []byte // answers the first PIN request, then nil
}

// begin starts an operation under parent and makes it the one under way
// (cancelling one still under way). newPIN, when set, is a PIN just set
// on the authenticator: it answers the first PIN request instead of
// asking again, and is zeroed by release if it was not used. The caller
// runs the operation's work under op.ctx and, on the UI goroutine once
// the work is over, passes its error through finish.
func (p *prompter) begin(parent context.Context, words promptWords, newPIN []byte) *keyOp {
	p.cancel(fido.ErrCanceled)
	op := &keyOp{wait: &userWait{app: p.app}, newPIN: newPIN}
	op.ctx, op.cancel = context.WithCancelCause(parent)
	op.prompt = fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			if !req.Wrong {
				op.mu.Lock()
				pin := op.newPIN
				op.newPIN = nil
				op.mu.Unlock()
				if pin != nil {
					return pin, nil
				}
			}
			return p.askPIN(ctx, op, words, req)
		},
		// Touch runs on the operation's goroutine and must not block.
		Touch: func() {
			if words.local {
				return
			}
			op.wait.show(func() {
				if p.op == op && !p.over() && op.ctx.Err() == nil {
					p.showTouch(words)
				}
			})
			op.wait.park()
		},
		// Fingerprint runs on the operation's goroutine too.
		Fingerprint: func(retries int, missed bool) {
			op.wait.show(func() {
				if p.op == op && !p.over() && op.ctx.Err() == nil {
					p.showFingerprint(words, retries, missed)
				}
			})
			op.wait.park()
		},
	}
	p.op = op
	return op
}

// release is called by the operation's worker once the authenticator
// call is over: the worker counts as work in flight again, and a new PIN
// that answered nothing is zeroed.
func (op *keyOp) release() {
	op.wait.resume()
	op.mu.Lock()
	clear(op.newPIN)
	op.newPIN = nil
	op.mu.Unlock()
}

// finish ends op on the UI goroutine, once its work is over, and returns
// the error the flow goes on from: err, or the cause the operation was
// cut short with when that was the key being pulled out (the key call
// itself then only says it was cancelled or timed out).
func (p *prompter) finish(op *keyOp, err error) error {
	if p.op == op {
		p.op = nil
	}
	cause := context.Cause(op.ctx)
	op.cancel(nil)
	if err != nil && errors.Is(cause, fido.ErrKeyRemoved) {
		return cause
	}
	return err
}

// busy reports whether an operation is under way.
func (p *prompter) busy() bool { return p.op != nil }

// cancel cancels the operation under way, if any, with cause. Nothing
// here waits: the operation ends on its own goroutine and its flow hears
// of it through finish.
func (p *prompter) cancel(cause error) {
	if p != nil && p.op != nil {
		p.op.cancel(cause)
	}
}

// cancelOrLeave is every step's Cancel: the operation under way is
// cancelled and the flow stays; with none, the flow ends.
func (p *prompter) cancelOrLeave() {
	if p.op != nil {
		p.cancel(fido.ErrCanceled)
		return
	}
	if p.leave != nil {
		p.leave()
	}
}

// cancelButton is a step's Cancel.
func (p *prompter) cancelButton() *button {
	return newButtonWithIcon("Cancel", theme.CancelIcon(), p.cancelOrLeave)
}

// showWaiting is the step while the authenticator works without needing
// the person.
func (p *prompter) showWaiting(text string) {
	fb := newFeedback()
	fb.busy(text)
	cancel := p.cancelButton()
	p.setStep([]fyne.CanvasObject{fb.object(), container.NewHBox(cancel)}, cancel)
}

// showTouch is the step while a key waits for a touch.
func (p *prompter) showTouch(words promptWords) {
	cancel := p.cancelButton()
	act := widget.NewActivity()
	act.Start()
	icon := container.NewGridWrap(fyne.NewSquareSize(48), widget.NewIcon(component.SecurityKeyIcon()))
	title := widget.NewRichText(&widget.TextSegment{Text: "Touch your key", Style: widget.RichTextStyleSubHeading})
	objs := []fyne.CanvasObject{
		container.NewHBox(icon, container.NewCenter(title), container.NewCenter(act)),
		paragraph("Touch the button or metal contact of " + words.label + " now. If it has a light, it is blinking."),
	}
	if words.touchNote != "" {
		objs = append(objs, paragraph(words.touchNote))
	}
	row := container.NewHBox(cancel)
	if p.app.simKey != nil && words.label == simulatedKeyLabel {
		// The simulated key is touched from its controls.
		row.Add(newButtonWithIcon("Simulated key controls…", theme.SettingsIcon(), p.app.showSimulatedKey))
	}
	p.setStep(append(objs, row), cancel)
}

// showFingerprint is the step while a key waits for a finger on its
// sensor, which verifies the person instead of the PIN: with the tries
// left, and after a finger that did not match, that it did not. When the
// key blocks its sensor, the PIN step follows.
func (p *prompter) showFingerprint(words promptWords, retries int, missed bool) {
	cancel := p.cancelButton()
	act := widget.NewActivity()
	act.Start()
	icon := container.NewGridWrap(fyne.NewSquareSize(48), widget.NewIcon(component.SecurityKeyIcon()))
	title := widget.NewRichText(&widget.TextSegment{Text: "Touch the sensor", Style: widget.RichTextStyleSubHeading})
	objs := []fyne.CanvasObject{
		container.NewHBox(icon, container.NewCenter(title), container.NewCenter(act)),
		paragraph("Touch the fingerprint sensor of " + words.label + " with a finger you enrolled on it."),
	}
	if missed {
		line := "That finger did not match."
		switch {
		case retries == 1:
			line += " 1 try left before the key asks for its PIN instead."
		case retries > 1:
			line += fmt.Sprintf(" %d tries left before the key asks for its PIN instead.", retries)
		}
		objs = append(objs, warningLine(line))
	}
	p.setStep(append(objs, container.NewHBox(cancel)), cancel)
}

// askPIN runs on the operation's goroutine: it shows the PIN step and
// waits for the answer or for ctx to end.
func (p *prompter) askPIN(ctx context.Context, op *keyOp, words promptWords, req fido.PINRequest) ([]byte, error) {
	type answer struct {
		pin []byte
		err error
	}
	ch := make(chan answer, 1)
	op.wait.show(func() {
		if p.over() || ctx.Err() != nil {
			return
		}
		p.showPIN(words, req, func(pin []byte, err error) {
			op.wait.resume()
			ch <- answer{pin, err}
		})
	})
	op.wait.park()
	select {
	case a := <-ch:
		return a.pin, a.err
	case <-ctx.Done():
		op.wait.resume()
		return nil, ctx.Err()
	}
}

// showPIN is the PIN step; reply gets the PIN typed, or fido.ErrCanceled,
// once. After a wrong PIN it says so, with the tries left.
func (p *prompter) showPIN(words promptWords, req fido.PINRequest, reply func([]byte, error)) {
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
		typed := []byte(pin.Text)
		pin.SetText("")
		p.showWaiting("Checking the PIN…")
		answer(typed, nil)
	}
	pin.OnSubmitted = func(string) { submit() }
	ok := newButtonWithIcon("Continue", theme.ConfirmIcon(), submit)
	ok.Importance = widget.HighImportance
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		answer(nil, fido.ErrCanceled)
		p.cancelOrLeave()
	})
	var objs []fyne.CanvasObject
	if words.local {
		pin.SetPlaceHolder("PIN for this computer's passkeys")
		objs = append(objs, heading("Enter the PIN for this computer"),
			paragraph("Type the PIN you chose for this computer's passkeys. It stays on this computer and is never sent to the account service."))
	} else {
		pin.SetPlaceHolder("PIN of your security key")
		objs = append(objs, heading("Enter your key's PIN"),
			paragraph("Type the PIN of "+words.label+". It unlocks the key and is never sent to the account service."))
	}
	switch {
	case req.Wrong && words.local:
		fb := newFeedback()
		fb.show(describe(&localPINError{Retries: req.Retries}))
		objs = append(objs, fb.object())
	case req.Wrong:
		fb := newFeedback()
		fb.show(describe(&fido.PINError{Retries: req.Retries}))
		objs = append(objs, fb.object())
	case !words.local && req.Retries > 0 && req.Retries <= 3:
		objs = append(objs, infoLine(retriesWords(req.Retries)+" left before the PIN is blocked."))
	}
	objs = append(objs, widget.NewForm(widget.NewFormItem("PIN", pin)), container.NewHBox(ok, cancel))
	p.setStep(objs, pin)
}

// userWait marks a worker goroutine that waits for the person (to type a
// PIN, to touch the key) rather than for work: while parked it is not
// counted in App.inflight, so the tests' settle returns to let the test
// play the person, as the real UI goroutine is free to.
type userWait struct {
	app    *App
	mu     sync.Mutex
	parked bool
}

func (w *userWait) park() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.parked {
		w.parked = true
		w.app.inflight.Add(-1)
	}
}

func (w *userWait) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.parked {
		w.parked = false
		w.app.inflight.Add(1)
	}
}

// show runs fn on the UI goroutine, counted as work in flight until it
// has run.
func (w *userWait) show(fn func()) {
	w.app.inflight.Add(1)
	w.app.deliver(func() {
		defer w.app.inflight.Add(-1)
		fn()
	})
}
