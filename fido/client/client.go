package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Authenticator attachments (WebAuthn §5.4.5).
const (
	AttachmentPlatform      = "platform"
	AttachmentCrossPlatform = "cross-platform"
)

// Client is the WebAuthn client for one origin. It holds no state between
// ceremonies and is safe for concurrent use.
type Client struct {
	origin string // serialized origin (RFC 6454 §6.2)
	host   string // the origin's host, its effective domain (WebAuthn §5.1.3 step 7)
	isIP   bool
}

// New returns a client that acts for origin, such as
// "https://passkeydesk.example" or "http://localhost:8080". As for a
// browser, the origin must be a secure context: https, or http on
// localhost or a loopback address.
func New(origin string) (*Client, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("client: origin %q: %w", origin, err)
	}
	if u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return nil, fmt.Errorf("client: origin %q: want scheme://host[:port] and nothing more", origin)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	ip := net.ParseIP(host)
	switch scheme {
	case "https":
		if port == "443" {
			port = ""
		}
	case "http":
		loopback := host == "localhost" || strings.HasSuffix(host, ".localhost") || (ip != nil && ip.IsLoopback())
		if !loopback {
			return nil, fmt.Errorf("client: origin %q: http is only a secure context on localhost; use https", origin)
		}
		if port == "80" {
			port = ""
		}
	default:
		return nil, fmt.Errorf("client: origin %q: scheme must be https (or http on localhost)", origin)
	}
	if host == "" || strings.HasSuffix(host, ".") {
		return nil, fmt.Errorf("client: origin %q: no valid host", origin)
	}
	serialized := scheme + "://" + host
	if ip != nil && ip.To4() == nil {
		serialized = scheme + "://[" + host + "]"
	}
	if port != "" {
		serialized += ":" + port
	}
	return &Client{origin: serialized, host: host, isIP: ip != nil}, nil
}

// Origin returns the serialized origin that goes into client data.
func (c *Client) Origin() string { return c.origin }

// checkRPID applies WebAuthn §5.1.3 step 8 and §5.1.4.1 step 8: an RP ID
// must be the origin's effective domain or a registrable domain suffix of
// it (HTML "is a registrable domain suffix of or is equal to"). "" means
// the effective domain.
func (c *Client) checkRPID(field, rpID string) (string, error) {
	if rpID == "" {
		return c.host, nil
	}
	if rpID != strings.ToLower(rpID) {
		return "", &OptionsError{Field: field, Reason: fmt.Sprintf("RP ID %q must be lowercase", rpID)}
	}
	if rpID == c.host {
		return rpID, nil
	}
	if c.isIP || !strings.HasSuffix(c.host, "."+rpID) {
		return "", &OptionsError{Field: field, Reason: fmt.Sprintf("RP ID %q is not %s or a suffix of it", rpID, c.host)}
	}
	if ps, _ := publicsuffix.PublicSuffix(rpID); ps == rpID {
		return "", &OptionsError{Field: field, Reason: fmt.Sprintf("RP ID %q is a public suffix", rpID)}
	}
	return rpID, nil
}

// keyAttachment is how the device attaches: a key that lists the
// "internal" transport is a platform authenticator.
func keyAttachment(info *fido.Info) string {
	if slices.Contains(info.Transports, "internal") {
		return AttachmentPlatform
	}
	return AttachmentCrossPlatform
}

// keyTransports are the transports to report for a new credential: the
// key's own list, or the one it was reached by.
func keyTransports(info *fido.Info) []string {
	if len(info.Transports) > 0 {
		ts := slices.Clone(info.Transports)
		slices.Sort(ts) // §5.2.1 getTransports: lexicographical order, no duplicates
		return slices.Compact(ts)
	}
	if keyAttachment(info) == AttachmentPlatform {
		return []string{"internal"}
	}
	return []string{"usb"}
}

// canVerify reports whether the key can verify its user (WebAuthn §6.2.3):
// it has a PIN set or built-in verification.
func canVerify(info *fido.Info) bool {
	return info.HasOption("clientPin") || info.HasOption("uv")
}

// offersVerification reports whether the key can verify its user at all,
// perhaps after a PIN is set.
func offersVerification(info *fido.Info) bool {
	_, pin := info.Options["clientPin"]
	_, uv := info.Options["uv"]
	return pin || uv
}

// maxTimeout and minTimeout clamp an RP's timeout as browsers do.
const maxTimeout = 10 * time.Minute

// minTimeout is a variable only so that a test can wait less than 10 s.
var minTimeout = 10 * time.Second

// withTimeout applies the options' timeout (WebAuthn §5.1.3 step 4) to
// ctx. The returned function maps an error caused by that deadline, and
// not by the caller's context, to fido.ErrTimeout.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, func(error) error) {
	if d <= 0 {
		return ctx, func() {}, func(err error) error { return err }
	}
	d = min(max(d, minTimeout), maxTimeout)
	tctx, cancel := context.WithTimeout(ctx, d)
	return tctx, cancel, func(err error) error {
		if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) && !errors.Is(err, fido.ErrTimeout) {
			return fmt.Errorf("%w (the relying party's %v ran out): %w", fido.ErrTimeout, d, err)
		}
		return err
	}
}
