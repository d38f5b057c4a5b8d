package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// phoneFlow is the "Phone or tablet" method of the add-passkey wizard. It
// starts a phone enrollment with the wizard's grant and shows its link as
// a QR code and a countdown to its expiry; status lines follow the phone
// through the enrollment's states (account.WatchPhoneEnrollment). When a
// phone opens the link, the phone shows a match code: the flow says which
// browser opened it and asks for that code
// (account.ConfirmPhoneEnrollmentCode), so a phone the user does not hold
// cannot go on. When the enrollment ends it offers a new QR code; when the
// passkey is bound it goes back to the passkeys list, which shows it.
//
// The watch and the countdown run in goroutines and report through
// App.deliver; their updates are not counted as work in flight (they come
// whenever the phone moves or a second passes). Fields are read and
// written on the UI goroutine only.
type phoneFlow struct {
	app    *App
	wizard *addPasskeyScreen
	grant  string

	ctx  context.Context // ends with the flow
	stop context.CancelFunc

	ended bool
	enr   *account.PhoneEnrollment // the enrollment on display, or nil
	state account.EnrollmentState  // its last state seen
	seen  map[account.EnrollmentState]bool
	watch context.CancelFunc // ends the watch and the countdown of enr

	qr        *component.QRCode
	countdown *widget.Label
	lines     *fyne.Container // one status line per state seen
	current   *widget.Icon    // the icon of the last line
	// codeForm asks for the code the phone shows, once a phone opened
	// the link, until it is confirmed.
	codeForm *fyne.Container
	code     *widget.Entry
	confirm  *button
	fb       *feedback
	newCode  *button
	cancel   *button
}

func newPhoneFlow(w *addPasskeyScreen, grant string) *phoneFlow {
	f := &phoneFlow{app: w.app, wizard: w, grant: grant}
	f.ctx, f.stop = context.WithCancel(w.app.ctx)
	return f
}

// start begins an enrollment and shows it.
func (f *phoneFlow) start() {
	f.stopWatch()
	f.enr = nil
	fb := newFeedback()
	fb.busy("Making a one-time link for your phone…")
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)
	f.setStep([]fyne.CanvasObject{fb.object(), container.NewHBox(cancel)}, cancel)

	token, grant := f.app.token, f.grant
	var enr *account.PhoneEnrollment
	f.app.run(func(ctx context.Context) error {
		var err error
		enr, err = f.app.api.BeginPhoneEnrollment(ctx, token, grant)
		return err
	}, func(err error) {
		if f.ended {
			return
		}
		if errors.Is(err, account.ErrGrantRequired) {
			// The identity check has expired: a new code needs a new one.
			f.end()
			f.wizard.begin(err)
			return
		}
		if err != nil {
			f.app.fail(fb, "starting a phone enrollment", err)
			f.relayout()
			return
		}
		f.show(enr)
	})
}

// show displays enr and starts following it.
func (f *phoneFlow) show(enr *account.PhoneEnrollment) {
	f.enr, f.state, f.seen, f.current = enr, "", map[account.EnrollmentState]bool{}, nil
	qr, err := component.NewQRCode(enr.URL)
	if err != nil {
		// Only a link far too long for a QR code gets here.
		f.end()
		f.wizard.begin(err)
		return
	}
	f.qr = qr
	f.countdown = widget.NewLabel("")
	f.lines = container.NewVBox()
	f.code = widget.NewEntry()
	f.code.SetPlaceHolder("6 digits")
	f.code.OnSubmitted = func(string) { f.confirmCode() }
	f.confirm = newButtonWithIcon("Confirm code", theme.ConfirmIcon(), f.confirmCode)
	f.codeForm = container.NewVBox(
		heading("Code shown on the phone"),
		container.NewBorder(nil, nil, nil, f.confirm, f.code),
		paragraph("Not your phone? Cancel: someone else may have scanned the QR code."),
	)
	f.codeForm.Hide()
	f.fb = newFeedback()
	f.newCode = newButtonWithIcon("New QR code", theme.ViewRefreshIcon(), f.start)
	f.newCode.Hide()
	f.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), f.leave)

	side := container.NewVBox(
		f.countdown,
		f.lines,
		f.codeForm,
	)
	objs := []fyne.CanvasObject{
		paragraph("Scan this QR code with the camera of your phone or tablet and open the page it shows. The phone then shows a code: type it here, and the phone creates the passkey and keeps it."),
		container.NewBorder(nil, nil, container.NewCenter(qr), nil, container.NewPadded(side)),
	}
	if host, ok := loopbackHost(enr.URL); ok {
		objs = append(objs, warningLine(loopbackWords(host, f.app.server)))
	}
	objs = append(objs, f.fb.object(), container.NewHBox(f.newCode, f.cancel))
	f.setStep(objs, f.cancel)
	f.status(account.EnrollmentStatus{ID: enr.ID, State: account.EnrollmentWaiting, ExpiresAt: enr.ExpiresAt})
	f.follow(enr)
}

