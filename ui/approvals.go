package ui

import (
	"context"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// approvalPollInterval is how long the shell waits before it watches the
// pending approvals again after a watch broke (it reads them once
// meanwhile).
var approvalPollInterval = 3 * time.Second

// approvalWatch keeps the shell's count of pending approvals: it follows
// the account service's watch of them (WatchApprovals), off the UI
// goroutine, and on the UI goroutine updates the navigation's badge, the
// inbox when it is on display, and sends a desktop notification for each
// new request. When the watch breaks (a server restarting) it reads the
// list once and watches again after approvalPollInterval.
type approvalWatch struct {
	app    *App
	shell  *shell
	ctx    context.Context
	cancel context.CancelFunc
	poke   chan struct{}
	badge  *widget.Label

	// Read and written on the UI goroutine only.
	pending []account.Approval
	seen    map[string]bool
	loaded  bool
	// phone is the "approve on your phone" flow on display, which hears
	// each new list; nil when none is.
	phone *approvePhone
}

func newApprovalWatch(s *shell) *approvalWatch {
	w := &approvalWatch{app: s.app, shell: s, poke: make(chan struct{}, 1), seen: map[string]bool{}}
	w.badge = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	w.badge.Importance = widget.WarningImportance
	w.badge.Hide()
	return w
}

// start begins watching for the session's token.
func (w *approvalWatch) start() {
	w.ctx, w.cancel = context.WithCancel(w.app.ctx)
	go w.loop(w.app.token)
}

func (w *approvalWatch) stop() {
	if w.cancel != nil {
		w.cancel()
	}
}

// now reads the pending approvals at once, after a decision made here:
// the screen shows the new list without waiting for the watch's word.
func (w *approvalWatch) now() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
	if w.ctx == nil {
		return
	}
	token := w.app.token
	var list []account.Approval
	w.app.runIn(w.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		list, err = w.app.api.PendingApprovals(ctx, token)
		return err
	}, func(err error) {
		if err == nil && w.ctx.Err() == nil {
			w.update(list)
		}
	})
}

func (w *approvalWatch) loop(token string) {
	for {
		ch, err := w.app.api.WatchApprovals(w.ctx, token)
		if err == nil {
			for list := range ch {
				w.app.deliver(func() {
					if w.ctx.Err() == nil {
						w.update(list)
					}
				})
			}
		} else if w.ctx.Err() == nil {
			w.app.log.Warn("watching pending approvals failed; reading them instead", "err", err)
		}
		if w.ctx.Err() != nil {
			return
		}
		done := make(chan struct{})
		var list []account.Approval
		w.app.runIn(w.ctx, callTimeout, func(ctx context.Context) error {
			var err error
			list, err = w.app.api.PendingApprovals(ctx, token)
			return err
		}, func(err error) {
			defer close(done)
			if w.ctx.Err() != nil {
				return
			}
			if err != nil {
				w.app.log.Warn("reading pending approvals failed", "err", err)
				return
			}
			w.update(list)
		})
		select {
		case <-done:
		case <-w.ctx.Done():
			return
		}
		select {
		case <-time.After(approvalPollInterval):
		case <-w.poke:
		case <-w.ctx.Done():
			return
		}
	}
}

// update shows a new list of pending approvals.
func (w *approvalWatch) update(list []account.Approval) {
	changed := !w.loaded || !sameApprovals(w.pending, list)
	w.pending = list
	for _, a := range list {
		if !w.seen[a.ID] {
			w.seen[a.ID] = true
			w.app.notify(fyne.NewNotification("Approval requested", operationSummary(a.Operation)+". Open Passkey Desk to approve or deny it."))
		}
	}
	w.loaded = true
	if n := len(list); n > 0 {
		w.badge.SetText(strconv.Itoa(n))
		w.badge.Show()
	} else {
		w.badge.Hide()
	}
	if w.phone != nil {
		w.phone.update(list)
	}
	// Rebuilding an unchanged list would take the keyboard focus away.
	if w.shell.approvals != nil && changed {
		w.shell.approvals.show(list)
	}
}

// sameApprovals reports whether a and b list the same approvals.
func sameApprovals(a, b []account.Approval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// operationKindWords is an operation kind for people.
func operationKindWords(k account.OperationKind) string {
	switch k {
	case account.OperationWithdrawal:
		return "Withdrawal"
	case account.OperationDeposit:
		return "Deposit"
	case account.OperationC2CTrade:
		return "C2C trade"
	case account.OperationSignInElsewhere:
		return "Sign-in elsewhere"
	}
	return string(k)
}

// operationSummary is one line: "Withdrawal of 0.015 BTC".
func operationSummary(op account.Operation) string {
	s := operationKindWords(op.Kind)
	if op.Amount != "" || op.Asset != "" {
		s += " of " + op.Amount + " " + op.Asset
	}
	return s
}

// approvalsScreen is the inbox: the pending approvals, oldest first.
type approvalsScreen struct {
	app   *App
	shell *shell
	list  *fyne.Container
	fb    *feedback
	// note says what was just decided, until another request arrives:
	// noteIDs are the requests listed when it was said.
	note    *widget.Label
	noteIDs map[string]bool
	loading bool
}

// decided says on the inbox what was just decided.
func (s *approvalsScreen) decided(text string) {
	s.note.SetText(text)
	s.note.Show()
	s.noteIDs = map[string]bool{}
	for _, a := range s.shell.watch.pending {
		s.noteIDs[a.ID] = true
	}
}

func (s *approvalsScreen) build() fyne.CanvasObject {
	s.list = container.NewVBox()
	s.fb = newFeedback()
	s.note = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.note.Importance = widget.SuccessImportance
	s.note.Wrapping = fyne.TextWrapWord
	s.note.Hide()
	w := s.shell.watch
	if w.loaded {
		s.show(w.pending)
	} else {
		s.loading = true
		s.fb.busy("Loading approvals…")
	}
	w.now()
	return page(
		headingText("Approvals"),
		paragraph("Operations waiting for your passkey. Open one to see exactly what you would approve."),
		s.note,
		s.fb.object(),
		s.list,
	)
}

func (s *approvalsScreen) show(list []account.Approval) {
	if s.loading {
		s.loading = false
		s.fb.clear()
	}
	// The note was about the last decision: a new request is the next
	// step, and the note would read as about it.
	for _, a := range list {
		if s.note.Visible() && !s.noteIDs[a.ID] {
			s.note.Hide()
		}
	}
	s.list.Objects = nil
	if len(list) == 0 {
		s.list.Add(infoLine("Nothing is waiting for approval."))
	}
	for _, a := range list {
		a := a
		open := newButtonWithIcon("Open", theme.NavigateNextIcon(), func() { s.shell.openApproval(a) })
		title := widget.NewLabelWithStyle(operationSummary(a.Operation), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		sub := widget.NewLabel("Requested " + a.CreatedAt.Local().Format("15:04") + " · expires " + a.ExpiresAt.Local().Format("15:04"))
		s.list.Add(container.NewBorder(nil, nil, nil, open, container.NewVBox(title, sub)))
		s.list.Add(widget.NewSeparator())
	}
	s.list.Refresh()
}

// openApproval shows one approval's details in the shell.
func (s *shell) openApproval(a account.Approval) {
	s.open(sectionApprovals)
	s.approvals = nil
	s.detail = &approvalDetail{app: s.app, shell: s, approval: a}
	s.content.Objects = []fyne.CanvasObject{s.detail.build()}
	s.content.Refresh()
	s.detail.show()
}
