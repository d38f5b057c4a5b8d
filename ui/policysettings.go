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
type policySettings struct {
	app      *App
	required *widget.Check
	hold     *widget.Label
	fb       *feedback
	// setting is true while the check is set from the service's answer,
	// so that OnChanged does not send it back.
	setting bool
}

// securitySettings builds the part and starts loading the policy.
func (a *App) securitySettings() fyne.CanvasObject {
	p := &policySettings{app: a, fb: newFeedback()}
	p.required = widget.NewCheck("Passkey required", p.change)
	p.required.Disable()
	p.hold = paragraph("")
	p.hold.Hide()
	p.load()
	return container.NewVBox(
		heading("Security"),
		p.required,
		paragraph("When on, signing in and approving operations need one of your passkeys; password and code alone no longer sign in, and your last passkey cannot be removed."),
		p.hold,
		p.fb.object(),
	)
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
		p.hold.SetText("Withdrawals and C2C trades are on hold until " + pol.HoldUntil.Local().Format("Mon 2 Jan 15:04") + ", because a passkey was removed.")
		p.hold.Show()
	} else {
		p.hold.Hide()
	}
}

func (p *policySettings) change(on bool) {
	if p.setting {
		return
	}
	token := p.app.token
	p.required.Disable()
	p.fb.busy("Saving…")
	var pol *account.Policy
	p.app.run(func(ctx context.Context) error {
		if err := p.app.api.SetPasskeyRequired(ctx, token, on); err != nil {
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
