package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

func init() {
	eventTypeWords[account.EventPasswordChanged] = "Password changed"
	purposeWords[account.PurposeChangePassword] = "Changing the password"
}

// passwordSettings is Settings' line about the password, with the way to
// the change-password screen.
func (a *App) passwordSettings() fyne.CanvasObject {
	open := newButtonWithIcon("Change password…", theme.AccountIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionChangePassword)
		}
	})
	return container.NewVBox(
		heading("Password"),
		paragraph("Changing your password signs out every other session of your account."),
		container.NewHBox(open),
	)
}

// changePasswordScreen sets a new password: the new one typed twice,
// then an identity check whose grant makes the change.
type changePasswordScreen struct {
	app   *App
	shell *shell

	password *widget.Entry
	confirm  *widget.Entry
	next     *button
	box      *fyne.Container // the form, the identity check, or the result
	form     fyne.CanvasObject
	fb       *feedback
	check    *identityCheck // under way, or nil
}

func (s *changePasswordScreen) build() fyne.CanvasObject {
	s.password = widget.NewPasswordEntry()
	s.password.SetPlaceHolder("At least 10 characters")
	s.confirm = widget.NewPasswordEntry()
	s.next = newButtonWithIcon("Continue", theme.NavigateNextIcon(), s.toCheck)
	s.next.Importance = widget.HighImportance
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.toCheck, s.password, s.confirm)
	s.form = container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("New password", s.password),
			widget.NewFormItem("Repeat it", s.confirm),
		),
		container.NewHBox(s.next),
	)
	s.box = container.NewVBox(s.form)
	return page(
		headingText("Change password"),
		paragraph("Every other session of your account is signed out once the password is changed. Unless a passkey confirms it is you, withdrawals and C2C trades are held for 24 hours."),
		s.box,
		s.fb.object(),
	)
}

// toCheck checks the new password here, then asks who it is.
func (s *changePasswordScreen) toCheck() {
	if s.check != nil {
		return
	}
	if s.password.Text != s.confirm.Text {
		s.app.fail(s.fb, "changing the password", &account.InputError{Field: "repeated password", Reason: "type the same password twice"})
		s.confirm.SetText("")
		s.app.focus(s.confirm)
		return
	}
	if err := account.CheckNewPassword(s.password.Text); err != nil {
		s.app.fail(s.fb, "changing the password", err)
		s.app.focus(s.password)
		return
	}
	s.fb.clear()
	token, pw := s.app.token, s.password.Text
	s.check = &identityCheck{
		app:         s.app,
		purpose:     account.PurposeChangePassword,
		what:        "changing the password",
		withPasskey: s.app.canPasskeySignIn(),
		passkeyNote: "A passkey you have had for a day or more spares the 24-hour hold.",
		codesNote:   "Use your current password here.",
		act:         "Verify and change password",
		use: func(ctx context.Context, grant string) error {
			return s.app.api.ChangePassword(ctx, token, grant, pw)
		},
		done: func(err error) {
			s.check = nil
			if err != nil { // cancelled
				s.box.Objects = []fyne.CanvasObject{s.form}
				s.box.Refresh()
				s.app.focus(s.password)
				return
			}
			s.changed()
		},
	}
	s.box.Objects = []fyne.CanvasObject{s.check.object()}
	s.box.Refresh()
	s.check.shown()
}

// changed says it is done and forgets the new password.
func (s *changePasswordScreen) changed() {
	s.password.SetText("")
	s.confirm.SetText("")
	done := newButtonWithIcon("Back to Settings", theme.NavigateBackIcon(), func() { s.shell.open(sectionSettings) })
	s.box.Objects = []fyne.CanvasObject{
		infoLine("Your password was changed. Every other session of your account was signed out."),
		container.NewHBox(done),
	}
	s.box.Refresh()
	s.app.focus(done)
}

// close ends a check under way as the screen goes away.
func (s *changePasswordScreen) close() {
	if s.check != nil {
		s.check.close()
		s.check = nil
	}
}
