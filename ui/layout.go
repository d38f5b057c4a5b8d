package ui

import (
	"slices"

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
// window is short. The scroll follows the content (pageLayout): when the
// content changes to something else (its titles change) it starts at the
// top again, and a new feedback message is scrolled into view.
func page(objects ...fyne.CanvasObject) fyne.CanvasObject {
	body := container.NewVBox()
	for _, o := range objects {
		if o != nil {
			body.Add(o)
		}
	}
	pl := &pageLayout{}
	pl.scroll = container.NewVScroll(container.New(pl, container.NewPadded(
		container.New(column{width: formWidth}, body))))
	return pl.scroll
}

// pageLayout lays out a page's content in its scroll container and keeps
// what matters in view, on every layout of the content (a frame after it
// changed size, a refresh):
//
//   - When the page's titles (headingText) change, the first new one is
//     brought into view: a removal under the list, a delete question under
//     the key's card, a reset in place of the card, the passkeys after an
//     unlock. The view never keeps an old offset that hides what replaced
//     the content. With no new title (the list again after a removal) it
//     goes back to the top.
//   - A feedback strip that has just been given a message (feedback.show)
//     is scrolled into view, with the focused widget too when both fit
//     (a "Wrong PIN" message and its PIN entry).
//
// Other changes (a list growing, a key plugged in) leave the view where
// the person put it.
type pageLayout struct {
	scroll *container.Scroll
	titles []string
	seen   bool // titles holds the last layout's titles
	busy   bool // scrolling, which lays the content out again
}

func (p *pageLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
	if p.busy || p.scroll == nil {
		return
	}
	view := p.scroll.Size().Height
	if view <= 0 {
		return
	}
	var (
		titles  []string
		tops    []float32 // each title's top in the content
		reveals []fyne.CanvasObject
	)
	for _, o := range objects {
		walkPage(o, o.Position(), func(obj fyne.CanvasObject, pos fyne.Position) {
			if t, ok := titleOf(obj); ok {
				titles = append(titles, t)
				tops = append(tops, pos.Y)
			}
			if c, ok := obj.(*fyne.Container); ok {
				if fl, ok := c.Layout.(*feedbackLayout); ok && fl.fb.reveal {
					fl.fb.reveal = false
					reveals = append(reveals, obj)
				}
			}
		})
	}
	offset := p.scroll.Offset.Y
	if p.seen && !slices.Equal(titles, p.titles) {
		offset = p.titleChange(offset, view, titles, tops)
	}
	p.titles, p.seen = titles, true
	var focused fyne.CanvasObject
	if len(reveals) > 0 {
		if c := fyne.CurrentApp().Driver().CanvasForObject(p.scroll); c != nil {
			focused, _ = c.Focused().(fyne.CanvasObject)
		}
	}
	for _, r := range reveals {
		top, ok := positionIn(objects, r)
		if !ok {
			continue
		}
		bottom := top + r.Size().Height
		if focused != nil {
			if ft, ok := positionIn(objects, focused); ok {
				fb := ft + focused.Size().Height
				if lo, hi := min(top, ft), max(bottom, fb); hi-lo <= view {
					top, bottom = lo, hi
				}
			}
		}
		switch {
		case top < offset:
			offset = top
		case bottom > offset+view:
			offset = min(top, bottom-view)
		}
	}
	if offset != p.scroll.Offset.Y {
		p.busy = true
		p.scroll.ScrollToOffset(fyne.NewPos(p.scroll.Offset.X, offset))
		p.busy = false
	}
}

// titleChange is the offset after the page's titles changed from
// p.titles to titles (at tops): the first new title is brought into view
// (to the top of the view when it was below it); with no new title, the
// content went back to something shown before, from its top.
func (p *pageLayout) titleChange(offset, view float32, titles []string, tops []float32) float32 {
	for i, t := range titles {
		if slices.Contains(p.titles, t) {
			continue
		}
		if top := tops[i]; top < offset || top >= offset+view {
			return top
		}
		return offset
	}
	return 0
}

func (p *pageLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var min fyne.Size
	for _, o := range objects {
		min = min.Max(o.MinSize())
	}
	return min
}

// walkPage calls fn with each visible object under o and its position in
// o's coordinates. It goes into containers and form rows; not into other
// widgets or into a scroll container of its own.
func walkPage(o fyne.CanvasObject, at fyne.Position, fn func(fyne.CanvasObject, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o, at)
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			walkPage(c, at.Add(c.Position()), fn)
		}
	case *widget.Form:
		for _, it := range o.Items {
			if it.Widget != nil {
				walkPage(it.Widget, at.Add(it.Widget.Position()), fn)
			}
		}
	}
}

// positionIn is where target is in the page content (objects' parent).
func positionIn(objects []fyne.CanvasObject, target fyne.CanvasObject) (float32, bool) {
	var (
		y     float32
		found bool
	)
	for _, o := range objects {
		walkPage(o, o.Position(), func(obj fyne.CanvasObject, pos fyne.Position) {
			if !found && obj == target {
				y, found = pos.Y, true
			}
		})
	}
	return y, found
}

// titleOf is the text of a title made by headingText.
func titleOf(o fyne.CanvasObject) (string, bool) {
	r, ok := o.(*widget.RichText)
	if !ok || len(r.Segments) != 1 {
		return "", false
	}
	s, ok := r.Segments[0].(*widget.TextSegment)
	if !ok || s.Style != widget.RichTextStyleHeading {
		return "", false
	}
	return s.Text, true
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

// pageTitle is the title of a page whose sections have headingText
// titles: larger than they are.
func pageTitle(text string) fyne.CanvasObject {
	style := widget.RichTextStyleHeading
	style.SizeName = sizeNamePageTitle
	return widget.NewRichText(&widget.TextSegment{Text: text, Style: style})
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
