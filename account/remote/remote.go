// Package remote is account.API as a client of a Passkey Desk server's
// HTTP API (package httpapi): the desktop app uses it instead of the
// embedded service when it runs on a server. Errors come back as the
// account package's own (package apierr rebuilds them), so errors.Is and
// errors.As work as in-process; a server that cannot be reached, or that
// fails, gives an *Error saying which.
package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/apierr"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// Client is account.API over HTTP. Safe for concurrent use.
type Client struct {
	base   string // the server's origin
	http   *http.Client
	stream *http.Client // without a timeout, for event streams
}

var _ account.API = (*Client)(nil)

// New returns a client of the server at serverURL (https, or http for a
// loopback host). hc may be nil for a default client with a 30 s timeout.
func New(serverURL string, hc *http.Client) (*Client, error) {
	origin, err := httpapi.Origin(serverURL)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	stream := *hc
	stream.Timeout = 0
	return &Client{base: origin, http: hc, stream: &stream}, nil
}

// URL is the server's origin.
func (c *Client) URL() string { return c.base }

// Error is a call that got no answer from the account service: the
// server could not be reached, TLS failed, or it answered with a status
// that is none of the service's errors (a 5xx, 429).
type Error struct {
	Op     string // the call, "POST /v1/signin"
	Status int    // 0 when no answer came
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "the account server could not be reached: " + e.Err.Error()
	}
	return fmt.Sprintf("the account server answered %d: %v", e.Status, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// call sends body (JSON-encoded unless it is json.RawMessage; nil for
// none) and decodes the answer into out (nil to ignore it).
func (c *Client) call(ctx context.Context, method, path, token string, body, out any) error {
	res, err := c.send(ctx, c.http, method, path, token, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if out == nil || res.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, res.Body)
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw, err = io.ReadAll(io.LimitReader(res.Body, 64<<20))
		return err
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return &Error{Op: method + " " + path, Status: res.StatusCode, Err: fmt.Errorf("a malformed answer: %w", err)}
	}
	return nil
}

