package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// BenchmarkApprovalRequestsHTTP posts withdrawal requests to
// POST /v1/approvals over loopback TCP (ListenLoopback, keep-alive
// clients, 4 per GOMAXPROCS) against the service on a SQLite file, and
// reports the requests accepted per second. Each one is validated, its
// API key looked up, the hold and the cap of pending approvals checked,
// and the approval, the key's last use and the event written in one
// transaction. Each client has an API key of its own, each request lives
// 30 s, and the service's clock (which the handler's rate limit runs on
// too) moves 30 s before each, so neither the cap nor the rate limit
// refuses any: what is measured is the work of a request, not the limits.
func BenchmarkApprovalRequestsHTTP(b *testing.B) {
	fx := newApprovalFixture(b)
	body := strings.Replace(withdrawalBody, "{", `{"expiresInSeconds":30,`, 1)
	srv, addr, err := httpapi.ListenLoopback("127.0.0.1:0", fx.h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	url := "http://" + addr.String() + "/v1/approvals"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	var accepted atomic.Int64
	b.SetParallelism(4)
	keyGrant := fx.u.Grant(b, account.PurposeCreateAPIKey) // good for every client's key
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		// A key per client: the clock moves before each of its
		// requests, so its earlier ones have expired and the key is
		// never near the cap, however many clients run.
		k, err := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, keyGrant, "backend")
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			fx.clock.Advance(30 * time.Second)
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+k.Secret)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			accepted.Add(1)
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(accepted.Load())/elapsed.Seconds(), "req/s")
}
