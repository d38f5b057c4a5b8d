package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

var ctx = context.Background()

const (
	iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	device1  = "AAAAAAAAAAAAAAAAAAAAAA"
	device2  = "BBBBBBBBBBBBBBBBBBBBBB"
)

// fixture is a handler on a fresh service, with a signed-in user who has
// started a phone enrollment.
type fixture struct {
	svc   *account.Service
	clock *accounttest.Clock
	u     *accounttest.User
	h     *httpapi.Handler
	enr   *account.PhoneEnrollment
	link  string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	f := &fixture{svc: svc, clock: clock, u: accounttest.SignUp(t, svc, clock, "ann@example.com")}
	var err error
	if f.h, err = httpapi.New(svc, httpapi.Config{PublicURL: accounttest.Origin, Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	f.begin(t)
	return f
}

func (f *fixture) begin(t testing.TB) {
	t.Helper()
	var err error
	grant := f.u.Grant(t, account.PurposeAddPasskey)
	if f.enr, err = f.svc.BeginPhoneEnrollment(ctx, f.u.Session.Token, grant); err != nil {
		t.Fatal(err)
	}
	_, f.link, _ = strings.Cut(f.enr.URL, "#")
}

// call posts body to a page endpoint from the page's origin.
func (f *fixture) call(path, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/api/phone/"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", accounttest.Origin)
	r.Header.Set("User-Agent", iPhoneUA)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func (f *fixture) body(device string, more string) string {
	return fmt.Sprintf(`{"link":%q,"device":%q%s}`, f.link, device, more)
}

func errorWord(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct{ Error, Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
		t.Fatalf("status %d, body %q is not a JSON reason", w.Code, w.Body)
	}
	return e.Error
}

func TestHeadersOnEveryAnswer(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/enroll", ""},
		{"GET", "/e/" + f.link, ""},
		{"GET", "/phone/common.js", ""},
		{"GET", "/phone/app.js", ""},
		{"GET", "/phone/style.css", ""},
		{"GET", "/nothing", ""},
		{"PUT", "/api/phone/open", ""},
		{"POST", "/api/phone/open", "{"},
		{"GET", "/api/enrollments/x", ""},
		{"GET", "/signin", ""},
		{"GET", "/phone/signin.js", ""},
		{"POST", "/api/phone/signin/open", "{"},
	} {
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		h := w.Header()
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'; script-src 'self'; style-src 'self'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s %s: headers %v", tc.method, tc.path, h)
		}
	}
	r := httptest.NewRequest("GET", "/api/nothing", nil)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 404 || errorWord(t, w) != "not-found" {
		t.Fatalf("unknown path: %d %s", w.Code, w.Body)
	}
	// The pages hold no account data and nothing inline.
	for _, path := range []string{"/enroll", "/signin"} {
		r = httptest.NewRequest("GET", path, nil)
		w = httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		page := w.Body.String()
		if w.Code != 200 || strings.Contains(page, "ann@") || strings.Contains(page, "<script>") || strings.Contains(page, "style=") ||
			strings.Contains(page, "onclick") || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("page %s: %d %s", path, w.Code, page)
		}
	}
}

func TestPageCallsRefuse(t *testing.T) {
	f := newFixture(t)
	big := `{"link":"` + strings.Repeat("a", httpapi.MaxBody) + `"}`
	tests := []struct {
		name       string
		path, body string
		hdr        []string
		status     int
		word       string
	}{
		{"cross-origin", "open", f.body(device1, ""), []string{"Origin", "https://evil.example"}, 403, "cross-origin"},
		{"no origin, cross-site", "open", f.body(device1, ""), []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}, 403, "cross-origin"},
		{"no origin at all", "open", f.body(device1, ""), []string{"Origin", ""}, 403, "cross-origin"},
		{"form post", "open", f.body(device1, ""), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "invalid-body"},
		{"not JSON", "open", "link=x", nil, 400, "invalid-body"},
		{"two values", "open", f.body(device1, "") + "{}", nil, 400, "invalid-body"},
		{"unknown field", "open", f.body(device1, `,"admin":true`), nil, 400, "invalid-body"},
		{"too big", "open", big, nil, 413, "invalid-body"},
		{"no link", "open", `{"device":"` + device1 + `"}`, nil, 400, "invalid-input"},
		{"unknown link", "open", `{"link":"AAAAAAAAAAAAAAAAAAAAAA","device":"` + device1 + `"}`, nil, 410, "ended"},
		{"garbage link", "open", `{"link":"../../etc","device":"` + device1 + `"}`, nil, 410, "ended"},
		{"short device key", "open", f.body("x", ""), nil, 400, "invalid-input"},
		{"a code from the page", "open", f.body(device1, `,"code":"123456"`), nil, 400, "invalid-body"},
		{"the old confirm call", "confirm", f.body(device1, `,"code":"123456"`), nil, 404, "not-found"},
		{"wait before open", "wait", f.body(device1, `,"state":"opened"`), nil, 409, "wrong-step"},
		{"wait without a state", "wait", f.body(device1, ""), nil, 400, "invalid-input"},
		{"open with a state", "open", f.body(device1, `,"state":"opened"`), nil, 400, "invalid-input"},
		{"options before open", "options", f.body(device1, ""), nil, 409, "wrong-step"},
		{"result not an object", "result", f.body(device1, `,"credential":"x"`), nil, 400, "invalid-input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.call(tt.path, tt.body, tt.hdr...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := errorWord(t, w); got != tt.word {
				t.Fatalf("error %q, want %q", got, tt.word)
			}
		})
	}
	if st, _ := f.svc.PhoneEnrollmentStatus(ctx, f.u.Session.Token, f.enr.ID); st.State != account.EnrollmentWaiting {
		t.Fatalf("refused calls moved the enrollment to %s", st.State)
	}
}

