package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
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
// cannot go on. When another device tries the link a phone holds (a
// second browser, a tab, a QR app's browser), the flow names it and offers
// to let it take over (account.HandOverPhoneEnrollment; it then shows a
// new code) or to start again with a new QR code on the same identity
// check. When the enrollment ends it offers a new QR code; when the
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
	// handovers and tries are the enrollment's counts last seen: a
	// handover starts the lines again, a new try shows the contender.
	handovers, tries int
	watch            context.CancelFunc // ends the watch and the countdown of enr

	qr        *component.QRCode
	countdown *widget.Label
	lines     *fyne.Container  // one status line per state seen
	current   *fyne.Container  // the marker of the last line
	activity  *widget.Activity // in current while its step is under way
	// contender says another device tried the link and offers to let it
	// take over (takeOver) or to start again with a new QR code.
	contender     *fyne.Container
	contenderText *widget.Label
	takeOver      *button
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
	f.setMarker(nil)
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
	f.enr, f.state, f.seen, f.current, f.activity = enr, "", map[account.EnrollmentState]bool{}, nil, nil
	f.handovers, f.tries = 0, 0
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
	f.contenderText = paragraph("")
	f.contenderText.Importance = widget.WarningImportance
	f.takeOver = newButtonWithIcon("Let it take over", theme.MailForwardIcon(), f.handOver)
	f.contender = container.NewVBox(
		container.NewBorder(nil, nil,
			container.NewVBox(widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))), nil, f.contenderText),
		container.NewHBox(f.takeOver, newButtonWithIcon("Start again with a new QR code", theme.ViewRefreshIcon(), f.restart)),
	)
	f.contender.Hide()

	side := container.NewVBox(
		f.countdown,
		f.lines,
		f.codeForm,
	)
	objs := []fyne.CanvasObject{
		paragraph("Scan this QR code with the camera of your phone or tablet and open the page it shows. The phone then shows a code: type it here, and the phone creates the passkey and keeps it."),
		container.NewBorder(nil, nil, container.NewCenter(qr), nil, container.NewPadded(side)),
		f.contender,
	}
	buttons := container.NewHBox(f.newCode, f.cancel)
	if host, ok := loopbackHost(enr.URL); ok {
		// The link's own buttons join the row below, so the step still
		// fits the window with the QR code whole.
		link, copyLink, open := f.linkRow(enr.URL)
		objs = append(objs, warningLine(loopbackWords(host, f.app.server)), link)
		buttons.Objects = []fyne.CanvasObject{copyLink, open, f.newCode, f.cancel}
	}
	objs = append(objs, f.fb.object(), buttons)
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
	f.app.every(ctx, countdownTick, func() bool {
		if f.enr != enr {
			return false
		}
		f.tick(enr)
		return true
	})
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

// linkRow shows link, for a browser on this computer, and makes its Copy
// (the link is secret until used: it leaves the clipboard after a
// minute) and Open in browser buttons.
func (f *phoneFlow) linkRow(link string) (shown *widget.Label, copyLink, open *button) {
	shown = widget.NewLabelWithStyle(link, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	shown.Selectable = true
	shown.Wrapping = fyne.TextWrapBreak
	copyLink = newButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { f.app.copySecret(copyLink, link) })
	open = newButtonWithIcon("Open in browser", theme.ComputerIcon(), func() {
		u, err := url.Parse(link)
		if err == nil {
			err = f.app.openURL(u)
		}
		if err != nil {
			f.app.fail(f.fb, "opening the link in a browser", err)
			f.relayout()
		}
	})
	return shown, copyLink, open
}

