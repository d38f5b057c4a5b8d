package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// fakeResolver answers host names from a table, as DNS might: anything.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range ips {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

var dns = fakeResolver{
	"localhost":        {"::ffff:127.0.0.1"},
	"x.localhost":      {"93.184.216.34"}, // a DNS server's answer for a name that looks local
	"mixed.localhost":  {"127.0.0.1", "10.0.0.7"},
	"empty.localhost":  {},
	"v6.localhost":     {"::1"},
	"both.localhost":   {"::1", "127.0.0.1"},
	"public.example":   {"127.0.0.1"},
	"lan.example.test": {"192.168.1.20"},
}

// TestLoopbackIsWhatAHostResolvesTo: a host counts as loopback when it is
// a loopback IP, or when every address its name resolves to (at least
// one) is loopback; a name that only looks local does not.
func TestLoopbackIsWhatAHostResolvesTo(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true}, {"::ffff:127.0.0.1", true},
		{"localhost", true}, {"v6.localhost", true}, {"both.localhost", true}, {"public.example", true},
		{"x.localhost", false}, {"mixed.localhost", false}, {"empty.localhost", false}, {"unknown.localhost", false},
		{"0.0.0.0", false}, {"::", false}, {"10.0.0.7", false}, {"lan.example.test", false},
	} {
		_, err := loopbackAddrs(dns, tc.host)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v; want loopback %v", tc.host, err, tc.ok)
		}
	}
	for url, ok := range map[string]bool{
		"http://localhost:8787":       true,
		"http://x.localhost:8787":     false,
		"http://mixed.localhost:8787": false,
		"http://[::1]:8787":           true,
		"https://x.localhost":         true, // TLS does not rely on the host being this machine
	} {
		if _, err := checkOrigin(url, dns); (err == nil) != ok {
			t.Errorf("public URL %s: %v; want accepted %v", url, err, ok)
		}
	}
}

// TestListenLoopbackBindsTheResolvedAddress: a listen address by name is
// refused unless the name is loopback through and through, and then the
// server listens on the address, not the name.
func TestListenLoopbackBindsTheResolvedAddress(t *testing.T) {
	for _, addr := range []string{"x.localhost:0", "mixed.localhost:0", "unknown.localhost:0", "0.0.0.0:0", "lan.example.test:0"} {
		if srv, _, err := listenLoopback(addr, http.NotFoundHandler(), dns); err == nil {
			srv.Close()
			t.Errorf("listened on %s", addr)
		} else if !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("%s: %v", addr, err)
		}
	}
	srv, at, err := listenLoopback("both.localhost:0", http.NotFoundHandler(), dns)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tcp, ok := at.(*net.TCPAddr)
	if !ok || !tcp.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("listening on %v; want 127.0.0.1", at)
	}
	res, err := http.Get("http://" + at.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var dnsErr *net.DNSError
	if _, err := loopbackAddrs(dns, "unknown.localhost"); !errors.As(err, &dnsErr) {
		t.Fatalf("the lookup's failure is not kept: %v", err)
	}
}