// TestFlowOverHTTP walks the page's calls with the software authenticator,
// and the desktop's calls and event stream over a real listener.
func TestFlowOverHTTP(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)

	req, _ := http.NewRequest("GET", srv.URL+"/api/enrollments/"+f.enr.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+f.u.Session.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header)
	}
	events := make(chan httpapi.Status, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var st httpapi.Status
				json.Unmarshal([]byte(data), &st)
				events <- st
			}
		}
	}()
	if st := <-events; st.State != "waiting" {
		t.Fatalf("first event %+v", st)
	}

	w := f.call("open", f.body(device1, ""))
	var opened struct{ Email, State, Code string }
	if json.Unmarshal(w.Body.Bytes(), &opened); w.Code != 200 || opened.Email != "a•••@example.com" || opened.State != "opened" ||
		len(opened.Code) != 6 || strings.Contains(w.Body.String(), "ann@") {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	if st := <-events; st.State != "opened" || st.Browser != "Safari on iPhone" {
		t.Fatalf("event after the open %+v", st)
	}
	if w := f.call("open", f.body(device2, "")); w.Code != 409 || errorWord(t, w) != "in-use" {
		t.Fatalf("second phone: %d %s", w.Code, w.Body)
	}
	if w := f.call("options", f.body(device1, "")); w.Code != 409 || errorWord(t, w) != "wrong-step" {
		t.Fatalf("options before the code is confirmed: %d %s", w.Code, w.Body)
	}
	// The page waits while the desktop types the code it shows.
	waited := make(chan *httptest.ResponseRecorder, 1)
	go func() { waited <- f.call("wait", f.body(device1, `,"state":"opened"`)) }()
	confirmPath := "/api/enrollments/" + f.enr.ID + "/confirm"
	if w := f.desktopCall("POST", confirmPath, f.u.Session.Token, `{"code":"`+wrongCode(opened.Code)+`"}`); w.Code != 422 || errorWord(t, w) != "wrong-code" {
		t.Fatalf("wrong code: %d %s", w.Code, w.Body)
	}
	w = f.desktopCall("POST", confirmPath, f.u.Session.Token, `{"code":"`+opened.Code[:3]+`-`+opened.Code[3:]+`"}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"state":"code-confirmed"`) || !strings.Contains(w.Body.String(), `"browser":"Safari on iPhone"`) {
		t.Fatalf("confirm: %d %s", w.Code, w.Body)
	}
	if w := <-waited; w.Code != 200 || !strings.Contains(w.Body.String(), `"state":"code-confirmed"`) || strings.Contains(w.Body.String(), `"code"`) {
		t.Fatalf("wait: %d %s", w.Code, w.Body)
	}
	w = f.call("options", f.body(device1, ""))
	if w.Code != 200 {
		t.Fatalf("options: %d %s", w.Code, w.Body)
	}
	cred, err := (&accounttest.Authenticator{BackupEligible: true, BackedUp: true}).Register(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	w = f.call("result", f.body(device1, `,"credential":`+string(cred)))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"iPhone — iCloud Keychain"`) {
		t.Fatalf("result: %d %s", w.Code, w.Body)
	}
	var last httpapi.Status
	var seen []string
	for st := range events {
		seen = append(seen, st.State)
		last = st
	}
	if strings.Join(seen, ",") != "code-confirmed,passkey-created,done" {
		t.Fatalf("events %v", seen)
	}
	if last.Passkey == nil || last.Passkey.Name != "iPhone — iCloud Keychain" || last.Passkey.Kind != "phone" || !last.Passkey.BackedUp {
		t.Fatalf("done event %+v", last)
	}
	// The link is used up.
	if w := f.call("open", f.body(device1, "")); w.Code != 410 || errorWord(t, w) != "done" {
		t.Fatalf("reused link: %d %s", w.Code, w.Body)
	}
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// desktopCall makes one of the desktop's calls with a session token.
func (f *fixture) desktopCall(method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func TestDesktopCalls(t *testing.T) {
	f := newFixture(t)
	do := f.desktopCall
	tok := f.u.Session.Token
	if w := do("GET", "/api/enrollments/"+f.enr.ID, "", ""); w.Code != 401 {
		t.Fatalf("no token: %d", w.Code)
	}
	if w := do("GET", "/api/enrollments/"+f.enr.ID+"/events", "nope", ""); w.Code != 401 {
		t.Fatalf("events with a bad token: %d", w.Code)
	}
	if w := do("GET", "/api/enrollments/unknown", tok, ""); w.Code != 404 {
		t.Fatalf("unknown id: %d", w.Code)
	}
	if w := do("POST", "/api/enrollments", tok, `{"grant":"nope"}`); w.Code != 403 || errorWord(t, w) != "grant-required" {
		t.Fatalf("begin without a grant: %d %s", w.Code, w.Body)
	}
	grant := f.u.Grant(t, account.PurposeAddPasskey)
	w := do("POST", "/api/enrollments", tok, `{"grant":"`+grant+`"}`)
	var began struct{ ID, URL string }
	if json.Unmarshal(w.Body.Bytes(), &began); w.Code != 200 || began.ID == "" || strings.Contains(w.Body.String(), "matchCode") ||
		!strings.HasPrefix(began.URL, accounttest.Origin+"/enroll#") {
		t.Fatalf("begin: %d %s", w.Code, w.Body)
	}
	// The code is confirmed only by the session that began the
	// enrollment, and only once a phone has opened the link.
	confirmPath := "/api/enrollments/" + began.ID + "/confirm"
	other := accounttest.SignUp(t, f.svc, f.clock, "bob@example.com")
	for _, tc := range []struct {
		name, token, body string
		status            int
		word              string
	}{
		{"no session", "", `{"code":"123456"}`, 401, "unauthenticated"},
		{"unknown session", "nope", `{"code":"123456"}`, 401, "unauthenticated"},
		{"another account's session", other.Session.Token, `{"code":"123456"}`, 404, "not-found"},
		{"before a phone opened the link", tok, `{"code":"123456"}`, 409, "wrong-step"},
		{"unknown field", tok, `{"code":"123456","x":1}`, 400, "invalid-body"},
	} {
		if w := do("POST", confirmPath, tc.token, tc.body); w.Code != tc.status || errorWord(t, w) != tc.word {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.word)
		}
	}
	if w := f.call("open", f.body(device1, "")); w.Code != 200 {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	if w := do("POST", "/api/enrollments/"+f.enr.ID+"/confirm", tok, `{"code":"12345"}`); w.Code != 400 || errorWord(t, w) != "invalid-input" {
		t.Fatalf("not a code: %d %s", w.Code, w.Body)
	}
	if w := do("DELETE", "/api/enrollments/"+began.ID, tok, ""); w.Code != 204 {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	w = do("GET", "/api/enrollments/"+began.ID, tok, "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"state":"canceled"`) {
		t.Fatalf("status after cancel: %d %s", w.Code, w.Body)
	}
	// Canceled on the desktop: the phone is told.
	f.link = strings.SplitN(began.URL, "#", 2)[1]
	if w := f.call("open", f.body(device1, "")); w.Code != 410 || errorWord(t, w) != "canceled" {
		t.Fatalf("open after cancel: %d %s", w.Code, w.Body)
	}
}

