package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestEventStreamCapPerSession: of many event streams one session opens
// at once, exactly account.MaxWatchesPerSession get 200 and the others
// 429 "too-many-watches"; closing one lets another in.
func TestEventStreamCapPerSession(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	open := func() *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/api/enrollments/"+f.enr.ID+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+f.u.Session.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		return res
	}
	const n = account.MaxWatchesPerSession + 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		streams []*http.Response
		refused int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := open()
			if res == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch res.StatusCode {
			case 200:
				streams = append(streams, res)
			case 429:
				var e struct{ Error string }
				json.NewDecoder(res.Body).Decode(&e)
				res.Body.Close()
				if e.Error != "too-many-watches" {
					t.Errorf("429 %q", e.Error)
				}
				refused++
			default:
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				t.Errorf("status %d %s", res.StatusCode, body)
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, s := range streams {
			s.Body.Close()
		}
	}()
	if len(streams) != account.MaxWatchesPerSession || refused != n-account.MaxWatchesPerSession {
		t.Fatalf("%d streams, %d refused; want %d and %d", len(streams), refused, account.MaxWatchesPerSession, n-account.MaxWatchesPerSession)
	}

	// Closing a stream ends its watch on the server and frees its place,
	// as soon as the server sees the connection go.
	streams[0].Body.Close()
	streams = streams[1:]
	for try := 0; ; try++ {
		res := open()
		if res.StatusCode == 200 {
			streams = append(streams, res)
			break
		}
		res.Body.Close()
		if res.StatusCode != 429 || try == 500 {
			t.Fatalf("after closing a stream: status %d on try %d", res.StatusCode, try)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
