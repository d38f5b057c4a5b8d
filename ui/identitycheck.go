package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// identityCheck confirms it is the person before a security change, in the
// way they choose: with a passkey, or with password and codes. Nothing is
// started before the choice: no passkey request reaches a key and no email
// code goes out until the person picks that way. With the grant the check
// gives, use makes the change.
//
// Removal of a passkey and turning "Passkey required" off use it.
type identityCheck struct {
	app     *App
	purpose account.Purpose
	// what names the change for error messages, as in "removing a
	// passkey".
	what string
	// withPasskey offers the passkey way; passkeyNote and codesNote say
	// what each way means for the change (a hold, for instance).
	withPasskey            bool
	passkeyNote, codesNote string
	// notCredential, when set, is the credential ID of the passkey the
	// change is about (the one being removed): the passkey way does not
	// ask for it, so it cannot approve its own removal.
	notCredential []byte
	// ownWayBack says the caller shows its own way back (as the removal
	// screen's "Back to passkeys"), always on screen: the check then
	// offers no Cancel of its own, so the screen has one way back.
	ownWayBack bool
	// act is the button that completes the codes way, as in "Verify and
	// remove".
	act string
	// use makes the change with the grant, off the UI goroutine.
	use func(ctx context.Context, grant string) error
	// done ends the check on the UI goroutine: nil once use succeeded, an
	// error for which canceled is true when the person cancelled. Errors
	// of the check or of use are shown here and the person may try again;
	// they do not end the check.
	done func(err error)

	box    *fyne.Container // the choice, or the chosen way
	choice []*button
	steps  *fyne.Container // the passkey flow's steps
	fb     *feedback
	ended  bool
	flow   *assertFlow
	cancel *button

	// later gives the choice's focus once the caller has shown object().
	later laterFocus

	// The codes way, once chosen.
	ver     *account.Verification
	factors *factorForm
	verify  *button
}

// object builds the check's widgets and shows the choice.
func (c *identityCheck) object() fyne.CanvasObject {
	c.box = container.NewVBox()
	c.steps = container.NewVBox()
	c.fb = newFeedback()
	c.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), func() { c.end(fido.ErrCanceled) })
	c.showChoice()
	return container.NewVBox(c.box, c.steps, c.fb.object())
}

// showChoice offers the ways.
func (c *identityCheck) showChoice() {
	c.ver, c.factors, c.verify, c.choice = nil, nil, nil, nil
	c.box.RemoveAll()
	var first fyne.Focusable
	if c.withPasskey {
		b := newButtonWithIcon("Verify with a passkey", theme.LoginIcon(), c.choosePasskey)
		b.Importance = widget.HighImportance
		c.box.Add(heading("With one of your passkeys"))
		c.box.Add(paragraph("Use a security key or this computer. " + c.passkeyNote))
		c.box.Add(container.NewHBox(b))
		c.choice = append(c.choice, b)
		first = b
	}
	b := newButtonWithIcon("Verify with password and codes", theme.AccountIcon(), c.chooseCodes)
	c.box.Add(heading("With your password and codes"))
	c.box.Add(paragraph(codesWords(c.app) + " " + c.codesNote))
	c.box.Add(c.row(b))
	c.choice = append(c.choice, b)
	if first == nil {
		first = b
	}
	c.cancel.Enable()
	c.later.focus(c.app, first)
}

// row is a row of the check's buttons: b, then Cancel unless the caller
// has its own way back.
func (c *identityCheck) row(b fyne.CanvasObject) *fyne.Container {
	if c.ownWayBack {
		return container.NewHBox(b)
	}
	return container.NewHBox(b, c.cancel)
}

// shown tells the check that its caller has put object() in the window,
// and gives the focus to the first way: before, it could not take it.
func (c *identityCheck) shown() { c.later.show(c.app) }

// codesWords says what the password-and-codes way asks for: an email code
// only when the account has that factor (mail delivery is configured).
func codesWords(a *App) string {
	if slices.Contains(a.me.Factors, account.FactorEmailCode) {
		return "Your password, the code from your authenticator app and a code emailed to you once you choose this way."
	}
	return "Your password and the code from your authenticator app."
}

