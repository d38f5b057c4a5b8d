package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// policySettings is the security part of Settings: "Passkey required" and
// the hold a passkey removal started, read from the account service.
// Turning "Passkey required" on only tightens the policy and happens at
// once; turning it off loosens it, so the person first confirms it is
// them (identityCheck) and the box stays ticked until that is done.
type policySettings struct {
	app      *App
	required *widget.Check
	hold     *widget.Label
	fb       *feedback
	verify   *fyne.Container // the identity check for turning it off
	check    *identityCheck  // under way, or nil
	// setting is true while the check is set from the service's answer,
	// so that OnChanged does not send it back.
	setting bool
}

// newPolicySettings returns the part; build shows it.
func newPolicySettings(a *App) *policySettings {
	return &policySettings{app: a, fb: newFeedback()}
}

// build builds the part and starts loading the policy.
func (p *policySettings) build() fyne.CanvasObject {
	p.required = widget.NewCheck("Passkey required", p.change)
	p.required.Disable()
	p.hold = paragraph("")
	p.hold.Hide()
	p.verify = container.NewVBox()
	p.load()
	return container.NewVBox(
		heading("Security"),
		p.required,
		paragraph("When on, signing in and approving operations need one of your passkeys; password and code alone no longer sign in, and your last passkey cannot be removed. Turning it off needs you to confirm it is you."),
		p.verify,
		p.hold,
		p.fb.object(),
	)
}

// close ends a check under way when Settings goes away.
func (p *policySettings) close() {
	if p.check != nil {
		p.check.close()
		p.check = nil
	}
}

func (p *policySettings) load() {
	token := p.app.token
	var pol *account.Policy
	p.app.run(func(ctx context.Context) error {
		var err error
		pol, err = p.app.api.Policy(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			p.app.fail(p.fb, "reading the security policy", err)
			return
		}
		p.show(pol)
	})
}

func (p *policySettings) show(pol *account.Policy) {
	p.setting = true
	p.required.SetChecked(pol.PasskeyRequired)
	p.setting = false
	p.required.Enable()
	if !pol.HoldUntil.IsZero() {
		p.hold.SetText(describePolicy(&account.PolicyError{Rule: account.RuleHold, Until: pol.HoldUntil, Cause: pol.HoldCause}).Sentence)
		p.hold.Show()
	} else {
		p.hold.Hide()
	}
}

func (p *policySettings) change(on bool) {
	if p.setting {
		return
	}
	if !on {
		p.confirmOff()
		return
	}
	token := p.app.token
	p.required.Disable()
	p.fb.busy("Saving…")
	var pol *account.Policy
	p.app.run(func(ctx context.Context) error {
		if err := p.app.api.SetPasskeyRequired(ctx, token, "", true); err != nil {
			return err
		}
		var err error
		pol, err = p.app.api.Policy(ctx, token)
		return err
	}, func(err error) {
		p.fb.clear()
		if err != nil {
			p.setting = true
			p.required.SetChecked(!on)
			p.setting = false
			p.required.Enable()
			p.app.fail(p.fb, "changing Passkey required", err)
			return
		}
		p.show(pol)
	})
}

// confirmOff keeps the box ticked and asks the person to confirm it is
// them; only the check's grant turns the setting off. Cancel leaves it on.
func (p *policySettings) confirmOff() {
	p.setting = true
	p.required.SetChecked(true)
	p.setting = false
	p.required.Disable()
	p.fb.clear()
	token := p.app.token
	var pol *account.Policy
	p.check = &identityCheck{
		app:         p.app,
		purpose:     account.PurposeChangePolicy,
		what:        "turning Passkey required off",
		withPasskey: p.app.canPasskeySignIn(),
		act:         "Verify and turn off",
		use: func(ctx context.Context, grant string) error {
			if err := p.app.api.SetPasskeyRequired(ctx, token, grant, false); err != nil {
				return err
			}
			var err error
			pol, err = p.app.api.Policy(ctx, token)
			return err
		},
		done: func(err error) {
			p.check = nil
			p.verify.RemoveAll()
			if err != nil { // cancelled: it stays on
				p.required.Enable()
				return
			}
			p.show(pol)
		},
	}
	p.verify.Objects = []fyne.CanvasObject{
		paragraph("Turning “Passkey required” off loosens your account's security, so first confirm it is you."),
		p.check.object(),
	}
	p.verify.Refresh()
	p.check.shown()
}
