package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// feedback is the strip under a form: a busy line while its work runs, the
// last error in words after a failure, or a notice (such as why sign-in is
// not remembered). It is empty and takes no room otherwise.
type feedback struct {
	activity *widget.Activity
	busyText *widget.Label
	busyRow  *fyne.Container

	icon    *widget.Icon
	title   *widget.Label
	body    *widget.Label
	errorUI *fyne.Container

	box *fyne.Container
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
	f.box = container.NewVBox(f.busyRow, f.errorUI)
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

// show replaces the strip's content with m.
func (f *feedback) show(m message) {
	f.activity.Stop()
	f.busyRow.Hide()
	f.title.SetText(m.Title)
	f.body.SetText(m.Sentence + " " + m.Next)
	f.errorUI.Show()
	f.box.Show()
}