// chooseCodes starts a password-and-codes verification: only now is an
// email code sent.
func (c *identityCheck) chooseCodes() {
	c.fb.busy("Starting the check…")
	c.setChoiceEnabled(false)
	token, purpose := c.app.token, c.purpose
	var ver *account.Verification
	c.app.run(func(ctx context.Context) error {
		var err error
		ver, err = c.app.api.BeginVerification(ctx, token, purpose)
		return err
	}, func(err error) {
		if c.ended {
			return
		}
		c.fb.clear()
		if err != nil {
			c.setChoiceEnabled(true)
			c.app.fail(c.fb, c.what, err)
			return
		}
		c.showCodes(ver)
	})
}

func (c *identityCheck) showCodes(ver *account.Verification) {
	c.ver = ver
	c.factors = newFactorForm(ver)
	c.verify = newButtonWithIcon(c.act, theme.ConfirmIcon(), c.complete)
	c.verify.Importance = widget.DangerImportance
	c.box.RemoveAll()
	c.box.Add(heading("Confirm it is you"))
	if c.factors.email != nil {
		c.box.Add(infoLine("A code was emailed to " + ver.EmailSentTo + "."))
	} else if ver.EmailConfigured {
		c.box.Add(infoLine(unconfirmedCheckWords))
	}
	c.box.Add(c.factors.form)
	c.box.Add(c.row(c.verify))
	if es := c.factors.entries; len(es) > 0 {
		submitOnEnter(c.app.win.Canvas(), c.complete, es...)
		c.app.focus(es[0])
	}
}

// complete checks the codes, then makes the change.
func (c *identityCheck) complete() {
	if c.verify == nil || c.verify.Disabled() {
		return
	}
	use := func(ctx context.Context, grant *account.Grant) error { return c.use(ctx, grant.Token) }
	started := c.factors.complete(c.app, c.fb, c.what, c.ver.ID, use, func(_ *account.Grant, err error) {
		if c.ended {
			return
		}
		if err == nil {
			c.end(nil)
			return
		}
		c.setCodesEnabled(true)
		if errors.Is(err, account.ErrVerificationExpired) {
			c.showChoice()
		}
		c.app.fail(c.fb, c.what, err)
	})
	if started {
		c.setCodesEnabled(false)
	}
}

// choosePasskey runs the passkey way: the assertion gives the grant.
func (c *identityCheck) choosePasskey() {
	c.fb.clear()
	c.setChoiceEnabled(false)
	token, purpose, not := c.app.token, c.purpose, c.notCredential
	c.flow = &assertFlow{
		app:  c.app,
		what: "to verify it is you",
		begin: func(ctx context.Context) (json.RawMessage, error) {
			if not != nil {
				return c.app.api.BeginPasskeyVerificationExcept(ctx, token, purpose, not)
			}
			return c.app.api.BeginPasskeyVerification(ctx, token, purpose)
		},
		finish: func(ctx context.Context, assertion json.RawMessage) error {
			grant, err := c.app.api.FinishPasskeyVerification(ctx, token, assertion)
			if err != nil {
				return err
			}
			return c.use(ctx, grant.Token)
		},
		setStep: func(objs []fyne.CanvasObject, focus fyne.Focusable) {
			c.steps.Objects = objs
			c.steps.Refresh()
			if focus != nil {
				c.app.focus(focus)
			}
		},
		done: func(err error) {
			c.steps.RemoveAll()
			c.flow = nil
			switch {
			case err == nil:
				c.end(nil)
			case canceled(err):
				c.setChoiceEnabled(true)
			default:
				var policy *account.PolicyError
				if not != nil && (errors.Is(err, fido.ErrNoCredentials) || errors.As(err, &policy) && policy.Rule == account.RuleNoPasskey) {
					err = fmt.Errorf("%w: %w", errOnlyThePasskeyItself, err)
				}
				c.setChoiceEnabled(true)
				c.app.fail(c.fb, c.what, err)
			}
		},
	}
	c.flow.start()
}

// close ends the check without reporting, when its screen goes away: a
// key operation under way is cancelled.
func (c *identityCheck) close() {
	c.ended = true
	if c.flow != nil {
		c.flow.abandon()
		c.flow = nil
	}
}

func (c *identityCheck) end(err error) {
	if c.ended {
		return
	}
	c.close()
	c.done(err)
}

func (c *identityCheck) setChoiceEnabled(on bool) {
	for _, b := range c.choice {
		setEnabled(on, b)
	}
	setEnabled(on, c.cancel)
}

func (c *identityCheck) setCodesEnabled(on bool) {
	ws := []fyne.Disableable{c.verify, c.cancel}
	for _, e := range c.factors.entries {
		ws = append(ws, e)
	}
	setEnabled(on, ws...)
}
