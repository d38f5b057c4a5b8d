package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// feedback is the strip under a form: a busy line while its work runs, the
// last error in words after a failure, a notice (such as why sign-in is
// not remembered), or what a step did (note). It is empty and takes no
// room otherwise.
type feedback struct {
	activity *widget.Activity
	busyText *widget.Label
	busyRow  *fyne.Container

	icon    *widget.Icon
	title   *widget.Label
	body    *widget.Label
	errorUI *fyne.Container

	box *fyne.Container
	// reveal is set by show: the page holding the strip scrolls it into
	// view at its next layout (pageLayout), which clears it.
	reveal bool
}

// feedbackLayout stacks the strip's rows; it marks the strip's box so that
// pageLayout can find a strip that asks to be revealed.
type feedbackLayout struct {
	fb    *feedback
	stack fyne.Layout
}

func (l *feedbackLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	l.stack.Layout(objects, size)
}

func (l *feedbackLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return l.stack.MinSize(objects)
}

func newFeedback() *feedback {
	f := &feedback{
		activity: widget.NewActivity(),
		busyText: widget.NewLabel(""),
		icon:     widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon())),
		title:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		body:     widget.NewLabel(""),
	}
	f.body.Wrapping = fyne.TextWrapWord
	f.busyRow = container.NewHBox(f.activity, f.busyText)
	f.errorUI = container.NewBorder(nil, nil, container.NewVBox(f.icon), nil,
		container.NewVBox(f.title, f.body))
	f.busyRow.Hide()
	f.errorUI.Hide()
	f.box = container.New(&feedbackLayout{fb: f, stack: layout.NewVBoxLayout()}, f.busyRow, f.errorUI)
	f.box.Hide()
	return f
}

func (f *feedback) object() fyne.CanvasObject { return f.box }

// busy shows text (such as "Signing in…") with a spinner and hides any
// earlier error.
func (f *feedback) busy(text string) {
	f.errorUI.Hide()
	f.busyText.SetText(text)
	f.busyRow.Show()
	f.box.Show()
	f.activity.Start()
}

// clear hides everything.
func (f *feedback) clear() {
	f.activity.Stop()
	f.busyRow.Hide()
	f.errorUI.Hide()
	f.box.Hide()
}

// show replaces the strip's content with m and asks the page to scroll
// it into view.
func (f *feedback) show(m message) {
	f.activity.Stop()
	f.busyRow.Hide()
	f.icon.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
	f.title.SetText(m.Title)
	f.title.Show()
	f.body.SetText(m.Sentence + " " + m.Next)
	f.errorUI.Show()
	f.box.Show()
	f.reveal = true
}

// note replaces the strip's content with text, what a step did (such as
// "PIN saved on the key."), after an info icon, and asks the page to
// scroll it into view.
func (f *feedback) note(text string) {
	f.activity.Stop()
	f.busyRow.Hide()
	f.icon.SetResource(theme.InfoIcon())
	f.title.SetText("")
	f.title.Hide()
	f.body.SetText(text)
	f.errorUI.Show()
	f.box.Show()
	f.reveal = true
}

// message is an error put into words for the user: a short title, one
// sentence saying what happened, and the next step.
type message struct {
	Title    string
	Sentence string
	Next     string
	// internal is set for errors describe does not know: their detail
	// belongs in the log at error level.
	internal bool
}
