package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// removeScreen removes one passkey. Before anything is clicked it says
// what the removal needs: identity verification with another passkey (no
// hold follows) or with password and codes (withdrawals and C2C trades are
// then held for 24 hours); and, while "Passkey required" is on, that the
// last passkey cannot be removed. The person chooses the way first;
// only then does the check start (identityCheck). The passkey being
// removed is not asked for: the service would accept it, but its word on
// its own removal starts the hold as password and codes do
// (account.Service.RemovePasskey), which the passkey way promises not to.
// Once removed, the list says whether a hold started and until when.
//
// A passkey of this computer is also deleted from this computer's store,
// its private key with it, as soon as the account has let it go: that
// needs neither the local PIN nor the keyring (the store lists credential
// IDs in the clear), so the person is not asked for anything more. If the
// store cannot be written (damaged, or the disk failing) the removal from
// the account stands, the log says so, and the list says that the key is
// left and that Settings' "Start over" deletes it.
type removeScreen struct {
	app   *App
	list  *passkeysScreen
	pk    account.Passkey
	count int // the account's passkeys, this one included

	box   *fyne.Container
	fb    *feedback
	back  *button
	check *identityCheck
	// heldUntil is the end of the hold before the removal (zero for
	// none), to tell whether the removal started one.
	heldUntil time.Time
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
	r.back = newButtonWithIcon("Back to passkeys", theme.NavigateBackIcon(), r.leave)
	r.fb.busy("Checking what removing it needs…")
	r.load()
	return container.NewVBox(
		headingText("Remove “"+r.pk.Name+"”"),
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
		r.heldUntil = pol.HoldUntil
		r.showWays()
	})
}

func (r *removeScreen) showWays() {
	token, id := r.app.token, r.pk.ID
	var pol *account.Policy
	hold := holdTime(r.app.now().Add(account.RemovalHold))
	var local localKey
	pk, dev := r.pk, r.app.thisComputer
	r.check = &identityCheck{
		app:           r.app,
		purpose:       account.PurposeRemovePasskey,
		what:          "removing a passkey",
		withPasskey:   r.count > 1 && r.app.canPasskeySignIn(),
		notCredential: r.pk.CredentialID,
		passkeyNote:   "Use another of your passkeys, not \u201c" + r.pk.Name + "\u201d itself. Removal approved by another passkey puts no hold on withdrawals or C2C trades, unless that passkey is itself still on hold after it was added.",
		codesNote:     "After this, withdrawals and C2C trades are held for 24 hours, until about " + hold + ", in case someone else is removing your passkey.",
		act:           "Verify and remove",
		ownWayBack:    true, // "Back to passkeys"
		use: func(ctx context.Context, grant string) error {
			if err := r.app.api.RemovePasskey(ctx, token, grant, id); err != nil {
				return err
			}
			local = deleteLocalKey(ctx, r.app, dev, pk)
			var err error
			pol, err = r.app.api.Policy(ctx, token)
			return err
		},
		done: func(err error) {
			if err != nil {
				r.leave()
				return
			}
			r.removed(pol, local)
		},
	}
	r.box.RemoveAll()
	r.box.Add(paragraph("Removing a passkey is a security change, so first confirm it is you. Choose how."))
	r.box.Add(r.check.object())
	r.check.shown()
}

// removed ends the removal: the list again, saying so and showing any
// hold with its end.
func (r *removeScreen) removed(pol *account.Policy, local localKey) {
	if r.list.shell.passkeys != r.list {
		return
	}
	r.list.note = removedNote(r.pk.Name, r.heldUntil, pol) + local.words()
	r.list.load()
}

// localKey is what became of a removed passkey's private key on this
// computer.
type localKey int

const (
	localNotHere localKey = iota // not a passkey this computer holds
	localDeleted                 // deleted from this computer's store
	localLeft                    // still in the store: it could not be written
)

// words says so, after the removal's note.
func (k localKey) words() string {
	switch k {
	case localDeleted:
		return " Its private key is deleted from this computer."
	case localLeft:
		return " Its private key could not be deleted from this computer; \u201cStart over\u201d under Settings, This computer, deletes it."
	}
	return ""
}

// deleteLocalKey deletes the private key of pk, just removed from the
// account, from this computer's store dev (nil without the method). It
// runs on the removal's worker goroutine.
func deleteLocalKey(ctx context.Context, a *App, dev ThisComputer, pk account.Passkey) localKey {
	if dev == nil || pk.Kind != account.KindThisComputer {
		return localNotHere
	}
	switch err := dev.DeleteCredential(ctx, pk.CredentialID); {
	case errors.Is(err, fido.ErrNoCredentials):
		return localNotHere
	case err != nil:
		a.log.Warn("a removed passkey's private key is left on this computer", "passkey", pk.ID, "err", err)
		return localLeft
	}
	a.log.Info("a removed passkey's private key is deleted from this computer", "passkey", pk.ID)
	return localDeleted
}

// removedNote says that the passkey called name was removed and what that
// did to withdrawals and C2C trades: held from now (the hold's end moved),
// still held by an earlier change, or not held. before is the hold's end
// before the removal; pol is the policy after it (nil when unread).
func removedNote(name string, before time.Time, pol *account.Policy) string {
	note := "\u201c" + name + "\u201d was removed."
	switch {
	case pol == nil:
	case !pol.HoldUntil.IsZero() && !pol.HoldUntil.Equal(before):
		note += " Because it was confirmed without another passkey's approval, withdrawals and C2C trades are held until " + holdTime(pol.HoldUntil) + ", in case someone else removed it."
	case !pol.HoldUntil.IsZero():
		note += " This removal started no hold; an earlier change holds withdrawals and C2C trades until " + holdTime(pol.HoldUntil) + "."
	default:
		note += " Withdrawals and C2C trades are not held."
	}
	return note
}
