//go:build cgo

package ui

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/phonetest"
	"github.com/passkeydesk/passkeydesk/assets"
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
	h.waitText(5*time.Second, "Step 3 of 3: add your phone or tablet", "Code to type on the phone", "Waiting for the phone to open the link.", "Expires in 5:00")
	return w.phone
}

// scanWindow reads the QR code in a capture of the window, as a phone's
// camera reads the screen.
func (p *phoneTest) scanWindow() string {
	p.t.Helper()
	shot := p.canvas().Capture()
	p.fits("phone")
	bmp, err := gozxing.NewBinaryBitmapFromImage(shot)
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

// shownCode is the 6-digit match code the window shows ("123 456").
func (p *phoneTest) shownCode() string {
	p.t.Helper()
	m := regexp.MustCompile(`\b(\d{3}) (\d{3})\b`).FindStringSubmatch(p.text())
	if m == nil {
		p.t.Fatalf("no match code in the window:\n%s", p.text())
	}
	return m[1] + m[2]
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
	code := p.shownCode()
	if code != flow.enr.MatchCode {
		t.Fatalf("the window shows code %s, the enrollment's is another", code)
	}
	p.secrets = append(p.secrets, link)

	tab := phonetest.Phone(t, bctx, iPhoneUA)
	browse(t, tab, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("code")))
	p.waitText(5*time.Second, "A phone opened the link. Type the code on it.")
	browse(t, tab,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("create")))
	p.waitText(5*time.Second, "Code confirmed. Create the passkey on the phone.")
	browse(t, tab, chromedp.Click(chromedp.ID("create")), chromedp.WaitVisible(chromedp.ID("step-done")))

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

func TestPhoneMethodNewCodeAfterExpiry(t *testing.T) {
	p := newPhoneTest(t)
	first := p.toPhone().enr
	p.notText("New code")

	p.clock.Advance(account.EnrollmentLifetime)
	p.waitText(3*time.Second, "This code has expired.")
	p.fits("phone expired")
	p.waitFor("New code", time.Second, func() bool { return p.canvas().Focused() == p.button("New code") })
	p.tap("New code")
	p.waitText(5*time.Second, "Waiting for the phone to open the link.", "Expires in")
	second := p.app.shell.wizard.phone.enr
	if second == nil || second.ID == first.ID {
		t.Fatal("New code did not start a new enrollment")
	}
	p.notText("This code has expired.", "New code")

	// Once the identity check itself has expired, a new code needs a new
	// check: the wizard goes back to it and says why.
	p.clock.Advance(account.GrantLifetime)
	p.waitText(3*time.Second, "This code has expired.")
	p.tap("New code")
	p.waitText(5*time.Second, "Step 1 of 3: verify your identity", "Verify your identity", "the last one has expired")
}

// TestPhoneMethodCanceledByThePhone: too many wrong codes on the phone
// end the enrollment; the desktop says so, with the reason, and offers a
// new code. The phone's calls go to the service directly here: the page
// itself is proven in Chromium above and in account/httpapi.
func TestPhoneMethodCanceledByThePhone(t *testing.T) {
	p := newPhoneTest(t)
	enr := p.toPhone().enr
	_, link, _ := strings.Cut(enr.URL, "#")
	p.secrets = append(p.secrets, link)
	ctx := context.Background()
	if _, err := p.svc.OpenPhoneEnrollment(ctx, link, "phone-device-key", iPhoneUA); err != nil {
		t.Fatal(err)
	}
	p.waitText(5*time.Second, "A phone opened the link.")
	wrong := "000000"
	if enr.MatchCode == wrong {
		wrong = "111111"
	}
	for range account.MaxFailures {
		p.svc.ConfirmPhoneEnrollment(ctx, link, "phone-device-key", wrong)
	}
	p.waitText(5*time.Second, "The enrollment was canceled: too many wrong codes.")
	p.fits("phone canceled")
	p.notText("Expires in")
	p.tap("New code")
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
