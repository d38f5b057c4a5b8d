package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// resolver looks up a host name's addresses; *net.Resolver is one. The
// tests give their own.
type resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// lookupTimeout bounds the lookup of a host name that must be loopback.
const lookupTimeout = 5 * time.Second

// loopbackAddrs returns the addresses of host when it is a loopback host:
// a loopback IP literal, or a name that resolves to at least one address,
// all of them loopback. A name that merely looks local ("localhost",
// "x.localhost") counts only by what it resolves to: the system resolver
// may send it to DNS, which can answer anything.
func loopbackAddrs(r resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !ip.Unmap().IsLoopback() {
			return nil, fmt.Errorf("%s is not a loopback address", host)
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("%s does not resolve: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s resolves to no address", host)
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		if out[i] = a.Unmap(); !out[i].IsLoopback() {
			return nil, fmt.Errorf("%s resolves to %s, which is not a loopback address", host, out[i])
		}
	}
	return out, nil
}

// bindAddr picks the address to listen on among a loopback host's: IPv4
// first, as browsers try 127.0.0.1 for localhost before ::1.
func bindAddr(addrs []netip.Addr) netip.Addr {
	for _, a := range addrs {
		if a.Is4() {
			return a
		}
	}
	return addrs[0]
}

var _ resolver = net.DefaultResolver
