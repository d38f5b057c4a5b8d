//go:build cgo

package ui

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/phonetest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// The phone-or-tablet method, driven through the headless window against
// the real account service, whose enrollment page (account/httpapi) is
// served on a loopback listener. The phone is Debian's Chromium driven by
// chromedp, with a WebAuthn virtual authenticator standing in for the
// phone's own (as in account/httpapi's browser tests). Nothing is faked.

// iPhoneUA is the phone's User-Agent: the passkey is named after it.
const iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

// phoneTest is a signed-in app with the phone method, its service's
// enrollment page served at origin.
type phoneTest struct {
	*harness
	user   *accounttest.User
	origin string
}

func newPhoneTest(t *testing.T) *phoneTest {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	origin := "http://localhost:" + port
	h := newHarness(t, harnessOptions{publicURL: origin, phone: true, model: assets.ModelName})
	handler, err := httpapi.New(h.svc, httpapi.Config{PublicURL: origin})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p := &phoneTest{harness: h, user: h.user("pat@example.com"), origin: origin}
	h.signedIn(p.user)
	return p
}

// toPhone goes from the passkeys list through identity verification to
// the phone method's QR code.
func (p *phoneTest) toPhone() *phoneFlow {
	p.t.Helper()
	h := p.harness
	h.tap("Passkeys")
	h.tap("Add passkey")
	w := h.app.shell.wizard
	h.typeInto(w.password, p.user.Password)
	h.typeInto(w.totp, h.code(p.user.Secret))
	h.tap("Verify")
	h.wantText("Step 2 of 3: choose how to add it")
	h.secrets = append(h.secrets, w.grant.Token)
	h.tap("Phone or tablet")
	h.waitText(5*time.Second, "Step 3 of 3: add your phone or tablet", "Waiting for the phone to open the link.", "Expires in 5:00")
	// No code before a phone opens the link: the phone will show it.
	h.notText("Code shown on the phone")
	if m := regexp.MustCompile(`\b\d{3} ?\d{3}\b`).FindString(h.text()); m != "" {
		h.t.Fatalf("the window shows %q before a phone opened the link", m)
	}
	return w.phone
}

// openOnPhone opens the link as the phone page does, through the service,
// and returns the code the page would show.
func (p *phoneTest) openOnPhone(enr *account.PhoneEnrollment) string {
	p.t.Helper()
	_, link, _ := strings.Cut(enr.URL, "#")
	p.secrets = append(p.secrets, link)
	page, err := p.svc.OpenPhoneEnrollment(context.Background(), link, "phone-device-key", iPhoneUA)
	if err != nil {
		p.t.Fatal(err)
	}
	p.secrets = append(p.secrets, page.MatchCode)
	p.waitText(5*time.Second, "Opened by Safari on iPhone. Type the code it shows.", "Code shown on the phone")
	return page.MatchCode
}

// wrongCode is a 6-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// scanWindow reads the QR code in a capture of the window, as a phone's
// camera reads the screen.
func (p *phoneTest) scanWindow() string {
	p.t.Helper()
	p.fits("phone")
	// A person scrolls the code into view before scanning it.
	walkVisible(p.canvas().Content(), func(o fyne.CanvasObject) {
		if sc, ok := o.(*container.Scroll); ok {
			sc.ScrollToTop()
		}
	})
	p.settle()
	// The camera reads the code where the window draws it, cropped, as
	// the other QR tests do.
	var qr *component.QRCode
	walkVisible(p.canvas().Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*component.QRCode); ok && qr == nil {
			qr = c
		}
	})
	if qr == nil {
		p.t.Fatalf("no QR code in the window:\n%s", p.text())
	}
	shot := p.canvas().Capture()
	scale := float32(shot.Bounds().Dx()) / p.canvas().Size().Width
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(qr)
	r := image.Rect(int(pos.X*scale), int(pos.Y*scale),
		int((pos.X+qr.Size().Width)*scale), int((pos.Y+qr.Size().Height)*scale))
	if !r.In(shot.Bounds()) || r.Dx() < 100 {
		p.t.Fatalf("the QR code is drawn at %v, not in full view in the window %v", r, shot.Bounds())
	}
	crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(crop, crop.Bounds(), shot, r.Min, draw.Src)
	bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
	if err != nil {
		p.t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		p.t.Fatalf("no QR code read from the window: %v", err)
	}
	return res.GetText()
}

// fits fails when the window needs more than 800×600; with
// PASSKEYDESK_SCREENSHOT_DIR set it writes the rendering there.
func (p *phoneTest) fits(step string) {
	p.t.Helper()
	fits(p.harness, step)
}

