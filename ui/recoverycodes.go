package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// Recovery codes in the app: shown once after sign-up (before the
// account opens) and after a new set is made, counted and remade on their
// own screen (from Settings), and named by the overview after one was
// used. A recovery code may be typed wherever the authenticator code is
// asked for (secondFactorCode).

func init() {
	eventTypeWords[account.EventRecoveryCodeUsed] = "Recovery code used"
	eventTypeWords[account.EventRecoveryCodesMade] = "Recovery codes made"
	purposeWords[account.PurposeRecoveryCodes] = "Making new recovery codes"
}

// secondFactorCode reads what was typed into a field that takes the
// authenticator code or a recovery code: a recovery code is passed on as
// typed (the service reads its dashes, spaces and case), anything else
// must be a 6-digit code (oneTimeCode).
func secondFactorCode(typed, what string) (string, error) {
	if account.IsRecoveryCode(typed) {
		return strings.TrimSpace(typed), nil
	}
	code, err := oneTimeCode(typed, what)
	if err != nil {
		return "", &account.InputError{Field: what, Reason: fmt.Sprintf(
			"it has 6 digits, or %d letters and digits for a recovery code: type it as shown", account.RecoveryCodeLength)}
	}
	return code, nil
}

// newCodesView shows a new set of recovery codes, once: the codes, Copy
// (all of them, one a line), and "I have saved them", without which the
// button that goes on stays disabled.
type newCodesView struct {
	app   *App
	codes []string
	copy  *button
	saved *widget.Check
	next  *button
}

func newNewCodesView(a *App, codes []string, nextLabel string, next func()) *newCodesView {
	v := &newCodesView{app: a, codes: codes}
	v.copy = newButtonWithIcon("Copy", theme.ContentCopyIcon(), nil)
	v.copy.OnTapped = func() { a.copySecret(v.copy, strings.Join(codes, "\n")) }
	v.next = newButtonWithIcon(nextLabel, theme.NavigateNextIcon(), next)
	v.next.Importance = widget.HighImportance
	v.next.Disable()
	v.saved = widget.NewCheck("I have saved them", func(on bool) { setEnabled(on, v.next) })
	return v
}

func (v *newCodesView) object() fyne.CanvasObject {
	grid := container.NewGridWithColumns(2)
	for _, c := range v.codes {
		l := widget.NewLabelWithStyle(c, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
		l.Selectable = true
		grid.Add(l)
	}
	return container.NewVBox(
		grid,
		container.NewHBox(v.copy),
		paragraph("Keep them somewhere safe, apart from your password: printed, or in a password manager. Each code works once. They are not shown again."),
		v.saved,
		container.NewHBox(v.next),
	)
}

// showSignUpRecoveryCodes shows the first recovery codes after the
// authenticator step; the account opens once they are saved. A server
// that makes none opens it at once.
func (s *signUpScreen) showSignUpRecoveryCodes(sess *account.Session) {
	if len(sess.RecoveryCodes) == 0 {
		s.app.enter(sess.Token, sess.Account)
		return
	}
	s.recovery = newNewCodesView(s.app, sess.RecoveryCodes, "Continue", func() { s.app.enter(sess.Token, sess.Account) })
	s.app.setContent(page(
		headingText("Save your recovery codes"),
		paragraph("If you lose your authenticator app, sign in with your password and one of these codes instead of the app's code."),
		s.recovery.object(),
	), s.recovery.saved)
}

// recoveryCodesSettings is Settings' line about recovery codes, with the
// way to their screen.
func (a *App) recoveryCodesSettings() fyne.CanvasObject {
	open := newButtonWithIcon("Recovery codes…", theme.DocumentIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionRecoveryCodes)
		}
	})
	return container.NewVBox(
		heading("Recovery codes"),
		paragraph("Single-use codes that stand in for your authenticator app's code if you lose it. See how many are left, or make a new set."),
		container.NewHBox(open),
	)
}

// recoveryCodesScreen says how many recovery codes are left and makes a
// new set after an identity check; the old set then stops working.
type recoveryCodesScreen struct {
	app   *App
	shell *shell

	status *widget.Label
	box    *fyne.Container // the button, the identity check, or the new codes
	make   *button
	fb     *feedback
	check  *identityCheck // under way, or nil
	fresh  *newCodesView  // the new set on display, or nil
}

func (s *recoveryCodesScreen) build() fyne.CanvasObject {
	s.status = paragraph("Reading your recovery codes…")
	s.make = newButtonWithIcon("Make new codes", theme.ViewRefreshIcon(), s.startCheck)
	s.box = container.NewVBox(container.NewHBox(s.make))
	s.fb = newFeedback()
	s.load()
	return page(
		headingText("Recovery codes"),
		paragraph("A recovery code stands in for your authenticator app's code, once, when you sign in or confirm it is you. Using one holds withdrawals and C2C trades for 24 hours."),
		s.status,
		paragraph("Making new codes needs you to confirm it is you. The codes you have now then stop working."),
		s.box,
		s.fb.object(),
	)
}