// follow starts the watch and the countdown of enr.
func (f *phoneFlow) follow(enr *account.PhoneEnrollment) {
	ctx, cancel := context.WithCancel(f.ctx)
	f.watch = cancel
	token := f.app.token
	f.tick(enr)
	f.app.run(func(context.Context) error {
		// The watch lives as long as the enrollment is on display, not
		// callTimeout: it gets the flow's context.
		ch, err := f.app.api.WatchPhoneEnrollment(ctx, token, enr.ID)
		if err != nil {
			return err
		}
		go func() {
			for st := range ch {
				f.app.deliver(func() {
					if ctx.Err() == nil && f.enr == enr {
						f.status(st)
					}
				})
			}
		}()
		return nil
	}, func(err error) {
		if err != nil && ctx.Err() == nil && f.enr == enr {
			f.app.fail(f.fb, "following the phone enrollment", err)
			f.relayout()
		}
	})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var pending atomic.Bool // one tick at most waits for the UI goroutine
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if pending.Swap(true) {
					continue
				}
				f.app.deliver(func() {
					pending.Store(false)
					if ctx.Err() == nil && f.enr == enr {
						f.tick(enr)
					}
				})
			}
		}
	}()
}

// tick updates the countdown; at zero the enrollment has expired.
func (f *phoneFlow) tick(enr *account.PhoneEnrollment) {
	if f.state.Ended() {
		return
	}
	left := enr.ExpiresAt.Sub(f.app.now())
	if left <= 0 {
		f.status(account.EnrollmentStatus{ID: enr.ID, State: account.EnrollmentExpired})
		return
	}
	f.countdown.SetText("Expires in " + minutesSeconds(left))
}

// status shows a state of the enrollment on display.
func (f *phoneFlow) status(st account.EnrollmentStatus) {
	if f.state.Ended() || f.seen[st.State] {
		return
	}
	f.state = st.State
	f.seen[st.State] = true
	// The line of the state under way has an arrow; passed ones a tick.
	icon := theme.MediaPlayIcon()
	var text string
	switch st.State {
	case account.EnrollmentWaiting:
		text = "Waiting for the phone to open the link."
	case account.EnrollmentOpened:
		text = "A phone opened the link. Type the code it shows."
		if st.Browser != "" {
			text = "Opened by " + st.Browser + ". Type the code it shows."
		}
	case account.EnrollmentCodeConfirmed:
		text = "Confirmed. Create the passkey on your phone now."
		if st.Browser != "" {
			text = "Confirmed: " + st.Browser + ". Create the passkey on your phone now."
		}
	case account.EnrollmentPasskeyCreated:
		text = "The phone made a passkey; checking it."
	case account.EnrollmentDone:
		icon, text = theme.ConfirmIcon(), "Passkey added."
	case account.EnrollmentExpired:
		icon, text = theme.NewErrorThemedResource(theme.ErrorIcon()), "This QR code has expired."
	case account.EnrollmentCanceled:
		icon, text = theme.NewErrorThemedResource(theme.ErrorIcon()), "The enrollment was canceled"
		if st.Reason != "" {
			text += ": " + st.Reason
		}
		text += "."
	default:
		return
	}
	if f.current != nil {
		f.current.SetResource(theme.ConfirmIcon())
	}
	f.current = widget.NewIcon(icon)
	f.lines.Add(container.NewBorder(nil, nil, f.current, nil, paragraph(text)))
	switch st.State {
	case account.EnrollmentOpened:
		f.codeForm.Show()
		f.relayout()
		f.app.focus(f.code)
		return
	case account.EnrollmentDone:
		f.end()
		f.wizard.leaveAdded(st.Passkey)
		return
	case account.EnrollmentExpired, account.EnrollmentCanceled:
		f.stopWatch()
		f.countdown.SetText("")
		f.countdown.Hide()
		f.qr.Hide()
		f.fb.clear()
		f.newCode.Importance = widget.HighImportance
		f.newCode.Show()
	}
	f.codeForm.Hide()
	f.relayout()
	if st.State.Ended() {
		f.app.focus(f.newCode)
	}
}