func fits(h *harness, step string) {
	h.t.Helper()
	if min := h.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
		h.t.Errorf("%s needs %v; more than 800×600", step, min)
	}
	if dir := os.Getenv("PASSKEYDESK_SCREENSHOT_DIR"); dir != "" {
		if err := writeCapture(filepath.Join(dir, strings.ReplaceAll(step, " ", "-")+".png"), h.canvas().Capture()); err != nil {
			h.t.Error(err)
		}
	}
}

// pageCode reads the match code the phone page shows, as it shows it
// ("123 456").
func pageCode(t *testing.T, tab context.Context) string {
	t.Helper()
	browse(t, tab, chromedp.WaitVisible(chromedp.ID("match-code")))
	code, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("match-code")))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{3} \d{3}$`).MatchString(code) {
		t.Fatalf("the phone shows code %q", code)
	}
	return code
}

func TestPhoneMethodInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	p := newPhoneTest(t)
	flow := p.toPhone()
	p.wantText("A phone cannot open this link: localhost is this computer's own address.", "--public-url https://HOST")

	link := p.scanWindow()
	if !strings.HasPrefix(link, p.origin+"/enroll#") || link != flow.enr.URL {
		t.Fatalf("the QR code reads %q; want the enrollment link under %s", link, p.origin)
	}
	p.secrets = append(p.secrets, link)

	tab := phonetest.Phone(t, bctx, iPhoneUA)
	browse(t, tab, chromedp.Navigate(link))
	code := pageCode(t, tab)
	p.secrets = append(p.secrets, code, strings.ReplaceAll(code, " ", ""))
	// The desktop names what opened the link, then asks for its code.
	p.waitText(5*time.Second, "Opened by Safari on iPhone. Type the code it shows.", "Code shown on the phone", "Not your phone?")
	p.fits("phone opened")
	if p.canvas().Focused() != flow.code {
		t.Error("the code entry does not have the focus once the phone opened the link")
	}
	// Typed as the phone shows it, with its space.
	p.typeInto(flow.code, code)
	p.tap("Confirm code")
	p.waitText(5*time.Second, "Confirmed: Safari on iPhone. Create the passkey on your phone now.")
	p.notText("Code shown on the phone")
	browse(t, tab, chromedp.WaitVisible(chromedp.ID("create")), chromedp.Click(chromedp.ID("create")), chromedp.WaitVisible(chromedp.ID("step-done")))

	// The desktop goes back to the list on its own, and the list shows
	// the new passkey.
	const name = "iPhone — iCloud Keychain"
	p.waitFor("the passkeys list", 10*time.Second, func() bool { return p.app.shell.passkeys != nil && p.app.shell.wizard == nil })
	// Added on password and code, it is held, and the note says until
	// when.
	p.waitText(5*time.Second, name, "Phone or tablet", "Synced", "\u201c"+name+"\u201d was added to your account", "held until")
	list, err := p.svc.Passkeys(context.Background(), p.user.Session.Token)
	if err != nil || len(list) != 1 || list[0].Kind != account.KindPhone || list[0].Name != name {
		t.Fatalf("passkeys %+v, %v", list, err)
	}
}

// TestPhoneMethodCodeTyping: what is not a code is refused in the app
// and costs no try; a wrong code is said so and may be typed again; the
// right one is taken with a dash as well as a space. The phone's calls go
// to the service directly here: the page itself is proven in Chromium
// above and in account/httpapi.
func TestPhoneMethodCodeTyping(t *testing.T) {
	p := newPhoneTest(t)
	flow := p.toPhone()
	code := p.openOnPhone(flow.enr)
	for _, typed := range []string{"12345", "1234567", "12a456", ""} {
		p.typeInto(flow.code, typed)
		p.tap("Confirm code")
		p.wantText("Check the code", "It has 6 digits")
	}
	for range account.MaxFailures - 1 {
		p.typeInto(flow.code, wrongCode(code))
		p.press(fyne.KeyReturn) // Enter in the code entry confirms
		p.wantText("Wrong code", "That is not the code the phone shows.", "After 5 wrong codes the enrollment ends.")
		if flow.code.Text != "" || p.canvas().Focused() != flow.code {
			t.Fatalf("after a wrong code the entry holds %q and has the focus: %v", flow.code.Text, p.canvas().Focused() == flow.code)
		}
	}
	p.fits("phone wrong code")
	p.typeInto(flow.code, code[:3]+"-"+code[3:])
	p.tap("Confirm code")
	p.waitText(5*time.Second, "Confirmed: Safari on iPhone. Create the passkey on your phone now.")
	p.notText("Wrong code", "Code shown on the phone")
}

func TestPhoneMethodNewCodeAfterExpiry(t *testing.T) {
	p := newPhoneTest(t)
	first := p.toPhone().enr
	p.notText("New QR code")

	p.clock.Advance(account.EnrollmentLifetime)
	p.tick()
	p.wantText("This QR code has expired.")
	p.fits("phone expired")
	p.waitFor("New QR code", time.Second, func() bool { return p.canvas().Focused() == p.button("New QR code") })
	p.tap("New QR code")
	p.waitText(5*time.Second, "Waiting for the phone to open the link.", "Expires in")
	second := p.app.shell.wizard.phone.enr
	if second == nil || second.ID == first.ID {
		t.Fatal("New QR code did not start a new enrollment")
	}
	p.notText("This QR code has expired.", "New QR code")

	// Once the identity check itself has expired, a new QR code needs a
	// new check: the wizard goes back to it and says why.
	p.clock.Advance(account.GrantLifetime)
	p.tick()
	p.wantText("This QR code has expired.")
	p.tap("New QR code")
	p.waitText(5*time.Second, "Step 1 of 3: verify your identity", "Verify your identity", "the last one has expired")
}

// TestPhoneMethodTooManyWrongCodes: the last wrong code typed on the
// desktop ends the enrollment; the desktop says so, with the reason, and
// offers a new QR code.
func TestPhoneMethodTooManyWrongCodes(t *testing.T) {
	p := newPhoneTest(t)
	flow := p.toPhone()
	code := p.openOnPhone(flow.enr)
	for range account.MaxFailures {
		p.typeInto(flow.code, wrongCode(code))
		p.tap("Confirm code")
	}
	p.waitText(5*time.Second, "The enrollment was canceled: too many wrong codes.")
	p.fits("phone canceled")
	p.notText("Expires in", "Code shown on the phone", "Wrong code")
	p.tap("New QR code")
	p.waitText(5*time.Second, "Waiting for the phone to open the link.")
}

func TestPhoneMethodCancel(t *testing.T) {
	p := newPhoneTest(t)
	enr := p.toPhone().enr
	p.tap("Cancel")
	if p.app.shell.passkeys == nil {
		t.Fatalf("Cancel did not go back to the passkeys list:\n%s", p.text())
	}
	st, err := p.svc.PhoneEnrollmentStatus(context.Background(), p.user.Session.Token, enr.ID)
	if err != nil || st.State != account.EnrollmentCanceled {
		t.Fatalf("after Cancel the enrollment is %+v, %v; want canceled", st, err)
	}
}

func TestPhoneMethodUnavailable(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.app.phone, h.app.phoneUnavailable = true, errors.New("listen tcp 127.0.0.1:8787: bind: address already in use")
	u := h.user("pat@example.com")
	h.signedIn(u)
	h.app.phone, h.app.phoneUnavailable = true, errors.New("listen tcp 127.0.0.1:8787: bind: address already in use")
	h.tap("Passkeys")
	h.tap("Add passkey")
	w := h.app.shell.wizard
	h.typeInto(w.password, u.Password)
	h.typeInto(w.totp, h.code(u.Secret))
	h.tap("Verify")
	h.wantText("Phones cannot be added now", "--phone-addr")
	if !h.button("Phone or tablet").Disabled() {
		t.Error("the phone method is enabled without its page")
	}
}

// browse runs steps in the tab, within 20 s.
func browse(t *testing.T, tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// TestPhoneMethodOnAServer: on a server whose public URL is HTTPS, the
// phone method says nothing about reachability, and its QR code opens the
// server's page; on one at a loopback address the warning says how to
// start the server, not this app.
func TestPhoneMethodOnAServer(t *testing.T) {
	tests := []struct {
		name, public string
		want, not    []string
	}{
		{"https", "https://passkeys.example.com", nil,
			[]string{"A phone cannot open this link", "--public-url", "this computer's own address"}},
		{"loopback", "http://localhost:8787",
			[]string{"A phone cannot open this link: localhost is this computer's own address.", "the account server must be started with --public-url https://HOST"},
			[]string{"--phone-addr", "run Passkey Desk with"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{publicURL: tc.public, phone: true, overHTTP: true, model: assets.ModelName})
			p := &phoneTest{harness: h, user: h.user("sam@example.com"), origin: tc.public}
			h.signedIn(p.user)
			p.toPhone()
			h.wantText(tc.want...)
			h.notText(tc.not...)
			if link := p.scanWindow(); !strings.HasPrefix(link, tc.public+"/") {
				t.Errorf("the QR code opens %q; want the server's page under %s", link, tc.public)
			}
		})
	}
}
