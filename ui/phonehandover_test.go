//go:build cgo

package ui

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/chromedp/chromedp"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi/phonetest"
)

// linuxChromeUA is a second browser that opens the link: Chrome on a
// computer, as when a QR app's own browser opened it first and the user
// goes on in Chrome.
const linuxChromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestPhoneMethodHandOverInChromium: the link open in one browser
// context is opened in a second; the desktop names the second, lets it
// take over, takes its new code, and the second creates the passkey while
// the first is told another device took over.
func TestPhoneMethodHandOverInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	p := newPhoneTest(t)
	flow := p.toPhone()
	link := p.scanWindow()
	p.secrets = append(p.secrets, link)

	first := phonetest.Phone(t, bctx, iPhoneUA)
	browse(t, first, chromedp.Navigate(link))
	pageCode(t, first)
	p.waitText(5*time.Second, "Opened by Safari on iPhone. Type the code it shows.")

	second := phonetest.Phone(t, bctx, linuxChromeUA)
	browse(t, second, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("step-elsewhere")))
	p.waitText(5*time.Second, "Another device tried to open the link: Chrome on Linux.", "Let it take over", "Start again with a new QR code")
	if p.canvas().Focused() != flow.code {
		t.Error("the second device's try took the focus from the code entry")
	}
	p.fits("phone second device")

	p.tap("Let it take over")
	p.waitText(5*time.Second, "Handed over to Chrome on Linux. Type the new code it shows.", "Code shown on the phone")
	p.notText("Another device tried", "Opened by Safari on iPhone")
	// The second browser goes on by itself with a code of its own; the
	// first says in words what happened.
	code := pageCode(t, second)
	p.secrets = append(p.secrets, code, strings.ReplaceAll(code, " ", ""))
	browse(t, first, chromedp.WaitVisible(chromedp.ID("message")))
	if said, err := chromedp.Run(first, chromedp.Text(chromedp.ID("message"))); err != nil || !strings.Contains(said, "Another device took over") {
		t.Fatalf("the first browser says %q (%v)", said, err)
	}
	p.typeInto(flow.code, code)
	p.tap("Confirm code")
	p.waitText(5*time.Second, "Confirmed: Chrome on Linux. Create the passkey on your phone now.")
	browse(t, second, chromedp.WaitVisible(chromedp.ID("create")), chromedp.Click(chromedp.ID("create")), chromedp.WaitVisible(chromedp.ID("step-done")))
	p.waitText(10*time.Second, "Name your passkey")
	p.tap(skipNamingLabel)
	p.waitFor("the passkeys list", 10*time.Second, func() bool { return p.app.shell.passkeys != nil && p.app.shell.wizard == nil })
	list, err := p.svc.Passkeys(context.Background(), p.user.Session.Token)
	if err != nil || len(list) != 1 || list[0].Kind != account.KindPhone {
		t.Fatalf("passkeys %+v, %v", list, err)
	}
}

// TestPhoneMethodStartAgainAfterSecondDevice: instead of a handover, a
// new QR code on the same identity check; the old link stops working.
func TestPhoneMethodStartAgainAfterSecondDevice(t *testing.T) {
	p := newPhoneTest(t)
	flow := p.toPhone()
	old := flow.enr
	p.openOnPhone(old)
	_, link, _ := strings.Cut(old.URL, "#")
	if _, err := p.svc.OpenPhoneEnrollment(context.Background(), link, "second-device-key-0002", linuxChromeUA); err == nil {
		t.Fatal("a second device opened a held link")
	}
	p.waitText(5*time.Second, "Another device tried to open the link: Chrome on Linux.")
	p.tap("Start again with a new QR code")
	p.waitText(5*time.Second, "Step 3 of 3: add your phone or tablet", "Waiting for the phone to open the link.", "Expires in 5:00")
	p.notText("Another device tried", "Verify your identity")
	if flow.enr == nil || flow.enr.ID == old.ID {
		t.Fatal("no new enrollment")
	}
	st, err := p.svc.PhoneEnrollmentStatus(context.Background(), p.user.Session.Token, old.ID)
	if err != nil || st.State != account.EnrollmentCanceled {
		t.Fatalf("the old enrollment is %+v, %v; want canceled", st, err)
	}
}

// TestPhoneMethodLocalLink: on this computer's own address the warning
// shows the link with Copy and Open in browser, and the step under way
// has an activity indicator, not a "play" icon.
func TestPhoneMethodLocalLink(t *testing.T) {
	p := newPhoneTest(t)
	var opened []string
	p.app.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	flow := p.toPhone()
	link := flow.enr.URL
	p.secrets = append(p.secrets, link)
	p.wantText("It works in a browser on this computer.", link)
	p.tap("Copy")
	if got := p.app.fyne.Clipboard().Content(); got != link {
		t.Errorf("Copy put %q on the clipboard; want the link", got)
	}
	p.button("Copied")
	p.tap("Open in browser")
	if len(opened) != 1 || opened[0] != link {
		t.Errorf("Open in browser opened %q; want the link", opened)
	}
	p.fits("phone local link")

	activities, plays := 0, 0
	walkVisible(flow.lines, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Activity:
			activities++
		case *widget.Icon:
			if x.Resource != nil && x.Resource.Name() == theme.MediaPlayIcon().Name() {
				plays++
			}
		}
	})
	if activities != 1 || plays != 0 {
		t.Errorf("the waiting line has %d activity indicators and %d play icons; want 1 and 0", activities, plays)
	}
	p.openOnPhone(flow.enr)
	activities = 0
	walkVisible(flow.lines, func(o fyne.CanvasObject) {
		if _, ok := o.(*widget.Activity); ok {
			activities++
		}
	})
	if activities != 1 {
		t.Errorf("after the phone opened the link %d lines have an activity indicator; want only the last", activities)
	}
}
