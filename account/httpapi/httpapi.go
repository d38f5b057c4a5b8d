// Package httpapi is the account service's HTTP face: the whole
// account.API under /v1/ for the desktop app (account/remote), the
// approvals a requester's backend asks for and follows with an API key,
// the one-time phone enrollment page with the JSON endpoints that page
// calls, the desktop's watch of an enrollment and of approvals as
// server-sent events, its OpenAPI document, and the rate limits.
//
// # Endpoints
//
// The page (served with the files of assets.PhonePage):
//
//	GET  /enroll            the page; the link token is in the fragment
//	GET  /e/{token}         the same page, token in the path
//	GET  /phone/common.js, /phone/app.js, /phone/style.css
//
// The approval page and its calls: see routesPhoneApproval.
//
// The page's JSON calls, each a POST of {"link", "device", …} from the
// page's own origin (Origin, else Sec-Fetch-Site: same-origin) with
// Content-Type application/json:
//
//	POST /api/phone/open     → {"email", "state", "expiresAt", "code"}
//	POST /api/phone/wait     {"state"} → {"email", "state", "expiresAt"}
//	POST /api/phone/options  → PublicKeyCredentialCreationOptions JSON
//	POST /api/phone/result   {"credential"} → {"state": "done", "name"}
//
// open gives the match code for the page to show while it waits to be
// confirmed (a new one each time). wait is a long poll: it answers once
// the state is no longer the one sent (the desktop confirmed the code),
// or after about 10 s with the state unchanged; the page asks again.
//
// The desktop's calls, authorised by its session (Authorization: Bearer):
//
//	POST   /api/enrollments            {"grant"} → {"id", "url", "expiresAt"}
//	GET    /api/enrollments/{id}       → status, with "browser" once a phone opened the link
//	GET    /api/enrollments/{id}/events  text/event-stream of "status" events
//	POST   /api/enrollments/{id}/confirm {"code"} → status (the code the phone shows)
//	DELETE /api/enrollments/{id}       cancel
//
// A session may have account.MaxWatchesPerSession event streams open at
// once; another gets 429 "too-many-watches".
//
// Sign in with your phone (phonesignin.go): the desktop's
// POST /v1/phone-signins and its stream GET /v1/phone-signins/{id}/events
// (opened by the sign-in's secret as Authorization: Bearer), the page
// GET /signin and its calls POST /api/phone/signin/{open,options,finish}.
//
// A requester's calls (an exchange backend asking the account owner to
// approve an operation), authorised by the account's API key
// (Authorization: Bearer pdk_…) or a server-wide service key (pdks_…,
// which names the account: "account" in the body, ?account= in the
// query); 401 "invalid-api-key" when it is missing, wrong or revoked:
//
//	POST /v1/approvals       ApprovalRequest → 201 Approval (Location: /v1/approvals/{id})
//	GET  /v1/approvals/{id}  → Approval: state, decision time, passkey, assertion
//	GET  /v1/requester/passkeys         → []RequesterPasskey: the keys to check answers with
//	GET  /v1/requester/passkeys/events  → server-sent "added" and "removed"
//
// A withdrawal or C2C trade asked for during a hold (account.RuleHold) gets 409
// "held" with "holdUntil". The approval body is limited to
// MaxApprovalBody. Each API key may ask Config.ApprovalRate times a
// second (Config.ApprovalBurst at once; 10 and 20 unless set): past that,
// 429 "rate-limited" with Retry-After. A key with
// account.MaxPendingApprovals approvals waiting gets 429
// "too-many-pending" until some are decided or expire.
//
// # Rate limits
//
// The calls a script would repeat to guess a password, a code or a link,
// or to flood the service, are limited per client address (Config.ClientAddr;
// an IPv6 client by its /64) and per account, each a token bucket
// (DefaultLimits unless Config.Limits says otherwise; a minute's rate,
// a burst at once):
//
//	sign-in: /v1/signin, /v1/login/begin, /v1/login/finish, /v1/phone-signins
//	    per address 30/min, 10 at once; per email in the body
//	    (trimmed, lower case; signin and login/begin) 10/min, 10 at once
//	sign-up: /v1/signup, /v1/signup/confirm    per address 10/min, 10 at once
//	verification: /v1/verifications/{id}/complete, /v1/passkey-verifications/finish
//	    per address 30/min, 10 at once; per session 10/min, 10 at once
//	match codes: /v1/enrollments/{id}/confirm, /api/enrollments/{id}/confirm,
//	    /api/phone/signin/options (the code typed on the phone)
//	    per address 30/min, 10 at once; per session 10/min, 5 at once
//	enrollment: POST /v1/enrollments, /api/enrollments
//	    per address 30/min, 10 at once; per session 10/min, 5 at once
//	the phone page: /api/phone/*               per address 120/min, 40 at once
//
// Past one, the call gets 429 "rate-limited" with Retry-After in whole
// seconds, rounded up, before its body is read (the email's limit after).
// The service's own lock after account.MaxFailures wrong answers comes
// first for a person who keeps mistyping.
// The limits run on Config.Now's clock and hold in memory, per Handler:
// only hashes of their keys, at most 10,000 keys per limit (the ones
// full again are forgotten first). Config.RateLimitsOff turns them all
// off, the approvals' included.
//
// Every answer carries Cache-Control: no-store, a Content-Security-Policy
// of 'self' only with frame-ancestors 'none', X-Content-Type-Options:
// nosniff and Referrer-Policy: no-referrer. Bodies are limited to
// MaxBody; each call but the event stream runs under Config.Timeout. An
// error is a 4xx (or 5xx) with {"error": word, "message": sentence}.
//
// The http.Server's own timeouts are the caller's (ListenLoopback sets
// sensible ones); the event stream clears its write deadline itself.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/apierr"
	"github.com/passkeydesk/passkeydesk/assets"
)

