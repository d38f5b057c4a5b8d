package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// lostMark is a mark of the account's passkeys as lost, after a reset or
// a delete on the key, that the service would not make on the session
// alone: they were the last passkeys the account could sign in with
// while "Passkey required" is on, so marking them lets password and code
// sign in again (account.ErrGrantRequired). The panel says so and asks
// the person to confirm it is them with password and codes; no passkey
// can, since the ones that could are those being marked. Cancelled, the
// passkeys stay unmarked and the panel offers the check again.
type lostMark struct {
	panel *keyPanel
	ids   []string
	names []string
	why   string
	check *identityCheck // under way, or nil
	obj   fyne.CanvasObject
}

// markLost marks the account's passkeys with these IDs as lost (their key
// no longer holds them), then reads the account's passkeys again. When
// the service asks for an identity check first, the panel asks for it
// (lostMark).
func (p *keyPanel) markLost(ids []string, why string) {
	token := p.app.token
	p.app.run(func(ctx context.Context) error {
		return p.app.api.MarkPasskeysLost(ctx, token, "", ids, why)
	}, func(err error) {
		if p.ended {
			return
		}
		switch {
		case errors.Is(err, account.ErrGrantRequired):
			p.askLostCheck(ids, why)
		case err != nil:
			p.app.fail(p.fb, "marking passkeys as lost", err)
		}
		p.loadAccount()
	})
}

// askLostCheck shows the identity check that marking ids as lost needs.
func (p *keyPanel) askLostCheck(ids []string, why string) {
	if p.lost != nil {
		p.lost.close()
	}
	m := &lostMark{panel: p, ids: ids, why: why}
	for _, id := range ids {
		for _, pk := range p.accountPKs {
			if pk.ID == id {
				m.names = append(m.names, "\u201c"+pk.Name+"\u201d")
			}
		}
	}
	p.lost = m
	m.start()
}

// start shows the check.
func (m *lostMark) start() {
	p := m.panel
	token, ids, why := p.app.token, m.ids, m.why
	var pol *account.Policy
	m.check = &identityCheck{
		app:       p.app,
		purpose:   account.PurposeRemovePasskey,
		what:      "marking a passkey as lost",
		codesNote: "Withdrawals and C2C trades are then held for 24 hours, until about " + holdTime(p.app.now().Add(account.RemovalHold)) + ", in case someone else did this.",
		act:       "Verify and mark as lost",
		use: func(ctx context.Context, grant string) error {
			if err := p.app.api.MarkPasskeysLost(ctx, token, grant, ids, why); err != nil {
				return err
			}
			var err error
			pol, err = p.app.api.Policy(ctx, token)
			return err
		},
		done: func(err error) {
			m.check = nil
			if p.lost != m || p.ended {
				return
			}
			if err != nil { // cancelled: they stay unmarked
				m.build()
				p.render()
				return
			}
			p.lost = nil
			// Said where the check was asked for, above the key.
			note := m.what() + " marked lost. Sign in with your password and code until you add a passkey."
			if pol != nil && !pol.HoldUntil.IsZero() {
				note += " Withdrawals and C2C trades are held until " + holdTime(pol.HoldUntil) + "."
			}
			p.at = atKeys
			p.fb.clear()
			p.result.note(note)
			p.loadAccount()
			p.render()
		},
	}
	m.build()
	p.render()
	m.check.shown()
}

// what names the passkeys, as in "“Blue key” is" or "“A” and “B” are".
func (m *lostMark) what() string {
	switch len(m.names) {
	case 0:
		return "The passkey is"
	case 1:
		return m.names[0] + " is"
	}
	return strings.Join(m.names[:len(m.names)-1], ", ") + " and " + m.names[len(m.names)-1] + " are"
}

// build makes the section's widgets: the check while it runs, else what
// leaving the passkeys unmarked means and a way back to the check.
func (m *lostMark) build() {
	title, were, it := "Your last passkey is gone", "It was the last passkey", "it"
	if len(m.ids) > 1 {
		title, were, it = "Your last passkeys are gone", "They were the last passkeys", "them"
	}
	objs := []fyne.CanvasObject{
		headingText(title),
		paragraph(m.what() + " no longer on a key. " + were + " your account could sign in with, and \u201cPasskey required\u201d is on, so marking " + it + " lost is a security change: after it, your password and code sign you in until you add a passkey."),
	}
	if m.check != nil {
		objs = append(objs, m.check.object())
	} else {
		line := paragraph("Not marked lost: your account still counts on " + it + ", so it refuses your password at sign-in.")
		line.Importance = widget.WarningImportance
		again := newButtonWithIcon("Mark as lost…", theme.WarningIcon(), m.start)
		objs = append(objs, line, container.NewHBox(again))
	}
	m.obj = container.NewVBox(objs...)
}

// objects is the section, for render.
func (m *lostMark) objects() []fyne.CanvasObject { return []fyne.CanvasObject{m.obj} }

// close ends a check under way when the panel goes away.
func (m *lostMark) close() {
	if m.check != nil {
		m.check.close()
		m.check = nil
	}
}
