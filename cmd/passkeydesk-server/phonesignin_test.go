package main_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestPhoneSignInShowsTheForwardedClient: behind a trusted proxy the
// phone sign-in page shows the address the proxy names for the desktop;
// without one, the peer's. Neither the link nor the desktop's secret
// reaches the log.
func TestPhoneSignInShowsTheForwardedClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"behind a trusted proxy", []string{"--trusted-proxies", "127.0.0.1/32"}, "203.0.113.5"},
		{"no proxy trusted", nil, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := start(t, nil, append([]string{"--data-dir", t.TempDir()}, tc.args...)...)
			req, _ := http.NewRequest("POST", in.addr+"/v1/phone-signins", strings.NewReader(`{"Computer":"ann-laptop"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", "203.0.113.5")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var ps struct{ URL, Secret string }
			err = json.NewDecoder(res.Body).Decode(&ps)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("begin: %d, %v", res.StatusCode, err)
			}
			_, link, _ := strings.Cut(ps.URL, "#")
			req, _ = http.NewRequest("POST", in.addr+"/api/phone/signin/open", strings.NewReader(`{"link":"`+link+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", "http://localhost:8787")
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var page struct{ Computer, Address string }
			err = json.NewDecoder(res.Body).Decode(&page)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || page.Computer != "ann-laptop" || page.Address != tc.want {
				t.Fatalf("the page: %d %+v, %v; want address %s", res.StatusCode, page, err, tc.want)
			}
			in.stop()
			if log := in.log(); strings.Contains(log, link) || strings.Contains(log, ps.Secret) {
				t.Fatalf("the log holds the link or the secret:\n%s", log)
			}
		})
	}
}
