// Package server runs the account service's HTTP face (package httpapi)
// as a network server: every request gets an ID, a JSON log line and
// Prometheus metrics; GET /healthz says the process is alive, GET /readyz
// that the database answers with the schema this build expects, GET
// /metrics gives the metrics in Prometheus text format. Run serves until
// its context ends, then stops accepting, ends event streams (with a retry
// hint), and waits a bounded time for calls in flight.
//
// It links neither the GUI toolkit nor the key stack, and needs no cgo.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures a Server.
type Config struct {
	// Listen is the address to listen on, such as ":8787" or
	// "127.0.0.1:0".
	Listen string
	// TLSCertFile and TLSKeyFile, both or neither, make the server speak
	// HTTPS itself; without them it expects a TLS proxy in front.
	TLSCertFile, TLSKeyFile string
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// telling a request's client address.
	TrustedProxies []netip.Prefix
	// Ready reports whether the service can serve (the database answers,
	// its schema is current); nil means always.
	Ready func(context.Context) error
	// ShutdownTimeout bounds the wait for calls in flight when stopping;
	// 0 means 10 s.
	ShutdownTimeout time.Duration
	// Logger receives one JSON line per request; nil means slog.Default().
	Logger *slog.Logger
	// Registry is where the metrics are registered and gathered from; nil
	// means a new one with the Go runtime and process collectors.
	Registry *prometheus.Registry
	// Collectors are more metrics to serve, such as the database pool's.
	Collectors []prometheus.Collector
}

// Server is the account service's network server.
type Server struct {
	cfg     Config
	api     http.Handler
	log     *slog.Logger
	reg     *prometheus.Registry
	metrics *metrics
	mux     *http.ServeMux
}

// New wraps api (an httpapi.Handler) in a server.
func New(api http.Handler, cfg Config) (*Server, error) {
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("server: give both a TLS certificate and its key, or neither")
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, api: api, log: cfg.Logger, reg: cfg.Registry, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cfg.Collectors {
		if err := s.reg.Register(c); err != nil {
			return nil, err
		}
	}
	m, err := newMetrics(s.reg)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.mux.Handle("/", api)
	return s, nil
}

// CountCeremony counts one call that ended a ceremony, by its outcome:
// give it to httpapi.Config.Ceremony.
func (s *Server) CountCeremony(ceremony, outcome string) {
	s.metrics.ceremonies.WithLabelValues(ceremony, outcome).Inc()
}

// Handler is the whole server as an http.Handler: the operations routes,
// the API, and the request ID, log and metrics around every request.
func (s *Server) Handler() http.Handler { return s.observe(s.mux) }

// Run listens on cfg.Listen and serves until ctx ends; then it stops
// gracefully. started, when not nil, gets the address listened on once
// the listener is open.
func (s *Server) Run(ctx context.Context, started func(net.Addr)) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	// Every request's context ends when stopping begins, so event
	// streams end at once instead of holding the shutdown open.
	base, stopStreams := context.WithCancel(context.Background())
	defer stopStreams()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if started != nil {
		started(ln.Addr())
	}
	served := make(chan error, 1)
	go func() {
		if s.cfg.TLSCertFile != "" {
			served <- srv.ServeTLS(ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.log.Info("stopping", "grace", s.cfg.ShutdownTimeout.String())
	stopStreams()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("stopping: calls still in flight after %s were cut", s.cfg.ShutdownTimeout)
	}
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.WarnContext(r.Context(), "not ready", "err", err)
			plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	plain(w, http.StatusOK, "ready")
}

func plain(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, text)
}

// --- request IDs, logs and metrics ---------------------------------------------------

type ctxKey struct{}

// RequestID returns the ID of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// requestID keeps a caller's X-Request-ID when it is short and plain, and
// makes one otherwise.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); len(id) > 0 && len(id) <= 64 && strings.Trim(id,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return id
	}
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter remembers the status a handler wrote, and calls
// onStream when the answer turns out to be an event stream.
type statusWriter struct {
	http.ResponseWriter
	status   int
	onStream func()
	stream   bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if code == http.StatusOK && strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
			w.stream = true
			w.onStream()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and the deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an ID, and logs and counts it by its route
// pattern. The path itself is never logged: a phone link's token travels
// in it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-ID", id)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		var streams prometheus.Gauge
		sw := &statusWriter{ResponseWriter: w, onStream: func() {
			// The pattern is known once the mux has matched, before
			// the handler writes.
			streams = s.metrics.streams.WithLabelValues(r.Pattern)
			streams.Inc()
		}}
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		next.ServeHTTP(sw, r)
		if sw.stream {
			streams.Dec()
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		// ServeMux sets the pattern it matched on the request it was given.
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(route, fmt.Sprint(sw.status)).Inc()
		s.metrics.latency.WithLabelValues(route).Observe(elapsed.Seconds())
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000),
			slog.String("client", s.clientAddr(r)))
	})
}

// clientAddr is the request's peer, or the address a trusted proxy says
// it forwarded for.
func (s *Server) clientAddr(r *http.Request) string {
	return ClientAddr(r, s.cfg.TrustedProxies)
}

// ClientAddr is the address of the client that made r: its peer address,
// unless the peer is one of trusted, in which case the right-most address
// of X-Forwarded-For that is not itself trusted.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a comma-separated list of CIDRs or addresses.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// WithRequestIDs wraps a log handler so that every record logged with a
// request's context carries its request_id.
func WithRequestIDs(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" && r.Message != "request" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
