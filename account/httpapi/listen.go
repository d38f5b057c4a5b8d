package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// ListenLoopback serves h on addr, which must be a loopback address
// ("127.0.0.1:8787", "[::1]:0", "localhost:8787"; port 0 picks a free
// one), in a goroutine. A host name counts only when every address it
// resolves to is loopback, and the server listens on one of those
// addresses (IPv4 first), not on the name, so no later lookup can move
// it. It returns the server (stop it with Shutdown or Close) and the
// address it listens on. The server's timeouts suit the page and its JSON
// calls; the event stream lifts its own write deadline.
func ListenLoopback(addr string, h http.Handler) (*http.Server, net.Addr, error) {
	return listenLoopback(addr, h, net.DefaultResolver)
}

// listenLoopback is ListenLoopback with the resolver of the loopback
// check.
func listenLoopback(addr string, h http.Handler, r resolver) (*http.Server, net.Addr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: listen address %q: %w", addr, err)
	}
	addrs, err := loopbackAddrs(r, host)
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: listen address %q is not loopback: %w", addr, err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bindAddr(addrs).String(), port))
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go srv.Serve(ln) // returns http.ErrServerClosed after Shutdown or Close
	return srv, ln.Addr(), nil
}
