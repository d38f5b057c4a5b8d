package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// The verified email: the overview's note while the address is not
// confirmed (a code to type, "Send again"), Settings' line about the
// email, and the change-email screen.

func init() {
	eventTypeWords[account.EventEmailConfirmed] = "Email confirmed"
	eventTypeWords[account.EventEmailChangeStarted] = "Email change started"
	eventTypeWords[account.EventEmailChanged] = "Email changed"
	eventTypeWords[account.EventNewDeviceSignIn] = "Sign-in from a new device"
	eventTypeWords[account.EventAuthenticatorChanged] = "Authenticator app changed"
	purposeWords[account.PurposeChangeEmail] = "Changing the email"
}

// emailCode is a code entry with Confirm and Send again: the overview's
// note and the change-email screen's last step. done runs on the UI
// goroutine once a code is confirmed.
type emailCode struct {
	app     *App
	entry   *widget.Entry
	confirm *button
	again   *button
	sent    *widget.Label // what "Send again" did
	fb      *feedback
	done    func(st *account.EmailStatus)
}

func newEmailCode(a *App, done func(st *account.EmailStatus)) *emailCode {
	c := &emailCode{app: a, done: done}
	c.entry = widget.NewEntry()
	c.entry.SetPlaceHolder("6-digit code from the email")
	c.entry.OnSubmitted = func(string) { c.submit() }
	c.confirm = newButtonWithIcon("Confirm", theme.ConfirmIcon(), c.submit)
	c.confirm.Importance = widget.HighImportance
	c.again = newButtonWithIcon("Send again", theme.MailSendIcon(), c.sendAgain)
	c.sent = paragraph("")
	c.sent.Hide()
	c.fb = newFeedback()
	return c
}

func (c *emailCode) object() fyne.CanvasObject {
	return container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(c.confirm, c.again), c.entry),
		c.sent, c.fb.object())
}

func (c *emailCode) submit() {
	code := strings.TrimSpace(c.entry.Text)
	token := c.app.token
	c.fb.busy("Checking the code…")
	c.confirm.Disable()
	var st *account.EmailStatus
	c.app.run(func(ctx context.Context) error {
		var err error
		st, err = c.app.api.ConfirmEmail(ctx, token, code)
		return err
	}, func(err error) {
		c.confirm.Enable()
		if err != nil {
			c.entry.SetText("")
			c.failed("confirming the email", err)
			return
		}
		c.fb.clear()
		c.done(st)
	})
}

func (c *emailCode) sendAgain() {
	token := c.app.token
	c.fb.busy("Sending a new code…")
	c.again.Disable()
	var st *account.EmailStatus
	c.app.run(func(ctx context.Context) error {
		var err error
		st, err = c.app.api.SendEmailCode(ctx, token)
		return err
	}, func(err error) {
		c.again.Enable()
		if err != nil {
			c.failed("sending the email code", err)
			return
		}
		c.fb.clear()
		c.sent.SetText(fmt.Sprintf("A new code was emailed to %s; the one before no longer works. %d more can be sent this hour.", st.Pending, st.SendsLeft))
		c.sent.Show()
		c.app.focus(c.entry)
	})
}

// failed puts an email code's errors in words; a wrong code is the
// email's, not the authenticator app's.
func (c *emailCode) failed(op string, err error) {
	if errors.Is(err, account.ErrInvalidCode) {
		c.fb.show(message{Title: "Wrong code", Sentence: "This is not the code in the email.",
			Next: "Type the 6 digits of the newest email; after 5 wrong tries, send a new code."})
		c.app.focus(c.entry)
		return
	}
	c.app.fail(c.fb, op, err)
}

// emailNudge is the overview's note while the account's email is not
// confirmed (only when the service sends email): what that means, and a
// code to type or a new one to send. It hides until the status is read.
func (a *App) emailNudge(confirmed func()) fyne.CanvasObject {
	words := paragraph("")
	words.Importance = widget.WarningImportance
	box := container.NewVBox()
	box.Hide()
	token := a.token
	var st *account.EmailStatus
	a.run(func(ctx context.Context) error {
		var err error
		st, err = a.api.EmailStatus(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			a.log.Warn("reading the email's status for the overview failed", "err", err)
			return
		}
		text := emailNudgeWords(st)
		if text == "" {
			return
		}
		words.SetText(text)
		code := newEmailCode(a, func(st *account.EmailStatus) {
			box.Objects = []fyne.CanvasObject{infoLine("Your email address " + st.Email + " is confirmed. Codes and security alerts now go to it.")}
			box.Refresh()
			if confirmed != nil {
				confirmed()
			}
		})
		box.Objects = []fyne.CanvasObject{heading("Email"), words, code.object()}
		box.Show()
		box.Refresh()
	})
	return box
}

// emailNudgeWords is the overview's note, "" for none.
func emailNudgeWords(st *account.EmailStatus) string {
	switch {
	case !st.Configured:
		return ""
	case st.Pending != "" && st.Pending != st.Email:
		return "A code was emailed to " + st.Pending + " to make it your account's email. Type it here to finish the change; until then, " + st.Email + " stays your email."
	case !st.Verified:
		return "Your email address " + st.Email + " is not confirmed yet. Until it is, identity checks ask for your password and authenticator code only, and security alerts are not emailed to you. Type the code emailed to it, or send a new one."
	}
	return ""
}

