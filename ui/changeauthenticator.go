package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

func init() {
	purposeWords[account.PurposeChangeAuthenticator] = "Changing the authenticator app"
}

// authenticatorSettings is Settings' line about the authenticator app,
// with the way to the change-authenticator screen.
func (a *App) authenticatorSettings() fyne.CanvasObject {
	open := newButtonWithIcon("Change authenticator app…", theme.AccountIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionChangeAuthenticator)
		}
	})
	return container.NewVBox(
		heading("Authenticator app"),
		paragraph("Moving to a new phone or app? Set the new one up here; the old one keeps working until the new one's first code."),
		container.NewHBox(open),
	)
}

// changeAuthenticatorScreen moves the account to a new authenticator
// app: an identity check, then the new secret's QR code (as sign-up
// shows it) and the new app's first code, which puts it in force.
type changeAuthenticatorScreen struct {
	app   *App
	shell *shell

	start *button
	box   *fyne.Container // the start, the identity check, the new secret, or the result
	fb    *feedback
	check *identityCheck // under way, or nil

	// The new secret, once the check gave a grant.
	grant   string
	enr     *account.TOTPEnrollment
	qr      *component.QRCode
	code    *widget.Entry
	confirm *button
	copy    *button
}

func (s *changeAuthenticatorScreen) build() fyne.CanvasObject {
	s.start = newButtonWithIcon("Set up a new app", theme.NavigateNextIcon(), s.toCheck)
	s.start.Importance = widget.HighImportance
	s.fb = newFeedback()
	s.box = container.NewVBox(container.NewHBox(s.start))
	return page(
		headingText("Change authenticator app"),
		paragraph("First confirm it is you. Then scan the new QR code with the new app and type its first code: only then does the account use the new app, and codes from the old one stop working. Unless a passkey confirms it is you, withdrawals and C2C trades are held for 24 hours."),
		s.box,
		s.fb.object(),
	)
}

// toCheck asks who it is; the grant makes the new secret.
func (s *changeAuthenticatorScreen) toCheck() {
	if s.check != nil {
		return
	}
	if s.app.me.Restricted {
		s.app.fail(s.fb, "changing the authenticator app", account.ErrSessionRestricted)
		return
	}
	s.fb.clear()
	token := s.app.token
	var grant string
	var enr *account.TOTPEnrollment
	s.check = &identityCheck{
		app:         s.app,
		purpose:     account.PurposeChangeAuthenticator,
		what:        "changing the authenticator app",
		withPasskey: s.app.canPasskeySignIn(),
		passkeyNote: "A passkey you have had for a day or more spares the 24-hour hold.",
		codesNote:   "Use a code from your current app (or a recovery code, if the old app is lost).",
		act:         "Verify and continue",
		use: func(ctx context.Context, g string) error {
			var err error
			enr, err = s.app.api.BeginAuthenticatorChange(ctx, token, g)
			grant = g
			return err
		},
		done: func(err error) {
			s.check = nil
			if err != nil { // cancelled
				s.box.Objects = []fyne.CanvasObject{container.NewHBox(s.start)}
				s.box.Refresh()
				s.app.focus(s.start)
				return
			}
			s.showSecret(grant, enr)
		},
	}
	s.box.Objects = []fyne.CanvasObject{s.check.object()}
	s.box.Refresh()
	s.check.shown()
}

// showSecret shows the new secret and asks for the new app's first code.
func (s *changeAuthenticatorScreen) showSecret(grant string, enr *account.TOTPEnrollment) {
	s.grant, s.enr = grant, enr
	var qr fyne.CanvasObject
	if q, err := component.NewQRCode(enr.URI); err != nil {
		s.app.log.Error("making the TOTP QR code failed", "err", err)
		qr = paragraph("The QR code could not be drawn; type the secret below into your app instead.")
	} else {
		s.qr = q
		qr = container.NewCenter(q)
	}
	secret := widget.NewLabelWithStyle(enr.Secret, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	secret.Selectable = true
	s.copy = newButtonWithIcon("Copy", theme.ContentCopyIcon(), nil)
	s.copy.OnTapped = func() { s.app.copySecret(s.copy, enr.Secret) }
	s.code = widget.NewEntry()
	s.code.SetPlaceHolder("6-digit code from the new app")
	s.code.OnSubmitted = func(string) { s.doConfirm() }
	s.confirm = newButtonWithIcon("Use the new app", theme.ConfirmIcon(), s.doConfirm)
	s.confirm.Importance = widget.HighImportance
	s.box.Objects = []fyne.CanvasObject{
		paragraph("Scan this QR code with the new authenticator app, or type the secret key into it. Your old app keeps working until you type the new app's first code below."),
		qr,
		widget.NewForm(
			widget.NewFormItem("Secret key", container.NewBorder(nil, nil, nil, s.copy, secret)),
			widget.NewFormItem("Code", s.code),
		),
		container.NewHBox(s.confirm),
	}
	// Twice: the first layout gives the new paragraph its width, and so
	// its wrapped height, which the second makes room for.
	s.box.Refresh()
	s.box.Refresh()
	s.app.focus(s.code)
}

// doConfirm sends the new app's first code.
func (s *changeAuthenticatorScreen) doConfirm() {
	if s.confirm.Disabled() {
		return
	}
	code, err := oneTimeCode(s.code.Text, "code")
	if err != nil {
		s.app.fail(s.fb, "changing the authenticator app", err)
		s.app.focus(s.code)
		return
	}
	token, grant := s.app.token, s.grant
	s.fb.busy("Checking the code…")
	setEnabled(false, s.code, s.confirm)
	s.app.run(func(ctx context.Context) error {
		return s.app.api.ConfirmAuthenticatorChange(ctx, token, grant, code)
	}, func(err error) {
		setEnabled(true, s.code, s.confirm)
		if err != nil {
			s.code.SetText("")
			s.app.fail(s.fb, "changing the authenticator app", err)
			s.app.focus(s.code)
			return
		}
		s.fb.clear()
		s.changed()
	})
}

// changed says it is done and forgets the new secret.
func (s *changeAuthenticatorScreen) changed() {
	s.grant, s.enr, s.qr = "", nil, nil
	done := newButtonWithIcon("Back to Settings", theme.NavigateBackIcon(), func() { s.shell.open(sectionSettings) })
	s.box.Objects = []fyne.CanvasObject{
		infoLine("Your account now uses the new authenticator app. Codes from the old one no longer work: you may remove the account from it."),
		container.NewHBox(done),
	}
	s.box.Refresh()
	s.app.focus(done)
}

// close ends a check under way as the screen goes away.
func (s *changeAuthenticatorScreen) close() {
	if s.check != nil {
		s.check.close()
		s.check = nil
	}
}