// callOne makes a call whose answer is one T: nil and the error when
// the call fails, as the in-process service answers.
func callOne[T any](ctx context.Context, c *Client, method, path, token string, body any) (*T, error) {
	var out T
	if err := c.call(ctx, method, path, token, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// callValue makes a call whose answer is a T (a list, raw JSON): the
// zero T and the error when the call fails.
func callValue[T any](ctx context.Context, c *Client, method, path, token string, body any) (T, error) {
	var out T
	if err := c.call(ctx, method, path, token, body, &out); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// send makes a request and returns a successful response; an error answer
// is decoded into the error it stands for.
func (c *Client) send(ctx context.Context, hc *http.Client, method, path, token string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, ok := body.(json.RawMessage)
		if !ok {
			var err error
			if data, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if strings.HasPrefix(path, "/api/phone/") {
		req.Header.Set("Origin", c.base)
	}
	op := method + " " + path
	res, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Op: op, Err: err}
	}
	if res.StatusCode < 400 {
		return res, nil
	}
	defer res.Body.Close()
	var b apierr.Body
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if json.Unmarshal(data, &b) != nil || b.Code == "" {
		return nil, &Error{Op: op, Status: res.StatusCode, Err: errors.New(http.StatusText(res.StatusCode))}
	}
	decoded := apierr.Decode(res.StatusCode, b)
	var status *apierr.StatusError
	if errors.As(decoded, &status) {
		e := &Error{Op: op, Status: res.StatusCode, Err: decoded}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return nil, e
	}
	return nil, decoded
}

func (c *Client) SignUp(ctx context.Context, req account.SignUpRequest) (*account.TOTPEnrollment, error) {
	return callOne[account.TOTPEnrollment](ctx, c, "POST", "/v1/signup", "", req)
}

func (c *Client) ConfirmSignUp(ctx context.Context, enrollmentID, code string) (*account.Session, error) {
	return callOne[account.Session](ctx, c, "POST", "/v1/signup/confirm", "", map[string]string{"EnrollmentID": enrollmentID, "Code": code})
}

func (c *Client) SignIn(ctx context.Context, email, password, code string) (*account.Session, error) {
	return callOne[account.Session](ctx, c, "POST", "/v1/signin", "", map[string]string{"Email": email, "Password": password, "Code": code})
}

func (c *Client) SignOut(ctx context.Context, token string) error {
	return c.call(ctx, "POST", "/v1/signout", token, nil, nil)
}

func (c *Client) Me(ctx context.Context, token string) (*account.Account, error) {
	return callOne[account.Account](ctx, c, "GET", "/v1/me", token, nil)
}

func (c *Client) BeginVerification(ctx context.Context, token string, purpose account.Purpose) (*account.Verification, error) {
	return callOne[account.Verification](ctx, c, "POST", "/v1/verifications", token, map[string]any{"Purpose": purpose})
}

func (c *Client) CompleteVerification(ctx context.Context, token, verificationID string, proof account.Proof) (*account.Grant, error) {
	return callOne[account.Grant](ctx, c, "POST", "/v1/verifications/"+url.PathEscape(verificationID)+"/complete", token, proof)
}

func (c *Client) BeginRegistration(ctx context.Context, token, grant string, kind account.Kind) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/v1/registrations/begin", token, map[string]any{"Grant": grant, "Kind": kind})
}

func (c *Client) FinishRegistration(ctx context.Context, token, grant string, credential json.RawMessage, name string) (*account.Passkey, error) {
	body := map[string]any{"Grant": grant, "Credential": credential, "Name": name}
	return callOne[account.Passkey](ctx, c, "POST", "/v1/registrations/finish", token, body)
}

func (c *Client) BeginLogin(ctx context.Context, email string) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/v1/login/begin", "", map[string]string{"Email": email})
}

func (c *Client) FinishLogin(ctx context.Context, assertion json.RawMessage) (*account.Session, error) {
	return callOne[account.Session](ctx, c, "POST", "/v1/login/finish", "", assertion)
}

func (c *Client) Passkeys(ctx context.Context, token string) ([]account.Passkey, error) {
	return callValue[[]account.Passkey](ctx, c, "GET", "/v1/passkeys", token, nil)
}

func (c *Client) RenamePasskey(ctx context.Context, token, passkeyID, name string) (*account.Passkey, error) {
	return callOne[account.Passkey](ctx, c, "PATCH", "/v1/passkeys/"+url.PathEscape(passkeyID), token, map[string]string{"Name": name})
}

func (c *Client) MarkPasskeysLost(ctx context.Context, token, grant string, passkeyIDs []string, why string) error {
	return c.call(ctx, "POST", "/v1/passkeys/lost", token, map[string]any{"Grant": grant, "PasskeyIDs": passkeyIDs, "Why": why}, nil)
}

func (c *Client) Activity(ctx context.Context, token string, limit int) ([]account.Event, error) {
	return callValue[[]account.Event](ctx, c, "GET", "/v1/activity?limit="+strconv.Itoa(limit), token, nil)
}

func (c *Client) BeginPasskeyVerification(ctx context.Context, token string, purpose account.Purpose) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/v1/passkey-verifications/begin", token, map[string]any{"Purpose": purpose})
}

func (c *Client) BeginPasskeyVerificationExcept(ctx context.Context, token string, purpose account.Purpose, except []byte) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/v1/passkey-verifications/begin", token, map[string]any{"Purpose": purpose, "Except": except})
}

func (c *Client) FinishPasskeyVerification(ctx context.Context, token string, assertion json.RawMessage) (*account.Grant, error) {
	return callOne[account.Grant](ctx, c, "POST", "/v1/passkey-verifications/finish", token, assertion)
}

