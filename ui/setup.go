package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// showSetUp is the first sign-in of an account the enrollment station
// invited: its owner has signed in with the security key enrolled for
// them, and now chooses a password and adds an authenticator app, as
// sign-up does, before anything else (account.ErrSetupRequired). The
// steps after the password are sign-up's (signup.go).
func (a *App) showSetUp(token string, me account.Account) {
	a.token, a.me = token, me
	s := &signUpScreen{app: a, setup: token}
	a.signInScreen, a.signUpScreen = nil, s
	a.setContent(s.buildSetUp(me), s.password)
}

// buildSetUp is the password step of an invited account's set-up.
func (s *signUpScreen) buildSetUp(me account.Account) fyne.CanvasObject {
	s.password = widget.NewPasswordEntry()
	s.password.SetPlaceHolder("At least 10 characters")
	s.confirm = widget.NewPasswordEntry()
	s.submit = newButtonWithIcon("Continue", theme.NavigateNextIcon(), s.setUpPassword)
	s.submit.Importance = widget.HighImportance
	s.signIn = newButton("Sign out", func() { s.app.signOut(s.fb, s.signIn) })
	s.signIn.Importance = widget.LowImportance
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.setUpPassword, s.password, s.confirm)
	return page(
		headingText("Finish setting up your account"),
		paragraph("Welcome, "+me.DisplayName+". Your security key was set up for you, for "+me.Email+". Choose a password and add an authenticator app now: they let you in, and approve a new key, if this one is ever lost."),
		widget.NewForm(
			widget.NewFormItem("Password", s.password),
			widget.NewFormItem("Repeat password", s.confirm),
		),
		s.submit,
		s.fb.object(),
		widget.NewSeparator(),
		s.signIn,
	)
}

// setUpPassword sets the invited account's password and goes on to the
// authenticator app.
func (s *signUpScreen) setUpPassword() {
	if s.submit.Disabled() {
		return
	}
	if s.password.Text != s.confirm.Text {
		s.confirm.SetText("")
		s.app.fail(s.fb, "setting the password", &account.InputError{Field: "repeated password", Reason: "type the same password twice"})
		s.app.focus(s.confirm)
		return
	}
	token, password := s.setup, s.password.Text
	s.fb.busy("Saving your password…")
	setEnabled(false, s.password, s.confirm, s.submit, s.signIn)
	var enr *account.TOTPEnrollment
	s.app.run(func(ctx context.Context) error {
		var err error
		enr, err = s.app.api.SetUpPassword(ctx, token, password)
		return err
	}, func(err error) {
		setEnabled(true, s.password, s.confirm, s.submit, s.signIn)
		if err != nil {
			s.app.fail(s.fb, "setting the password", err)
			s.app.focus(s.password)
			return
		}
		s.fb.clear()
		s.showTOTP(enr)
	})
}
