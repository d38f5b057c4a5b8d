package ui

import (
	"context"
	"errors"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// register runs one registration on the opened key: the account service's
// creation options go through the WebAuthn client to the key, which asks
// for its PIN (the PIN step) and a touch (the touch step). newPIN, when
// set, is the PIN just set on the key: it answers the first PIN request
// instead of asking again, and is zeroed after.
//
// Cancel on either step, the flow ending, or the key being pulled out
// cancels the operation's context; libfido2 then sends CTAPHID_CANCEL
// until the key gives up.
func (f *keyFlow) register(newPIN []byte) {
	opCtx, cancel := context.WithCancelCause(f.ctx)
	f.op = cancel
	f.showWaiting("Getting the key ready…")

	dev, chosen := f.dev, f.chosen
	token, grant := f.app.token, f.grant
	wait := &userWait{app: f.app}
	prompt := fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			if newPIN != nil && !req.Wrong {
				pin := newPIN
				newPIN = nil
				return pin, nil
			}
			return f.askPIN(ctx, wait, req)
		},
		// Touch runs on the operation's goroutine and must not block.
		Touch: func() {
			wait.show(func() {
				if f.op != nil && !f.ended && opCtx.Err() == nil {
					f.showTouch(chosen)
				}
			})
			wait.park()
		},
	}
	var cred []byte
	f.app.runIn(opCtx, keyCeremonyTimeout, func(ctx context.Context) error {
		defer clear(newPIN)
		opts, err := f.app.api.BeginRegistration(ctx, token, grant, account.KindSecurityKey)
		if err != nil {
			return err
		}
		cred, err = f.app.client.Create(ctx, dev, opts, prompt)
		wait.resume()
		return err
	}, func(err error) {
		f.op = nil
		cause := context.Cause(opCtx)
		cancel(nil)
		if f.ended {
			return
		}
		if err != nil && errors.Is(cause, fido.ErrKeyRemoved) {
			err = cause
		}
		if err != nil {
			f.fail("adding a security key", err)
			return
		}
		f.showName(cred)
	})
}

// cancelOp cancels the key operation under way, if any: its context
// ends, and libfido2 sends CTAPHID_CANCEL until the key gives up (the
// operation then returns fido.ErrCanceled). Nothing here waits.
func (f *keyFlow) cancelOp() {
	if f.op != nil {
		f.op(fido.ErrCanceled)
	}
}

// showWaiting is the step while the key works without needing the person.
func (f *keyFlow) showWaiting(text string) {
	fb := newFeedback()
	fb.busy(text)
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.cancelOp)
	f.setStep([]fyne.CanvasObject{fb.object(), container.NewHBox(cancel)}, cancel)
}

// showTouch is the step while the key waits for a touch.
func (f *keyFlow) showTouch(d fido.DeviceInfo) {
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.cancelOp)
	act := widget.NewActivity()
	act.Start()
	icon := container.NewGridWrap(fyne.NewSquareSize(48), widget.NewIcon(component.SecurityKeyIcon()))
	title := widget.NewRichText(&widget.TextSegment{Text: "Touch your key", Style: widget.RichTextStyleSubHeading})
	f.setStep([]fyne.CanvasObject{
		container.NewHBox(icon, container.NewCenter(title), container.NewCenter(act)),
		paragraph("Touch the button or metal contact of " + keyLabel(d) + " now. If it has a light, it is blinking."),
		paragraph("Nothing is added to your account until you name the new passkey and save it."),
		container.NewHBox(cancel),
	}, cancel)
}

// pinStep asks for the PIN of the key during a registration.
type pinStep struct {
	flow   *keyFlow
	pin    *widget.Entry
	ok     *button
	cancel *button
	reply  func([]byte, error)
}

