package ui

import (
	"context"
	"encoding/json"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// removeScreen removes one passkey. Before anything is clicked it says
// what the removal needs: identity verification with another passkey (no
// hold follows) or with password and code (withdrawals and C2C trades are
// then held for 24 hours); and, while "Passkey required" is on, that the
// last passkey cannot be removed.
type removeScreen struct {
	app   *App
	list  *passkeysScreen
	pk    account.Passkey
	count int // the account's passkeys, this one included

	box   *fyne.Container
	steps *fyne.Container
	fb    *feedback
	ver   *account.Verification

	factors               *factorForm // the password-and-code answers
	password, totp, email *widget.Entry
	verify                *widget.Button
	withPasskey           *widget.Button
	back                  *widget.Button
	flow                  *assertFlow
}

// startRemove shows the removal of pk in place of the list.
func (s *passkeysScreen) startRemove(pk account.Passkey, count int) {
	r := &removeScreen{app: s.app, list: s, pk: pk, count: count}
	s.removal = r
	s.body.RemoveAll()
	s.body.Add(r.build())
}

func (r *removeScreen) build() fyne.CanvasObject {
	r.fb = newFeedback()
	r.steps = container.NewVBox()
	r.box = container.NewVBox()
	r.back = widget.NewButtonWithIcon("Back to passkeys", theme.NavigateBackIcon(), r.leave)
	r.fb.busy("Checking what removing it needs…")
	r.load()
	return container.NewVBox(
		heading("Remove “"+r.pk.Name+"”"),
		r.box,
		r.steps,
		r.fb.object(),
		container.NewHBox(r.back),
	)
}

func (r *removeScreen) leave() {
	if r.flow != nil {
		r.flow.abandon()
	}
	r.list.load()
}

// load reads the policy and starts a password-and-code verification, so
// that both ways are on screen before the person chooses.
func (r *removeScreen) load() {
	token := r.app.token
	var (
		pol *account.Policy
		ver *account.Verification
	)
	r.app.run(func(ctx context.Context) error {
		var err error
		if pol, err = r.app.api.Policy(ctx, token); err != nil {
			return err
		}
		if pol.PasskeyRequired && r.count <= 1 {
			return nil
		}
		ver, err = r.app.api.BeginVerification(ctx, token, account.PurposeRemovePasskey)
		return err
	}, func(err error) {
		r.fb.clear()
		if err != nil {
			r.app.fail(r.fb, "preparing a removal", err)
			return
		}
		if ver == nil {
			r.fb.show(describePolicy(&account.PolicyError{Rule: account.RuleLastPasskey}))
			return
		}
		r.showWays(ver)
	})
}

func (r *removeScreen) showWays(ver *account.Verification) {
	r.ver = ver
	r.box.RemoveAll()
	r.box.Add(paragraph("Removing a passkey is a security change, so first confirm it is you, in one of two ways."))
	if r.count > 1 && r.app.canPasskeySignIn() {
		r.withPasskey = widget.NewButtonWithIcon("Verify with another passkey and remove", theme.LoginIcon(), r.startPasskey)
		r.box.Add(heading("With another of your passkeys"))
		r.box.Add(paragraph("Use a security key or this computer. Removal approved by another passkey puts no hold on withdrawals or C2C trades."))
		r.box.Add(container.NewHBox(r.withPasskey))
	}
	r.box.Add(heading("With your password and code"))
	hold := r.app.now().Add(account.RemovalHold).Local().Format("Mon 2 Jan 15:04")
	r.box.Add(paragraph("After this, withdrawals and C2C trades are held for 24 hours, until about " + hold + ", in case someone else is removing your passkey."))
	r.verify = widget.NewButtonWithIcon("Verify and remove", theme.DeleteIcon(), r.complete)
	r.verify.Importance = widget.DangerImportance
	r.factors = newFactorForm(ver)
	r.password, r.totp, r.email = r.factors.password, r.factors.totp, r.factors.email
	form, entries := r.factors.form, r.factors.entries
	if r.email != nil {
		r.box.Add(infoLine("A code was emailed to " + ver.EmailSentTo + "."))
	}
	r.box.Add(form)
	r.box.Add(container.NewHBox(r.verify))
	if len(entries) > 0 {
		submitOnEnter(r.app.win.Canvas(), r.complete, entries...)
		r.app.win.Canvas().Focus(entries[0])
	}
}

// complete checks password and code, then removes.
func (r *removeScreen) complete() {
	if r.verify.Disabled() {
		return
	}
	proof := r.factors.proof()
	token, verID, id := r.app.token, r.ver.ID, r.pk.ID
	r.fb.busy("Removing…")
	r.setInputs(false)
	var pol *account.Policy
	r.app.run(func(ctx context.Context) error {
		grant, err := r.app.api.CompleteVerification(ctx, token, verID, proof)
		if err != nil {
			return err
		}
		if err := r.app.api.RemovePasskey(ctx, token, grant.Token, id); err != nil {
			return err
		}
		pol, err = r.app.api.Policy(ctx, token)
		return err
	}, func(err error) { r.removed(err, pol) })
}

func (r *removeScreen) startPasskey() {
	r.fb.clear()
	r.setInputs(false)
	token, id := r.app.token, r.pk.ID
	var pol *account.Policy
	r.flow = &assertFlow{
		app:  r.app,
		what: "to verify it is you",
		begin: func(ctx context.Context) (json.RawMessage, error) {
			return r.app.api.BeginPasskeyVerification(ctx, token, account.PurposeRemovePasskey)
		},
		finish: func(ctx context.Context, assertion json.RawMessage) error {
			grant, err := r.app.api.FinishPasskeyVerification(ctx, token, assertion)
			if err != nil {
				return err
			}
			if err := r.app.api.RemovePasskey(ctx, token, grant.Token, id); err != nil {
				return err
			}
			pol, err = r.app.api.Policy(ctx, token)
			return err
		},
		setStep: func(objs []fyne.CanvasObject, focus fyne.Focusable) {
			r.steps.Objects = objs
			r.steps.Refresh()
			if focus != nil {
				r.app.win.Canvas().Focus(focus)
			}
		},
		done: func(err error) {
			r.steps.RemoveAll()
			r.flow = nil
			if canceled(err) {
				r.setInputs(true)
				return
			}
			r.removed(err, pol)
		},
	}
	r.flow.start()
}

// removed ends the removal: the list again, saying so and showing any
// hold with its end.
func (r *removeScreen) removed(err error, pol *account.Policy) {
	if r.list.shell.passkeys != r.list {
		return
	}
	r.setInputs(true)
	if err != nil {
		for _, e := range []*widget.Entry{r.totp, r.email} {
			if e != nil {
				e.SetText("")
			}
		}
		if errors.Is(err, account.ErrVerificationExpired) {
			r.fb.busy("Starting the check again…")
			r.load()
		}
		r.app.fail(r.fb, "removing a passkey", err)
		return
	}
	note := "“" + r.pk.Name + "” was removed."
	if pol != nil && !pol.HoldUntil.IsZero() {
		note += " " + describePolicy(&account.PolicyError{Rule: account.RuleHold, Until: pol.HoldUntil}).Sentence
	}
	r.list.note = note
	r.list.load()
}

func (r *removeScreen) setInputs(on bool) {
	ws := []fyne.Disableable{r.back}
	for _, b := range []*widget.Button{r.verify, r.withPasskey} {
		if b != nil {
			ws = append(ws, b)
		}
	}
	for _, e := range []*widget.Entry{r.password, r.totp, r.email} {
		if e != nil {
			ws = append(ws, e)
		}
	}
	setEnabled(on, ws...)
}
