package main_test

import (
	"net/http"
	"strings"
	"testing"
)

// loginBegin posts a passkey login's first call as a client a proxy on
// this machine forwards for.
func loginBegin(t *testing.T, in *instance, forwardedFor string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", in.addr+"/v1/login/begin", strings.NewReader(`{"Email":""}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestRateLimitsCountTheForwardedClient: behind a trusted proxy, the
// sign-in limit counts the client the proxy names: past its burst of 10
// one client gets 429 with Retry-After, another behind the same proxy
// does not. With --no-rate-limits nothing is limited.
func TestRateLimitsCountTheForwardedClient(t *testing.T) {
	in := start(t, nil, "--data-dir", t.TempDir(), "--trusted-proxies", "127.0.0.1/32")
	defer in.stop()
	for i := range 10 {
		if res := loginBegin(t, in, "203.0.113.5"); res.StatusCode != 200 {
			t.Fatalf("call %d of the burst: %d", i+1, res.StatusCode)
		}
	}
	// The limit refills 30 a minute on the real clock: a slow machine may
	// earn one more call, not ten.
	limited := false
	for range 10 {
		if res := loginBegin(t, in, "203.0.113.5"); res.StatusCode == 429 {
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("20 sign-in calls from one client, none limited")
	}
	if res := loginBegin(t, in, "203.0.113.6"); res.StatusCode != 200 {
		t.Fatalf("another client behind the proxy: %d", res.StatusCode)
	}

	off := start(t, nil, "--data-dir", t.TempDir(), "--no-rate-limits")
	defer off.stop()
	for i := range 40 {
		if res := loginBegin(t, off, "203.0.113.5"); res.StatusCode != 200 {
			t.Fatalf("call %d with the limits off: %d", i+1, res.StatusCode)
		}
	}
}