func (c *Client) RemovePasskey(ctx context.Context, token, grant, passkeyID string) error {
	return c.call(ctx, "POST", "/v1/passkeys/"+url.PathEscape(passkeyID)+"/remove", token, map[string]string{"Grant": grant}, nil)
}

func (c *Client) Policy(ctx context.Context, token string) (*account.Policy, error) {
	return callOne[account.Policy](ctx, c, "GET", "/v1/policy", token, nil)
}

func (c *Client) SetPasskeyRequired(ctx context.Context, token, grant string, on bool) error {
	return c.call(ctx, "PUT", "/v1/policy/passkey-required", token, map[string]any{"Grant": grant, "On": on}, nil)
}

func (c *Client) CreateAPIKey(ctx context.Context, token, grant, name string) (*account.NewAPIKey, error) {
	return callOne[account.NewAPIKey](ctx, c, "POST", "/v1/apikeys", token, map[string]string{"Grant": grant, "Name": name})
}

func (c *Client) ListAPIKeys(ctx context.Context, token string) ([]account.APIKey, error) {
	return callValue[[]account.APIKey](ctx, c, "GET", "/v1/apikeys", token, nil)
}

func (c *Client) RevokeAPIKey(ctx context.Context, token, id string) error {
	return c.call(ctx, "DELETE", "/v1/apikeys/"+url.PathEscape(id), token, nil, nil)
}

func (c *Client) RequestApproval(ctx context.Context, apiKey string, req account.ApprovalRequest) (*account.Approval, error) {
	body := httpapi.ApprovalRequestBody(req)
	var out httpapi.Approval
	if err := c.call(ctx, "POST", "/v1/approvals", apiKey, body, &out); err != nil {
		return nil, err
	}
	return out.Account(), nil
}

func (c *Client) GetApproval(ctx context.Context, apiKey, id string) (*account.Approval, error) {
	var out httpapi.Approval
	if err := c.call(ctx, "GET", "/v1/approvals/"+url.PathEscape(id), apiKey, nil, &out); err != nil {
		return nil, err
	}
	return out.Account(), nil
}

func (c *Client) PendingApprovals(ctx context.Context, token string) ([]account.Approval, error) {
	return callValue[[]account.Approval](ctx, c, "GET", "/v1/approvals/pending", token, nil)
}

func (c *Client) BeginApproval(ctx context.Context, token, id string) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/v1/approvals/"+url.PathEscape(id)+"/begin", token, nil)
}

func (c *Client) FinishApproval(ctx context.Context, token, id string, assertion json.RawMessage) (*account.Approval, error) {
	return callOne[account.Approval](ctx, c, "POST", "/v1/approvals/"+url.PathEscape(id)+"/finish", token, assertion)
}

func (c *Client) DenyApproval(ctx context.Context, token, id string) (*account.Approval, error) {
	return callOne[account.Approval](ctx, c, "POST", "/v1/approvals/"+url.PathEscape(id)+"/deny", token, nil)
}

func (c *Client) ExportActivity(ctx context.Context, token, format string, filter account.ActivityFilter) ([]byte, error) {
	q := url.Values{"format": {format}}
	if filter.Type != "" {
		q.Set("type", string(filter.Type))
	}
	if !filter.Since.IsZero() {
		q.Set("since", filter.Since.Format(time.RFC3339))
	}
	return callValue[[]byte](ctx, c, "GET", "/v1/activity/export?"+q.Encode(), token, nil)
}

// --- phone enrollment ------------------------------------------------------------

func (c *Client) BeginPhoneEnrollment(ctx context.Context, token, grant string) (*account.PhoneEnrollment, error) {
	return callOne[account.PhoneEnrollment](ctx, c, "POST", "/v1/enrollments", token, map[string]string{"Grant": grant})
}

func (c *Client) PhoneEnrollmentStatus(ctx context.Context, token, id string) (*account.EnrollmentStatus, error) {
	return callOne[account.EnrollmentStatus](ctx, c, "GET", "/v1/enrollments/"+url.PathEscape(id), token, nil)
}

