package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

func init() {
	eventTypeWords[account.EventDeletionRequested] = "Account deletion requested"
	eventTypeWords[account.EventDeletionCanceled] = "Account deletion cancelled by signing in"
	purposeWords[account.PurposeDeleteAccount] = "Deleting the account"
}

// graceWords is how long the account stays after the request, in words.
var graceWords = fmt.Sprintf("%d days", int(account.DeletionGrace.Hours()/24))

// deleteAccountSettings is Settings' way to the account deletion screen.
func (a *App) deleteAccountSettings() fyne.CanvasObject {
	open := newButtonWithIcon("Delete account…", theme.DeleteIcon(), func() {
		if a.shell != nil {
			a.shell.open(sectionDeleteAccount)
		}
	})
	open.Importance = widget.DangerImportance
	return container.NewVBox(
		heading("Delete account"),
		paragraph("Deletes your account and everything it holds, "+graceWords+" after you ask. Signing in before then cancels it."),
		container.NewHBox(open),
	)
}

// deletionCanceled tells, after a sign-in, that it cancelled the
// account's pending deletion.
func (a *App) deletionCanceled(sess *account.Session) {
	if sess != nil && sess.DeletionCanceled && a.shell != nil {
		a.shell.fb.show(message{Title: "Deletion cancelled", Sentence: "Signing in cancelled your account's deletion; it stays as it was.", Next: "To delete it after all, ask again in Settings."})
	}
}

// deleteAccountScreen asks for the account's deletion: what goes and
// what stays (passkeys on security keys), the email typed to confirm,
// then an identity check whose grant makes the request.
type deleteAccountScreen struct {
	app   *App
	shell *shell

	confirm *widget.Entry
	next    *button
	keys    *fyne.Container // the account's passkeys on security keys
	box     *fyne.Container // the form or the identity check
	form    fyne.CanvasObject
	fb      *feedback
	check   *identityCheck // under way, or nil
}

func (s *deleteAccountScreen) build() fyne.CanvasObject {
	s.confirm = widget.NewEntry()
	s.confirm.SetPlaceHolder(s.app.me.Email)
	s.next = newButtonWithIcon("Continue", theme.NavigateNextIcon(), s.toCheck)
	s.next.Importance = widget.DangerImportance
	s.fb = newFeedback()
	s.keys = container.NewVBox()
	submitOnEnter(s.app.win.Canvas(), s.toCheck, s.confirm)
	s.form = container.NewVBox(
		widget.NewForm(widget.NewFormItem("Your email", s.confirm)),
		container.NewHBox(s.next),
	)
	s.box = container.NewVBox(s.form)
	s.loadKeys()
	return page(
		headingText("Delete account"),
		paragraph("Your account, its passkeys, activity, approvals and API keys are deleted "+graceWords+" after you ask. Every session, this one too, is signed out at once; signing in before the "+graceWords+" are over cancels the deletion."),
		s.keys,
		paragraph("Type your account's email to confirm."),
		s.box,
		s.fb.object(),
	)
}

// loadKeys lists the account's passkeys on security keys: the account's
// deletion does not reach the keys, so the screen offers to delete them
// there first, in the key panel's passkey list (credential management).
func (s *deleteAccountScreen) loadKeys() {
	token := s.app.token
	var onKeys []string
	s.app.run(func(ctx context.Context) error {
		pks, err := s.app.api.Passkeys(ctx, token)
		for _, p := range pks {
			if p.Kind == account.KindSecurityKey {
				onKeys = append(onKeys, fmt.Sprintf("%q", p.Name))
			}
		}
		return err
	}, func(err error) {
		if err != nil {
			s.app.fail(s.fb, "looking at your passkeys", err)
			return
		}
		if len(onKeys) == 0 {
			return
		}
		words := "Passkeys of this account on security keys stay on the keys: " + strings.Join(onKeys, ", ") + "."
		objs := []fyne.CanvasObject{warningLine(words)}
		if s.app.keys != nil {
			open := newButtonWithIcon("Delete them from a security key…", theme.StorageIcon(), func() { s.shell.open(sectionKeys) })
			objs = append(objs, paragraph("To delete them, plug the key in, enter its PIN under Security keys and delete the passkeys marked as this account's; then come back here."), container.NewHBox(open))
		}
		s.keys.Objects = objs
		s.keys.Refresh()
	})
}

// toCheck checks the typed email here, then asks who it is.
func (s *deleteAccountScreen) toCheck() {
	if s.check != nil {
		return
	}
	typed := strings.TrimSpace(s.confirm.Text)
	if !strings.EqualFold(typed, s.app.me.Email) {
		s.app.fail(s.fb, "deleting the account", &account.InputError{Field: "email", Reason: "type your account's email exactly as it is, " + s.app.me.Email})
		s.app.focus(s.confirm)
		return
	}
	s.fb.clear()
	token := s.app.token
	var d *account.AccountDeletion
	s.check = &identityCheck{
		app:         s.app,
		purpose:     account.PurposeDeleteAccount,
		what:        "deleting the account",
		withPasskey: s.app.canPasskeySignIn(),
		act:         "Verify and delete account",
		use: func(ctx context.Context, grant string) error {
			var err error
			d, err = s.app.api.RequestAccountDeletion(ctx, token, grant, typed)
			return err
		},
		done: func(err error) {
			s.check = nil
			if err != nil { // cancelled
				s.box.Objects = []fyne.CanvasObject{s.form}
				s.box.Refresh()
				s.app.focus(s.confirm)
				return
			}
			s.app.endSession(message{
				Title:    "Account deletion requested",
				Sentence: "Your account and its data will be deleted on " + d.DeletesAt.Local().Format("2 Jan 2006 at 15:04") + ". Every session was signed out.",
				Next:     "Changed your mind? Sign in before then, with your password or a passkey, and the deletion is cancelled.",
			})
		},
	}
	s.box.Objects = []fyne.CanvasObject{s.check.object()}
	s.box.Refresh()
	s.check.shown()
}

// close ends a check under way as the screen goes away.
func (s *deleteAccountScreen) close() {
	if s.check != nil {
		s.check.close()
		s.check = nil
	}
}