// confirmCode sends the code typed from the phone's screen. A wrong one
// is said so and may be typed again; the service ends the enrollment
// after account.MaxFailures, which the watch then shows.
func (f *phoneFlow) confirmCode() {
	if f.state != account.EnrollmentOpened || f.confirm.Disabled() {
		return
	}
	code, err := oneTimeCode(f.code.Text, "code")
	if err != nil {
		f.app.fail(f.fb, "confirming the phone's code", err)
		f.relayout()
		f.app.focus(f.code)
		return
	}
	f.fb.busy("Checking the code…")
	setEnabled(false, f.code, f.confirm)
	f.relayout()
	enr, token := f.enr, f.app.token
	var st *account.EnrollmentStatus
	f.app.run(func(ctx context.Context) error {
		var err error
		st, err = f.app.api.ConfirmPhoneEnrollmentCode(ctx, token, enr.ID, code)
		return err
	}, func(err error) {
		if f.ended || f.enr != enr {
			return
		}
		setEnabled(true, f.code, f.confirm)
		var ended *account.EnrollmentEndedError
		switch {
		case err == nil:
			f.fb.clear()
			f.status(*st)
		case errors.As(err, &ended):
			f.status(account.EnrollmentStatus{ID: enr.ID, State: ended.State, Reason: ended.Reason})
		case errors.Is(err, account.ErrInvalidCode):
			f.app.log.Info("confirming the phone's code failed", "err", err)
			f.fb.show(message{
				Title:    "Wrong code",
				Sentence: "That is not the code the phone shows.",
				Next:     "Type the 6 digits shown on the phone. After " + strconv.Itoa(account.MaxFailures) + " wrong codes the enrollment ends.",
			})
			f.code.SetText("")
			f.relayout()
			f.app.focus(f.code)
		default:
			f.app.fail(f.fb, "confirming the phone's code", err)
			f.relayout()
		}
	})
}

// stopWatch ends the watch and the countdown of the enrollment on display.
func (f *phoneFlow) stopWatch() {
	if f.watch != nil {
		f.watch()
		f.watch = nil
	}
}

// end stops the flow; an enrollment still open is canceled at the service,
// so its link stops working.
func (f *phoneFlow) end() {
	if f.ended {
		return
	}
	f.ended = true
	f.stopWatch()
	f.stop()
	if f.enr == nil || f.state.Ended() {
		return
	}
	token, id := f.app.token, f.enr.ID
	f.app.run(func(ctx context.Context) error {
		return f.app.api.CancelPhoneEnrollment(ctx, token, id)
	}, func(err error) {
		if err != nil {
			f.app.log.Warn("canceling a phone enrollment failed", "err", err)
		}
	})
}

// leave ends the flow and goes back to the passkeys list.
func (f *phoneFlow) leave() {
	f.end()
	f.wizard.leave()
}

func (f *phoneFlow) setStep(objs []fyne.CanvasObject, focus fyne.Focusable) {
	head := []fyne.CanvasObject{headingText("Add a passkey"), heading("Step 3 of 3: add your phone or tablet")}
	f.wizard.setStep(page(append(head, objs...)...), focus)
}

func (f *phoneFlow) relayout() {
	if !f.ended {
		f.wizard.relayout()
	}
}

// loopbackWords warns that a phone cannot open a link to host, a
// loopback address, and says how to give it one it can open: from the
// embedded service (server "") or from the account server at server.
func loopbackWords(host, server string) string {
	if server != "" {
		return "A phone cannot open this link: " + host + " is this computer's own address. It works in a browser on this computer. For a phone, the account server must be started with --public-url https://HOST, where HOST is a name the phone reaches."
	}
	return "A phone cannot open this link: " + host + " is this computer's own address. It works in a browser on this computer. For a phone, run Passkey Desk with --public-url https://HOST, where HOST is a name the phone reaches, served by a TLS proxy that forwards to the phone address (--phone-addr)."
}

// loopbackHost reports whether link points at this computer (localhost,
// 127.0.0.1, ::1), which no phone can reach, and the host it names.
func loopbackHost(link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil {
		return "", false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return host, true
	}
	ip := net.ParseIP(host)
	return host, ip != nil && ip.IsLoopback()
}

// minutesSeconds is "4:05".
func minutesSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// warningLine is a short warning with a warning icon before it.
func warningLine(text string) fyne.CanvasObject {
	l := paragraph(text)
	l.Importance = widget.WarningImportance
	return container.NewBorder(nil, nil,
		container.NewVBox(widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))), nil, l)
}
