package ui

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// addPasskeyScreen is the add-passkey wizard. Its first step verifies the
// user's identity with the factors the service asks for, or with one of
// the account's passkeys when the app can use one; the grant it earns is
// what binding a passkey needs. Verified with password and code, the
// addition holds withdrawals and C2C trades (and the new passkey) for 24
// hours, which the wizard says before anything is typed. Binding methods are offered only
// when the app has what they need: the security-key method (securitykey.go
// and the key*.go steps) when Deps.Keys is set, the phone-or-tablet method
// (phone.go) when Deps.Phone is, the this-computer method (thiscomputer.go)
// when Deps.ThisComputer is. With none, the last step says so.
type addPasskeyScreen struct {
	app   *App
	shell *shell

	body *fyne.Container // the current step

	ver      *account.Verification
	factors  *factorForm // the identity check's answers
	password *widget.Entry
	totp     *widget.Entry
	email    *widget.Entry
	verify   *button
	cancel   *button
	fb       *feedback

	grant *account.Grant
	// byPasskey: the grant came from one of the account's passkeys, so
	// (unless that passkey is itself on hold) the addition holds nothing.
	byPasskey bool
	// The passkey way of the check, offered when the account has a
	// passkey and the app can use one: its button and the flow's steps.
	withPasskey *button
	steps       *fyne.Container
	flow        *assertFlow

	keys  *keyFlow          // the security-key method, once chosen
	phone *phoneFlow        // the phone-or-tablet method, once chosen
	local *thisComputerFlow // the this-computer method, once chosen

	// later gives a step's focus once the shell has shown the wizard.
	later laterFocus
}

func (s *addPasskeyScreen) build() fyne.CanvasObject {
	s.body = container.NewStack()
	s.begin(nil)
	return s.body
}

// begin starts a verification; why, when set, says why on the new step
// (such as an earlier verification having expired).
func (s *addPasskeyScreen) begin(why error) {
	fb := newFeedback()
	fb.busy("Starting the identity check…")
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), s.leave)
	s.setStep(page(headingText("Add a passkey"), fb.object(), cancel), cancel)
	s.close()
	s.byPasskey = false

	token := s.app.token
	var ver *account.Verification
	s.app.run(func(ctx context.Context) error {
		var err error
		ver, err = s.app.api.BeginVerification(ctx, token, account.PurposeAddPasskey)
		return err
	}, func(err error) {
		if err != nil {
			s.app.fail(fb, "starting identity verification", err)
			return
		}
		s.showFactors(ver)
		if why != nil {
			s.app.fail(s.fb, "verifying identity", why)
		}
	})
}

// showFactors is the verification step: one entry per factor asked for.
func (s *addPasskeyScreen) showFactors(ver *account.Verification) {
	s.ver = ver
	s.fb = newFeedback()
	s.verify = newButtonWithIcon("Verify", theme.ConfirmIcon(), s.complete)
	s.verify.Importance = widget.HighImportance
	s.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), s.leave)

	s.factors = newFactorForm(ver)
	s.password, s.totp, s.email = s.factors.password, s.factors.totp, s.factors.email
	form, entries := s.factors.form, s.factors.entries
	var notes []fyne.CanvasObject
	if s.email != nil {
		notes = append(notes, infoLine("A code was emailed to "+ver.EmailSentTo+". It is valid for 10 minutes."))
	}
	for _, f := range s.factors.unanswerable {
		// A factor this build cannot answer (such as an existing passkey):
		// say so rather than fail at the service.
		notes = append(notes, infoLine("This check asks for "+factorWords(f)+", which this version of Passkey Desk cannot provide yet."))
		s.verify.Disable()
	}
	if !ver.EmailConfigured {
		notes = append(notes, infoLine("Email delivery is not configured on this account service, so this check does not ask for an email code."))
	} else if s.email == nil {
		notes = append(notes, infoLine(unconfirmedCheckWords))
	}
	if len(entries) > 0 {
		submitOnEnter(s.app.win.Canvas(), s.complete, entries...)
	}

	objs := []fyne.CanvasObject{
		headingText("Add a passkey"),
		heading("Step 1 of " + s.stepCount() + ": verify your identity"),
		paragraph("Adding a passkey is a security change, so first confirm it is you."),
		holdNote(addHoldWords),
		form,
	}
	objs = append(objs, notes...)
	objs = append(objs, container.NewHBox(s.verify, s.cancel))
	s.withPasskey, s.steps = nil, nil
	if s.app.canPasskeySignIn() && s.app.me.PasskeyCount > 0 {
		s.withPasskey = newButtonWithIcon("Verify with a passkey", theme.LoginIcon(), s.verifyWithPasskey)
		s.steps = container.NewVBox()
		objs = append(objs,
			heading("Or with one of your passkeys"),
			paragraph("Use a security key or this computer. Adding a passkey this way holds nothing, unless the passkey you use was itself added in the last 24 hours without another passkey."),
			container.NewHBox(s.withPasskey), s.steps)
	}
	objs = append(objs, s.fb.object())
	var first fyne.Focusable = s.cancel
	if len(entries) > 0 {
		first = entries[0]
	}
	s.setStep(page(objs...), first)
}

