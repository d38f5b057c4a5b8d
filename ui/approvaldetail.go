package ui

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

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

	approve *widget.Button
	deny    *widget.Button
	back    *widget.Button
	steps   *fyne.Container
	fb      *feedback
	flow    *assertFlow
	// onPhone opens "Approve on your phone" (approvephone.go); nil when
	// the app serves no phone page.
	onPhone *widget.Button
	phone   *approvePhone
}

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

// grouped writes an address in groups of four characters, in the
// monospace style, the way people compare addresses character by
// character: a long one then wraps between groups, not anywhere.
func grouped(addr string) string {
	var b strings.Builder
	for i, r := range []rune(addr) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// notGiven stands for an empty field: in the body style, not the values'
// bold, so it does not read as a value.
const notGiven = "not given"

func (d *approvalDetail) build() fyne.CanvasObject {
	grid := container.New(&twoColumn{})
	for _, f := range approvalFields(d.approval) {
		label := widget.NewLabel(f.label)
		seg := &widget.TextSegment{Text: f.value, Style: widget.RichTextStyleSubHeading}
		wrap := fyne.TextWrapBreak
		switch {
		case f.value == "":
			seg = &widget.TextSegment{Text: notGiven, Style: widget.RichTextStyleEmphasis}
		case f.address:
			seg = &widget.TextSegment{Text: grouped(f.value), Style: widget.RichTextStyleCodeInline}
			wrap = fyne.TextWrapWord
		}
		value := widget.NewRichText(seg)
		value.Wrapping = wrap
		grid.Add(label)
		grid.Add(value)
	}
	d.fb = newFeedback()
	d.steps = container.NewVBox()
	d.approve = widget.NewButtonWithIcon("Approve with a passkey", theme.ConfirmIcon(), d.startApprove)
	d.approve.Importance = widget.HighImportance
	d.deny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), d.doDeny)
	d.deny.Importance = widget.DangerImportance
	d.back = widget.NewButtonWithIcon("Back to approvals", theme.NavigateBackIcon(), func() { d.shell.open(sectionApprovals) })
	objs := []fyne.CanvasObject{
		headingText(operationSummary(d.approval.Operation)),
		paragraph("Check every detail. Your passkey signs exactly these details; if anything differs from what you asked for, deny it."),
		grid,
	}
	if !d.approval.HeldUntil.IsZero() {
		m := describePolicy(&account.PolicyError{Rule: account.RuleHold, Until: d.approval.HeldUntil})
		objs = append(objs, infoLine(m.Sentence))
	}
	objs = append(objs, container.NewHBox(d.approve, d.deny, d.back))
	if d.app != nil && d.app.phone && d.app.phoneUnavailable == nil {
		d.onPhone = widget.NewButtonWithIcon("Approve on your phone", component.PhoneIcon(), d.startPhone)
		objs = append(objs, container.NewHBox(d.onPhone))
	}
	objs = append(objs, d.steps, d.fb.object())
	return page(objs...)
}

func (d *approvalDetail) setStep(objs []fyne.CanvasObject, focus fyne.Focusable) {
	d.steps.Objects = objs
	d.steps.Refresh()
	if focus != nil {
		d.app.focus(focus)
	}
}

func (d *approvalDetail) startApprove() {
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
		setStep: d.setStep,
		done:    d.decided("Approved"),
	}
	d.flow.start()
}

func (d *approvalDetail) doDeny() {
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
