package ui

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// approvalDetail shows one pending approval, every field large and plain,
// and approves it with a passkey (an assertion whose challenge commits to
// exactly these details) or denies it.
type approvalDetail struct {
	app      *App
	shell    *shell
	approval account.Approval

	approve *button
	deny    *button
	back    *button
	steps   *fyne.Container
	fb      *feedback
	flow    *assertFlow

	// countdown says how long is left to decide; at zero the request ends
	// on screen (expire), Approve and Deny gone for good.
	countdown *widget.Label
	expired   bool
	shown     bool          // in the window: show has run
	hold      *widget.Label // the hold note, when the operation is held
	view      fyne.CanvasObject
	// onPhone opens "Approve on your phone" (approvephone.go); nil when
	// the app serves no phone page.
	onPhone *button
	phone   *approvePhone
}

// countdownTick is how often the time left is updated.
const countdownTick = time.Second

// approvalField is one of an operation's fields on screen. An address is
// shown grouped, in monospace (see grouped).
type approvalField struct {
	label, value string
	address      bool
}

// approvalFields are the operation's fields in order. An empty value stays
// in the list ("" here, "not given" on screen), so nothing the requester
// sent, or left out, is hidden.
func approvalFields(a account.Approval) []approvalField {
	op := a.Operation
	fields := []approvalField{
		{label: "Kind", value: operationKindWords(op.Kind)},
		{label: "Asset", value: op.Asset},
		{label: "Amount", value: op.Amount},
		{label: "Network", value: op.Network},
	}
	if op.Counterparty != "" || op.Kind == account.OperationC2CTrade {
		fields = append(fields, approvalField{label: "Counterparty", value: op.Counterparty})
	}
	if op.Destination != "" || op.Kind != account.OperationC2CTrade {
		fields = append(fields, approvalField{label: "Destination", value: op.Destination, address: true})
	}
	return append(fields,
		approvalField{label: "Fee", value: op.Fee},
		approvalField{label: "Reference", value: op.Reference},
		approvalField{label: "Expires", value: a.ExpiresAt.Local().Format("Mon 2 Jan 15:04:05")},
	)
}

// addressGroups cuts an address into groups of four characters, the way
// people compare addresses: a long one then wraps between groups, never
// inside one, and the first and last groups can be checked at a glance.
func addressGroups(addr string) []string {
	var groups []string
	r := []rune(addr)
	for len(r) > 0 {
		n := min(4, len(r))
		groups = append(groups, string(r[:n]))
		r = r[n:]
	}
	return groups
}

// grouped writes an address in groups of four separated by spaces.
func grouped(addr string) string { return strings.Join(addressGroups(addr), " ") }

// destinationSegments show an address as the most prominent value of the
// detail: monospace at the heading size (the other values are
// sub-headings), grouped by four, its first and last groups in the
// primary colour (Fyne's monospace font has no bold), so its start and
// end are easy to compare with the address the person expects. The
// segments are inline and the text wraps between groups: nothing is cut
// off.
func destinationSegments(addr string) []widget.RichTextSegment {
	groups := addressGroups(addr)
	segs := make([]widget.RichTextSegment, 0, len(groups))
	for i, g := range groups {
		style := widget.RichTextStyle{
			Inline:    true,
			SizeName:  theme.SizeNameHeadingText,
			TextStyle: fyne.TextStyle{Monospace: true},
		}
		if i == 0 || i == len(groups)-1 {
			style.ColorName = theme.ColorNamePrimary
		}
		if i < len(groups)-1 {
			g += " "
		}
		segs = append(segs, &widget.TextSegment{Text: g, Style: style})
	}
	return segs
}

// notGiven stands for an empty field: in the body style, not the values'
// bold, so it does not read as a value.
const notGiven = "not given"

