package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/phonetest"
	"github.com/passkeydesk/passkeydesk/account/httpapi/requestertest"
)

// The site's API lists passkeys to requesters as the service does, so a
// requester can keep its own copy.

func (a *timedAPI) RequesterPasskeys(ctx context.Context, apiKey, who string) ([]account.RequesterPasskey, error) {
	return a.API.(account.PasskeyReader).RequesterPasskeys(ctx, apiKey, who)
}

func (a *timedAPI) WatchRequesterPasskeys(ctx context.Context, apiKey, who string) (<-chan account.PasskeyChange, error) {
	return a.API.(account.PasskeyReader).WatchRequesterPasskeys(ctx, apiKey, who)
}

// httpCall makes a call to the site as a desktop or a requester does.
func (s *site) httpCall(t *testing.T, method, path, bearer, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.origin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, data, err)
		}
	}
	if res.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	return res.StatusCode
}

// requestAndLink has the requester ask for a withdrawal with its API key
// and the desktop make the phone link for it; it returns the approval
// and the link, as read from the desktop's QR code.
func (s *site) requestAndLink(t *testing.T, session, key string) (httpapi.Approval, string) {
	t.Helper()
	var a httpapi.Approval
	if st := s.httpCall(t, "POST", "/v1/approvals", key, withdrawalBody, &a); st != http.StatusCreated {
		t.Fatalf("requesting an approval: %d", st)
	}
	var l account.ApprovalLink
	if st := s.httpCall(t, "POST", "/v1/approvals/"+a.ID+"/phone-link", session, "", &l); st != 200 {
		t.Fatalf("the phone link: %d", st)
	}
	url := scanQR(t, l.URL)
	if url != l.URL || !strings.HasPrefix(url, s.origin+"/approve#") {
		t.Fatalf("QR round trip: %q, want %q", url, l.URL)
	}
	return a, url
}

func text(t *testing.T, tab context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestApproveOnPhoneInChromium: the phone binds a passkey on the
// enrollment page; a requester asks for a withdrawal with its API key;
// the phone opens the link from the desktop's QR code, shows the
// operation and approves it with its passkey. The requester reads
// "approved" and checks the answer against its own copy of the passkeys.
// The link, used, is refused on a second open, on this phone or another;
// a second request is denied from the phone.
func TestApproveOnPhoneInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	s := newSite(t)
	u, enr := s.enrollment(t, "ann@example.com")
	tab := phonetest.Phone(t, bctx, iPhoneUA)
	name := s.enrollInBrowser(t, tab, u, enr, enr.URL)
	// The phone's passkey was bound with password and codes: it and the
	// account are held for a day. A day later it may approve.
	s.clock.Advance(account.RemovalHold)
	key, err := s.svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	var copyList []httpapi.RequesterPasskey
	if st := s.httpCall(t, "GET", "/v1/requester/passkeys", key.Secret, "", &copyList); st != 200 || len(copyList) != 1 {
		t.Fatalf("the requester's copy: %d %+v", st, copyList)
	}
	copy := map[string]httpapi.RequesterPasskey{copyList[0].ID: copyList[0]}

	a, url := s.requestAndLink(t, u.Session.Token, key.Secret)
	run(t, tab, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("step-review")))
	for id, want := range map[string]string{
		"kind":        "Withdrawal",
		"amount":      "0.015 BTC",
		"destination": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"email":       "a•••@example.com",
	} {
		if got := text(t, tab, id); got != want {
			t.Errorf("the page's %s: %q, want %q", id, got, want)
		}
	}
	if dir := os.Getenv("PASSKEYDESK_SCREENSHOT_DIR"); dir != "" {
		run(t, tab, chromedp.EmulateViewport(390, 844))
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "approve-on-phone.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	details := text(t, tab, "details")
	for _, want := range []string{"Bitcoin", "0.0001 BTC", "W-1042", "exchange backend"} {
		if !strings.Contains(details, want) {
			t.Errorf("the details %q lack %q", details, want)
		}
	}
	if left := text(t, tab, "time-left"); left != "Time left: 5:00" && !strings.HasPrefix(left, "Time left: 4:5") {
		t.Errorf("the page shows %q", left)
	}
	if loc, _ := chromedp.Run(tab, chromedp.Location()); strings.Contains(loc, "#") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	run(t, tab, chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("step-done")))
	if got := text(t, tab, "outcome"); got != "Approved with "+name+"." {
		t.Fatalf("the page says %q", got)
	}

	var got httpapi.Approval
	if st := s.httpCall(t, "GET", "/v1/approvals/"+a.ID, key.Secret, "", &got); st != 200 || got.State != "approved" {
		t.Fatalf("the requester reads %d %+v", st, got)
	}
	requestertest.VerifyAgainst(t, got, "localhost", copy)
	if got.Passkey == nil || got.Passkey.Name != name {
		t.Errorf("approved with %+v, want the phone's %q", got.Passkey, name)
	}

	// Used: opened again on this phone, or on another, it says so.
	// (From another page: from /approve itself the link would be a jump
	// within the page.)
	run(t, tab, chromedp.Navigate("about:blank"), chromedp.Navigate(url))
	if msg := message(t, tab); !strings.Contains(msg, "already used") {
		t.Fatalf("a used link on the same phone: %q", msg)
	}
	other := phonetest.Phone(t, bctx, iPhoneUA)
	run(t, other, chromedp.Navigate(url))
	if msg := message(t, other); !strings.Contains(msg, "already used") {
		t.Fatalf("a used link on another phone: %q", msg)
	}

	// A second request, denied from the phone.
	b, url := s.requestAndLink(t, u.Session.Token, key.Secret)
	run(t, tab, chromedp.Navigate("about:blank"), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("step-review")),
		chromedp.Click(chromedp.ID("deny")), chromedp.WaitVisible(chromedp.ID("step-done")))
	if got := text(t, tab, "outcome"); !strings.HasPrefix(got, "Denied") {
		t.Fatalf("the page says %q", got)
	}
	if st := s.httpCall(t, "GET", "/v1/approvals/"+b.ID, key.Secret, "", &got); st != 200 || got.State != "denied" {
		t.Fatalf("the requester reads %d %+v", st, got)
	}
}

// TestApprovalLinkRefusedInChromium: a link opened on one phone cannot be
// used from another, and an expired one says so.
func TestApprovalLinkRefusedInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	s := newSite(t)
	u, enr := s.enrollment(t, "ann@example.com")
	tab := phonetest.Phone(t, bctx, iPhoneUA)
	s.enrollInBrowser(t, tab, u, enr, enr.URL)
	s.clock.Advance(account.RemovalHold)
	key, err := s.svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	_, url := s.requestAndLink(t, u.Session.Token, key.Secret)
	run(t, tab, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("step-review")))
	thief := phonetest.Phone(t, bctx, iPhoneUA)
	run(t, thief, chromedp.Navigate(url))
	if msg := message(t, thief); !strings.Contains(msg, "already used") {
		t.Fatalf("a second phone opening the link: %q", msg)
	}
	// The link's time runs out while the page is open: Approve says so.
	s.clock.Advance(account.ApprovalLinkLifetime + time.Second)
	run(t, tab, chromedp.Click(chromedp.ID("approve")))
	if msg := message(t, tab); !strings.Contains(msg, "expired") {
		t.Fatalf("approving after the link expired: %q", msg)
	}
}
