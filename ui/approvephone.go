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

// approvePhone is "Approve on your phone" on an approval's detail: a QR
// code of a one-time link (account.BeginPhoneApproval) to the service's
// approval page, where the phone shows the operation and approves it
// with its passkey or denies it. The outcome reaches the desktop through
// the shell's watch of pending approvals: when the approval leaves the
// list, the flow reads how it ended (account.ReadApproval) and shows it.
// Fields are read and written on the UI goroutine only.
type approvePhone struct {
	d *approvalDetail

	ctx  context.Context // ends with the flow
	stop context.CancelFunc

	link      *account.ApprovalLink // on display, or nil
	qr        *component.QRCode
	countdown *widget.Label
	fb        *feedback
	newLink   *button
	hide      *button
	ended     bool
}

// startPhone shows the QR code of a new phone link under the details.
func (d *approvalDetail) startPhone() {
	d.closePhone()
	d.phone = &approvePhone{d: d}
	d.phone.ctx, d.phone.stop = context.WithCancel(d.app.ctx)
	d.shell.watch.phone = d.phone
	d.phone.begin()
}

// closePhone ends the phone flow, if any.
func (d *approvalDetail) closePhone() {
	if p := d.phone; p != nil {
		p.stop()
		p.ended = true
		if d.shell.watch.phone == p {
			d.shell.watch.phone = nil
		}
		d.phone = nil
	}
}

// begin makes a link and shows it, ending the one shown before.
func (p *approvePhone) begin() {
	d := p.d
	p.cancelLink()
	p.link = nil
	p.fb = newFeedback()
	p.fb.busy("Making a one-time link for your phone…")
	p.hide = newButtonWithIcon("Hide QR code", theme.CancelIcon(), p.leave)
	d.setStep([]fyne.CanvasObject{p.fb.object(), container.NewHBox(p.hide)}, p.hide)
	setEnabled(false, d.approve, d.deny, d.onPhone)

	token, id := d.app.token, d.approval.ID
	var link *account.ApprovalLink
	d.app.runIn(p.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		link, err = d.app.api.BeginPhoneApproval(ctx, token, id)
		return err
	}, func(err error) {
		if p.ended {
			return
		}
		if err != nil {
			setEnabled(true, d.approve, d.deny, d.onPhone)
			d.app.fail(p.fb, "making a phone link", err)
			return
		}
		p.show(link)
	})
}

// show displays link as a QR code with its countdown.
func (p *approvePhone) show(link *account.ApprovalLink) {
	d := p.d
	qr, err := component.NewQRCode(link.URL)
	if err != nil {
		// Only a link far too long for a QR code gets here.
		d.app.fail(p.fb, "making a phone link", err)
		return
	}
	p.link, p.qr = link, qr
	p.countdown = widget.NewLabel("")
	p.newLink = newButtonWithIcon("New QR code", theme.ViewRefreshIcon(), p.begin)
	p.newLink.Hide()
	side := container.NewVBox(
		p.countdown,
		paragraph("The phone shows these same details. Compare them, then approve there with your phone's passkey, or deny."),
	)
	objs := []fyne.CanvasObject{
		headingText("Approve on your phone"),
		paragraph("Scan this QR code with the camera of the phone that holds your passkey and open the page it shows. The link works once."),
		container.NewBorder(nil, nil, container.NewCenter(qr), nil, container.NewPadded(side)),
	}
	if host, ok := loopbackHost(link.URL); ok {
		objs = append(objs, warningLine(loopbackWords(host, d.app.server)))
	}
	p.fb.clear()
	objs = append(objs, p.fb.object(), container.NewHBox(p.newLink, p.hide))
	d.setStep(objs, p.hide)
	p.relayout()
	p.tick()
	p.follow(link)
}

// follow ticks the countdown of link every second until the flow ends or
// shows another link.
func (p *approvePhone) follow(link *account.ApprovalLink) {
	p.d.app.every(p.ctx, countdownTick, func() bool {
		if p.ended || p.link != link {
			return false
		}
		p.tick()
		return true
	})
}

