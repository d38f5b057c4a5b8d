package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// post sends an approval request with key to h.
func post(h http.Handler, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/v1/approvals", strings.NewReader(withdrawalBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestApprovalRateLimitAndCap: with the default limits on the service's
// clock, one API key gets its burst of 20 at once and then 429
// "rate-limited" with Retry-After; once time has passed the limiter lets
// the next through to the service, whose cap of pending approvals answers
// 429 "too-many-pending". Another key has its own allowance.
func TestApprovalRateLimitAndCap(t *testing.T) {
	fx := newApprovalFixture(t)
	h, err := httpapi.New(fx.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: fx.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// The identity check for more keys comes first: it moves the clock.
	keyGrant := fx.u.Grant(t, account.PurposeCreateAPIKey)
	for i := range httpapi.DefaultApprovalBurst {
		if w := post(h, fx.key); w.Code != 201 {
			t.Fatalf("request %d within the burst: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := post(h, fx.key)
	if w.Code != 429 || errorWord(t, w) != "rate-limited" || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d %s, Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	other, err := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, keyGrant, "second backend")
	if err != nil {
		t.Fatal(err)
	}
	if w := post(h, other.Secret); w.Code != 201 {
		t.Fatalf("another key: %d %s", w.Code, w.Body)
	}

	fx.clock.Advance(time.Second / httpapi.DefaultApprovalRate)
	w = post(h, fx.key)
	if w.Code != 429 || errorWord(t, w) != "too-many-pending" || !strings.Contains(w.Body.String(), "decided or have expired") {
		t.Fatalf("over the cap of pending approvals: %d %s", w.Code, w.Body)
	}
	if w := post(h, fx.key); w.Code != 429 || errorWord(t, w) != "rate-limited" {
		t.Fatalf("the refused request was not counted: %d %s", w.Code, w.Body)
	}
	if list, _ := fx.svc.PendingApprovals(ctx, fx.u.Session.Token); len(list) != account.MaxPendingApprovals+1 {
		t.Fatalf("%d pending; want %d", len(list), account.MaxPendingApprovals+1)
	}

	// A slower limit: its wait, rounded up to whole seconds.
	slow, err := httpapi.New(fx.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: fx.clock.Now, ApprovalRate: 0.2, ApprovalBurst: 1})
	if err != nil {
		t.Fatal(err)
	}
	third, _ := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, keyGrant, "third backend")
	if w := post(slow, third.Secret); w.Code != 201 {
		t.Fatalf("first request: %d %s", w.Code, w.Body)
	}
	fx.clock.Advance(2 * time.Second)
	if w := post(slow, third.Secret); w.Code != 429 || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("second request: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}

// TestApprovalCapConcurrentOverHTTP: many requests with one key at once,
// over a real server, with a rate limit that lets them all through:
// exactly account.MaxPendingApprovals get 201, the others 429
// "too-many-pending".
func TestApprovalCapConcurrentOverHTTP(t *testing.T) {
	fx := newApprovalFixture(t)
	h, err := httpapi.New(fx.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: fx.clock.Now, ApprovalRate: 1000, ApprovalBurst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	const n = account.MaxPendingApprovals + 10
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", srv.URL+"/v1/approvals", strings.NewReader(withdrawalBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+fx.key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[201] != account.MaxPendingApprovals || got[429] != n-account.MaxPendingApprovals {
		t.Fatalf("statuses %v; want %d × 201 and %d × 429", got, account.MaxPendingApprovals, n-account.MaxPendingApprovals)
	}
}
