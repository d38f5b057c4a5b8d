package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// stream answers with server-sent events: run sends them until it
// returns, a comment pings every 15 s meanwhile so proxies keep the
// connection, and the end tells a client that reconnects when to.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, run func(send func(event string, v any) error)) {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // the server's WriteTimeout would cut the stream
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	var mu sync.Mutex
	write := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
		return rc.Flush()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		ping := time.NewTicker(15 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ping.C:
				if write(": ping\n\n") != nil {
					return
				}
			case <-done:
				return
			}
		}
	}()
	run(func(event string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return write(fmt.Sprintf("event: %s\ndata: %s\n\n", event, data))
	})
	write("retry: 1000\n\n")
}

// streamToken checks an event stream's request: not from another origin,
// with a session. It answers the refusal itself and returns false.
func (h *Handler) streamToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	if o := r.Header.Get("Origin"); o != "" && o != h.origin {
		writeError(w, http.StatusForbidden, "cross-origin", "cross-origin requests are refused")
		return "", false
	}
	token := bearer(r)
	if token == "" {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "sign in first (Authorization: Bearer)")
		return "", false
	}
	return token, true
}
