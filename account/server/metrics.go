package server

import "github.com/prometheus/client_golang/prometheus"

// metrics are the server's own Prometheus metrics.
type metrics struct {
	requests *prometheus.CounterVec   // by route pattern and status
	latency  *prometheus.HistogramVec // by route pattern
	inFlight prometheus.Gauge         // event streams included
	streams  *prometheus.GaugeVec     // open event streams, by route pattern
	// ceremonies counts the calls that end a ceremony, by ceremony and
	// outcome (see httpapi.Config.Ceremony).
	ceremonies *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passkeydesk_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passkeydesk_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern (event streams: their whole life).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60, 600},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "passkeydesk_http_requests_in_flight",
			Help: "HTTP requests being answered now, open event streams included.",
		}),
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "passkeydesk_event_streams_open",
			Help: "Server-sent event streams open now, by route pattern.",
		}, []string{"route"}),
		ceremonies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "passkeydesk_ceremonies_total",
			Help: "Calls that end a ceremony (sign-in, registration, approval, …), by ceremony and outcome: ok, or the error code answered.",
		}, []string{"ceremony", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.inFlight, m.streams, m.ceremonies} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
