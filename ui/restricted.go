package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// restrictedBanner is the line across the top of the signed-in window
// while the session is restricted: it signed in with a passkey that looks
// copied, so the account service refuses security changes
// (account.ErrSessionRestricted) until the person confirms it is them.
// Its button opens that check. It takes no room otherwise.
type restrictedBanner struct {
	shell *shell
	box   *fyne.Container
}

func newRestrictedBanner(s *shell) *restrictedBanner {
	b := &restrictedBanner{shell: s}
	// Two short lines that never wrap: a wrapping label at the top of a
	// border layout would ask for one line's height and overlap the page.
	title := widget.NewLabelWithStyle("This sign-in used a passkey that looks copied.", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	more := widget.NewLabel("Changes are blocked until you confirm it's you.")
	for _, l := range []*widget.Label{title, more} {
		l.Importance = widget.WarningImportance
		l.Truncation = fyne.TextTruncateEllipsis
	}
	confirm := newButtonWithIcon("Confirm it's you", theme.AccountIcon(), func() { s.open(sectionUnlock) })
	confirm.Importance = widget.HighImportance
	b.box = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon())), container.NewCenter(confirm),
			container.NewVBox(title, more)),
		widget.NewSeparator(),
	)
	b.update()
	return b
}

func (b *restrictedBanner) object() fyne.CanvasObject { return b.box }

// update shows the banner while the session is restricted.
func (b *restrictedBanner) update() {
	if b.shell.app.me.Restricted {
		b.box.Show()
	} else {
		b.box.Hide()
	}
}

// unlockScreen confirms a restricted session: with another passkey, or
// with password and codes (account.PurposeUnlockSession). Once it passes
// the session may make changes again and the overview opens.
type unlockScreen struct {
	app   *App
	shell *shell
	check *identityCheck
}

func (s *unlockScreen) build() fyne.CanvasObject {
	s.check = &identityCheck{
		app:         s.app,
		purpose:     account.PurposeUnlockSession,
		what:        "confirming it's you",
		withPasskey: true,
		passkeyNote: "Not the one you signed in with: it is marked \"possible clone\" and cannot confirm.",
		act:         "Confirm",
		use:         func(context.Context, string) error { return nil },
		done: func(err error) {
			if err == nil {
				s.app.me.Restricted = false
				s.shell.banner.update()
			}
			s.shell.open(sectionOverview)
		},
	}
	return page(
		headingText("Confirm it's you"),
		paragraph("You signed in with a passkey whose signature counter went backwards, so it may have been copied. "+
			"Until you confirm it's you, this session can look at your account but change nothing of its security."),
		s.check.object(),
	)
}

// close ends the check (and any key operation of it) as the screen goes
// away.
func (s *unlockScreen) close() {
	if s.check != nil {
		s.check.close()
	}
}

// noteRestricted shows the banner when the service refused a change
// because the session is restricted, should the app not know it yet.
func (a *App) noteRestricted() {
	if a.shell == nil || a.me.Restricted {
		return
	}
	a.me.Restricted = true
	a.shell.banner.update()
}