// emailSettings is Settings' line about the email, with the way to the
// change-email screen when the service sends email.
func (a *App) emailSettings() fyne.CanvasObject {
	if !a.me.EmailUnconfirmed && !a.mailConfigured() {
		return container.NewVBox(heading("Email"),
			paragraph("Your email is "+a.me.Email+". This account service sends no email, so the address is taken as given and is not used for codes or alerts."))
	}
	open := newButtonWithIcon("Change email…", theme.MailComposeIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionChangeEmail)
		}
	})
	state := "confirmed: codes and security alerts go to it."
	if a.me.EmailUnconfirmed {
		state = "not confirmed yet: the overview has its code."
	}
	return container.NewVBox(heading("Email"),
		paragraph("Your email is "+a.me.Email+", "+state+" Changing it takes an identity check and a code sent to the new address; the old one is told."),
		container.NewHBox(open))
}

// mailConfigured reports whether the service sends email: a confirmed
// address is one of the account's factors.
func (a *App) mailConfigured() bool {
	for _, f := range a.me.Factors {
		if f == account.FactorEmailCode {
			return true
		}
	}
	return false
}

// changeEmailScreen changes the account's email: the new address, an
// identity check whose grant sends it a code, then that code.
type changeEmailScreen struct {
	app   *App
	shell *shell

	email *widget.Entry
	next  *button
	box   *fyne.Container // the form, the check, the code, or the result
	form  fyne.CanvasObject
	fb    *feedback
	check *identityCheck // under way, or nil
	code  *emailCode     // once the code is sent
}

func (s *changeEmailScreen) build() fyne.CanvasObject {
	s.email = widget.NewEntry()
	s.email.SetPlaceHolder("name@example.com")
	s.next = newButtonWithIcon("Continue", theme.NavigateNextIcon(), s.toCheck)
	s.next.Importance = widget.HighImportance
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.toCheck, s.email)
	s.form = container.NewVBox(
		widget.NewForm(widget.NewFormItem("New email", s.email)),
		container.NewHBox(s.next),
	)
	s.box = container.NewVBox(s.form)
	return page(
		headingText("Change email"),
		paragraph("Your email is "+s.app.me.Email+". After an identity check, a code goes to the new address; it becomes your email once you type that code here. Your current address is told of the change."),
		s.box,
		s.fb.object(),
	)
}

func (s *changeEmailScreen) toCheck() {
	if s.check != nil {
		return
	}
	email := strings.TrimSpace(s.email.Text)
	if !strings.Contains(email, "@") {
		s.app.fail(s.fb, "changing the email", &account.InputError{Field: "email", Reason: "enter an address like name@example.com"})
		s.app.focus(s.email)
		return
	}
	s.fb.clear()
	token := s.app.token
	s.check = &identityCheck{
		app:         s.app,
		purpose:     account.PurposeChangeEmail,
		what:        "changing the email",
		withPasskey: s.app.canPasskeySignIn(),
		codesNote:   "A code to your current address is part of the check once it is confirmed.",
		act:         "Verify and send the code",
		use: func(ctx context.Context, grant string) error {
			_, err := s.app.api.ChangeEmail(ctx, token, grant, email)
			return err
		},
		done: func(err error) {
			s.check = nil
			if err != nil { // cancelled
				s.box.Objects = []fyne.CanvasObject{s.form}
				s.box.Refresh()
				s.app.focus(s.email)
				return
			}
			s.codeSent(email)
		},
	}
	s.box.Objects = []fyne.CanvasObject{s.check.object()}
	s.box.Refresh()
	s.check.shown()
}

// codeSent asks for the code the new address got.
func (s *changeEmailScreen) codeSent(email string) {
	s.code = newEmailCode(s.app, s.changed)
	s.box.Objects = []fyne.CanvasObject{
		infoLine("A code was emailed to " + strings.ToLower(email) + ". Type it here to make it your account's email."),
		s.code.object(),
	}
	s.box.Refresh()
	s.app.focus(s.code.entry)
}

func (s *changeEmailScreen) changed(st *account.EmailStatus) {
	s.app.me.Email = st.Email
	s.app.me.EmailUnconfirmed = false
	done := newButtonWithIcon("Back to Settings", theme.NavigateBackIcon(), func() { s.shell.open(sectionSettings) })
	s.box.Objects = []fyne.CanvasObject{
		infoLine("Your email is now " + st.Email + ". Sign in with it from now on."),
		container.NewHBox(done),
	}
	s.box.Refresh()
	s.app.focus(done)
}

// close ends a check under way as the screen goes away.
func (s *changeEmailScreen) close() {
	if s.check != nil {
		s.check.close()
		s.check = nil
	}
}

// unconfirmedEmailRow is the overview's email factor while the address
// is not confirmed.
func unconfirmedEmailRow() fyne.CanvasObject {
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))), nil,
		container.NewVBox(heading("Email codes"), paragraph("Not used until your address is confirmed: identity checks ask for your password and authenticator code.")))
}

// unconfirmedCheckWords says why an identity check asks no email code
// although the service sends email.
const unconfirmedCheckWords = "Your email address is not confirmed yet, so this check asks only for your password and authenticator code. Confirm it on the overview."