// askPIN runs on the operation's goroutine: it shows the PIN step and
// waits for the answer or for ctx to end.
func (f *keyFlow) askPIN(ctx context.Context, wait *userWait, req fido.PINRequest) ([]byte, error) {
	type answer struct {
		pin []byte
		err error
	}
	ch := make(chan answer, 1)
	wait.show(func() {
		if f.ended || ctx.Err() != nil {
			return
		}
		f.showPIN(req, func(pin []byte, err error) {
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

func (f *keyFlow) showPIN(req fido.PINRequest, reply func([]byte, error)) {
	s := &pinStep{flow: f}
	answered := false
	s.reply = func(pin []byte, err error) {
		if !answered {
			answered = true
			reply(pin, err)
		}
	}
	s.pin = widget.NewPasswordEntry()
	s.pin.SetPlaceHolder("PIN of your security key")
	s.ok = newButtonWithIcon("Continue", theme.ConfirmIcon(), s.submit)
	s.ok.Importance = widget.HighImportance
	s.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		s.reply(nil, fido.ErrCanceled)
		f.cancelOp()
	})
	s.pin.OnSubmitted = func(string) { s.submit() }

	objs := []fyne.CanvasObject{
		heading("Enter your key's PIN"),
		paragraph("Type the PIN of " + keyLabel(f.chosen) + ". It unlocks the key for this passkey and is never sent to the account service."),
	}
	if req.Wrong {
		fb := newFeedback()
		fb.show(describe(&fido.PINError{Retries: req.Retries}))
		objs = append(objs, fb.object())
	} else if req.Retries > 0 && req.Retries <= 3 {
		objs = append(objs, infoLine(retriesWords(req.Retries)+" left before the PIN is blocked."))
	}
	objs = append(objs, widget.NewForm(widget.NewFormItem("PIN", s.pin)), container.NewHBox(s.ok, s.cancel))
	f.setStep(objs, s.pin)
}

func (s *pinStep) submit() {
	if s.pin.Text == "" {
		return
	}
	pin := []byte(s.pin.Text)
	s.pin.SetText("")
	s.flow.showWaiting("Checking the PIN…")
	s.reply(pin, nil)
}

// retriesWords is "1 try" or "N tries".
func retriesWords(n int) string {
	if n == 1 {
		return "1 try"
	}
	return strconv.Itoa(n) + " tries"
}

// madeOn implements namingFlow.
func (f *keyFlow) madeOn() string { return "your key" }

// deleteMade implements namingFlow: it deletes the credential from the
// chosen key, asking for its PIN as a registration does. The key is
// opened again when it was closed (after a failure); Cancel and the key
// being pulled out end the operation as they end a registration.
func (f *keyFlow) deleteMade(id []byte, done func(error)) {
	opCtx, cancel := context.WithCancelCause(f.ctx)
	f.op = cancel
	f.showWaiting("Deleting the passkey from the key…")
	dev, chosen := f.dev, f.chosen
	wait := &userWait{app: f.app}
	prompt := fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			return f.askPIN(ctx, wait, req)
		},
		Touch: func() {},
	}
	opened := false
	f.app.runIn(opCtx, keyCeremonyTimeout, func(ctx context.Context) error {
		if dev == nil {
			var err error
			if dev, err = f.app.keys.Open(ctx, chosen.Path); err != nil {
				dev = nil
				return err
			}
			opened = true
		}
		m, ok := dev.(fido.Manager)
		if !ok {
			return errManagementUnsupported
		}
		err := m.DeleteCredential(ctx, id, prompt)
		if errors.Is(err, fido.ErrNoCredentials) {
			return nil
		}
		return err
	}, func(err error) {
		f.op = nil
		cause := context.Cause(opCtx)
		cancel(nil)
		if opened {
			if f.ended {
				go dev.Close()
			} else {
				f.dev = dev
			}
		}
		if err != nil && errors.Is(cause, fido.ErrKeyRemoved) {
			err = cause
		}
		if err != nil && !f.ended {
			// The next try opens the key afresh: it may have been pulled
			// out and plugged in again.
			f.closeKey()
		}
		done(err)
	})
}
