package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// removeScreen removes one passkey. Before anything is clicked it says
// what the removal needs: identity verification with another passkey (no
// hold follows) or with password and codes (withdrawals and C2C trades are
// then held for 24 hours); and, while "Passkey required" is on, that the
// last passkey cannot be removed. The person chooses the way first;
// only then does the check start (identityCheck).
type removeScreen struct {
	app   *App
	list  *passkeysScreen
	pk    account.Passkey
	count int // the account's passkeys, this one included

	box   *fyne.Container
	fb    *feedback
	back  *widget.Button
	check *identityCheck
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
	r.box = container.NewVBox()
	r.back = widget.NewButtonWithIcon("Back to passkeys", theme.NavigateBackIcon(), r.leave)
	r.fb.busy("Checking what removing it needs…")
	r.load()
	return container.NewVBox(
		heading("Remove “"+r.pk.Name+"”"),
		r.box,
		r.fb.object(),
		container.NewHBox(r.back),
	)
}

// leave goes back to the list, cancelling any check under way.
func (r *removeScreen) leave() {
	r.close()
	r.list.load()
}

// close ends the removal when its screen goes away: a key operation under
// way for it is cancelled.
func (r *removeScreen) close() {
	if r.check != nil {
		r.check.close()
	}
}

// load reads the policy, to say before anything else when the last
// passkey must stay.
func (r *removeScreen) load() {
	token := r.app.token
	var pol *account.Policy
	r.app.run(func(ctx context.Context) error {
		var err error
		pol, err = r.app.api.Policy(ctx, token)
		return err
	}, func(err error) {
		r.fb.clear()
		if err != nil {
			r.app.fail(r.fb, "preparing a removal", err)
			return
		}
		if pol.PasskeyRequired && r.count <= 1 {
			r.fb.show(describePolicy(&account.PolicyError{Rule: account.RuleLastPasskey}))
			return
		}
		r.showWays()
	})
}

func (r *removeScreen) showWays() {
	token, id := r.app.token, r.pk.ID
	var pol *account.Policy
	hold := r.app.now().Add(account.RemovalHold).Local().Format("Mon 2 Jan 15:04")
	r.check = &identityCheck{
		app:         r.app,
		purpose:     account.PurposeRemovePasskey,
		what:        "removing a passkey",
		withPasskey: r.count > 1 && r.app.canPasskeySignIn(),
		passkeyNote: "Removal approved by another of your passkeys puts no hold on withdrawals or C2C trades.",
		codesNote:   "After this, withdrawals and C2C trades are held for 24 hours, until about " + hold + ", in case someone else is removing your passkey.",
		act:         "Verify and remove",
		use: func(ctx context.Context, grant string) error {
			if err := r.app.api.RemovePasskey(ctx, token, grant, id); err != nil {
				return err
			}
			var err error
			pol, err = r.app.api.Policy(ctx, token)
			return err
		},
		done: func(err error) {
			if err != nil {
				r.leave()
				return
			}
			r.removed(pol)
		},
	}
	r.box.RemoveAll()
	r.box.Add(paragraph("Removing a passkey is a security change, so first confirm it is you. Choose how."))
	r.box.Add(r.check.object())
}

// removed ends the removal: the list again, saying so and showing any
// hold with its end.
func (r *removeScreen) removed(pol *account.Policy) {
	if r.list.shell.passkeys != r.list {
		return
	}
	note := "“" + r.pk.Name + "” was removed."
	if pol != nil && !pol.HoldUntil.IsZero() {
		note += " " + describePolicy(&account.PolicyError{Rule: account.RuleHold, Until: pol.HoldUntil}).Sentence
	}
	r.list.note = note
	r.list.load()
}
