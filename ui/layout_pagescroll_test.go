package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// layOutScroll lays a page's scroll container out as the real driver does
// in its next frame once the page's content changed size: the scroll's
// renderer lays out its content (twice: a wrapped label learns its height
// from its width). The headless canvas does not do it by itself.
func layOutScroll(s *container.Scroll) {
	for range 2 {
		test.WidgetRenderer(s).Layout(s.Size())
	}
}

// inView reports whether o lies wholly inside the window's visible height.
func inView(o fyne.CanvasObject, height float32) bool {
	p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return p.Y >= 0 && p.Y+o.Size().Height <= height
}

// shownWith is the first visible label or rich text under o whose text
// contains s.
func shownWith(o fyne.CanvasObject, s string) fyne.CanvasObject {
	var found fyne.CanvasObject
	walkVisible(o, func(o fyne.CanvasObject) {
		if found != nil {
			return
		}
		switch x := o.(type) {
		case *widget.Label:
			if strings.Contains(x.Text, s) {
				found = o
			}
		case *widget.RichText:
			if strings.Contains(x.String(), s) {
				found = o
			}
		}
	})
	return found
}

// TestPageStartsAtTopWhenContentIsReplaced: at 800×600, scrolled to the
// bottom of a long passkeys list, Remove shows the removal from its title,
// and once removed the list shows from the top, where the message says
// what happened, not at the old offset.
func TestPageStartsAtTopWhenContentIsReplaced(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	for i := range 8 {
		u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, fmt.Sprintf("Phone %d", i+1))
	}
	h.signedIn(u)
	h.tap("Passkeys")
	h.waitText(5*time.Second, "Phone 8")
	scroll := h.app.shell.content.Objects[0].(*container.Scroll)
	layOutScroll(scroll)
	scroll.ScrollToBottom()
	if scroll.Offset.Y <= 0 {
		t.Fatalf("the list fits at 800×600; the test needs it to scroll (offset %v)", scroll.Offset)
	}
	rows := h.app.shell.passkeys.rows
	test.Tap(rows[len(rows)-1].removeBtn)
	h.settle()
	h.waitText(5*time.Second, "Verify with password and codes")
	layOutScroll(scroll)
	title := shownWith(h.app.Window().Content(), "Remove \u201cPhone 8\u201d")
	if title == nil || !inView(title, 600) {
		t.Errorf("the removal's title is out of view (offset %v)", scroll.Offset)
	}

	h.tap("Verify with password and codes")
	check := h.app.shell.passkeys.removal.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and remove")
	h.waitText(5*time.Second, "was removed")
	layOutScroll(scroll)
	note := shownWith(h.app.Window().Content(), "was removed")
	if note == nil || !inView(note, 600) {
		t.Errorf("the removal's message is out of view (offset %v)", scroll.Offset)
	}
	if scroll.Offset.Y != 0 {
		t.Errorf("the list kept the offset %v; want the top", scroll.Offset)
	}
}

// TestFeedbackMessageScrollsIntoView: at 800×600 a message shown on a
// strip out of view scrolls into view; with the focused entry too when
// both fit (a wrong PIN and its PIN field).
func TestFeedbackMessageScrollsIntoView(t *testing.T) {
	a := test.NewTempApp(t)
	lines := func(n int) []fyne.CanvasObject {
		var objs []fyne.CanvasObject
		for i := range n {
			objs = append(objs, paragraph(fmt.Sprintf("Line %d", i)))
		}
		return objs
	}
	wrong := message{Title: "Wrong PIN", Sentence: "The PIN was not accepted.", Next: "Type it again."}

	t.Run("above the view", func(t *testing.T) {
		w := a.NewWindow("page")
		defer w.Close()
		fb := newFeedback()
		objs := append([]fyne.CanvasObject{headingText("Title"), fb.object()}, lines(40)...)
		scroll := page(objs...).(*container.Scroll)
		w.SetContent(scroll)
		w.Resize(fyne.NewSize(800, 600))
		layOutScroll(scroll)
		scroll.ScrollToBottom()
		if scroll.Offset.Y <= 0 {
			t.Fatal("the page does not scroll")
		}
		fb.show(wrong)
		layOutScroll(scroll)
		if !inView(fb.object(), 600) {
			t.Errorf("the message is out of view (offset %v)", scroll.Offset)
		}
	})

	t.Run("below the view, with its entry", func(t *testing.T) {
		w := a.NewWindow("page")
		defer w.Close()
		fb := newFeedback()
		pin := widget.NewPasswordEntry()
		objs := append([]fyne.CanvasObject{headingText("Title")}, lines(25)...)
		objs = append(objs, fb.object())
		objs = append(objs, lines(4)...)
		objs = append(objs, widget.NewForm(widget.NewFormItem("PIN", pin)))
		objs = append(objs, lines(20)...)
		scroll := page(objs...).(*container.Scroll)
		w.SetContent(scroll)
		w.Resize(fyne.NewSize(800, 600))
		layOutScroll(scroll)
		fb.show(wrong)
		w.Canvas().Focus(pin)
		layOutScroll(scroll)
		if !inView(fb.object(), 600) {
			t.Errorf("the message is out of view (offset %v)", scroll.Offset)
		}
		if !inView(pin, 600) {
			t.Errorf("the PIN entry is out of view (offset %v)", scroll.Offset)
		}
	})
}
