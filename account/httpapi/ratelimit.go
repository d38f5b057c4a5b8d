package httpapi

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/passkeydesk/passkeydesk/account"
)

// The default limit on approval requests per API key: on average
// DefaultApprovalRate a second, DefaultApprovalBurst at once.
const (
	DefaultApprovalRate  = 10
	DefaultApprovalBurst = 20
)

// Limit is a token bucket: Burst requests at once, then PerMinute a
// minute on average. A zero field takes the default's.
type Limit struct {
	PerMinute float64
	Burst     int
}

// Limits are the limits on the calls a script would repeat to guess a
// password, a code or a link, or to flood the service. Per client IP
// (an IPv6 client by its /64) and per account: the email a sign-in
// names, the session a call carries. Each is a bucket of its own.
type Limits struct {
	// SignInPerIP: POST /v1/signin, /v1/login/begin and /v1/login/finish
	// share it. SignInPerEmail: POST /v1/signin and /v1/login/begin by
	// the email in the body.
	SignInPerIP, SignInPerEmail Limit
	// SignUpPerIP: POST /v1/signup and /v1/signup/confirm.
	SignUpPerIP Limit
	// VerifyPerIP, VerifyPerSession: POST
	// /v1/verifications/{id}/complete and
	// /v1/passkey-verifications/finish; VerifyPerSession also the new
	// authenticator app's first code (POST /v1/authenticator/confirm),
	// which needs a grant, and so a verification, first.
	VerifyPerIP, VerifyPerSession Limit
	// CodePerIP, CodePerSession: the match code a desktop confirms,
	// POST /v1/enrollments/{id}/confirm and /api/enrollments/{id}/confirm.
	CodePerIP, CodePerSession Limit
	// EnrollPerIP, EnrollPerSession: a phone enrollment begun, POST
	// /v1/enrollments and /api/enrollments.
	EnrollPerIP, EnrollPerSession Limit
	// PhonePerIP: the phone page's calls, POST /api/phone/*.
	PhonePerIP Limit
}

// DefaultLimits are the limits a Handler has unless Config.Limits says
// otherwise: room for a person who mistypes, retries and signs in on
// several computers behind one address; none for a script. The
// per-account bursts of sign-in and verification are twice
// account.MaxFailures, so that a person who keeps mistyping hears from
// the service's own lock (which says which factor and until when)
// before a 429.
var DefaultLimits = Limits{
	SignInPerIP:      Limit{PerMinute: 30, Burst: 10},
	SignInPerEmail:   Limit{PerMinute: 10, Burst: 2 * account.MaxFailures},
	SignUpPerIP:      Limit{PerMinute: 10, Burst: 10},
	VerifyPerIP:      Limit{PerMinute: 30, Burst: 10},
	VerifyPerSession: Limit{PerMinute: 10, Burst: 2 * account.MaxFailures},
	CodePerIP:        Limit{PerMinute: 30, Burst: 10},
	CodePerSession:   Limit{PerMinute: 10, Burst: 5},
	EnrollPerIP:      Limit{PerMinute: 30, Burst: 10},
	EnrollPerSession: Limit{PerMinute: 10, Burst: 5},
	// The page's wait is a long poll of about 10 s: 6 a minute per
	// phone, several phones behind one carrier's address.
	PhonePerIP: Limit{PerMinute: 120, Burst: 40},
}

// orDefault is l with its zero fields taken from d.
func (l Limit) orDefault(d Limit) Limit {
	if l.PerMinute <= 0 {
		l.PerMinute = d.PerMinute
	}
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	return l
}

// maxTrackedKeys bounds how many keys' limiters one limiter keeps. Past
// it, the limiters that have filled up again (the same as new ones) are
// dropped, and if that is not enough, all are: a flood of made-up keys
// cannot grow the map without end.
const maxTrackedKeys = 10000

// keyLimiter is a token bucket per key (an API key, a client address, an
// email, a session token), keyed by the key's SHA-256 so no secret or
// address is held in memory longer than a request. A nil keyLimiter
// limits nothing.
type keyLimiter struct {
	every rate.Limit
	burst int
	now   func() time.Time
	// what is what a refusal says is too many, "sign-in attempts from
	// this address".
	what string

	mu   sync.Mutex
	keys map[[sha256.Size]byte]*rate.Limiter
}

