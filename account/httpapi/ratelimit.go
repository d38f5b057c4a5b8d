package httpapi

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The default limit on approval requests per API key: on average
// DefaultApprovalRate a second, DefaultApprovalBurst at once.
const (
	DefaultApprovalRate  = 10
	DefaultApprovalBurst = 20
)

// maxTrackedKeys bounds how many API keys' limiters are kept. Past it, the
// limiters that have filled up again (the same as new ones) are dropped,
// and if that is not enough, all are: a flood of made-up keys cannot grow
// the map without end.
const maxTrackedKeys = 10000

// keyLimiter is a token bucket per API key, keyed by the key's SHA-256 so
// no secret is held in memory longer than a request.
type keyLimiter struct {
	every rate.Limit
	burst int
	now   func() time.Time

	mu   sync.Mutex
	keys map[[sha256.Size]byte]*rate.Limiter
}

func newKeyLimiter(perSecond float64, burst int, now func() time.Time) *keyLimiter {
	if perSecond <= 0 {
		perSecond = DefaultApprovalRate
	}
	if burst <= 0 {
		burst = DefaultApprovalBurst
	}
	if now == nil {
		now = time.Now
	}
	return &keyLimiter{every: rate.Limit(perSecond), burst: burst, now: now, keys: make(map[[sha256.Size]byte]*rate.Limiter)}
}

// take spends one request of key's allowance: 0 when it may go ahead,
// otherwise how long until it may.
func (l *keyLimiter) take(key string) time.Duration {
	id := sha256.Sum256([]byte(key))
	now := l.now()
	l.mu.Lock()
	lim := l.keys[id]
	if lim == nil {
		if len(l.keys) >= maxTrackedKeys {
			l.forget(now)
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.keys[id] = lim
	}
	l.mu.Unlock()
	if lim.AllowN(now, 1) {
		return 0
	}
	missing := 1 - lim.TokensAt(now)
	return time.Duration(math.Ceil(missing / float64(l.every) * float64(time.Second)))
}

// forget drops the limiters that are full again, or all when they all
// are in use. Called with mu held.
func (l *keyLimiter) forget(now time.Time) {
	for id, lim := range l.keys {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.keys, id)
		}
	}
	if len(l.keys) >= maxTrackedKeys {
		clear(l.keys)
	}
}

// limitedError is a request refused by a rate limit; the client may try
// again after wait.
type limitedError struct{ wait time.Duration }

func (e *limitedError) Error() string {
	return fmt.Sprintf("too many approval requests with this API key: try again in %d s", retryAfter(e.wait))
}

// retryAfter is a wait as a Retry-After header's whole seconds, at least 1.
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// setRetryAfter sets Retry-After on an answer refused by a rate limit.
func setRetryAfter(w http.ResponseWriter, e *limitedError) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(e.wait)))
}