func (s *recoveryCodesScreen) load() {
	token := s.app.token
	var st *account.RecoveryCodeStatus
	s.app.run(func(ctx context.Context) error {
		var err error
		st, err = s.app.api.RecoveryCodeStatus(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			s.status.SetText("")
			s.app.fail(s.fb, "reading your recovery codes", err)
			return
		}
		s.status.SetText(recoveryStatusWords(st))
	})
}

// recoveryStatusWords says how many codes are left, since when, and when
// one was last used.
func recoveryStatusWords(st *account.RecoveryCodeStatus) string {
	if st.Total == 0 {
		return "You have no recovery codes yet. Make a set now, so that losing your authenticator app does not lock you out."
	}
	w := fmt.Sprintf("%d of your %d recovery codes are left, from the set made on %s.", st.Left, st.Total, shortDate(st.CreatedAt))
	if !st.LastUsedAt.IsZero() {
		w += " One was last used on " + shortDate(st.LastUsedAt) + "."
	}
	if st.Left == 0 {
		w += " None is left: make a new set."
	}
	return w
}

func shortDate(t time.Time) string { return t.Local().Format("2 Jan 2006 15:04") }

// startCheck asks the person to confirm it is them before a new set.
func (s *recoveryCodesScreen) startCheck() {
	s.fb.clear()
	token := s.app.token
	var fresh *account.RecoveryCodes
	s.check = &identityCheck{
		app:         s.app,
		purpose:     account.PurposeRecoveryCodes,
		what:        "making new recovery codes",
		withPasskey: s.app.canPasskeySignIn(),
		codesNote:   "A recovery code may stand in for the app's code.",
		act:         "Verify and make new codes",
		use: func(ctx context.Context, grant string) error {
			var err error
			fresh, err = s.app.api.NewRecoveryCodes(ctx, token, grant)
			return err
		},
		done: func(err error) {
			s.check = nil
			if err != nil { // cancelled
				s.showButton()
				return
			}
			s.showFresh(fresh)
		},
	}
	s.box.Objects = []fyne.CanvasObject{s.check.object()}
	s.box.Refresh()
	s.check.shown()
}

func (s *recoveryCodesScreen) showButton() {
	s.fresh = nil
	s.box.Objects = []fyne.CanvasObject{container.NewHBox(s.make)}
	s.box.Refresh()
	s.load()
}

// showFresh shows the new set once; Done goes back to the count.
func (s *recoveryCodesScreen) showFresh(fresh *account.RecoveryCodes) {
	s.fresh = newNewCodesView(s.app, fresh.Codes, "Done", s.showButton)
	s.box.Objects = []fyne.CanvasObject{
		heading("Your new recovery codes"),
		s.fresh.object(),
	}
	s.box.Refresh()
	s.status.SetText("Your old recovery codes no longer work.")
	s.app.focus(s.fresh.saved)
}

// close ends a check under way as the screen goes away.
func (s *recoveryCodesScreen) close() {
	if s.check != nil {
		s.check.close()
		s.check = nil
	}
}

// recoveryNudge is the overview's line after a recovery code was used
// (the authenticator app may be lost: set it up again, and make new
// codes), or when few or no codes are left. Hidden otherwise.
func (a *App) recoveryNudge() fyne.CanvasObject {
	words := paragraph("")
	words.Importance = widget.WarningImportance
	open := newButtonWithIcon("Recovery codes", theme.DocumentIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionRecoveryCodes)
		}
	})
	box := container.NewVBox(words, container.NewHBox(open))
	box.Hide()
	token := a.token
	var st *account.RecoveryCodeStatus
	a.run(func(ctx context.Context) error {
		var err error
		st, err = a.api.RecoveryCodeStatus(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			a.log.Warn("reading the recovery codes for the overview failed", "err", err)
			return
		}
		if w := recoveryNudgeWords(st); w != "" {
			words.SetText(w)
			box.Show()
		}
	})
	return box
}

// recoveryNudgeWords is the overview's nudge, "" for none.
func recoveryNudgeWords(st *account.RecoveryCodeStatus) string {
	switch {
	case !st.LastUsedAt.IsZero():
		return fmt.Sprintf("A recovery code was used on %s instead of your authenticator app's code. "+
			"If you lost the app, set up your authenticator again as soon as you can, and make new recovery codes: %d of this set are left.",
			shortDate(st.LastUsedAt), st.Left)
	case st.Total == 0:
		return "You have no recovery codes. Make a set, so that losing your authenticator app does not lock you out."
	}
	return ""
}
