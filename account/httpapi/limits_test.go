package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// limitFixture is a handler with the default limits on the service's
// clock, whose client address is the X-Client header (as a server's
// Config.ClientAddr would read a trusted proxy's X-Forwarded-For).
type limitFixture struct {
	*fixture
	bob *accounttest.User
}

func newLimitFixture(t *testing.T) *limitFixture {
	t.Helper()
	f := newFixture(t)
	h, err := httpapi.New(f.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: f.clock.Now,
		ClientAddr: func(r *http.Request) string { return r.Header.Get("X-Client") }})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return &limitFixture{fixture: f, bob: accounttest.SignUp(t, f.svc, f.clock, "bob@example.com")}
}

// do makes a call from client with token (none when empty).
func (f *limitFixture) do(method, path, client, token, body string) *httptest.ResponseRecorder {
	return f.serve(f.request(method, path, client, token, body))
}

// request is do's request, for a caller to add to.
func (f *limitFixture) request(method, path, client, token, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", accounttest.Origin)
	r.Header.Set("X-Client", client)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func (f *limitFixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// limited reports whether w is the rate limit's 429, and checks its
// Retry-After.
func limited(t *testing.T, w *httptest.ResponseRecorder, retry string) bool {
	t.Helper()
	if w.Code != 429 {
		return false
	}
	if errorWord(t, w) != "rate-limited" {
		t.Fatalf("429 that is not the rate limit: %s", w.Body)
	}
	if got := w.Header().Get("Retry-After"); got != retry {
		t.Fatalf("Retry-After %q, want %q (%s)", got, retry, w.Body)
	}
	return true
}

// secondsFor is the Retry-After of a limit just crossed: one request's
// share of a minute, rounded up.
func secondsFor(l httpapi.Limit) string {
	return strconv.Itoa(int(max(1, (60+l.PerMinute-1)/l.PerMinute)))
}

// TestLimitsPerAddress: each limited route lets one client address make
// its limit's burst of calls, then answers 429 "rate-limited" with
// Retry-After before reading anything; another address is not affected,
// nor is another address in the same IPv4 /24, but one in the same IPv6
// /64 is; after Retry-After seconds on the clock one more goes through.
func TestLimitsPerAddress(t *testing.T) {
	d := httpapi.DefaultLimits
	for _, tc := range []struct {
		path   string
		limit  httpapi.Limit
		signed bool
	}{
		{"/v1/signin", d.SignInPerIP, false},
		{"/v1/login/begin", d.SignInPerIP, false},
		{"/v1/login/finish", d.SignInPerIP, false},
		{"/v1/signup", d.SignUpPerIP, false},
		{"/v1/signup/confirm", d.SignUpPerIP, false},
		{"/v1/verifications/x/complete", d.VerifyPerIP, true},
		{"/v1/passkey-verifications/finish", d.VerifyPerIP, true},
		{"/v1/enrollments", d.EnrollPerIP, true},
		{"/api/enrollments", d.EnrollPerIP, true},
		{"/v1/enrollments/x/confirm", d.CodePerIP, true},
		{"/api/enrollments/x/confirm", d.CodePerIP, true},
		{"/api/phone/open", d.PhonePerIP, false},
		{"/api/phone/wait", d.PhonePerIP, false},
		{"/api/phone/options", d.PhonePerIP, false},
		{"/api/phone/result", d.PhonePerIP, false},
		{"/v1/phone-signins", d.SignInPerIP, false},
		{"/api/phone/signin/open", d.PhonePerIP, false},
		{"/api/phone/signin/options", d.CodePerIP, false},
		{"/api/phone/signin/finish", d.PhonePerIP, false},
		{"/api/phone/approval/open", d.PhonePerIP, false},
		{"/api/phone/approval/options", d.PhonePerIP, false},
		{"/api/phone/approval/finish", d.PhonePerIP, false},
		{"/api/phone/approval/deny", d.PhonePerIP, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			f := newLimitFixture(t)
			retry := secondsFor(tc.limit)
			// A session per call, so only the address's limit counts;
			// an empty body, refused by the call after the limit.
			token := func(i int) string {
				if !tc.signed {
					return ""
				}
				return fmt.Sprint("session-", i)
			}
			const ip = "198.51.100.7"
			for i := range tc.limit.Burst {
				if w := f.do("POST", tc.path, ip, token(i), `{}`); limited(t, w, retry) {
					t.Fatalf("call %d of a burst of %d: %s", i+1, tc.limit.Burst, w.Body)
				}
			}
			if w := f.do("POST", tc.path, ip, token(-1), `{}`); !limited(t, w, retry) {
				t.Fatalf("over the burst: %d %s", w.Code, w.Body)
			}
			if w := f.do("POST", tc.path, "198.51.100.8", token(-2), `{}`); limited(t, w, retry) {
				t.Fatal("another address was limited")
			}
			f.clock.Advance(time.Duration(float64(time.Minute)/tc.limit.PerMinute) + time.Millisecond)
			if w := f.do("POST", tc.path, ip, token(-3), `{}`); limited(t, w, retry) {
				t.Fatalf("no call after the limit's refill: %s", w.Body)
			}
			if w := f.do("POST", tc.path, ip, token(-4), `{}`); !limited(t, w, retry) {
				t.Fatalf("two calls after one refill: %d %s", w.Code, w.Body)
			}
		})
	}

	// IPv6: one /64 is one client.
	f := newLimitFixture(t)
	for i := range d.SignInPerIP.Burst {
		if w := f.do("POST", "/v1/login/begin", fmt.Sprintf("2001:db8:1:2::%x", i+1), "", `{}`); limited(t, w, "2") {
			t.Fatalf("call %d: %s", i+1, w.Body)
		}
	}
	if w := f.do("POST", "/v1/login/begin", "2001:db8:1:2:ffff::1", "", `{}`); !limited(t, w, "2") {
		t.Fatalf("another address in the /64: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/v1/login/begin", "2001:db8:1:3::1", "", `{}`); limited(t, w, "2") {
		t.Fatal("the next /64 was limited")
	}
}

// TestSignInLimitPerEmail: sign-in and passkey login by one email share
// a limit of DefaultLimits.SignInPerEmail, whatever the address, the
// case and the spaces around it; another email is not affected.
func TestSignInLimitPerEmail(t *testing.T) {
	f := newLimitFixture(t)
	lim := httpapi.DefaultLimits.SignInPerEmail
	retry := secondsFor(lim)
	spellings := []string{"ann@example.com", " ANN@example.com", "Ann@Example.COM "}
	for i := range lim.Burst {
		path, body := "/v1/signin", fmt.Sprintf(`{"Email":%q,"Password":"wrong one","Code":"000000"}`, spellings[i%3])
		if i%2 == 1 {
			path, body = "/v1/login/begin", fmt.Sprintf(`{"Email":%q}`, spellings[i%3])
		}
		w := f.do("POST", path, fmt.Sprint("198.51.100.", i), "", body)
		if limited(t, w, retry) {
			t.Fatalf("attempt %d of %d: %s", i+1, lim.Burst, w.Body)
		}
	}
	w := f.do("POST", "/v1/signin", "203.0.113.1", "", `{"Email":"ann@EXAMPLE.com","Password":"`+"correct horse battery staple"+`","Code":"000000"}`)
	if !limited(t, w, retry) {
		t.Fatalf("over the limit, from another address: %d %s", w.Code, w.Body)
	}
	if strings.Contains(strings.ToLower(w.Body.String()), "ann@") {
		t.Fatalf("the refusal shows the email: %s", w.Body)
	}
	if w := f.do("POST", "/v1/login/begin", "203.0.113.1", "", `{"Email":"bob@example.com"}`); w.Code != 200 {
		t.Fatalf("another account: %d %s", w.Code, w.Body)
	}
	// A passkey login that names no account is limited by address only.
	for i := range 2 * lim.Burst {
		if w := f.do("POST", "/v1/login/begin", fmt.Sprint("192.0.2.", i), "", `{"Email":""}`); w.Code != 200 {
			t.Fatalf("login %d with no email: %d %s", i+1, w.Code, w.Body)
		}
	}
	f.clock.Advance(time.Duration(float64(time.Minute)/lim.PerMinute) + time.Millisecond)
	if w := f.do("POST", "/v1/login/begin", "203.0.113.2", "", `{"Email":"ann@example.com"}`); w.Code != 200 {
		t.Fatalf("after the refill: %d %s", w.Code, w.Body)
	}
}

// TestLimitsPerSession: verification completes, a new authenticator
// app's first code, code confirms and enrollment begins are limited per
// session, whatever the address;
// another session is not affected.
func TestLimitsPerSession(t *testing.T) {
	d := httpapi.DefaultLimits
	for _, tc := range []struct {
		path  string
		limit httpapi.Limit
	}{
		{"/v1/verifications/x/complete", d.VerifyPerSession},
		{"/v1/passkey-verifications/finish", d.VerifyPerSession},
		{"/v1/authenticator/confirm", d.VerifyPerSession},
		{"/v1/enrollments", d.EnrollPerSession},
		{"/api/enrollments", d.EnrollPerSession},
		{"/v1/enrollments/x/confirm", d.CodePerSession},
		{"/api/enrollments/x/confirm", d.CodePerSession},
	} {
		t.Run(tc.path, func(t *testing.T) {
			f := newLimitFixture(t)
			retry := secondsFor(tc.limit)
			tok := f.u.Session.Token
			for i := range tc.limit.Burst {
				if w := f.do("POST", tc.path, fmt.Sprint("198.51.100.", i), tok, `{}`); limited(t, w, retry) || w.Code == 401 {
					t.Fatalf("call %d of %d: %d %s", i+1, tc.limit.Burst, w.Code, w.Body)
				}
			}
			if w := f.do("POST", tc.path, "203.0.113.1", tok, `{}`); !limited(t, w, retry) {
				t.Fatalf("over the limit: %d %s", w.Code, w.Body)
			}
			if w := f.do("POST", tc.path, "203.0.113.1", f.bob.Session.Token, `{}`); limited(t, w, retry) {
				t.Fatal("another session was limited")
			}
			f.clock.Advance(time.Duration(float64(time.Minute)/tc.limit.PerMinute) + time.Millisecond)
			if w := f.do("POST", tc.path, "203.0.113.2", tok, `{}`); limited(t, w, retry) {
				t.Fatal("no call after the refill")
			}
		})
	}
}

// TestLimitsHoldUnderConcurrency: many calls at once over a real server
// get exactly the burst through, from one address and for one email.
func TestLimitsHoldUnderConcurrency(t *testing.T) {
	f := newLimitFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	const n = 40
	run := func(client func(i int) string, body func(i int) string) (through, refused int) {
		codes := make(chan int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", srv.URL+"/v1/signin", strings.NewReader(body(i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Client", client(i))
				<-start
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				codes <- res.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		close(codes)
		for c := range codes {
			if c == 429 {
				refused++
			} else {
				through++
			}
		}
		return through, refused
	}
	ip := httpapi.DefaultLimits.SignInPerIP.Burst
	if through, refused := run(func(int) string { return "198.51.100.1" },
		func(i int) string {
			return fmt.Sprintf(`{"Email":"u%d@example.com","Password":"x","Code":"000000"}`, i)
		}); through != ip || refused != n-ip {
		t.Fatalf("one address: %d through, %d refused; want %d and %d", through, refused, ip, n-ip)
	}
	email := httpapi.DefaultLimits.SignInPerEmail.Burst
	if through, refused := run(func(i int) string { return fmt.Sprint("203.0.113.", i) },
		func(int) string { return `{"Email":"bob@example.com","Password":"x","Code":"000000"}` }); through != email || refused != n-email {
		t.Fatalf("one email: %d through, %d refused; want %d and %d", through, refused, email, n-email)
	}
}

// TestLimitsSettableAndOff: Config.Limits replaces a default; with
// RateLimitsOff nothing is limited.
func TestLimitsSettableAndOff(t *testing.T) {
	f := newFixture(t)
	h, err := httpapi.New(f.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: f.clock.Now,
		Limits: httpapi.Limits{SignUpPerIP: httpapi.Limit{PerMinute: 1, Burst: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	lf := &limitFixture{fixture: f}
	for i := range 2 {
		if w := lf.do("POST", "/v1/signup", "", "", `{}`); limited(t, w, "60") {
			t.Fatalf("sign-up %d: %s", i+1, w.Body)
		}
	}
	if w := lf.do("POST", "/v1/signup", "", "", `{}`); !limited(t, w, "60") {
		t.Fatalf("third sign-up: %d %s", w.Code, w.Body)
	}

	off, err := httpapi.New(f.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: f.clock.Now, RateLimitsOff: true})
	if err != nil {
		t.Fatal(err)
	}
	f.h = off
	for i := range 100 {
		if w := lf.do("POST", "/v1/login/begin", "", "", `{"Email":"ann@example.com"}`); w.Code != 200 {
			t.Fatalf("login %d with the limits off: %d %s", i+1, w.Code, w.Body)
		}
	}
	for i := range 3 * httpapi.DefaultApprovalBurst {
		if w := lf.do("POST", "/v1/approvals", "", account.APIKeyPrefix+"made-up", withdrawalBody); w.Code == 429 {
			t.Fatalf("approval request %d with the limits off: %s", i+1, w.Body)
		}
	}
}