func TestOriginAndRelyingParty(t *testing.T) {
	for _, tc := range []struct{ url, rpID, origin string }{
		{"https://accounts.example.com", "accounts.example.com", "https://accounts.example.com"},
		{"https://accounts.example.com/", "accounts.example.com", "https://accounts.example.com"},
		{"http://localhost:8787", "localhost", "http://localhost:8787"},
		{"http://example.com", "", ""},
		{"https://accounts.example.com/path", "", ""},
		{"http://127.0.0.1:8787", "", ""}, // an IP cannot be an RP ID
		{"ftp://x", "", ""},
	} {
		rpID, origin, err := httpapi.RelyingParty(tc.url)
		if rpID != tc.rpID || origin != tc.origin || (err == nil) != (tc.rpID != "") {
			t.Errorf("RelyingParty(%q) = %q, %q, %v", tc.url, rpID, origin, err)
		}
	}
	if _, _, err := httpapi.ListenLoopback("0.0.0.0:0", http.NotFoundHandler()); err == nil {
		t.Fatal("ListenLoopback accepted a non-loopback address")
	}
	srv, addr, err := httpapi.ListenLoopback("127.0.0.1:0", http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res, err := http.Get("http://" + addr.String() + "/")
	if err != nil || res.StatusCode != 404 {
		t.Fatalf("loopback server: %v %v", res, err)
	}
	res.Body.Close()
}

func TestWatchEndsWhenEnrollmentExpires(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(account.EnrollmentLifetime)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/api/enrollments/"+f.enr.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+f.u.Session.Token)
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	var data []string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, d)
		}
	}
	if len(data) != 1 || !strings.Contains(data[0], `"state":"expired"`) {
		t.Fatalf("events %v", data)
	}
}
