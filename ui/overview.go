package ui

import (
	"context"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// overviewScreen is the security overview: which identity factors the
// account has and how many passkeys are bound.
type overviewScreen struct {
	app   *App
	shell *shell

	factors  *fyne.Container
	passkeys *widget.Label
	// hold says withdrawals and C2C trades are held, and until when;
	// hidden when they are not.
	hold *widget.Label
	// required is "Passkey required", as last read.
	required bool
	add      *button
	fb       *feedback
}

func (s *overviewScreen) build() fyne.CanvasObject {
	s.factors = container.NewVBox()
	s.passkeys = widget.NewLabel("")
	s.passkeys.Wrapping = fyne.TextWrapWord
	s.hold = widget.NewLabel("")
	s.hold.Wrapping = fyne.TextWrapWord
	s.hold.Importance = widget.WarningImportance
	s.hold.Hide()
	s.add = newButtonWithIcon("Add passkey", theme.ContentAddIcon(), func() { s.shell.open(sectionAddPasskey) })
	s.add.Importance = widget.HighImportance
	s.fb = newFeedback()
	s.show(s.app.me)
	s.refresh()
	return page(
		headingText("Security overview"),
		paragraph("Signed in as "+s.app.me.DisplayName+" ("+s.app.me.Email+")."+onServer(s.app.server)),
		heading("How you prove it is you"),
		s.factors,
		s.app.emailNudge(s.refresh),
		s.app.recoveryNudge(),
		heading("Passkeys"),
		s.hold,
		s.passkeys,
		s.app.backupNudgeLoaded(),
		s.add,
		s.fb.object(),
	)
}

// refresh reloads the account, so counts changed elsewhere show.
func (s *overviewScreen) refresh() {
	token := s.app.token
	var (
		me     *account.Account
		policy *account.Policy
	)
	var policyErr error
	s.app.run(func(ctx context.Context) error {
		var err error
		if me, err = s.app.api.Me(ctx, token); err != nil {
			return err
		}
		// The hold is one line of this screen: without it, the rest
		// still shows.
		policy, policyErr = s.app.api.Policy(ctx, token)
		return nil
	}, func(err error) {
		if err != nil {
			s.app.fail(s.fb, "loading the account", err)
			return
		}
		s.app.me = *me
		s.shell.banner.update()
		if policyErr == nil {
			s.required = policy.PasskeyRequired
		}
		s.show(*me)
		if policyErr != nil {
			s.app.log.Warn("reading the hold for the overview failed", "err", policyErr)
			s.hold.Hide()
			return
		}
		s.showHold(policy)
	})
}

// showHold shows, while it lasts, the hold on withdrawals and C2C trades
// that a security change made without another passkey's approval
// started (a passkey added or removed, "Passkey required" turned off),
// with its cause.
func (s *overviewScreen) showHold(p *account.Policy) {
	if !s.app.now().Before(p.HoldUntil) {
		s.hold.Hide()
		return
	}
	s.hold.SetText(describePolicy(&account.PolicyError{Rule: account.RuleHold, Until: p.HoldUntil, Cause: p.HoldCause}).Sentence)
	s.hold.Show()
}

func (s *overviewScreen) show(me account.Account) {
	s.factors.RemoveAll()
	for _, f := range []account.Factor{account.FactorPassword, account.FactorTOTP, account.FactorEmailCode} {
		row := factorRow(f, slices.Contains(me.Factors, f), s.required && me.PasskeyCount > 0)
		if f == account.FactorEmailCode && me.EmailUnconfirmed {
			row = unconfirmedEmailRow()
		}
		s.factors.Add(row)
	}
	switch me.PasskeyCount {
	case 0:
		s.passkeys.SetText("No passkeys yet. A passkey lets you sign in and approve changes with a security key, your phone or this computer instead of typing a password and a code.")
	case 1:
		s.passkeys.SetText("1 passkey is bound to your account.")
	default:
		s.passkeys.SetText(fmt.Sprintf("%d passkeys are bound to your account.", me.PasskeyCount))
	}
}

// factorRow says whether the account has one factor and what it is for.
// With passkeyOnly ("Passkey required" on, and a passkey bound) sign-in
// takes a passkey, so the password and the code are asked only before
// security changes.
func factorRow(f account.Factor, has, passkeyOnly bool) fyne.CanvasObject {
	var name, yes, no string
	switch f {
	case account.FactorPassword:
		name, yes, no = "Password", "Set. Asked at sign-in and before security changes.", "Not set."
		if passkeyOnly {
			yes = "Set. Asked before security changes. Sign-in takes a passkey, as \u201cPasskey required\u201d is on."
		}
	case account.FactorTOTP:
		name, yes, no = "Authenticator app", "Set up. Its 6-digit code is asked at sign-in and before security changes.", "Not set up."
		if passkeyOnly {
			yes = "Set up. Its 6-digit code is asked before security changes. Sign-in takes a passkey, as \u201cPasskey required\u201d is on."
		}
	case account.FactorEmailCode:
		name, yes, no = "Email codes", "On. A code is emailed to you before security changes.", "Not used: email delivery is not configured on this account service."
	}
	icon, text := theme.ConfirmIcon(), yes
	if !has {
		icon, text = theme.NewDisabledResource(theme.CancelIcon()), no
	}
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil,
		container.NewVBox(heading(name), paragraph(text)))
}

// onServer is the overview's words for a remote account server, "" for
// the embedded one.
func onServer(server string) string {
	if server == "" {
		return ""
	}
	return " Account server: " + server + "."
}
