//go:build cgo

package ui

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/ui/component"
)

// phoneApprovalTest is a signed-in app on a service whose phone pages are
// at origin, with a phone passkey past its hold and a pending withdrawal
// on the detail screen.
type phoneApprovalTest struct {
	*harness
	phone  *accounttest.Authenticator
	key    string
	id     string
	origin string
}

// phoneApprovalOrigin is where the embedded service serves its pages.
const phoneApprovalOrigin = "http://localhost:8787"

func newPhoneApprovalTest(t *testing.T) *phoneApprovalTest {
	return newPhoneApprovalTestAt(t, phoneApprovalOrigin, false)
}

func newPhoneApprovalTestAt(t *testing.T, origin string, overHTTP bool) *phoneApprovalTest {
	t.Helper()
	h := newHarness(t, harnessOptions{publicURL: origin, phone: true, overHTTP: overHTTP})
	u := h.user("ann@example.com")
	phone := &accounttest.Authenticator{Origin: origin}
	u.AddPasskey(t, phone, account.KindPhone, "iPhone")
	h.clock.Advance(account.RemovalHold) // the passkey's hold is over
	h.signedIn(u)
	ctx := context.Background()
	key, err := h.svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, key.Secret)
	op := account.Operation{Kind: account.OperationWithdrawal, Asset: "BTC", Amount: "0.015", Network: "Bitcoin",
		Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Reference: "W-7731"}
	// The request outlives a link, so a link can expire while it is open.
	a, err := h.svc.RequestApproval(ctx, key.Secret, account.ApprovalRequest{Operation: op, Lifetime: 2 * account.ApprovalLinkLifetime})
	if err != nil {
		t.Fatal(err)
	}
	h.tap("Approvals")
	h.waitText(5*time.Second, "Withdrawal of 0.015 BTC")
	h.tap("Open")
	return &phoneApprovalTest{harness: h, phone: phone, key: key.Secret, id: a.ID, origin: origin}
}

// shownLink opens "Approve on your phone" and returns the link the QR
// code on screen holds.
func (p *phoneApprovalTest) shownLink() string {
	p.t.Helper()
	p.tap("Approve on your phone")
	var qr *component.QRCode
	p.waitFor("the QR code", 5*time.Second, func() bool {
		walkVisible(p.canvas().Content(), func(o fyne.CanvasObject) {
			if q, ok := o.(*component.QRCode); ok {
				qr = q
			}
		})
		return qr != nil
	})
	link := qr.Content()
	if !strings.HasPrefix(link, p.origin+"/approve#") {
		p.t.Fatalf("the QR code holds %q", link)
	}
	// A camera reads the same link off the window, where the code is
	// drawn (in full view: the screen scrolled to it).
	fits(p.harness, "approve on your phone")
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
	if err != nil || res.GetText() != link {
		p.t.Fatalf("the QR code read off the window: %v %v", res, err)
	}
	p.wantText("Approve on your phone", "The link expires in 5:00")
	for _, b := range []string{"Approve with a passkey", "Deny"} {
		if !p.button(b).Disabled() {
			p.t.Fatalf("%q is enabled while the QR code is shown", b)
		}
	}
	_, token, _ := strings.Cut(link, "#")
	return token
}