func (s *addPasskeyScreen) complete() {
	if s.verify.Disabled() {
		return
	}
	started := s.factors.complete(s.app, s.fb, "verifying identity", s.ver.ID, nil, func(grant *account.Grant, err error) {
		s.setInputs(true)
		if errors.Is(err, account.ErrVerificationExpired) {
			s.begin(err)
			return
		}
		if err != nil {
			s.app.fail(s.fb, "verifying identity", err)
			if s.totp != nil {
				s.app.focus(s.totp)
			}
			return
		}
		s.fb.clear()
		s.showMethods(grant)
	})
	if started {
		s.setInputs(false)
	}
}

// verifyWithPasskey runs the check's passkey way: an assertion of one of
// the account's passkeys gives the grant.
func (s *addPasskeyScreen) verifyWithPasskey() {
	s.fb.clear()
	s.setInputs(false)
	token := s.app.token
	var grant *account.Grant
	s.flow = &assertFlow{
		app:  s.app,
		what: "to verify it is you",
		begin: func(ctx context.Context) (json.RawMessage, error) {
			return s.app.api.BeginPasskeyVerification(ctx, token, account.PurposeAddPasskey)
		},
		finish: func(ctx context.Context, assertion json.RawMessage) error {
			var err error
			grant, err = s.app.api.FinishPasskeyVerification(ctx, token, assertion)
			return err
		},
		setStep: func(objs []fyne.CanvasObject, focus fyne.Focusable) {
			s.steps.Objects = objs
			s.steps.Refresh()
			if focus != nil {
				s.app.focus(focus)
			}
		},
		done: func(err error) {
			s.steps.RemoveAll()
			s.flow = nil
			s.setInputs(true)
			switch {
			case err == nil:
				s.byPasskey = true
				s.showMethods(grant)
			case canceled(err):
			default:
				s.app.fail(s.fb, "verifying identity", err)
			}
		},
	}
	s.flow.start()
}

func (s *addPasskeyScreen) setInputs(on bool) {
	ws := []fyne.Disableable{s.verify, s.cancel}
	if s.withPasskey != nil {
		ws = append(ws, s.withPasskey)
	}
	for _, e := range []*widget.Entry{s.password, s.totp, s.email} {
		if e != nil {
			ws = append(ws, e)
		}
	}
	setEnabled(on, ws...)
}

// showMethods is the step after verification. It offers the binding
// methods this build has: a security key when a key provider is
// configured, a phone or tablet when the enrollment page is served (or
// disabled with why it cannot be), this computer when a platform
// authenticator is configured (disabled with why while it cannot be used);
// with none, it says so plainly.
func (s *addPasskeyScreen) showMethods(g *account.Grant) {
	s.grant = g
	verified := container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.ConfirmIcon())), nil,
		paragraph("Your identity is verified. This check lets you add one passkey, until "+g.ExpiresAt.Local().Format("15:04")+"; another passkey after it needs a new check."))
	if !s.hasMethods() {
		done := newButtonWithIcon("Back to passkeys", theme.NavigateBackIcon(), s.leave)
		done.Importance = widget.HighImportance
		s.setStep(page(
			headingText("Add a passkey"),
			heading("Step 2 of 2: choose how to add it"),
			verified,
			paragraph("No way to add a passkey is available in this version of Passkey Desk yet: security keys, phones and this computer come in later versions. Nothing has been changed on your account."),
			done,
		), done)
		return
	}
	objs := []fyne.CanvasObject{
		headingText("Add a passkey"),
		heading("Step 2 of 3: choose how to add it"),
		verified,
	}
	if !s.byPasskey {
		objs = append(objs, holdNote("Once it is added, withdrawals and C2C trades are held for 24 hours, until about "+holdTime(s.app.now().Add(account.RemovalHold))+", because you confirmed with your password and code."))
	}
	// The first method that can be used at once has the keyboard focus;
	// this computer's is checked first, off the UI goroutine.
	var first fyne.Focusable
	if s.app.keys != nil {
		b := newButtonWithIcon("Security key", component.SecurityKeyIcon(), s.addSecurityKey)
		objs = append(objs, b, paragraph("A USB security key you plug into this computer, protected by its PIN."))
		first = b
	}
	if s.app.phone {
		b := newButtonWithIcon("Phone or tablet", component.PhoneIcon(), s.addPhone)
		objs = append(objs, b, paragraph("Scan a QR code with your phone or tablet; it keeps the passkey (iCloud Keychain, Google Password Manager and the like)."))
		if err := s.app.phoneUnavailable; err != nil {
			b.Disable()
			fb := newFeedback()
			fb.show(describe(&phonePageError{err}))
			objs = append(objs, fb.object())
		} else if first == nil {
			first = b
		}
	}
	if s.app.thisComputer != nil {
		b, why := s.thisComputerChoice()
		objs = append(objs, b, paragraph("A passkey kept on this computer, protected by the system keyring and a local PIN. It works only on this computer."), why)
	}
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), s.leave)
	objs = append(objs, container.NewHBox(cancel))
	if first == nil {
		first = cancel
	}
	s.setStep(page(objs...), first)
}