func (d *approvalDetail) build() fyne.CanvasObject {
	grid := container.New(&twoColumn{})
	for _, f := range approvalFields(d.approval) {
		label := widget.NewLabel(f.label)
		segs := []widget.RichTextSegment{&widget.TextSegment{Text: f.value, Style: widget.RichTextStyleSubHeading}}
		wrap := fyne.TextWrapBreak
		switch {
		case f.value == "":
			segs = []widget.RichTextSegment{&widget.TextSegment{Text: notGiven, Style: widget.RichTextStyleEmphasis}}
		case f.address:
			segs = destinationSegments(f.value)
			wrap = fyne.TextWrapWord
		}
		value := widget.NewRichText(segs...)
		value.Wrapping = wrap
		grid.Add(label)
		grid.Add(value)
	}
	d.fb = newFeedback()
	d.steps = container.NewVBox()
	d.approve = newButtonWithIcon("Approve with a passkey", theme.ConfirmIcon(), d.startApprove)
	d.approve.Importance = widget.HighImportance
	d.deny = newButtonWithIcon("Deny", theme.CancelIcon(), d.doDeny)
	d.deny.Importance = widget.DangerImportance
	d.back = newButtonWithIcon("Back to approvals", theme.NavigateBackIcon(), func() { d.shell.open(sectionApprovals) })
	d.countdown = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.countdown.Wrapping = fyne.TextWrapWord
	objs := []fyne.CanvasObject{
		headingText(operationSummary(d.approval.Operation)),
		d.countdown,
		paragraph("Check every detail. Your passkey signs exactly these details; if anything differs from what you asked for, deny it."),
		grid,
	}
	if !d.approval.HeldUntil.IsZero() {
		d.hold = paragraph(d.holdWords(""))
		objs = append(objs, container.NewBorder(nil, nil,
			container.NewVBox(widget.NewIcon(theme.InfoIcon())), nil, d.hold))
	}
	objs = append(objs, container.NewHBox(d.approve, d.deny, d.back))
	if d.app != nil && d.app.phone && d.app.phoneUnavailable == nil {
		d.onPhone = newButtonWithIcon("Approve on your phone", component.PhoneIcon(), d.startPhone)
		objs = append(objs, container.NewHBox(d.onPhone))
	}
	objs = append(objs, d.steps, d.fb.object())
	d.view = page(objs...)
	return d.view
}

// show starts the countdown once the detail is in the window, and puts
// the focus on Approve, or on Back when the request has already expired.
func (d *approvalDetail) show() {
	d.shown = true
	d.tick()
	if !d.expired {
		d.app.focus(d.approve)
	}
	if d.hold != nil {
		d.readHoldCause()
	}
}

// holdWords is the hold note: its end, and its cause when known.
func (d *approvalDetail) holdWords(cause account.HoldCause) string {
	return describePolicy(&account.PolicyError{Rule: account.RuleHold, Until: d.approval.HeldUntil, Cause: cause}).Sentence
}

// readHoldCause names in the hold note the change that started the hold,
// which the request does not carry: the account's policy does.
func (d *approvalDetail) readHoldCause() {
	token := d.app.token
	var p *account.Policy
	d.app.run(func(ctx context.Context) error {
		var err error
		p, err = d.app.api.Policy(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			d.app.log.Warn("reading the hold's cause failed", "err", err)
			return
		}
		if d.shell.detail == d && p.HoldCause != "" {
			d.hold.SetText(d.holdWords(p.HoldCause))
		}
	})
}

// tick shows the time left to decide and, until the request has
// expired, comes back every countdownTick while the detail is on display.
func (d *approvalDetail) tick() {
	if d.expired || d.shell.detail != d || d.checkExpired() {
		return
	}
	left := d.approval.ExpiresAt.Sub(d.app.now())
	d.countdown.SetText("Time left to decide: " + minutesSeconds(left))
	d.app.after(countdownTick, d.tick)
}

// checkExpired ends the request on screen when its time is up, and says
// whether it has.
func (d *approvalDetail) checkExpired() bool {
	if !d.expired && d.app.now().Before(d.approval.ExpiresAt) {
		return false
	}
	d.expire()
	return true
}

// stillOpen is the approval flow's check before each key step: an
// approval that can no longer be approved asks for no PIN and no touch.
func (d *approvalDetail) stillOpen() error {
	if d.checkExpired() {
		return account.ErrApprovalExpired
	}
	return nil
}

// expire ends the request on screen: any passkey step under way stops,
// Approve and Deny go for good, and the words say why.
func (d *approvalDetail) expire() {
	if d.expired {
		return
	}
	d.expired = true
	if d.flow != nil {
		d.flow.abandon()
	}
	d.approve.Hide()
	d.deny.Hide()
	setEnabled(false, d.approve, d.deny)
	if d.onPhone != nil {
		d.closePhone()
		d.onPhone.Hide()
	}
	d.setStep(nil, nil)
	d.countdown.SetText("Expired at " + d.approval.ExpiresAt.Local().Format("15:04:05") + ": it can no longer be approved or denied.")
	d.fb.show(describe(account.ErrApprovalExpired))
	d.view.Refresh() // lay out the page without the buttons, with the words
	if d.shown && d.shell.detail == d {
		d.app.focus(d.back)
		d.shell.watch.now()
	}
}