// MaxBody is the largest request body any endpoint reads.
const MaxBody = 64 << 10

// Config configures a Handler.
type Config struct {
	// PublicURL is the page's origin and the base of enrollment links,
	// such as "https://accounts.example.com" or "http://localhost:8787".
	// It must equal the service's Config.PublicURL.
	PublicURL string
	// Timeout bounds each call but the event stream; 0 means 15 s.
	Timeout time.Duration
	// Logger gets internal failures; nil means slog.Default().
	Logger *slog.Logger
	// ApprovalRate and ApprovalBurst limit POST /v1/approvals per API
	// key: ApprovalRate a second on average, ApprovalBurst at once; 0
	// means DefaultApprovalRate and DefaultApprovalBurst.
	ApprovalRate  float64
	ApprovalBurst int
	// Limits are the limits per client address and per account on
	// sign-in, sign-up, verification, match codes, enrollment and the
	// phone page's calls; a zero field means DefaultLimits' value.
	Limits Limits
	// RateLimitsOff turns every rate limit off, the approvals' included:
	// for benchmarks and load tests whose clients all share one address.
	RateLimitsOff bool
	// ClientAddr is the address of the client that made a request, as
	// the per-address limits count it; nil means the peer's address
	// (r.RemoteAddr). Behind a proxy, give one that believes the
	// proxy's X-Forwarded-For (server.ClientAddr).
	ClientAddr func(*http.Request) string
	// Now is the clock of the rate limits; nil means time.Now.
	Now func() time.Time
	// Ceremony, when not nil, hears the outcome of every call that ends a
	// ceremony: its name (CeremonySignUp, …) and OutcomeOK or the error
	// code of the answer. The server counts them in its metrics.
	Ceremony func(ceremony, outcome string)
}

// Handler is the HTTP API. Safe for concurrent use.
type Handler struct {
	api     account.API
	origin  string
	timeout time.Duration
	log     *slog.Logger
	mux     *mux
	page    fs.FS
	// approvals limits each API key's approval requests; nil when the
	// limits are off.
	approvals *keyLimiter
	// lim are the other rate limits, each nil when they are off.
	lim        *limiters
	clientAddr func(*http.Request) string
	// onCeremony is Config.Ceremony.
	onCeremony func(ceremony, outcome string)
}

