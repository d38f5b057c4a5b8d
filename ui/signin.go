package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// signInScreen signs an existing account in with email, password and an
// authenticator-app code.
type signInScreen struct {
	app *App

	email    *widget.Entry
	password *widget.Entry
	code     *widget.Entry
	submit   *button
	create   *button
	passkey  *button // nil when no authenticator is set up
	phone    *button // nil when no phone can reach the service
	fb       *feedback
}

func (s *signInScreen) build() fyne.CanvasObject {
	s.email = widget.NewEntry()
	s.email.SetPlaceHolder("name@example.com")
	s.password = widget.NewPasswordEntry()
	s.code = widget.NewEntry()
	s.code.SetPlaceHolder("Authenticator code or recovery code")
	s.submit = newButtonWithIcon("Sign in", theme.LoginIcon(), s.signIn)
	s.submit.Importance = widget.HighImportance
	s.create = newButton("Create an account", s.app.showSignUp)
	s.create.Importance = widget.LowImportance
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.signIn, s.email, s.password, s.code)

	var passkey fyne.CanvasObject
	if s.app.canPasskeySignIn() {
		s.passkey = newButtonWithIcon("Sign in with a passkey", theme.LoginIcon(), s.app.showPasskeySignIn)
		s.passkey.Importance = widget.HighImportance
		passkey = s.passkey
	}
	var phone fyne.CanvasObject
	if s.app.canPhoneSignIn() {
		s.phone = newButtonWithIcon("Sign in with your phone", component.PhoneIcon(), s.app.showPhoneSignIn)
		phone = s.phone
	}
	form := widget.NewForm(
		widget.NewFormItem("Email", s.email),
		widget.NewFormItem("Password", s.password),
		widget.NewFormItem("Code", s.code),
	)
	return page(
		headingText("Sign in to Passkey Desk"),
		s.app.noticeLine(),
		passkey,
		phone,
		form,
		s.submit,
		s.fb.object(),
		widget.NewSeparator(),
		paragraph(newHereWords(s.app.server)),
		s.create,
		s.app.restoreLink(),
	)
}

func (s *signInScreen) signIn() {
	if s.submit.Disabled() {
		return
	}
	code, err := secondFactorCode(s.code.Text, "code")
	if err != nil {
		s.app.fail(s.fb, "signing in", err)
		s.app.focus(s.code)
		return
	}
	email, password := s.email.Text, s.password.Text
	s.busy(true)
	var (
		sess    *account.Session
		problem error
	)
	s.app.run(func(ctx context.Context) error {
		var err error
		if sess, err = s.app.api.SignIn(ctx, email, password, code); err != nil {
			return err
		}
		problem = s.app.remember(sess.Token)
		return nil
	}, func(err error) {
		s.busy(false)
		if err != nil {
			// A code works once: clear it. A refused sign-in does not say
			// which part was wrong; the cursor goes back to the password.
			s.code.SetText("")
			if errors.Is(err, account.ErrInvalidCredentials) || errors.As(err, new(*account.LockedError)) {
				s.app.fail(s.fb, "signing in", &signInError{err})
				s.app.focus(s.password)
				return
			}
			s.app.fail(s.fb, "signing in", err)
			s.app.focus(s.code)
			return
		}
		s.app.setTokenProblem(problem)
		s.app.enter(sess.Token, sess.Account)
		s.app.deletionCanceled(sess)
	})
}

func (s *signInScreen) busy(on bool) {
	if on {
		s.fb.busy("Signing in…")
	} else {
		s.fb.clear()
	}
	setEnabled(!on, s.email, s.password, s.code, s.submit, s.create)
	if s.passkey != nil {
		setEnabled(!on, s.passkey)
	}
	if s.phone != nil {
		setEnabled(!on, s.phone)
	}
}

// newHereWords points a new user at account creation, on this computer's
// account service or on the account server at server.
func newHereWords(server string) string {
	if server != "" {
		return "New here? Create an account on the server " + server + "."
	}
	return "New here? Create an account on this computer's account service."
}
