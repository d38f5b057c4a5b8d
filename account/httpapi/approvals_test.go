package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/requestertest"
)

const withdrawalBody = `{"kind":"withdrawal","asset":"BTC","amount":"0.015","network":"Bitcoin",` +
	`"destination":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq","fee":"0.0001","reference":"W-1042"}`

// approvalFixture adds a passkey and a service API key to the fixture's
// user.
type approvalFixture struct {
	*fixture
	auth *accounttest.Authenticator
	pk   *account.Passkey
	key  string
}

func newApprovalFixture(t testing.TB) *approvalFixture {
	t.Helper()
	fx := &approvalFixture{fixture: newFixture(t), auth: &accounttest.Authenticator{}}
	fx.pk = fx.u.AddPasskey(t, fx.auth, account.KindSecurityKey, "Blue key")
	// The passkey was added a day ago: its hold, and the account's, are
	// over.
	fx.clock.Advance(account.RemovalHold)
	k, err := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeCreateAPIKey), "backend")
	if err != nil {
		t.Fatal(err)
	}
	fx.key = k.Secret
	return fx
}

func (fx *approvalFixture) apiCall(method, path, key, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	fx.h.ServeHTTP(w, r)
	return w
}

func decodeApproval(t *testing.T, w *httptest.ResponseRecorder) httpapi.Approval {
	t.Helper()
	var a httpapi.Approval
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("status %d, body %s: %v", w.Code, w.Body, err)
	}
	return a
}

func TestApprovalOverHTTP(t *testing.T) {
	fx := newApprovalFixture(t)
	w := fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody)
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	a := decodeApproval(t, w)
	if w.Header().Get("Location") != "/v1/approvals/"+a.ID || a.State != "pending" || a.Operation.Amount != "0.015" ||
		a.Nonce == "" || a.Challenge == "" || a.Assertion != nil {
		t.Fatalf("answer %+v", a)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatal("no Cache-Control: no-store")
	}

	// The owner approves in the app.
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := fx.auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, a.ID, assertion); err != nil {
		t.Fatal(err)
	}

	w = fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.key, "")
	if w.Code != 200 {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	got := decodeApproval(t, w)
	if got.State != "approved" || got.DecidedAt == nil || got.Passkey == nil || got.Passkey.ID != fx.pk.ID || got.Assertion == nil {
		t.Fatalf("after approval %+v", got)
	}
	// The backend checks the signature with nothing but this answer.
	requestertest.VerifyAnswer(t, got, accounttest.RPID)

	if w := fx.apiCall("GET", "/v1/approvals/nope", fx.key, ""); w.Code != 404 || errorWord(t, w) != "not-found" {
		t.Fatalf("unknown id: %d %s", w.Code, w.Body)
	}
}

func TestApprovalAuthentication(t *testing.T) {
	fx := newApprovalFixture(t)
	revoked, _ := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeCreateAPIKey), "old")
	fx.svc.RevokeAPIKey(ctx, fx.u.Session.Token, revoked.ID)
	for name, auth := range map[string]string{
		"missing":       "",
		"not bearer":    "Basic " + fx.key,
		"session token": "Bearer " + fx.u.Session.Token,
		"wrong key":     "Bearer pdk_" + strings.Repeat("A", 43),
		"revoked key":   "Bearer " + revoked.Secret,
	} {
		for _, call := range [][2]string{{"POST", "/v1/approvals"}, {"GET", "/v1/approvals/x"}} {
			r := httptest.NewRequest(call[0], call[1], strings.NewReader(withdrawalBody))
			r.Header.Set("Content-Type", "application/json")
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			fx.h.ServeHTTP(w, r)
			if w.Code != 401 || errorWord(t, w) != "invalid-api-key" {
				t.Errorf("%s %s: %d %s", name, call[0], w.Code, w.Body)
			}
		}
	}
	if w := fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody, "Origin", "https://evil.example"); w.Code != 403 {
		t.Errorf("cross-origin: %d", w.Code)
	}
}

func TestApprovalRequestRefused(t *testing.T) {
	fx := newApprovalFixture(t)
	tests := []struct {
		name, body string
		status     int
		word, in   string // error word, and a word the message must hold
	}{
		{"not JSON", `{"kind":`, 400, "invalid-body", "JSON"},
		{"unknown field", `{"kind":"withdrawal","admin":true}`, 400, "invalid-body", "admin"},
		{"amount as a number", `{"kind":"withdrawal","asset":"BTC","amount":0.015}`, 400, "invalid-body", "amount"},
		{"two objects", withdrawalBody + withdrawalBody, 400, "invalid-body", "more than one"},
		{"array", `[]`, 400, "invalid-body", "JSON"},
		{"unknown kind", strings.Replace(withdrawalBody, "withdrawal", "transfer", 1), 400, "invalid-input", "kind"},
		{"bad amount", strings.Replace(withdrawalBody, "0.015", "1e3", 1), 400, "invalid-input", "amount"},
		{"no destination", strings.Replace(withdrawalBody, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "", 1), 400, "invalid-input", "destination"},
		{"long life", strings.Replace(withdrawalBody, "{", `{"expiresInSeconds":7200,`, 1), 400, "invalid-input", "expiresInSeconds"},
		{"too big", `{"reference":"` + strings.Repeat("x", httpapi.MaxApprovalBody) + `"}`, 413, "invalid-body", "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := fx.apiCall("POST", "/v1/approvals", fx.key, tt.body)
			var e struct{ Error, Message string }
			json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != tt.status || e.Error != tt.word || !strings.Contains(e.Message, tt.in) {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
		})
	}
	w := fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody, "Content-Type", "text/plain")
	if w.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d", w.Code)
	}
}