// New returns the handler for api (an *account.Service, or anything with
// its behaviour).
func New(api account.API, cfg Config) (*Handler, error) {
	origin, err := Origin(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	h := &Handler{api: api, origin: origin, timeout: cfg.Timeout, log: cfg.Logger, mux: &mux{ServeMux: http.NewServeMux()}, page: assets.PhonePage(),
		lim: &limiters{}, clientAddr: cfg.ClientAddr, onCeremony: cfg.Ceremony}
	if !cfg.RateLimitsOff {
		l := Limit{PerMinute: cfg.ApprovalRate * 60, Burst: cfg.ApprovalBurst}.orDefault(Limit{PerMinute: DefaultApprovalRate * 60, Burst: DefaultApprovalBurst})
		h.approvals = newKeyLimiter(l.PerMinute/60, l.Burst, cfg.Now, "approval requests with this API key")
		h.lim = newLimiters(cfg.Limits, cfg.Now)
	}
	if h.clientAddr == nil {
		h.clientAddr = peerAddr
	}
	if h.timeout <= 0 {
		h.timeout = 15 * time.Second
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.mux.HandleFunc("GET /enroll", h.file("index.html", "text/html; charset=utf-8"))
	h.mux.HandleFunc("GET /e/{token}", h.file("index.html", "text/html; charset=utf-8"))
	h.mux.HandleFunc("GET /phone/common.js", h.file("common.js", "text/javascript; charset=utf-8"))
	h.mux.HandleFunc("GET /phone/app.js", h.file("app.js", "text/javascript; charset=utf-8"))
	h.mux.HandleFunc("GET /phone/style.css", h.file("style.css", "text/css; charset=utf-8"))
	lim := h.lim
	h.mux.HandleFunc("POST /api/phone/open", h.perIP(lim.phoneIP, h.pageCall(h.open)))
	h.mux.HandleFunc("POST /api/phone/wait", h.perIP(lim.phoneIP, h.pageCall(h.wait)))
	h.mux.HandleFunc("POST /api/phone/options", h.perIP(lim.phoneIP, h.pageCall(h.options)))
	h.mux.HandleFunc("POST /api/phone/result", h.ceremony(CeremonyPhoneEnrollment, h.perIP(lim.phoneIP, h.pageCall(h.result))))
	h.mux.HandleFunc("POST /api/enrollments", h.perIP(lim.enrollIP, h.desktop(perSession(lim.enrollSession, h.begin))))
	h.mux.HandleFunc("GET /api/enrollments/{id}", h.desktop(h.status))
	h.mux.HandleFunc("DELETE /api/enrollments/{id}", h.desktop(h.cancel))
	h.mux.HandleFunc("POST /api/enrollments/{id}/confirm", h.ceremony(CeremonyEnrollmentCode, h.perIP(lim.codeIP, h.desktop(perSession(lim.codeSession, h.confirm)))))
	h.mux.HandleFunc("GET /api/enrollments/{id}/events", h.events)
	h.mux.HandleFunc("POST /v1/approvals", h.requester(h.requestApproval))
	h.mux.HandleFunc("GET /v1/approvals/{id}", h.requester(h.getApproval))
	h.mux.HandleFunc("GET /v1/requester/passkeys", h.requesterPasskeys)
	h.mux.HandleFunc("GET /v1/requester/passkeys/events", h.requesterPasskeyEvents)
	h.routesV1()
	h.routesStation()
	h.routesPhoneSignIn()
	h.routesPhoneApproval()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not-found", "no such page or call")
	})
	return h, nil
}

// Origin checks a public URL (scheme and host, no path; https, or http
// for a loopback host: a loopback IP, or a name whose every address is
// loopback) and returns its origin.
func Origin(publicURL string) (string, error) {
	return checkOrigin(publicURL, net.DefaultResolver)
}

