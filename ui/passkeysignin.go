package ui

import (
	"context"
	"encoding/json"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// passkeySignIn signs in with a passkey and no email: a
// discoverable-credential request (WebAuthn §5.1.4 with an empty allow
// list) to a plugged security key or this computer. When the key holds
// passkeys for several accounts of this service, the person picks one.
type passkeySignIn struct {
	app  *App
	body *fyne.Container
	fb   *feedback
	flow *assertFlow
}

// canPasskeySignIn reports whether the app has an authenticator to sign in
// with.
func (a *App) canPasskeySignIn() bool {
	return a.client != nil && (a.keys != nil || a.thisComputer != nil)
}

// showPasskeySignIn replaces the sign-in screen with the passkey flow.
func (a *App) showPasskeySignIn() {
	s := &passkeySignIn{app: a, fb: newFeedback()}
	s.body = container.NewVBox()
	var (
		sess    *account.Session
		problem error
	)
	s.flow = &assertFlow{
		app:  a,
		what: "to sign in",
		begin: func(ctx context.Context) (json.RawMessage, error) {
			return a.api.BeginLogin(ctx, "")
		},
		finish: func(ctx context.Context, assertion json.RawMessage) error {
			var err error
			if sess, err = a.api.FinishLogin(ctx, assertion); err != nil {
				return err
			}
			problem = a.remember(sess.Token)
			return nil
		},
		setStep: func(objs []fyne.CanvasObject, focus fyne.Focusable) {
			s.body.Objects = objs
			s.body.Refresh()
			if focus != nil {
				a.focus(focus)
			}
		},
		done: func(err error) {
			if err == nil {
				a.setTokenProblem(problem)
				a.enter(sess.Token, sess.Account)
				a.deletionCanceled(sess)
				return
			}
			a.showSignIn()
			if !canceled(err) {
				a.fail(a.signInScreen.fb, "signing in with a passkey", err)
			}
		},
	}
	back := newButton("Use password and code instead", func() {
		s.flow.abandon()
		a.showSignIn()
	})
	back.Importance = widget.LowImportance
	a.signInScreen, a.signUpScreen = nil, nil
	a.setContent(page(headingText("Sign in with a passkey"), s.body, s.fb.object(), widget.NewSeparator(), back), nil)
	s.flow.start()
}
