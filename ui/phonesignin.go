package ui

import (
	"context"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// phoneSignIn is "Sign in with your phone": the service gives a one-time
// link, shown as a QR code, a code shown beside it, and a secret only
// this app holds (account.BeginPhoneSignIn). The phone opens the link,
// shows this computer's name, address and the time, takes the code and
// asserts with a passkey; the session then arrives on the watch the
// secret opens (account.WatchPhoneSignIn), and the app signs in with it,
// keeping the token as any other sign-in does. After the link expires,
// "New code" begins again.
//
// The watch and the countdown run in goroutines and report through
// App.deliver. Fields are read and written on the UI goroutine only.
type phoneSignIn struct {
	app  *App
	ctx  context.Context // ends with the screen
	stop context.CancelFunc

	ps    *account.PhoneSignIn // the sign-in on display, or nil
	state account.PhoneSignInState
	watch context.CancelFunc // ends the watch and countdown of ps

	root      *fyne.Container // the window's content: the page, made again as it changes
	code      *widget.Label
	countdown *widget.Label
	status    *widget.Label
	fb        *feedback
	newCode   *button
	back      *button
}

// canPhoneSignIn reports whether a phone can reach the service's pages:
// the app's own page is served, or the app is on a server.
func (a *App) canPhoneSignIn() bool {
	return a.phone && a.phoneUnavailable == nil
}

// showPhoneSignIn replaces the sign-in screen with the phone's QR code.
func (a *App) showPhoneSignIn() {
	s := &phoneSignIn{app: a, fb: newFeedback()}
	s.ctx, s.stop = context.WithCancel(a.ctx)
	s.root = container.NewStack()
	s.newCode = newButtonWithIcon("New code", theme.ViewRefreshIcon(), s.begin)
	s.newCode.Importance = widget.HighImportance
	s.newCode.Hide()
	s.back = newButton("Use password and code instead", s.leave)
	s.back.Importance = widget.LowImportance
	a.signInScreen, a.signUpScreen = nil, nil
	a.setContent(s.root, nil)
	s.begin()
}

// computerName is the name the phone page shows for this computer.
func computerName() string {
	name, err := os.Hostname()
	name = strings.TrimSpace(name)
	if err != nil || name == "" || len([]rune(name)) > 64 {
		return "Passkey Desk on a computer"
	}
	return name
}

// begin asks for a new sign-in and shows it.
func (s *phoneSignIn) begin() {
	s.stopWatch()
	s.ps = nil
	s.newCode.Hide()
	s.setBody(s.back)
	s.fb.busy("Making a one-time link for your phone…")
	s.relayout()
	name := computerName()
	var ps *account.PhoneSignIn
	s.app.run(func(ctx context.Context) error {
		var err error
		ps, err = s.app.api.BeginPhoneSignIn(ctx, name)
		return err
	}, func(err error) {
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			s.app.fail(s.fb, "starting a phone sign-in", err)
			s.newCode.Show()
			s.relayout()
			return
		}
		s.fb.clear()
		s.show(ps)
	})
}

// show displays ps and starts following it.
func (s *phoneSignIn) show(ps *account.PhoneSignIn) {
	qr, err := component.NewQRCode(ps.URL)
	if err != nil {
		s.app.fail(s.fb, "showing the QR code", err)
		s.newCode.Show()
		s.relayout()
		return
	}
	s.ps, s.state = ps, ""
	s.code = widget.NewLabelWithStyle(ps.Code[:3]+" "+ps.Code[3:], fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Monospace: true})
	s.code.SizeName = theme.SizeNameHeadingText
	s.countdown = widget.NewLabel("")
	s.status = paragraph("")
	side := container.NewVBox(
		heading("Code to type on the phone"),
		s.code,
		s.countdown,
		s.status,
	)
	objs := []fyne.CanvasObject{
		paragraph("Scan this QR code with your phone's camera. The phone shows this computer's name (" + computerName() + "), its address and the time: check them, type the code beside the QR code on the phone, then use your passkey there."),
		container.NewBorder(nil, nil, container.NewCenter(qr), nil, container.NewPadded(side)),
	}
	if host, ok := loopbackHost(ps.URL); ok {
		objs = append(objs, warningLine(loopbackWords(host, s.app.server)))
	}
	s.setBody(s.back, objs...)
	s.update(account.PhoneSignInStatus{ID: ps.ID, State: account.PhoneSignInWaiting, ExpiresAt: ps.ExpiresAt})
	s.follow(ps)
}