// TestPhoneApprovalShowsQRAndOutcome: the detail shows the QR code of a
// one-time link; the phone approves through it; the outcome reaches the
// screen through the app's watch of pending approvals while the QR code
// is shown, and the requester reads "approved".
func TestPhoneApprovalShowsQRAndOutcome(t *testing.T) {
	p := newPhoneApprovalTest(t)
	token := p.shownLink()
	p.secrets = append(p.secrets, token)
	// The embedded service's page is on this computer: the screen says
	// a phone cannot open it, as the phone enrollment does.
	p.wantText("A phone cannot open this link: localhost is this computer's own address. It works in a browser on this computer.")
	p.approveOnPhone(token)
	p.waitFor("the outcome", 10*time.Second, func() bool {
		return strings.Contains(p.text(), "Approved on your phone Withdrawal")
	})
	p.wantText("Withdrawal of 0.015 BTC approved with iPhone. The requester sees the decision now.")
	fits(p.harness, "approved on your phone")
	p.notText("The link expires in")
	if focused := p.canvas().Focused(); focused != p.button("Back to approvals") {
		t.Fatalf("the focus is on %T, not Back to approvals", focused)
	}
	if got, err := p.svc.GetApproval(context.Background(), p.key, p.id); err != nil || got.State != account.ApprovalApproved {
		t.Fatalf("the requester reads %+v %v", got, err)
	}
	p.tap("Back to approvals")
	p.waitText(5*time.Second, "Nothing is waiting for approval.")
}

// TestPhoneApprovalOnAServer: on a server whose public URL is HTTPS, the
// QR code opens the server's page and nothing is said about reaching
// it; the outcome arrives over the server's event stream.
func TestPhoneApprovalOnAServer(t *testing.T) {
	const public = "https://passkeys.example.com"
	p := newPhoneApprovalTestAt(t, public, true)
	token := p.shownLink()
	p.notText("A phone cannot open this link", "this computer's own address")
	p.approveOnPhone(token)
	p.waitFor("the outcome", 10*time.Second, func() bool {
		return strings.Contains(p.text(), "Withdrawal of 0.015 BTC approved with iPhone.")
	})
}

// approveOnPhone is the phone's side, through the service: open the link,
// assert with the phone's passkey, finish.
func (p *phoneApprovalTest) approveOnPhone(token string) {
	p.t.Helper()
	t := p.t
	ctx := context.Background()
	const device = "test-phone-0123456789"
	page, err := p.svc.OpenPhoneApproval(ctx, token, device)
	if err != nil || page.Approval.ID != p.id {
		t.Fatalf("the phone opens the link: %+v %v", page, err)
	}
	opts, err := p.svc.PhoneApprovalOptions(ctx, token, device)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := p.phone.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.FinishPhoneApproval(ctx, token, device, assertion); err != nil {
		t.Fatalf("the phone approves: %v", err)
	}
}

// TestPhoneDenialShowsOutcome: a denial on the phone reaches the screen
// too; hiding the QR code and showing a new one makes a new link.
func TestPhoneDenialShowsOutcome(t *testing.T) {
	p := newPhoneApprovalTest(t)
	first := p.shownLink()
	p.tap("Hide QR code")
	p.notText("The link expires in")
	if p.button("Approve with a passkey").Disabled() {
		t.Fatal("Approve stays disabled after the QR code is hidden")
	}
	token := p.shownLink()
	if token == first {
		t.Fatal("a new QR code holds the same link")
	}
	ctx := context.Background()
	const device = "test-phone-0123456789"
	// The hidden code's link ended with it.
	if _, err := p.svc.OpenPhoneApproval(ctx, first, device); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("the hidden QR code's link: %v", err)
	}
	if _, err := p.svc.OpenPhoneApproval(ctx, token, device); err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.DenyPhoneApproval(ctx, token, device); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the outcome", 10*time.Second, func() bool {
		return strings.Contains(p.text(), "Withdrawal of 0.015 BTC denied.")
	})
}

// TestPhoneLinkExpiresOnScreen: the countdown of a shown link reaches
// zero on the app's clock and says so; the request is still open, so a
// new link is offered.
func TestPhoneLinkExpiresOnScreen(t *testing.T) {
	p := newPhoneApprovalTest(t)
	p.shownLink()
	p.clock.Advance(account.ApprovalLinkLifetime - time.Second)
	p.tick()
	p.wantText("The link expires in 0:01")
	p.notText("New QR code")
	p.clock.Advance(time.Second)
	p.tick()
	p.wantText("The link has expired.", "New QR code", "Time left to decide: 5:00")
}
