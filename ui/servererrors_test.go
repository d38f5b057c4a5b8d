package ui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// The words for an account server that cannot be reached, is not
// trusted, limits the app or fails: each through a real server (the
// account service's HTTP API on a loopback port) and the app's real HTTP
// client, read in the window.

// startOn restarts h's app on the account server at url, reached through
// hc (nil: the default client, which trusts the system's authorities),
// with a session saved: its first call, reading the account, goes there.
func startOn(h *harness, url string, hc *http.Client) {
	h.t.Helper()
	c, err := remote.New(url, hc)
	if err != nil {
		h.t.Fatal(err)
	}
	h.wrap = func(account.API) account.API { return c }
	h.server = url
	h.tokens.Save("a-session-saved-earlier")
	h.start()
	if h.app.signInScreen == nil {
		h.t.Fatalf("the app did not fall back to signing in; it shows:\n%s", h.text())
	}
}

// noWayAround fails when the window offers to go on regardless, or
// needs more than 800×600 to show why.
func noWayAround(h *harness) {
	h.t.Helper()
	if min := h.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
		h.t.Errorf("the window needs %v; more than 800×600", min)
	}
	for _, b := range h.buttons() {
		l := strings.ToLower(b)
		if strings.Contains(l, "anyway") || strings.Contains(l, "ignore") || strings.Contains(l, "trust") {
			h.t.Errorf("the window offers %q", b)
		}
	}
}

func TestServerUnreachable(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	startOn(h, url, nil)
	h.wantText("Server not reachable", "Passkey Desk could not reach the account server at "+url+".",
		"Check this computer's network connection, then try again.")
	noWayAround(h)
	if h.tokens.get() == "" {
		t.Error("the saved session was forgotten because the server could not be reached")
	}
}

// tlsServer serves the account service's API over TLS with cert (nil:
// httptest's own), and returns the server.
func tlsServer(t *testing.T, h *harness, cert *tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	api, err := httpapi.New(h.svc, httpapi.Config{PublicURL: "https://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = api
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// expiredCert is a self-signed certificate for 127.0.0.1 that expired
// yesterday, and a client that trusts it as an authority.
func expiredCert(t *testing.T) (*tls.Certificate, *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "expired test server"},
		NotBefore:             time.Now().Add(-48 * time.Hour),
		NotAfter:              time.Now().Add(-24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestServerNotTrusted: a server whose certificate the app does not
// trust is not talked to, and the window says why, with no way around it.
func TestServerNotTrusted(t *testing.T) {
	tests := []struct {
		name string
		// serve starts the server and gives the URL the app is started
		// with and its HTTP client.
		serve func(t *testing.T, h *harness) (string, *http.Client)
		why   string
	}{
		{"unknown authority", func(t *testing.T, h *harness) (string, *http.Client) {
			return tlsServer(t, h, nil).URL, nil
		}, "its certificate is not signed by an authority this computer trusts"},
		{"another name", func(t *testing.T, h *harness) (string, *http.Client) {
			// httptest's certificate is for 127.0.0.1 and example.com,
			// trusted by its client; the app asks for localhost.
			srv := tlsServer(t, h, nil)
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			return "https://localhost:" + port, srv.Client()
		}, "its certificate is made out to another name"},
		{"expired", func(t *testing.T, h *harness) (string, *http.Client) {
			cert, hc := expiredCert(t)
			return tlsServer(t, h, cert).URL, hc
		}, "its certificate has expired or is not valid yet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			url, hc := tc.serve(t, h)
			startOn(h, url, hc)
			h.wantText("Server not trusted",
				"Passkey Desk did not talk to the account server at "+url+": "+tc.why+", so someone may be posing as the server. Nothing was sent to it.",
				"Tell whoever runs the server to fix its certificate")
			noWayAround(h)
		})
	}
}

// TestServerLimitsAndFailures: a sign-in answered 429 says to wait (how
// long, when the server says), a 503 or a 5xx says the server has a
// problem; with a server or a proxy in front of it answering so.
func TestServerLimitsAndFailures(t *testing.T) {
	answer := func(status int, retryAfter, body string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/signin" {
					next.ServeHTTP(w, r)
					return
				}
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				if strings.HasPrefix(body, "{") {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(status)
				w.Write([]byte(body))
			})
		}
	}
	tests := []struct {
		name string
		wrap func(http.Handler) http.Handler
		want []string
	}{
		{"rate limited", answer(429, "30", `{"error":"rate-limited","message":"too many sign-ins; try again later"}`),
			[]string{"Too many tries", "limits how often this can be done", "Wait 30 seconds, then try again."}},
		{"rate limited for minutes", answer(429, "300", `{"error":"rate-limited","message":"too many sign-ins; try again later"}`),
			[]string{"Too many tries", "Wait 5 minutes, then try again."}},
		{"rate limited by a proxy", answer(429, "", "<html>Too Many Requests</html>"),
			[]string{"Too many tries", "Wait a little, then try again."}},
		{"database down", answer(503, "", `{"error":"unavailable","message":"the account database cannot be reached; try again shortly"}`),
			[]string{"Server problem", "cannot reach its database just now.", "Try again in a minute."}},
		{"internal error", answer(500, "", `{"error":"internal","message":"the service failed; try again"}`),
			[]string{"Server problem", "has a problem and could not do this.", "Try again shortly."}},
		{"proxy without a server", answer(502, "", "<html>Bad Gateway</html>"),
			[]string{"Server problem", "has a problem and could not do this.", "Try again shortly."}},
		{"server busy", answer(503, "20", `{"error":"busy","message":"the server is busy"}`),
			[]string{"Server problem", "Try again in 20 seconds."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{overHTTP: true, httpWrap: tc.wrap})
			u := h.user("rate@example.com")
			h.toSignIn()
			h.fillSignIn(u.Email, u.Password, h.code(u.Secret))
			h.tap("Sign in")
			h.wantText(append(tc.want, "The account server at "+h.server)...)
			h.notText("Something went wrong", "Could not sign in")
			if h.app.shell != nil {
				t.Fatal("signed in through a failing server")
			}
		})
	}
}