// checkOrigin is Origin with the resolver of the loopback check.
func checkOrigin(publicURL string, r resolver) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(publicURL, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("httpapi: public URL %q: want scheme://host[:port] and nothing more", publicURL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if _, err := loopbackAddrs(r, u.Hostname()); err != nil {
			return "", fmt.Errorf("httpapi: public URL %q: use https (http only for a loopback host; %v)", publicURL, err)
		}
	default:
		return "", fmt.Errorf("httpapi: public URL %q: use https (http only for localhost)", publicURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

// RelyingParty returns the WebAuthn RP ID and origin that fit a public
// URL: the RP ID is its host name (an IP address cannot be one). Give
// both to account.Config (RPID, and Origins alongside PublicURL).
func RelyingParty(publicURL string) (rpID, origin string, err error) {
	if origin, err = Origin(publicURL); err != nil {
		return "", "", err
	}
	u, _ := url.Parse(origin)
	if net.ParseIP(u.Hostname()) != nil {
		return "", "", fmt.Errorf("httpapi: public URL %q: an IP address cannot be a WebAuthn RP ID; use a host name (localhost for this machine)", publicURL)
	}
	return u.Hostname(), origin, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) file(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := fs.ReadFile(h.page, name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}
}

// --- the page's calls -------------------------------------------------------------

// pageRequest is the body of every page call. Unknown fields are refused.
type pageRequest struct {
	Link       string          `json:"link"`
	Device     string          `json:"device"`
	State      string          `json:"state,omitempty"`
	Credential json.RawMessage `json:"credential,omitempty"`
}

type pageAnswer struct {
	Email     string    `json:"email"`
	State     string    `json:"state"`
	ExpiresAt time.Time `json:"expiresAt"`
	Code      string    `json:"code,omitempty"`
}

func pageAnswerOf(p *account.PhonePage) pageAnswer {
	return pageAnswer{Email: p.Email, State: string(p.State), ExpiresAt: p.ExpiresAt, Code: p.MatchCode}
}

// pageWait is how long the page's wait holds a call before it answers
// with the state unchanged.
const pageWait = 10 * time.Second

// pageCall wraps a page call: same origin only, JSON body within MaxBody,
// a deadline.
func (h *Handler) pageCall(fn func(ctx context.Context, r *http.Request, req *pageRequest) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin", "only the enrollment page may call this")
			return
		}
		var req pageRequest
		if !h.decode(w, r, &req) {
			return
		}
		if req.Link == "" || req.Device == "" {
			writeError(w, http.StatusBadRequest, "invalid-input", "link and device are required")
			return
		}
		ctx, cancel := context.WithTimeout(h.withClient(r), h.timeout)
		defer cancel()
		out, err := fn(ctx, r, &req)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// sameOrigin accepts a request whose Origin is the page's, or, with no
// Origin, one the browser marks Sec-Fetch-Site: same-origin. A request
// with neither is refused: every browser sends Origin on a POST fetch.
func (h *Handler) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return o == h.origin
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

func (h *Handler) open(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if req.State != "" || req.Credential != nil {
		return nil, &account.InputError{Field: "body", Reason: "open takes only link and device"}
	}
	p, err := h.api.OpenPhoneEnrollment(ctx, req.Link, req.Device, r.UserAgent())
	if err != nil {
		return nil, err
	}
	return pageAnswerOf(p), nil
}

func (h *Handler) wait(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if req.State == "" || req.Credential != nil {
		return nil, &account.InputError{Field: "state", Reason: "send the state the page shows"}
	}
	ctx, cancel := context.WithTimeout(ctx, pageWait)
	defer cancel()
	p, err := h.api.WaitPhoneEnrollmentPage(ctx, req.Link, req.Device, account.EnrollmentState(req.State))
	if err != nil {
		return nil, err
	}
	return pageAnswerOf(p), nil
}

func (h *Handler) options(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	return h.api.PhoneEnrollmentOptions(ctx, req.Link, req.Device)
}

func (h *Handler) result(ctx context.Context, r *http.Request, req *pageRequest) (any, error) {
	if req.State != "" || len(req.Credential) == 0 || req.Credential[0] != '{' {
		return nil, &account.InputError{Field: "credential", Reason: "expected the credential object"}
	}
	pk, err := h.api.FinishPhoneEnrollment(ctx, req.Link, req.Device, req.Credential)
	if err != nil {
		return nil, err
	}
	return map[string]string{"state": string(account.EnrollmentDone), "name": pk.Name}, nil
}

// --- the desktop's calls ----------------------------------------------------------

// Status is an enrollment's status as the desktop's calls answer it.
type Status struct {
	ID        string    `json:"id"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Browser names what opened the link ("Chrome on Android"), once
	// something has.
	Browser string   `json:"browser,omitempty"`
	Passkey *Passkey `json:"passkey,omitempty"`
}

// Passkey is a bound passkey as the desktop's calls answer it.
type Passkey struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Kind           string    `json:"kind"`
	Model          string    `json:"model,omitempty"`
	BackupEligible bool      `json:"backupEligible"`
	BackedUp       bool      `json:"backedUp"`
	CreatedAt      time.Time `json:"createdAt"`
}

func statusOf(st *account.EnrollmentStatus) Status {
	out := Status{ID: st.ID, State: string(st.State), Reason: st.Reason, ExpiresAt: st.ExpiresAt, Browser: st.Browser}
	if p := st.Passkey; p != nil {
		out.Passkey = &Passkey{ID: p.ID, Name: p.Name, Kind: string(p.Kind), Model: p.Model,
			BackupEligible: p.BackupEligible, BackedUp: p.BackedUp, CreatedAt: p.CreatedAt}
	}
	return out
}

// bearer returns the session token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(tok)
}

func (h *Handler) desktop(fn func(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The desktop is not a browser; a browser's cross-site request is
		// refused outright.
		if o := r.Header.Get("Origin"); o != "" && o != h.origin {
			writeError(w, http.StatusForbidden, "cross-origin", "cross-origin requests are refused")
			return
		}
		token := bearer(r)
		if token == "" {
			writeError(w, http.StatusUnauthorized, "unauthenticated", "sign in first (Authorization: Bearer)")
			return
		}
		ctx, cancel := context.WithTimeout(h.withClient(r), h.timeout)
		defer cancel()
		out, err := fn(ctx, token, w, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		switch out.(type) {
		case nil:
			w.WriteHeader(http.StatusNoContent)
		case written:
		default:
			writeJSON(w, http.StatusOK, out)
		}
	}
}

func (h *Handler) begin(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Grant string `json:"grant"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	e, err := h.api.BeginPhoneEnrollment(ctx, token, req.Grant)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": e.ID, "url": e.URL, "expiresAt": e.ExpiresAt}, nil
}

func (h *Handler) status(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	st, err := h.api.PhoneEnrollmentStatus(ctx, token, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return statusOf(st), nil
}

// confirm takes the match code the phone shows, as typed on the desktop.
func (h *Handler) confirm(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	st, err := h.api.ConfirmPhoneEnrollmentCode(ctx, token, r.PathValue("id"), req.Code)
	if err != nil {
		return nil, err
	}
	return statusOf(st), nil
}

func (h *Handler) cancel(ctx context.Context, token string, w http.ResponseWriter, r *http.Request) (any, error) {
	return nil, h.api.CancelPhoneEnrollment(ctx, token, r.PathValue("id"))
}

// events streams an enrollment's status as server-sent events ("status",
// data one Status JSON object), a comment every 15 s to keep proxies
// from closing it, and ends after a final state.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	token, ok := h.streamToken(w, r)
	if !ok {
		return
	}
	// An enrollment ends within its lifetime; the stream cannot outlive
	// it by much.
	ctx, cancel := context.WithTimeout(r.Context(), account.EnrollmentLifetime+time.Minute)
	defer cancel()
	ch, err := h.api.WatchPhoneEnrollment(ctx, token, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The stream ends after a final state, or when the server stops or
	// the stream outlives its enrollment; either way its end tells a
	// client that reconnects when to.
	h.stream(w, r, func(send func(event string, v any) error) {
		var last *Status
		for st := range ch {
			var v any = st // the whole account.EnrollmentStatus
			if !strings.HasPrefix(r.URL.Path, "/v1/") {
				// Earlier desktops' form cannot tell another device's
				// try or a handover: what it cannot tell is not sent
				// again.
				old := statusOf(&st)
				if last != nil && old.State == last.State && old.Browser == last.Browser {
					continue
				}
				v, last = old, &old
			}
			if send("status", v) != nil {
				return
			}
		}
	})
}

// --- bodies and errors ------------------------------------------------------------

// errBody is a body that cannot be read as the call's JSON.
type errBody struct {
	status int
	msg    string
}

func (e *errBody) Error() string { return e.msg }

// decodeBody reads one JSON object of at most MaxBody bytes, refusing
// unknown fields and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeLimited(w, r, v, MaxBody)
}

// decodeLimited is decodeBody with a limit of its own.
func decodeLimited(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && !strings.HasPrefix(ct, "application/json;") {
		return &errBody{http.StatusUnsupportedMediaType, "send application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &errBody{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", limit)}
		}
		return &errBody{http.StatusBadRequest, "the body is not the expected JSON object: " + err.Error()}
	}
	if dec.More() {
		return &errBody{http.StatusBadRequest, "the body holds more than one JSON value"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &errBody{http.StatusBadRequest, "the body holds more than one JSON value"}
	}
	return nil
}

func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeBody(w, r, v); err != nil {
		h.fail(w, r, err)
		return false
	}
	return true
}

// fail answers err: a 4xx with a reason for the caller's errors (package
// apierr's codes), a 500 (logged, not explained) for anything else.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var body *errBody
	if errors.As(err, &body) {
		writeError(w, body.status, "invalid-body", body.msg)
		return
	}
	var limited *limitedError
	if errors.As(err, &limited) {
		setRetryAfter(w, limited)
		writeError(w, http.StatusTooManyRequests, "rate-limited", err.Error())
		return
	}
	status, b := apierr.Encode(err)
	noteOutcome(w, b.Code)
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "httpapi", "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, word, msg string) {
	noteOutcome(w, word)
	writeJSON(w, status, map[string]string{"error": word, "message": msg})
}
