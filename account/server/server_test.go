package server_test

import (
	"net/http/httptest"
	"testing"

	"github.com/passkeydesk/passkeydesk/account/server"
)

// TestClientAddrBelievesOnlyTrustedProxies: X-Forwarded-For names the
// client only when the peer is a trusted proxy, and a forged hop a client
// put in front of the header is not believed.
func TestClientAddrBelievesOnlyTrustedProxies(t *testing.T) {
	trusted, err := server.ParsePrefixes("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, xff, want string
	}{
		{"no proxy", "198.51.100.4:5000", "", "198.51.100.4"},
		{"untrusted peer's header ignored", "198.51.100.4:5000", "203.0.113.9", "198.51.100.4"},
		{"trusted proxy", "10.1.2.3:443", "203.0.113.9", "203.0.113.9"},
		{"forged first hop", "10.1.2.3:443", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		{"two trusted hops", "192.0.2.7:80", "203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"garbage hop stops the walk", "10.1.2.3:443", "203.0.113.9, junk", "10.1.2.3"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := server.ClientAddr(r, trusted); got != tc.want {
			t.Errorf("%s: ClientAddr = %s, want %s", tc.name, got, tc.want)
		}
	}
}