// follow starts the watch and the countdown of ps. A stream that breaks
// before a final state (a server restarting) is opened again.
func (s *phoneSignIn) follow(ps *account.PhoneSignIn) {
	ctx, cancel := context.WithCancel(s.ctx)
	s.watch = cancel
	s.tick(ps)
	go func() {
		for ctx.Err() == nil {
			ch, err := s.app.api.WatchPhoneSignIn(ctx, ps.ID, ps.Secret)
			if err != nil {
				if ctx.Err() == nil {
					s.app.deliver(func() {
						if ctx.Err() == nil && s.ps == ps {
							s.app.fail(s.fb, "following the phone sign-in", err)
							s.newCode.Show()
							s.relayout()
						}
					})
				}
				return
			}
			ended := false
			for st := range ch {
				ended = ended || st.State.Ended()
				s.app.deliver(func() {
					if ctx.Err() == nil && s.ps == ps {
						s.update(st)
					}
				})
			}
			if ended {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	s.app.every(ctx, countdownTick, func() bool {
		if s.ps != ps {
			return false
		}
		s.tick(ps)
		return true
	})
}

// tick updates the countdown; at zero the link has expired (the phone
// could still be finishing: the service's watch has the last word on a
// sign-in the phone approved in time).
func (s *phoneSignIn) tick(ps *account.PhoneSignIn) {
	if s.state.Ended() || s.state == account.PhoneSignInApproved {
		return
	}
	left := ps.ExpiresAt.Sub(s.app.now())
	if left <= 0 {
		if s.state == account.PhoneSignInConfirmed {
			s.countdown.SetText("Waiting for the phone…")
			return
		}
		s.update(account.PhoneSignInStatus{ID: ps.ID, State: account.PhoneSignInExpired})
		return
	}
	s.countdown.SetText("Expires in " + minutesSeconds(left))
}

// setBody makes the page again with objs under its title, then the
// feedback strip, New code and the way back, and gives focus to focus.
func (s *phoneSignIn) setBody(focus fyne.Focusable, objs ...fyne.CanvasObject) {
	all := append([]fyne.CanvasObject{headingText("Sign in with your phone")}, objs...)
	all = append(all, s.fb.object(), s.newCode, widget.NewSeparator(), s.back)
	s.root.Objects = []fyne.CanvasObject{page(all...)}
	s.relayout()
	s.app.focus(focus)
}

// relayout lays the page out again after its parts changed (as the
// add-passkey wizard does: the second pass sees the first's sizes).
func (s *phoneSignIn) relayout() {
	s.root.Refresh()
	s.root.Refresh()
}

// update shows a state of the sign-in on display; done signs in.
func (s *phoneSignIn) update(st account.PhoneSignInStatus) {
	if s.state.Ended() {
		return
	}
	s.state = st.State
	switch st.State {
	case account.PhoneSignInWaiting:
		s.status.SetText("Waiting for your phone to open the link.")
	case account.PhoneSignInOpened:
		s.status.SetText("A phone opened the link. Type the code on it.")
	case account.PhoneSignInConfirmed:
		s.status.SetText("The phone took the code. Use your passkey on the phone now.")
		s.relayout()
	case account.PhoneSignInApproved:
		s.status.SetText("Your phone approved. Signing in…")
	case account.PhoneSignInDone:
		if st.Session == nil {
			// Another window took this sign-in's session.
			s.ended("This sign-in was used elsewhere.")
			return
		}
		sess := st.Session
		s.stopWatch()
		s.stop()
		problem := s.app.remember(sess.Token)
		s.app.setTokenProblem(problem)
		s.app.enter(sess.Token, sess.Account)
	case account.PhoneSignInExpired:
		s.ended("This QR code has expired.")
	case account.PhoneSignInCanceled:
		text := "The sign-in was canceled"
		if st.Reason != "" {
			text += ": " + st.Reason
		}
		s.ended(text + ".")
	}
}

// ended shows why the sign-in on display ended and offers a new code.
func (s *phoneSignIn) ended(why string) {
	s.stopWatch()
	s.state = account.PhoneSignInExpired
	line := paragraph(why)
	line.Importance = widget.DangerImportance
	s.newCode.Show()
	s.setBody(s.newCode, container.NewBorder(nil, nil,
		container.NewVBox(widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon()))), nil, line))
}

// stopWatch ends the watch and the countdown of the sign-in on display.
func (s *phoneSignIn) stopWatch() {
	if s.watch != nil {
		s.watch()
		s.watch = nil
	}
}

// leave goes back to sign-in with password and code. A link still open
// stays so until it expires, but its session can reach no one: the
// secret is dropped here.
func (s *phoneSignIn) leave() {
	s.stopWatch()
	s.stop()
	s.ps = nil
	s.app.showSignIn()
}