// status shows a state of the enrollment on display, and another
// device's try or a handover.
func (f *phoneFlow) status(st account.EnrollmentStatus) {
	if f.state.Ended() || st.Handovers < f.handovers {
		return
	}
	if st.Handovers > f.handovers {
		// Handed over: the steps start again with the new device.
		f.handovers, f.seen = st.Handovers, map[account.EnrollmentState]bool{}
		f.lines.RemoveAll()
		f.setMarker(nil)
		f.current = nil
		f.contender.Hide()
		f.code.SetText("") // the other device's code is void
		f.fb.clear()
	}
	if st.Contender != "" && st.Tries > f.tries && (st.State == account.EnrollmentOpened || st.State == account.EnrollmentCodeConfirmed) {
		f.tries = st.Tries
		f.contenderText.SetText("Another device tried to open the link: " + st.Contender + ". If it is yours (another browser or tab), let it take over: it then shows a new code to type here. If not, start again with a new QR code; someone else may have scanned this one.")
		f.takeOver.Enable()
		f.contender.Show()
		f.relayout() // the focus stays where the user is typing
	}
	if f.seen[st.State] {
		return
	}
	f.state = st.State
	f.seen[st.State] = true
	// The line of the step under way has an activity indicator; passed
	// ones a tick.
	var icon fyne.Resource
	var text string
	switch st.State {
	case account.EnrollmentWaiting:
		text = "Waiting for the phone to open the link."
	case account.EnrollmentOpened:
		text = "A phone opened the link. Type the code it shows."
		if st.Browser != "" {
			text = "Opened by " + st.Browser + ". Type the code it shows."
		}
		if st.Handovers > 0 {
			text = "Handed over to " + st.Browser + ". Type the new code it shows."
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
	f.setMarker(widget.NewIcon(theme.ConfirmIcon()))
	var marker fyne.CanvasObject
	if icon != nil {
		marker = widget.NewIcon(icon)
	} else {
		f.activity = widget.NewActivity()
		f.activity.Start()
		marker = f.activity
	}
	f.current = container.NewStack(marker)
	f.lines.Add(container.NewBorder(nil, nil, container.NewVBox(f.current), nil, paragraph(text)))
	if st.State.Ended() || st.State == account.EnrollmentPasskeyCreated {
		f.contender.Hide()
	}
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

// setMarker stops the activity of the last line and shows obj there
// instead (nil: nothing).
func (f *phoneFlow) setMarker(obj fyne.CanvasObject) {
	if f.activity != nil {
		f.activity.Stop()
		f.activity = nil
	}
	if f.current == nil {
		return
	}
	f.current.Objects = nil
	if obj != nil {
		f.current.Objects = []fyne.CanvasObject{obj}
	}
	f.current.Refresh()
}

// handOver lets the device that last tried the link take it over; the
// flow then asks for the code that device shows.
func (f *phoneFlow) handOver() {
	if f.takeOver.Disabled() || f.enr == nil {
		return
	}
	f.takeOver.Disable()
	f.fb.busy("Handing the link over…")
	f.relayout()
	enr, token := f.enr, f.app.token
	var st *account.EnrollmentStatus
	f.app.run(func(ctx context.Context) error {
		var err error
		st, err = f.app.api.HandOverPhoneEnrollment(ctx, token, enr.ID)
		return err
	}, func(err error) {
		if f.ended || f.enr != enr {
			return
		}
		f.takeOver.Enable()
		var ended *account.EnrollmentEndedError
		switch {
		case err == nil:
			f.fb.clear()
			f.status(*st)
		case errors.As(err, &ended):
			f.fb.clear()
			f.status(account.EnrollmentStatus{ID: enr.ID, State: ended.State, Reason: ended.Reason, Handovers: f.handovers})
		case errors.Is(err, account.ErrEnrollmentStep):
			f.contender.Hide()
			f.fb.show(message{
				Title:    "Too late to hand over",
				Sentence: "The phone that holds the link has already sent its passkey.",
				Next:     "Wait for it to be added, or Cancel and start again.",
			})
		default:
			f.app.fail(f.fb, "handing the link over", err)
		}
		f.relayout()
	})
}

// restart ends the enrollment on display, so its link stops working, and
// starts a new one on the same identity check (while it is valid).
func (f *phoneFlow) restart() {
	if f.enr != nil && !f.state.Ended() {
		token, id := f.app.token, f.enr.ID
		f.app.run(func(ctx context.Context) error {
			return f.app.api.CancelPhoneEnrollment(ctx, token, id)
		}, func(err error) {
			if err != nil {
				f.app.log.Warn("canceling a phone enrollment failed", "err", err)
			}
		})
	}
	f.start()
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
	f.setMarker(nil)
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
