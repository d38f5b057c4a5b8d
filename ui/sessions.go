package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

func init() {
	eventTypeWords[account.EventSessionEnded] = "Signed out elsewhere"
}

// sessionsSettings is Settings' line about the sessions, with the way to
// the sessions screen.
func (a *App) sessionsSettings() fyne.CanvasObject {
	open := newButtonWithIcon("Sessions…", theme.ComputerIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionSessions)
		}
	})
	return container.NewVBox(
		heading("Where you are signed in"),
		paragraph("See the apps and browsers signed in to your account, and sign out the ones you do not know."),
		container.NewHBox(open),
	)
}

// sessionsScreen lists the account's sessions, each with Sign out, and
// signs out all the others at once.
type sessionsScreen struct {
	app   *App
	shell *shell

	others *button
	list   *fyne.Container
	fb     *feedback
	shown  []account.SessionInfo
}

func (s *sessionsScreen) build() fyne.CanvasObject {
	s.others = newButtonWithIcon("Sign out of all other sessions", theme.LogoutIcon(), s.endOthers)
	s.others.Importance = widget.DangerImportance
	s.list = container.NewVBox()
	s.fb = newFeedback()
	s.load()
	return page(
		headingText("Sessions"),
		paragraph("Each app or browser signed in to your account. A session ends by itself when it goes unused for a while (7 days, unless the account's server says otherwise) and some time after it began, however much it is used: each line says when, as things stand."),
		container.NewHBox(s.others),
		s.fb.object(),
		s.list,
	)
}

func (s *sessionsScreen) load() {
	token := s.app.token
	var list []account.SessionInfo
	s.app.run(func(ctx context.Context) error {
		var err error
		list, err = s.app.api.Sessions(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			s.app.fail(s.fb, "listing sessions", err)
			return
		}
		s.show(list)
	})
}

// sessionWords describes a session in one line.
func sessionWords(si account.SessionInfo) string {
	line := si.Client.Label()
	if si.Address != "" {
		line += " · from " + si.Address
	} else if si.Client == account.ClientDesktop {
		line += " · on this computer's own account service"
	}
	line += " · signed in " + holdTime(si.CreatedAt) + " · last seen " + holdTime(si.LastSeenAt) + " · ends " + holdTime(si.ExpiresAt)
	if si.Restricted {
		line += " · restricted"
	}
	return line
}

func (s *sessionsScreen) show(list []account.SessionInfo) {
	s.shown = list
	s.list.RemoveAll()
	others := 0
	for _, si := range list {
		si := si
		var right fyne.CanvasObject
		if si.Current {
			right = widget.NewLabelWithStyle("This session", fyne.TextAlignTrailing, fyne.TextStyle{Italic: true})
		} else {
			others++
			end := newButtonWithIcon("Sign out", theme.LogoutIcon(), func() { s.end(si) })
			right = end
		}
		l := widget.NewLabel(sessionWords(si))
		l.Wrapping = fyne.TextWrapWord
		s.list.Add(container.NewBorder(nil, nil, nil, right, l))
	}
	if others == 0 {
		s.list.Add(infoLine("No other session is signed in."))
		s.others.Disable()
	} else {
		s.others.Enable()
	}
}

// end signs one other session out.
func (s *sessionsScreen) end(si account.SessionInfo) {
	token := s.app.token
	s.fb.busy("Signing it out…")
	var list []account.SessionInfo
	s.app.run(func(ctx context.Context) error {
		if err := s.app.api.EndSession(ctx, token, si.ID); err != nil {
			return err
		}
		var err error
		list, err = s.app.api.Sessions(ctx, token)
		return err
	}, func(err error) {
		s.fb.clear()
		if err != nil {
			s.app.fail(s.fb, "signing a session out", err)
			return
		}
		s.fb.show(message{Title: "Signed out", Sentence: "That " + si.Client.Label() + " session is signed out."})
		s.show(list)
	})
}

// endOthers signs out every session but this one.
func (s *sessionsScreen) endOthers() {
	if s.others.Disabled() {
		return
	}
	token := s.app.token
	s.fb.busy("Signing the other sessions out…")
	s.others.Disable()
	var n int
	var list []account.SessionInfo
	s.app.run(func(ctx context.Context) error {
		var err error
		if n, err = s.app.api.EndOtherSessions(ctx, token); err != nil {
			return err
		}
		list, err = s.app.api.Sessions(ctx, token)
		return err
	}, func(err error) {
		s.fb.clear()
		if err != nil {
			s.others.Enable()
			s.app.fail(s.fb, "signing the other sessions out", err)
			return
		}
		s.fb.show(message{Title: "Signed out", Sentence: fmt.Sprintf("%d other sessions are signed out.", n)})
		s.show(list)
	})
}