// addHoldWords say, before a passkey is added with password and code,
// what that does: the service holds withdrawals and C2C trades, and the
// new passkey, for account.RemovalHold.
const addHoldWords = "Adding a passkey with your password and code holds withdrawals and C2C trades for 24 hours, and the new passkey cannot approve them until then. The hold protects you if someone else has your password."

// holdNote is a warning line about a hold.
func holdNote(words string) fyne.CanvasObject {
	l := paragraph(words)
	l.Importance = widget.WarningImportance
	return l
}

// hasMethods reports whether the wizard has a binding method to offer.
func (s *addPasskeyScreen) hasMethods() bool {
	return s.app.keys != nil || s.app.phone || s.app.thisComputer != nil
}

// addSecurityKey starts the security-key method.
func (s *addPasskeyScreen) addSecurityKey() {
	s.keys = newKeyFlow(s, s.grant.Token)
	s.keys.start()
}

// addPhone starts the phone-or-tablet method.
func (s *addPasskeyScreen) addPhone() {
	s.phone = newPhoneFlow(s, s.grant.Token)
	s.phone.start()
}

// close ends what the wizard has under way; the shell calls it when the
// wizard leaves the window.
func (s *addPasskeyScreen) close() {
	if s.flow != nil {
		s.flow.abandon()
		s.flow = nil
	}
	if s.keys != nil {
		s.keys.end()
		s.keys = nil
	}
	if s.phone != nil {
		s.phone.end()
		s.phone = nil
	}
	if s.local != nil {
		s.local.end()
		s.local = nil
	}
}

// stepCount is how many steps the wizard has: with a binding method, a
// third to bind the passkey.
func (s *addPasskeyScreen) stepCount() string {
	if !s.hasMethods() {
		return "2"
	}
	return "3"
}

// leave goes back to the passkeys list.
func (s *addPasskeyScreen) leave() { s.shell.open(sectionPasskeys) }

// leaveAdded goes back to the passkeys list, which says that the passkey
// pk (nil when the app does not know it) was added.
func (s *addPasskeyScreen) leaveAdded(pk *account.Passkey) {
	s.leave()
	if l := s.shell.passkeys; l != nil {
		l.note = addedNote(pk, s.app.now())
	}
}

// addedNote is what the passkeys list says after the passkey pk (nil when
// unknown) was added, at now: with the hold it started, if any (the list
// shows a held passkey's hold too).
func addedNote(pk *account.Passkey, now time.Time) string {
	what := "The passkey"
	if pk != nil && pk.Name != "" {
		what = "\u201c" + pk.Name + "\u201d"
	}
	switch {
	case pk == nil:
		return what + " was added to your account: use it to sign in."
	case pk.Held(now):
		return what + " was added to your account: use it to sign in. Because you confirmed with your password and code, withdrawals and C2C trades are held until " + holdTime(pk.HeldUntil) + ", and it approves them only after that."
	}
	return what + " was added to your account: use it to sign in and to approve operations."
}

// relayout lays the step out again after a part of it changed height
// (a feedback strip shown, a status line added). It lays out twice: a
// wrapped label that was hidden learns its width in the first pass and
// its height, in lines, only from that width.
func (s *addPasskeyScreen) relayout() {
	s.body.Refresh()
	s.body.Refresh()
}

func (s *addPasskeyScreen) setStep(c fyne.CanvasObject, focus fyne.Focusable) {
	s.body.Objects = []fyne.CanvasObject{c}
	s.body.Refresh()
	s.later.focus(s.app, focus)
}