func (c *Client) CancelPhoneEnrollment(ctx context.Context, token, id string) error {
	return c.call(ctx, "DELETE", "/v1/enrollments/"+url.PathEscape(id), token, nil, nil)
}

// WatchPhoneEnrollment follows the server's event stream. The channel
// closes after a final state, when ctx ends, or when the stream breaks;
// a caller that wants to go on after a break watches again.
func (c *Client) WatchPhoneEnrollment(ctx context.Context, token, id string) (<-chan account.EnrollmentStatus, error) {
	return follow[account.EnrollmentStatus](ctx, c, "/v1/enrollments/"+url.PathEscape(id)+"/events", token)
}

// WatchApprovals follows the server's stream of pending approvals. The
// channel closes when ctx ends or the stream breaks; a caller that wants
// to go on watches again.
func (c *Client) WatchApprovals(ctx context.Context, token string) (<-chan []account.Approval, error) {
	return follow[[]account.Approval](ctx, c, "/v1/approvals/events", token)
}

// follow opens the event stream at path with token as the bearer and
// sends each event's data, decoded as a T, on the channel it returns. The
// channel closes when the stream ends or breaks, when an event does not
// decode, or when ctx ends.
func follow[T any](ctx context.Context, c *Client, path, token string) (<-chan T, error) {
	res, err := c.send(ctx, c.stream, "GET", path, token, nil)
	if err != nil {
		return nil, err
	}
	ch := make(chan T)
	go func() {
		defer close(ch)
		defer res.Body.Close()
		for data := range sseData(res.Body) {
			var v T
			if json.Unmarshal(data, &v) != nil {
				return
			}
			select {
			case ch <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// sseData yields the data of each server-sent event in r.
func sseData(r io.Reader) func(yield func([]byte) bool) {
	return func(yield func([]byte) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && !yield([]byte(data)) {
				return
			}
		}
	}
}

// The phone page's calls, as the page makes them (same origin).

type pageAnswer struct {
	Email     string    `json:"email"`
	State     string    `json:"state"`
	ExpiresAt time.Time `json:"expiresAt"`
	Code      string    `json:"code"`
}

func (a pageAnswer) page() *account.PhonePage {
	return &account.PhonePage{Email: a.Email, State: account.EnrollmentState(a.State), ExpiresAt: a.ExpiresAt, MatchCode: a.Code}
}

func (c *Client) OpenPhoneEnrollment(ctx context.Context, link, device, userAgent string) (*account.PhonePage, error) {
	var out pageAnswer
	if err := c.call(ctx, "POST", "/api/phone/open", "", map[string]string{"link": link, "device": device}, &out); err != nil {
		return nil, err
	}
	return out.page(), nil
}

func (c *Client) WaitPhoneEnrollmentPage(ctx context.Context, link, device string, seen account.EnrollmentState) (*account.PhonePage, error) {
	var out pageAnswer
	if err := c.call(ctx, "POST", "/api/phone/wait", "", map[string]string{"link": link, "device": device, "state": string(seen)}, &out); err != nil {
		return nil, err
	}
	return out.page(), nil
}

func (c *Client) ConfirmPhoneEnrollmentCode(ctx context.Context, token, id, code string) (*account.EnrollmentStatus, error) {
	return callOne[account.EnrollmentStatus](ctx, c, "POST", "/v1/enrollments/"+url.PathEscape(id)+"/confirm", token, map[string]string{"Code": code})
}

func (c *Client) HandOverPhoneEnrollment(ctx context.Context, token, id string) (*account.EnrollmentStatus, error) {
	return callOne[account.EnrollmentStatus](ctx, c, "POST", "/v1/enrollments/"+url.PathEscape(id)+"/handover", token, nil)
}

func (c *Client) PhoneEnrollmentOptions(ctx context.Context, link, device string) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/api/phone/options", "", map[string]string{"link": link, "device": device})
}

func (c *Client) FinishPhoneEnrollment(ctx context.Context, link, device string, credential json.RawMessage) (*account.Passkey, error) {
	var out struct {
		Name string `json:"name"`
	}
	body := map[string]any{"link": link, "device": device, "credential": credential}
	if err := c.call(ctx, "POST", "/api/phone/result", "", body, &out); err != nil {
		return nil, err
	}
	return &account.Passkey{Name: out.Name}, nil
}

// --- sign in with your phone ---------------------------------------------------------

func (c *Client) BeginPhoneSignIn(ctx context.Context, computer string) (*account.PhoneSignIn, error) {
	return callOne[account.PhoneSignIn](ctx, c, "POST", "/v1/phone-signins", "", map[string]string{"Computer": computer})
}

// WatchPhoneSignIn follows the server's event stream, opened by the
// sign-in's secret. The channel closes after a final state, when ctx
// ends, or when the stream breaks; a caller that wants to go on after a
// break watches again.
func (c *Client) WatchPhoneSignIn(ctx context.Context, id, secret string) (<-chan account.PhoneSignInStatus, error) {
	return follow[account.PhoneSignInStatus](ctx, c, "/v1/phone-signins/"+url.PathEscape(id)+"/events", secret)
}

func (c *Client) OpenPhoneSignIn(ctx context.Context, link string) (*account.PhoneSignInPage, error) {
	return callOne[account.PhoneSignInPage](ctx, c, "POST", "/api/phone/signin/open", "", map[string]string{"link": link})
}

func (c *Client) PhoneSignInOptions(ctx context.Context, link, code string) (json.RawMessage, error) {
	return callValue[json.RawMessage](ctx, c, "POST", "/api/phone/signin/options", "", map[string]string{"link": link, "code": code})
}

func (c *Client) FinishPhoneSignIn(ctx context.Context, link string, assertion json.RawMessage) (*account.PhoneSignInPage, error) {
	return callOne[account.PhoneSignInPage](ctx, c, "POST", "/api/phone/signin/finish", "", map[string]any{"link": link, "assertion": assertion})
}

func (c *Client) RecoveryCodeStatus(ctx context.Context, token string) (*account.RecoveryCodeStatus, error) {
	return callOne[account.RecoveryCodeStatus](ctx, c, "GET", "/v1/recovery-codes", token, nil)
}

func (c *Client) NewRecoveryCodes(ctx context.Context, token, grant string) (*account.RecoveryCodes, error) {
	return callOne[account.RecoveryCodes](ctx, c, "POST", "/v1/recovery-codes", token, map[string]string{"Grant": grant})
}

func (c *Client) ChangePassword(ctx context.Context, token, grant, newPassword string) error {
	return c.call(ctx, "POST", "/v1/password", token, map[string]string{"Grant": grant, "NewPassword": newPassword}, nil)
}

func (c *Client) EmailStatus(ctx context.Context, token string) (*account.EmailStatus, error) {
	return callOne[account.EmailStatus](ctx, c, "GET", "/v1/email", token, nil)
}

func (c *Client) SendEmailCode(ctx context.Context, token string) (*account.EmailStatus, error) {
	return callOne[account.EmailStatus](ctx, c, "POST", "/v1/email/code", token, nil)
}

func (c *Client) ConfirmEmail(ctx context.Context, token, code string) (*account.EmailStatus, error) {
	return callOne[account.EmailStatus](ctx, c, "POST", "/v1/email/confirm", token, map[string]string{"Code": code})
}

func (c *Client) ChangeEmail(ctx context.Context, token, grant, newEmail string) (*account.EmailStatus, error) {
	return callOne[account.EmailStatus](ctx, c, "PUT", "/v1/email", token, map[string]string{"Grant": grant, "Email": newEmail})
}
