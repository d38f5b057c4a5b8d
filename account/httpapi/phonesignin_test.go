package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/phonetest"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// phoneWithPasskey is Ann's phone: a tab whose virtual authenticator
// holds the passkey it enrolled on the enrollment page.
func (s *site) phoneWithPasskey(t *testing.T, bctx context.Context) (*accounttest.User, context.Context) {
	t.Helper()
	u, enr := s.enrollment(t, "ann@example.com")
	tab := phonetest.Phone(t, bctx, iPhoneUA)
	s.enrollInBrowser(t, tab, u, enr, scanQR(t, enr.URL))
	return u, tab
}

// desktop is the desktop's client of the site, as the app on a server
// has it.
func (s *site) desktop(t *testing.T) *remote.Client {
	t.Helper()
	c, err := remote.New(s.origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// typeCode types code on the sign-in page and asks for the passkey.
func typeCode(t *testing.T, tab context.Context, code string) {
	t.Helper()
	run(t, tab,
		chromedp.WaitVisible(chromedp.ID("code")),
		voidOf(chromedp.Evaluate[any](`document.getElementById("code").value = ""`)),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("sign-in")),
	)
}

// TestPhoneSignInInChromium: the desktop begins a sign-in over HTTP and
// waits on its stream; the phone scans the QR code, sees the computer,
// types its code and signs in with the passkey it enrolled; the session
// arrives on the desktop's stream.
func TestPhoneSignInInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	s := newSite(t)
	u, tab := s.phoneWithPasskey(t, bctx)
	desk := s.desktop(t)

	ps, err := desk.BeginPhoneSignIn(ctx, "ann-laptop")
	if err != nil {
		t.Fatal(err)
	}
	link := scanQR(t, ps.URL)
	if link != ps.URL || !strings.HasPrefix(link, s.origin+"/signin#") {
		t.Fatalf("QR round trip: %q", link)
	}
	wctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	watch, err := desk.WatchPhoneSignIn(wctx, ps.ID, ps.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-watch; st.State != account.PhoneSignInWaiting {
		t.Fatalf("first status %+v", st)
	}

	run(t, tab, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("computer")))
	for id, want := range map[string]string{"computer": "ann-laptop", "address": "127.0.0.1"} {
		got, err := chromedp.Run(tab, chromedp.Text(chromedp.ID(id)))
		if err != nil || got != want {
			t.Fatalf("the page shows %s %q (%v), want %q", id, got, err, want)
		}
	}
	if at, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("asked-at"))); err != nil || at == "" {
		t.Fatalf("the page shows no time (%v)", err)
	}
	if href, _ := chromedp.Run(tab, chromedp.Evaluate[string](`location.href`)); strings.Contains(href, "#") {
		t.Fatalf("the token stays in the address bar: %s", href)
	}
	// Typed as the desktop shows it, with a space.
	typeCode(t, tab, ps.Code[:3]+" "+ps.Code[3:])
	run(t, tab, chromedp.WaitVisible(chromedp.ID("step-done")))
	email, _ := chromedp.Run(tab, chromedp.Text(chromedp.ID("done-email")))
	if email != "a•••@example.com" {
		t.Fatalf("the page says signed in as %q", email)
	}

	var got *account.Session
	for st := range watch {
		if st.Session != nil {
			got = st.Session
		}
		if st.State.Ended() && st.State != account.PhoneSignInDone {
			t.Fatalf("the sign-in ended %+v", st)
		}
	}
	if got == nil || got.Account.Email != u.Email {
		t.Fatalf("the desktop got %+v", got)
	}
	if me, err := desk.Me(ctx, got.Token); err != nil || me.Email != u.Email {
		t.Fatalf("the new session: %+v, %v", me, err)
	}
	// The page never held the session.
	html, _ := chromedp.Run(tab, chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, got.Token) || strings.Contains(html, ps.Secret) {
		t.Fatal("the page holds the session or the desktop's secret")
	}
	// Used: opening the link again is refused.
	run(t, tab, chromedp.Navigate("about:blank"), chromedp.Navigate(link))
	if m := message(t, tab); !strings.Contains(m, "expired or was already used") {
		t.Fatalf("a used link says %q", m)
	}
}