// tick updates the countdown; at zero the link has expired and a new one
// may be made (while the approval lasts).
func (p *approvePhone) tick() {
	left := p.link.ExpiresAt.Sub(p.d.app.now())
	if left > 0 {
		p.countdown.SetText("The link expires in " + minutesSeconds(left))
		return
	}
	p.countdown.SetText("The link has expired.")
	if p.d.app.now().Before(p.d.approval.ExpiresAt) {
		p.newLink.Show()
	}
}

// update hears the pending approvals from the shell's watch: when this
// approval has left them it was decided (on the phone, most likely) or
// expired, and the flow reads which.
func (p *approvePhone) update(list []account.Approval) {
	if p.ended || p.link == nil {
		return
	}
	for _, a := range list {
		if a.ID == p.d.approval.ID {
			return
		}
	}
	d := p.d
	token, id := d.app.token, d.approval.ID
	var got *account.Approval
	d.app.runIn(p.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		got, err = d.app.api.ReadApproval(ctx, token, id)
		return err
	}, func(err error) {
		if p.ended {
			return
		}
		if err != nil {
			d.app.fail(p.fb, "reading the approval", err)
			return
		}
		p.outcome(got)
	})
}

// outcome shows how the approval ended, in place of the QR code.
func (p *approvePhone) outcome(a *account.Approval) {
	d := p.d
	p.stop()
	p.ended = true
	var title string
	var line fyne.CanvasObject
	summary := operationSummary(d.approval.Operation)
	switch a.State {
	case account.ApprovalApproved:
		title = "Approved on your phone"
		text := summary + " approved"
		if a.PasskeyName != "" {
			text += " with " + a.PasskeyName
		}
		line = successLine(text + ". The requester sees the decision now.")
	case account.ApprovalDenied:
		title = "Denied"
		line = infoLine(summary + " denied. The requester sees the decision now.")
	case account.ApprovalRefused:
		title = "Refused for good"
		line = warningLine(a.Reason + ". The requester must ask again.")
	default:
		title = "Expired"
		line = infoLine("This request has expired. The requester must ask again.")
	}
	setEnabled(false, d.approve, d.deny, d.onPhone)
	// A new title: the page brings it into view (pageLayout).
	d.setStep([]fyne.CanvasObject{headingText(title), line}, d.back)
	p.relayout()
}

// relayout lays the detail's page out again at once and scrolls it to
// its end, where the step is: the QR code, or the outcome, in full view
// under the details.
func (p *approvePhone) relayout() {
	content := p.d.shell.content
	if p.d.shell.detail != p.d || len(content.Objects) != 1 {
		return
	}
	content.Refresh()
	if sc, ok := content.Objects[0].(*container.Scroll); ok {
		sc.ScrollToBottom()
	}
}

// leave hides the QR code and ends its link at once. (Leaving the screen
// otherwise keeps the link until it expires: a phone may be using it.)
func (p *approvePhone) leave() {
	d := p.d
	p.cancelLink()
	d.closePhone()
	setEnabled(true, d.approve, d.deny, d.onPhone)
	d.setStep(nil, d.onPhone)
}

// cancelLink ends the link on display, if any, in the background; a
// failure is only logged: the link expires soon anyway.
func (p *approvePhone) cancelLink() {
	if p.link == nil {
		return
	}
	app, token, id := p.d.app, p.d.app.token, p.link.ID
	app.run(func(ctx context.Context) error {
		return app.api.CancelPhoneApproval(ctx, token, id)
	}, func(err error) {
		if err != nil {
			app.log.Warn("ending a phone link failed", "err", err)
		}
	})
}

// successLine is a short success note with a tick before it.
func successLine(text string) fyne.CanvasObject {
	l := paragraph(text)
	l.Importance = widget.SuccessImportance
	return container.NewBorder(nil, nil,
		container.NewVBox(widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))), nil, l)
}