// TestDescribeServer: the server's failures the tests above cannot make a
// real server give on this machine (a name no resolver knows, no answer
// in time, an answer from something that is not an account server), and
// the embedded service's database unavailable.
func TestDescribeServer(t *testing.T) {
	const url = "https://passkeys.example.com"
	for _, tc := range []struct {
		name, server string
		err          error
		title        string
		contains     []string
		internal     bool
	}{
		{"name not found", url, &remote.Error{Op: "GET /v1/me", Err: &net.DNSError{Err: "no such host", Name: "passkeys.example.com", IsNotFound: true}},
			"Server not found", []string{"The name in the server address " + url + " cannot be found.", "(--server)"}, false},
		{"no answer in time", url, &remote.Error{Op: "GET /v1/me", Err: fmt.Errorf("awaiting headers: %w", context.DeadlineExceeded)},
			"Server not answering", []string{"The account server at " + url + " did not answer in time."}, false},
		{"not an account server", url, &remote.Error{Op: "GET /v1/me", Status: 404, Err: errors.New("Not Found")},
			"Unexpected answer from the server", []string{"did not answer as a Passkey Desk account server does", "(--server)"}, true},
		{"database down, embedded", "", fmt.Errorf("reading: %w", account.ErrUnavailable),
			"Server problem", []string{"The account database cannot be reached just now."}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := describeAt(tc.err, tc.server)
			if m.Title != tc.title || m.internal != tc.internal {
				t.Errorf("describeAt gives %q (internal %v); want %q (internal %v)", m.Title, m.internal, tc.title, tc.internal)
			}
			all := m.Sentence + " " + m.Next
			for _, c := range tc.contains {
				if !strings.Contains(all, c) {
					t.Errorf("%q does not contain %q", all, c)
				}
			}
		})
	}
}