func newKeyLimiter(perSecond float64, burst int, now func() time.Time, what string) *keyLimiter {
	if now == nil {
		now = time.Now
	}
	return &keyLimiter{every: rate.Limit(perSecond), burst: burst, now: now, what: what, keys: make(map[[sha256.Size]byte]*rate.Limiter)}
}

// take spends one request of key's allowance: 0 when it may go ahead,
// otherwise how long until it may.
func (l *keyLimiter) take(key string) time.Duration {
	if l == nil {
		return 0
	}
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

// check is take as an error: nil, or a *limitedError.
func (l *keyLimiter) check(key string) error {
	if wait := l.take(key); wait > 0 {
		return &limitedError{wait: wait, what: l.what}
	}
	return nil
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

// limiters are a Handler's limits but the approvals'.
type limiters struct {
	signInIP, signInEmail, signUpIP *keyLimiter
	verifyIP, verifySession         *keyLimiter
	codeIP, codeSession             *keyLimiter
	enrollIP, enrollSession         *keyLimiter
	phoneIP                         *keyLimiter
}

// newLimiters makes the limiters of ls (zero fields from DefaultLimits)
// on the clock now.
func newLimiters(ls Limits, now func() time.Time) *limiters {
	d := DefaultLimits
	mk := func(l, d Limit, what string) *keyLimiter {
		l = l.orDefault(d)
		return newKeyLimiter(l.PerMinute/60, l.Burst, now, what)
	}
	return &limiters{
		signInIP:      mk(ls.SignInPerIP, d.SignInPerIP, "sign-in attempts from this address"),
		signInEmail:   mk(ls.SignInPerEmail, d.SignInPerEmail, "sign-in attempts for this account"),
		signUpIP:      mk(ls.SignUpPerIP, d.SignUpPerIP, "sign-ups from this address"),
		verifyIP:      mk(ls.VerifyPerIP, d.VerifyPerIP, "verification attempts from this address"),
		verifySession: mk(ls.VerifyPerSession, d.VerifyPerSession, "verification attempts in this session"),
		codeIP:        mk(ls.CodePerIP, d.CodePerIP, "match codes from this address"),
		codeSession:   mk(ls.CodePerSession, d.CodePerSession, "match codes in this session"),
		enrollIP:      mk(ls.EnrollPerIP, d.EnrollPerIP, "phone enrollments from this address"),
		enrollSession: mk(ls.EnrollPerSession, d.EnrollPerSession, "phone enrollments in this session"),
		phoneIP:       mk(ls.PhonePerIP, d.PhonePerIP, "calls from this address"),
	}
}

// perIP limits a route by its client's address: past lim, 429
// "rate-limited" before anything else is read.
func (h *Handler) perIP(lim *keyLimiter, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := lim.check(h.clientKey(r)); err != nil {
			h.fail(w, r, err)
			return
		}
		next(w, r)
	}
}

// perSession limits a desktop call by its session token.
func perSession(lim *keyLimiter, fn func(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error)) func(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return func(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
		if err := lim.check("session " + token); err != nil {
			return nil, err
		}
		return fn(ctx, token, w, r)
	}
}

// limitEmail spends one of an email's sign-in attempts, trimmed and in
// lower case (keyLimiter keeps only its hash). No email (a passkey
// login that names none) is not limited here: its address is.
func (h *Handler) limitEmail(email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil
	}
	return h.lim.signInEmail.check("email " + email)
}

// clientKey is the key of r's client-address limits: its address as
// Config.ClientAddr says, an IPv6 address cut to its /64 (what one
// customer is given).
func (h *Handler) clientKey(r *http.Request) string {
	a := h.clientAddr(r)
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return "addr " + a
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "addr " + p.String()
	}
	return "addr " + ip.String()
}

// peerAddr is the host of r.RemoteAddr: the client address when no proxy
// stands in front.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitedError is a request refused by a rate limit; the client may try
// again after wait.
type limitedError struct {
	wait time.Duration
	what string
}

func (e *limitedError) Error() string {
	return fmt.Sprintf("too many %s: try again in %d s", e.what, retryAfter(e.wait))
}

// retryAfter is a wait as a Retry-After header's whole seconds, at least 1.
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// setRetryAfter sets Retry-After on an answer refused by a rate limit.
func setRetryAfter(w http.ResponseWriter, e *limitedError) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(e.wait)))
}
