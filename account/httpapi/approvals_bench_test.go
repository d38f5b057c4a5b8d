package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// BenchmarkApprovalRequestsHTTP posts withdrawal requests to
// POST /v1/approvals over loopback TCP (ListenLoopback, keep-alive
// clients, 4 per GOMAXPROCS) against the service on a SQLite file, and
// reports the requests accepted per second. Each one is validated, its
// API key looked up, the hold checked, and the approval, the key's last
// use and the event written in one transaction.
func BenchmarkApprovalRequestsHTTP(b *testing.B) {
	fx := newApprovalFixture(b)
	srv, addr, err := httpapi.ListenLoopback("127.0.0.1:0", fx.h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	url := "http://" + addr.String() + "/v1/approvals"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	var accepted atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, strings.NewReader(withdrawalBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+fx.key)
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