// TestPhoneSignInRelayedLinkInChromium: a link relayed to a phone whose
// user never saw the desktop's code goes nowhere: wrong codes are
// refused, the MaxFailures-th ends the sign-in, and the desktop's stream
// ends without a session.
func TestPhoneSignInRelayedLinkInChromium(t *testing.T) {
	bctx := phonetest.Browser(t)
	s := newSite(t)
	_, tab := s.phoneWithPasskey(t, bctx)
	desk := s.desktop(t)
	ps, err := desk.BeginPhoneSignIn(ctx, "attacker-pc")
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	watch, err := desk.WatchPhoneSignIn(wctx, ps.ID, ps.Secret)
	if err != nil {
		t.Fatal(err)
	}
	run(t, tab, chromedp.Navigate(ps.URL), chromedp.WaitVisible(chromedp.ID("computer")))
	wrong := wrongCode(ps.Code)
	for i := range account.MaxFailures {
		typeCode(t, tab, wrong)
		m := message(t, tab)
		want := "not the code your computer shows"
		if i == account.MaxFailures-1 {
			want = "expired or was already used"
		}
		if !strings.Contains(m, want) {
			t.Fatalf("wrong code %d: the page says %q", i+1, m)
		}
		run(t, tab, voidOf(chromedp.Evaluate[any](`document.getElementById("message").hidden = true`)))
	}
	// Even the right code is too late now.
	typeCode(t, tab, ps.Code)
	if m := message(t, tab); !strings.Contains(m, "expired or was already used") {
		t.Fatalf("the right code after the limit: %q", m)
	}
	if done, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`!document.getElementById("step-done").hidden`)); done {
		t.Fatal("the page shows signed in")
	}
	var last account.PhoneSignInStatus
	for st := range watch {
		if st.Session != nil {
			t.Fatalf("a session went out: %+v", st)
		}
		last = st
	}
	if last.State != account.PhoneSignInCanceled {
		t.Fatalf("the stream ended with %+v", last)
	}

	// Straight at the API, an assertion without the code is refused.
	other, err := desk.BeginPhoneSignIn(ctx, "attacker-pc")
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(other.URL, "#")
	if _, err := desk.FinishPhoneSignIn(ctx, token, json.RawMessage(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`)); err == nil {
		t.Fatal("an assertion without the code was taken")
	}
}

// TestPhoneSignInStreamDoors: the stream opens only with the sign-in's
// own secret; anything else gets an error and no event.
func TestPhoneSignInStreamDoors(t *testing.T) {
	s := newSite(t)
	desk := s.desktop(t)
	ps, err := desk.BeginPhoneSignIn(ctx, "pc")
	if err != nil {
		t.Fatal(err)
	}
	other, err := desk.BeginPhoneSignIn(ctx, "pc")
	if err != nil {
		t.Fatal(err)
	}
	get := func(id, auth string) (*http.Response, string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.origin+"/v1/phone-signins/"+id+"/events", nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return res, string(body)
	}
	for _, tc := range []struct {
		name, id, secret string
		status           int
	}{
		{"no secret", ps.ID, "", http.StatusUnauthorized},
		{"wrong secret", ps.ID, "not-the-secret", http.StatusNotFound},
		{"another sign-in's secret", ps.ID, other.Secret, http.StatusNotFound},
		{"unknown sign-in", "no-such-sign-in", ps.Secret, http.StatusNotFound},
	} {
		res, body := get(tc.id, tc.secret)
		if res.StatusCode != tc.status || strings.Contains(body, "event:") || strings.Contains(res.Header.Get("Content-Type"), "event-stream") {
			t.Errorf("%s: %d %s", tc.name, res.StatusCode, body)
		}
	}
	// The right secret gets the stream.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", s.origin+"/v1/phone-signins/"+ps.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+ps.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var st account.PhoneSignInStatus
			if err := json.Unmarshal([]byte(data), &st); err != nil || st.State != account.PhoneSignInWaiting || st.ID != ps.ID {
				t.Fatalf("first event %s (%v)", data, err)
			}
			return
		}
	}
	t.Fatal("no event with the right secret")
}

// TestPhoneSignInShowsTheResolvedAddress: the page shows the address the
// handler's ClientAddr resolves (behind trusted proxies, the client they
// name), not what the desktop claims.
func TestPhoneSignInShowsTheResolvedAddress(t *testing.T) {
	svc, _, _ := accounttest.NewService(t, accounttest.Options{PublicURL: "http://localhost:8787"})
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: "http://localhost:8787",
		ClientAddr: func(*http.Request) string { return "198.51.100.9" }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/phone-signins", strings.NewReader(`{"Computer":"ann-laptop"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "10.9.9.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ps account.PhoneSignIn
	if err := json.NewDecoder(res.Body).Decode(&ps); err != nil || res.StatusCode != 200 {
		t.Fatalf("begin: %d, %v", res.StatusCode, err)
	}
	_, token, _ := strings.Cut(ps.URL, "#")
	page, err := svc.OpenPhoneSignIn(ctx, token)
	if err != nil || page.Address != "198.51.100.9" || page.Computer != "ann-laptop" {
		t.Fatalf("the page: %+v, %v", page, err)
	}
	// A body that is not the call's is a 4xx with a reason.
	for _, body := range []string{`{}`, `{"Computer":""}`, `{"Computer":5}`, `{"Address":"1.2.3.4","Computer":"pc"}`} {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/phone-signins", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", body, res.StatusCode)
		}
	}
}