func (d *approvalDetail) setStep(objs []fyne.CanvasObject, focus fyne.Focusable) {
	d.steps.Objects = objs
	d.steps.Refresh()
	if focus != nil {
		d.app.focus(focus)
	}
}

func (d *approvalDetail) startApprove() {
	if d.checkExpired() {
		return
	}
	d.fb.clear()
	setEnabled(false, d.approve, d.deny)
	token, id := d.app.token, d.approval.ID
	d.flow = &assertFlow{
		app:  d.app,
		what: "to approve",
		begin: func(ctx context.Context) (json.RawMessage, error) {
			return d.app.api.BeginApproval(ctx, token, id)
		},
		finish: func(ctx context.Context, assertion json.RawMessage) error {
			_, err := d.app.api.FinishApproval(ctx, token, id, assertion)
			return err
		},
		setStep:   d.setStep,
		done:      d.decided("Approved"),
		stillOpen: d.stillOpen,
	}
	d.flow.start()
}

func (d *approvalDetail) doDeny() {
	if d.checkExpired() {
		return
	}
	d.fb.busy("Denying…")
	setEnabled(false, d.approve, d.deny)
	token, id := d.app.token, d.approval.ID
	d.app.run(func(ctx context.Context) error {
		_, err := d.app.api.DenyApproval(ctx, token, id)
		return err
	}, d.decided("Denied"))
}

// decided ends an approve or deny: on success the inbox says so.
func (d *approvalDetail) decided(what string) func(error) {
	return func(err error) {
		if d.shell.detail != d {
			return
		}
		d.setStep(nil, nil)
		if errors.Is(err, account.ErrApprovalExpired) {
			// Ended for good: the buttons do not come back.
			d.expire()
			return
		}
		if d.expired {
			return
		}
		if errors.Is(err, account.ErrApprovalRefused) {
			// Refused for good: nothing more can be decided here.
			d.shell.watch.now()
			d.app.fail(d.fb, "deciding an approval", err)
			return
		}
		if err != nil {
			setEnabled(true, d.approve, d.deny)
			if canceled(err) {
				d.fb.clear()
				return
			}
			d.app.fail(d.fb, "deciding an approval", err)
			return
		}
		d.shell.watch.now()
		d.shell.open(sectionApprovals)
		if d.shell.approvals != nil {
			d.shell.approvals.decided(what + ": " + operationSummary(d.approval.Operation) + ". The requester sees the decision now.")
		}
	}
}

// close ends a passkey step under way when the screen goes away.
func (d *approvalDetail) close() {
	d.closePhone()
	if d.flow != nil {
		d.flow.abandon()
	}
}

// twoColumn lays out label/value pairs: labels at their minimum width,
// values taking the rest.
type twoColumn struct{}

func (twoColumn) labelWidth(objects []fyne.CanvasObject) float32 {
	var w float32
	for i := 0; i+1 < len(objects); i += 2 {
		w = max(w, objects[i].MinSize().Width)
	}
	return w
}

func (c *twoColumn) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	lw := c.labelWidth(objects)
	pad := theme.Padding()
	var y float32
	for i := 0; i+1 < len(objects); i += 2 {
		l, v := objects[i], objects[i+1]
		vw := size.Width - lw - pad
		v.Resize(fyne.NewSize(vw, v.MinSize().Height))
		h := max(l.MinSize().Height, v.MinSize().Height)
		l.Move(fyne.NewPos(0, y))
		l.Resize(fyne.NewSize(lw, h))
		v.Move(fyne.NewPos(lw+pad, y))
		v.Resize(fyne.NewSize(vw, h))
		y += h
	}
}

func (c *twoColumn) MinSize(objects []fyne.CanvasObject) fyne.Size {
	lw := c.labelWidth(objects)
	var w, h float32
	for i := 0; i+1 < len(objects); i += 2 {
		l, v := objects[i], objects[i+1]
		w = max(w, v.MinSize().Width)
		h += max(l.MinSize().Height, v.MinSize().Height)
	}
	return fyne.NewSize(lw+theme.Padding()+w, h)
}
