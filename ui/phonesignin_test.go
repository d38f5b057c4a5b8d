//go:build cgo

package ui

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
	"github.com/chromedp/chromedp"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi/phonetest"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// Sign in with your phone, through the headless window against the real
// service and its phone pages on a loopback listener; the phone is
// Chromium with a virtual authenticator, as in phone_test.go.

// newPhoneSignInTest is a signed-out app that offers the phone sign-in,
// and an account whose phone (a Chromium tab) holds a passkey it bound on
// the enrollment page.
func newPhoneSignInTest(t *testing.T, bctx context.Context) (*phoneTest, context.Context) {
	t.Helper()
	p := newPhoneTest(t)
	tab := phonetest.Phone(t, bctx, iPhoneUA)
	enr, err := p.svc.BeginPhoneEnrollment(context.Background(), p.user.Session.Token, p.user.Grant(t, account.PurposeAddPasskey))
	if err != nil {
		t.Fatal(err)
	}
	p.secrets = append(p.secrets, enr.URL)
	browse(t, tab, chromedp.Navigate(enr.URL))
	if _, err := p.svc.ConfirmPhoneEnrollmentCode(context.Background(), p.user.Session.Token, enr.ID, pageCode(t, tab)); err != nil {
		t.Fatal(err)
	}
	browse(t, tab, chromedp.WaitVisible(chromedp.ID("create")), chromedp.Click(chromedp.ID("create")), chromedp.WaitVisible(chromedp.ID("step-done")))
	// Signed out, on a computer that has signed in before.
	if err := p.tokens.Clear(); err != nil {
		t.Fatal(err)
	}
	p.setKnownAccount(true)
	p.start()
	p.wantText("Sign in to Passkey Desk", "Sign in with your phone")
	return p, tab
}

// shownSignInCode is the code the window shows beside the QR code.
func (p *phoneTest) shownSignInCode() string {
	p.t.Helper()
	code := regexp.MustCompile(`\b\d{3} \d{3}\b`).FindString(p.text())
	if code == "" {
		p.t.Fatalf("no code in the window:\n%s", p.text())
	}
	return code
}

// stacked fails when the button labelled text does not lie under every
// other visible part of the page above it: the page was laid out again
// when its parts changed.
func (p *phoneTest) stacked(text string) {
	p.t.Helper()
	b := p.button(text)
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(b).Y
	walkVisible(p.app.Window().Content(), func(o fyne.CanvasObject) {
		switch o.(type) {
		case *component.QRCode, *widget.Label:
			if o.Size().Height == 0 || o.Position().Y < 0 {
				return
			}
			at := d.AbsolutePositionForObject(o)
			if at.Y < top && at.Y+o.Size().Height > top+1 {
				p.t.Errorf("%T at %v (height %v) runs under the %q button at y %v", o, at, o.Size().Height, text, top)
			}
		}
	})
}

func TestPhoneSignInInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	p, tab := newPhoneSignInTest(t, bctx)
	p.tap("Sign in with your phone")
	p.waitText(5*time.Second, "Scan this QR code", "Code to type on the phone", "Waiting for your phone to open the link.", "Expires in 3:00")
	p.fits("phone sign-in")
	p.stacked("Use password and code instead")

	link := p.scanWindow()
	if !strings.HasPrefix(link, p.origin+"/signin#") {
		t.Fatalf("the QR code reads %q", link)
	}
	code := p.shownSignInCode()
	p.secrets = append(p.secrets, link, code, strings.ReplaceAll(code, " ", ""))

	browse(t, tab, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("computer")))
	shown, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("computer")))
	if err != nil || shown != computerName() {
		t.Fatalf("the phone names the computer %q (%v), want %q", shown, err, computerName())
	}
	p.waitText(5*time.Second, "A phone opened the link. Type the code on it.")
	browse(t, tab,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("step-done")),
	)
	p.waitFor("signed in", 10*time.Second, func() bool { return p.app.shell != nil })
	if p.app.me.Email != p.user.Email {
		t.Fatalf("signed in as %q", p.app.me.Email)
	}
	saved, _ := p.tokens.Load()
	if saved == "" || saved != p.app.token {
		t.Fatal("the session was not kept as other sign-ins keep it")
	}
	p.secrets = append(p.secrets, saved)
	if me, err := p.me(); err != nil || me.Email != p.user.Email {
		t.Fatalf("the session at the service: %+v, %v", me, err)
	}
}

// TestPhoneSignInNewCode: after the link expires the screen says so and
// offers a new code, which begins a new sign-in; "Use password and code
// instead" goes back.
func TestPhoneSignInNewCode(t *testing.T) {
	p := newPhoneTest(t)
	if err := p.tokens.Clear(); err != nil {
		t.Fatal(err)
	}
	p.setKnownAccount(true)
	p.start()
	p.tap("Sign in with your phone")
	p.waitText(5*time.Second, "Expires in 3:00")
	first := p.shownSignInCode()
	p.notText("New code")

	p.clock.Advance(account.PhoneSignInLifetime - time.Second)
	p.tick()
	p.wantText("Expires in 0:01")
	p.clock.Advance(time.Second)
	p.tick()
	p.wantText("This QR code has expired.")
	p.notText("Expires in", first)
	p.fits("phone sign-in expired")
	p.stacked("New code")
	p.waitFor("New code", time.Second, func() bool { return p.canvas().Focused() == p.button("New code") })
	p.tap("New code")
	p.waitText(5*time.Second, "Waiting for your phone to open the link.", "Expires in 3:00")
	p.notText("This QR code has expired.")

	p.tap("Use password and code instead")
	p.wantText("Sign in to Passkey Desk", "Password")
	if p.app.shell != nil {
		t.Fatal("signed in")
	}
}

// TestPhoneSignInNotOffered: without the phone page there is no phone
// sign-in.
func TestPhoneSignInNotOffered(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	accounttest.SignUp(t, h.svc, h.clock, "ann@example.com")
	h.setKnownAccount(true)
	h.start()
	h.wantText("Sign in to Passkey Desk")
	h.notText("Sign in with your phone")
}

// unwatchable is the real service whose phone sign-in streams cannot be
// opened, as when the database is down.
type unwatchable struct{ account.API }

func (unwatchable) WatchPhoneSignIn(context.Context, string, string) (<-chan account.PhoneSignInStatus, error) {
	return nil, account.ErrUnavailable
}

// TestPhoneSignInStreamFails: a stream that cannot be followed is said so
// in words, and New code tries again.
func TestPhoneSignInStreamFails(t *testing.T) {
	h := newHarness(t, harnessOptions{publicURL: "http://localhost:8787", phone: true,
		wrap: func(api account.API) account.API { return unwatchable{api} }})
	h.setKnownAccount(true)
	h.start()
	h.tap("Sign in with your phone")
	h.waitText(5*time.Second, "New code")
	if h.app.shell != nil {
		t.Fatal("signed in")
	}
	msg := describeAt(account.ErrUnavailable, "")
	h.wantText(msg.Title)
	h.tap("New code")
	h.waitText(5*time.Second, msg.Title, "New code")
}