func TestApprovalHoldOverHTTP(t *testing.T) {
	fx := newApprovalFixture(t)
	pk2 := fx.u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "")
	if err := fx.svc.RemovePasskey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeRemovePasskey), pk2.ID); err != nil {
		t.Fatal(err)
	}
	w := fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody)
	var e struct {
		Error, Message string
		HoldUntil      time.Time
	}
	json.Unmarshal(w.Body.Bytes(), &e)
	if w.Code != 409 || e.Error != "held" || !e.HoldUntil.Equal(fx.clock.Now().Add(24*time.Hour)) || !strings.Contains(e.Message, "held") {
		t.Fatalf("during the hold: %d %s", w.Code, w.Body)
	}
	fx.clock.Advance(24 * time.Hour)
	if w := fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody); w.Code != 201 {
		t.Fatalf("after the hold: %d %s", w.Code, w.Body)
	}
}

// FuzzApprovalRequest sends arbitrary bodies to POST /v1/approvals with a
// valid key. Whatever the bytes, the answer is 201 or a 4xx with a JSON
// reason, never a 5xx or a panic; a 201 names exactly what was asked.
func FuzzApprovalRequest(f *testing.F) {
	fx := newApprovalFixture(f)
	for _, body := range []string{
		withdrawalBody,
		`{"kind":"c2c-trade","asset":"USDT","amount":"250","counterparty":"merchant-77"}`,
		`{"kind":"sign-in-elsewhere","reference":"Firefox, Berlin"}`,
		`{"kind":"deposit","asset":"ETH","amount":"2","destination":"0xabc","expiresInSeconds":60}`,
		`{"kind":"withdrawal","amount":0.1}`, `{"kind":null}`, `{"kind":"withdrawal","x":1}`,
		`{"expiresInSeconds":-1}`, `{"expiresInSeconds":1e99}`, `{}{}`, `[]`, `null`, ``, `"\u0000"`,
		`{"kind":"withdrawal","asset":"BTC","amount":"1","network":"n","destination":"d\u202e"}`,
	} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := fx.apiCall("POST", "/v1/approvals", fx.key, body)
		switch {
		case w.Code == 201:
			var a httpapi.Approval
			var asked httpapi.ApprovalRequest
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(body), &asked); err != nil {
				t.Fatalf("accepted %q that does not decode: %v", body, err)
			}
			asked.ExpiresInSeconds = 0
			if a.Operation != asked {
				t.Fatalf("stored %+v, asked %+v", a.Operation, asked)
			}
		case w.Code >= 400 && w.Code < 500:
			var e struct{ Error, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
				t.Fatalf("%q: status %d without a JSON reason: %s", body, w.Code, w.Body)
			}
		default:
			t.Fatalf("%q: status %d %s", body, w.Code, w.Body)
		}
	})
}

// TestRefusedApprovalOverHTTP: an answer from a cloned-looking passkey
// refuses the approval for good, and the requester reads state refused.
func TestRefusedApprovalOverHTTP(t *testing.T) {
	fx := newApprovalFixture(t)
	answer := func(id string, auth *accounttest.Authenticator) error {
		opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
		if err != nil {
			t.Fatal(err)
		}
		assertion, err := auth.Assert(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.FinishApproval(ctx, fx.u.Session.Token, id, assertion)
		return err
	}
	first := decodeApproval(t, fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody))
	if err := answer(first.ID, fx.auth); err != nil {
		t.Fatal(err)
	}
	a := decodeApproval(t, fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody))
	clone := *fx.auth
	clone.Counter = 0
	if err := answer(a.ID, &clone); !errors.Is(err, account.ErrApprovalRefused) {
		t.Fatalf("the clone's answer: %v", err)
	}
	w := fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.key, "")
	got := decodeApproval(t, w)
	if w.Code != 200 || got.State != "refused" || got.DecidedAt == nil || got.Assertion != nil || !strings.Contains(got.Reason, "cloned") {
		t.Fatalf("status %d, %+v", w.Code, got)
	}
}
