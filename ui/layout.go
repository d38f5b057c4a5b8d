package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// formWidth is the widest a form column grows: lines stay readable on a
// wide window, and 800×600 still leaves room around it.
const formWidth = 520

// column lays out one object at most width wide, centred horizontally,
// from the top.
type column struct {
	width float32
}

func (c column) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	w := fyne.Min(c.width, size.Width)
	for _, o := range objects {
		o.Resize(fyne.NewSize(w, fyne.Max(o.MinSize().Height, size.Height)))
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
	}
}

func (c column) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var min fyne.Size
	for _, o := range objects {
		min = min.Max(o.MinSize())
	}
	return min
}

// page is a screen's content: a column of objects that scrolls when the
// window is short.
func page(objects ...fyne.CanvasObject) fyne.CanvasObject {
	body := container.NewVBox()
	for _, o := range objects {
		if o != nil {
			body.Add(o)
		}
	}
	return container.NewVScroll(container.NewPadded(
		container.New(column{width: formWidth}, body)))
}

// heading is a screen's title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// paragraph is wrapped body text.
func paragraph(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// headingText is a larger title for the top of a screen.
func headingText(text string) fyne.CanvasObject {
	r := widget.NewRichText(&widget.TextSegment{
		Text:  text,
		Style: widget.RichTextStyleHeading,
	})
	return r
}

// infoLine is a short explanation with an info icon before it.
func infoLine(text string) fyne.CanvasObject {
	return container.NewBorder(nil, nil,
		container.NewVBox(widget.NewIcon(theme.InfoIcon())), nil, paragraph(text))
}

// submitOnEnter makes Enter in each entry move the focus to the next one,
// and in the last one call submit: a form can be filled in without the
// mouse.
func submitOnEnter(c fyne.Canvas, submit func(), entries ...*widget.Entry) {
	for i, e := range entries {
		if i == len(entries)-1 {
			e.OnSubmitted = func(string) { submit() }
			continue
		}
		next := entries[i+1]
		e.OnSubmitted = func(string) { c.Focus(next) }
	}
}

// setEnabled enables or disables a form's widgets together.
func setEnabled(on bool, widgets ...fyne.Disableable) {
	for _, w := range widgets {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// fixedWidth lays out its objects stacked, exactly this wide.
type fixedWidth float32

func (w fixedWidth) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Resize(fyne.NewSize(float32(w), size.Height))
		o.Move(fyne.NewPos(0, 0))
	}
}

func (w fixedWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	min := fyne.NewSize(float32(w), 0)
	for _, o := range objects {
		min.Height = fyne.Max(min.Height, o.MinSize().Height)
	}
	return min
}
