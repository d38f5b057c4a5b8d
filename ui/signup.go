package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// signUpScreen is the first run: it creates an account (email, display
// name, password), then enrols an authenticator app (the TOTP QR code and
// secret) and activates the account with a first code, which signs it in.
type signUpScreen struct {
	app *App

	// Step 1: the account.
	email    *widget.Entry
	name     *widget.Entry
	password *widget.Entry
	confirm  *widget.Entry
	submit   *button
	signIn   *button
	fb       *feedback
	// fixing is the entry the message on fb is about, or nil: changing
	// it clears the message.
	fixing *widget.Entry

	// Step 2: the authenticator app.
	enrollment *account.TOTPEnrollment
	qr         *component.QRCode
	secret     *widget.Label
	copy       *button
	code       *widget.Entry
	activate   *button
	restart    *button
	totpFB     *feedback

	// Step 3: the first recovery codes (recoverycodes.go).
	recovery *newCodesView

	// setup is the session of an invited account finishing its set-up
	// (setup.go), "" for a new account.
	setup string
}

func (s *signUpScreen) build() fyne.CanvasObject {
	s.email = widget.NewEntry()
	s.email.SetPlaceHolder("name@example.com")
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder("How the app greets you")
	s.password = widget.NewPasswordEntry()
	s.password.SetPlaceHolder("At least 10 characters")
	s.confirm = widget.NewPasswordEntry()
	s.submit = newButtonWithIcon("Create account", theme.AccountIcon(), s.createAccount)
	s.submit.Importance = widget.HighImportance
	s.signIn = newButton("I already have an account: sign in", s.app.showSignIn)
	s.signIn.Importance = widget.LowImportance
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.createAccount, s.email, s.name, s.password, s.confirm)
	for _, e := range []*widget.Entry{s.email, s.name, s.password, s.confirm} {
		e := e
		e.OnChanged = func(string) {
			if s.fixing == e {
				s.fixing = nil
				s.fb.clear()
			}
		}
	}

	form := widget.NewForm(
		widget.NewFormItem("Email", s.email),
		widget.NewFormItem("Display name", s.name),
		widget.NewFormItem("Password", s.password),
		widget.NewFormItem("Repeat password", s.confirm),
	)
	return page(
		headingText("Welcome to Passkey Desk"),
		paragraph("Create your account. You will sign in with your password and a code from an authenticator app, and later with passkeys."),
		s.app.noticeLine(),
		form,
		s.submit,
		s.fb.object(),
		widget.NewSeparator(),
		s.signIn,
		s.app.restoreLink(),
	)
}

func (s *signUpScreen) createAccount() {
	if s.submit.Disabled() {
		return
	}
	if s.password.Text != s.confirm.Text {
		s.confirm.SetText("")
		s.failed(&account.InputError{
			Field:  "repeated password",
			Reason: "type the same password twice",
		})
		s.app.focus(s.confirm)
		return
	}
	req := account.SignUpRequest{Email: s.email.Text, DisplayName: s.name.Text, Password: s.password.Text}
	s.fb.busy("Creating your account…")
	setEnabled(false, s.email, s.name, s.password, s.confirm, s.submit, s.signIn)
	var enr *account.TOTPEnrollment
	s.app.run(func(ctx context.Context) error {
		var err error
		enr, err = s.app.api.SignUp(ctx, req)
		return err
	}, func(err error) {
		setEnabled(true, s.email, s.name, s.password, s.confirm, s.submit, s.signIn)
		if err != nil {
			s.failed(err)
			return
		}
		s.fb.clear()
		s.showTOTP(enr)
	})
}

// failed shows why the account was not created. A message about one
// field (a bad email, a short password) belongs to that field: it goes as
// soon as the field is changed, so it does not linger after the fix.
func (s *signUpScreen) failed(err error) {
	s.app.fail(s.fb, "creating an account", err)
	s.fixing = nil
	var ie *account.InputError
	switch {
	case errors.Is(err, account.ErrEmailTaken):
		s.fixing = s.email
	case errors.As(err, &ie):
		s.fixing = map[string]*widget.Entry{
			"email": s.email, "display name": s.name, "password": s.password, "repeated password": s.confirm,
		}[ie.Field]
	}
}

// showTOTP replaces the screen with the authenticator-app step.
func (s *signUpScreen) showTOTP(enr *account.TOTPEnrollment) {
	s.enrollment = enr
	s.password.SetText("")
	s.confirm.SetText("")

	var qr fyne.CanvasObject
	if q, err := component.NewQRCode(enr.URI); err != nil {
		// The URI is short; this only happens if the service sends
		// something absurd. The secret below still works.
		s.app.log.Error("making the TOTP QR code failed", "err", err)
		qr = paragraph("The QR code could not be drawn; type the secret below into your app instead.")
	} else {
		s.qr = q
		qr = container.NewCenter(q)
	}
	s.secret = widget.NewLabelWithStyle(enr.Secret, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.secret.Selectable = true
	s.copy = newButtonWithIcon("Copy", theme.ContentCopyIcon(), nil)
	s.copy.OnTapped = func() { s.app.copySecret(s.copy, enr.Secret) }
	s.code = widget.NewEntry()
	s.code.SetPlaceHolder("6-digit code")
	s.activate = newButtonWithIcon("Confirm and sign in", theme.ConfirmIcon(), s.confirmCode)
	s.activate.Importance = widget.HighImportance
	s.restart = newButton("Start over", s.app.showSignUp)
	if s.setup != "" {
		token, me := s.setup, s.app.me
		s.restart.OnTapped = func() { s.app.showSetUp(token, me) }
	}
	s.restart.Importance = widget.LowImportance
	s.totpFB = newFeedback()
	s.code.OnSubmitted = func(string) { s.confirmCode() }

	s.app.setContent(page(
		headingText("Set up your authenticator app"),
		paragraph("Scan this QR code with an authenticator app (such as Google Authenticator, Microsoft Authenticator, Aegis or 1Password). If you cannot scan it, type the secret key into the app instead."),
		qr,
		widget.NewForm(widget.NewFormItem("Secret key", container.NewBorder(nil, nil, nil, s.copy, s.secret))),
		paragraph("Then type the 6-digit code the app shows for "+enr.Email+". Your account becomes active with this first code."),
		widget.NewForm(widget.NewFormItem("Code", s.code)),
		s.activate,
		s.totpFB.object(),
		widget.NewSeparator(),
		s.restart,
	), s.code)
}

func (s *signUpScreen) confirmCode() {
	if s.activate.Disabled() {
		return
	}
	code, err := oneTimeCode(s.code.Text, "code")
	if err != nil {
		s.app.fail(s.totpFB, "activating the account", err)
		s.app.focus(s.code)
		return
	}
	id := s.enrollment.ID
	s.totpFB.busy("Checking the code…")
	setEnabled(false, s.code, s.activate, s.copy, s.restart)
	var (
		sess    *account.Session
		problem error
	)
	s.app.run(func(ctx context.Context) error {
		var err error
		if s.setup != "" {
			sess, err = s.app.api.ConfirmSetUp(ctx, s.setup, code)
		} else {
			sess, err = s.app.api.ConfirmSignUp(ctx, id, code)
		}
		if err != nil {
			return err
		}
		problem = s.app.remember(sess.Token)
		return nil
	}, func(err error) {
		setEnabled(true, s.code, s.activate, s.copy, s.restart)
		if err != nil {
			s.code.SetText("")
			s.app.fail(s.totpFB, "activating the account", err)
			s.app.focus(s.code)
			return
		}
		s.app.setTokenProblem(problem)
		s.showSignUpRecoveryCodes(sess)
	})
}
