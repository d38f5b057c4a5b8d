package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/requestertest"
)

const depositBody = `{"account":%q,"kind":"deposit","asset":"ETH","amount":"2","destination":"0xabc"}`

// requesterFixture is Ann and Bob with a passkey each, an API key each,
// and a service key, behind the HTTP face.
type requesterFixture struct {
	*approvalFixture
	store   account.Store
	bob     *accounttest.User
	bobKey  string
	service *account.NewServiceKey
}

func newRequesterFixture(t *testing.T, cfg httpapi.Config) *requesterFixture {
	t.Helper()
	fx := &requesterFixture{}
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store {
		fx.store = s
		return s
	}})
	f := &fixture{svc: svc, clock: clock, u: accounttest.SignUp(t, svc, clock, "ann@example.com")}
	cfg.PublicURL, cfg.Now = accounttest.Origin, clock.Now
	var err error
	if f.h, err = httpapi.New(svc, cfg); err != nil {
		t.Fatal(err)
	}
	fx.approvalFixture = &approvalFixture{fixture: f, auth: &accounttest.Authenticator{}}
	fx.pk = fx.u.AddPasskey(t, fx.auth, account.KindSecurityKey, "Blue key")
	fx.bob = accounttest.SignUp(t, svc, clock, "bob@example.com")
	fx.bob.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Bob's key")
	clock.Advance(account.RemovalHold)
	for _, k := range []struct {
		u   *accounttest.User
		out *string
	}{{fx.u, &fx.key}, {fx.bob, &fx.bobKey}} {
		nk, err := svc.CreateAPIKey(ctx, k.u.Session.Token, k.u.Grant(t, account.PurposeCreateAPIKey), "backend")
		if err != nil {
			t.Fatal(err)
		}
		*k.out = nk.Secret
	}
	if fx.service, err = account.CreateServiceKey(ctx, fx.store, "exchange-prod", account.ScopeApprovals, clock.Now()); err != nil {
		t.Fatal(err)
	}
	return fx
}

// approveAs approves id in the app with auth's passkey.
func (fx *requesterFixture) approveAs(t *testing.T, auth *accounttest.Authenticator, id string) {
	t.Helper()
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, id, assertion); err != nil {
		t.Fatal(err)
	}
}

// passkeyCopy is the requester's own copy of the account's passkeys.
func (fx *requesterFixture) passkeyCopy(t *testing.T, key, who string) map[string]httpapi.RequesterPasskey {
	t.Helper()
	w := fx.apiCall("GET", "/v1/requester/passkeys?account="+url.QueryEscape(who), key, "")
	var list []httpapi.RequesterPasskey
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &list) != nil {
		t.Fatalf("GET /v1/requester/passkeys: %d %s", w.Code, w.Body)
	}
	out := map[string]httpapi.RequesterPasskey{}
	for _, p := range list {
		out[p.ID] = p
	}
	return out
}

// TestServiceKeyOverHTTP: the operator's backend asks for an approval of
// Ann's by her email with its service key, reads the answer, and checks
// it against its own copy of Ann's passkeys.
func TestServiceKeyOverHTTP(t *testing.T) {
	fx := newRequesterFixture(t, httpapi.Config{})
	w := fx.apiCall("POST", "/v1/approvals", fx.service.Secret, fmt.Sprintf(depositBody, "ann@example.com"))
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	a := decodeApproval(t, w)
	copy := fx.passkeyCopy(t, fx.service.Secret, "ann@example.com")
	if len(copy) != 1 || copy[fx.pk.ID].Algorithm != -7 || !copy[fx.pk.ID].StillHeld {
		t.Fatalf("the copy: %+v", copy)
	}
	fx.approveAs(t, fx.auth, a.ID)
	w = fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.service.Secret, "")
	got := decodeApproval(t, w)
	if w.Code != 200 || got.State != "approved" {
		t.Fatalf("status %d %+v", w.Code, got)
	}
	requestertest.VerifyAgainst(t, got, accounttest.RPID, copy)
	// Ann's own key reads it too; Bob's does not.
	if w := fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.key, ""); w.Code != 200 {
		t.Errorf("Ann's key: %d %s", w.Code, w.Body)
	}
	if w := fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.bobKey, ""); w.Code != 404 {
		t.Errorf("Bob's key: %d %s", w.Code, w.Body)
	}
}

// TestEveryAlgorithmChecksAgainstTheCopy: an answer signed by a passkey of
// each algorithm the service accepts verifies against the requester's
// copy, and not against another passkey's key.
func TestEveryAlgorithmChecksAgainstTheCopy(t *testing.T) {
	fx := newRequesterFixture(t, httpapi.Config{})
	algs := []int{accounttest.AlgES256, accounttest.AlgES384, accounttest.AlgES512, accounttest.AlgRS256,
		accounttest.AlgRS384, accounttest.AlgRS512, accounttest.AlgPS256, accounttest.AlgPS384,
		accounttest.AlgPS512, accounttest.AlgEdDSA}
	auths := map[int]*accounttest.Authenticator{}
	for _, alg := range algs {
		auths[alg] = &accounttest.Authenticator{Algorithm: alg, Packed: alg%2 == 0}
		fx.u.AddPasskey(t, auths[alg], account.KindSecurityKey, fmt.Sprintf("alg %d", alg))
	}
	copy := fx.passkeyCopy(t, fx.key, "")
	seen := map[int64]bool{}
	for _, p := range copy {
		seen[p.Algorithm] = true
	}
	for _, alg := range algs {
		if !seen[int64(alg)] {
			t.Fatalf("no passkey of algorithm %d in the copy %+v", alg, copy)
		}
	}
	for _, alg := range algs {
		w := fx.apiCall("POST", "/v1/approvals", fx.key, fmt.Sprintf(depositBody, ""))
		a := decodeApproval(t, w)
		fx.approveAs(t, auths[alg], a.ID)
		got := decodeApproval(t, fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.key, ""))
		if copy[got.Passkey.ID].Algorithm != int64(alg) {
			t.Fatalf("approved by %+v, not the algorithm %d passkey", got.Passkey, alg)
		}
		if err := requestertest.Check(got, accounttest.RPID, copy); err != nil {
			t.Errorf("algorithm %d: %v", alg, err)
		}
		// The same answer against a copy where this passkey has the
		// Blue key's public key: refused.
		forged := map[string]httpapi.RequesterPasskey{}
		for id, p := range copy {
			forged[id] = p
		}
		p := forged[got.Passkey.ID]
		p.PublicKey = copy[fx.pk.ID].PublicKey
		forged[got.Passkey.ID] = p
		if err := requestertest.Check(got, accounttest.RPID, forged); err == nil {
			t.Errorf("algorithm %d: an answer checked out against another passkey's key", alg)
		}
	}
	// A passkey the copy does not hold, or holds as lost, is refused.
	delete(copy, fx.pk.ID)
	w := fx.apiCall("POST", "/v1/approvals", fx.key, fmt.Sprintf(depositBody, ""))
	a := decodeApproval(t, w)
	fx.approveAs(t, fx.auth, a.ID)
	if err := requestertest.Check(decodeApproval(t, fx.apiCall("GET", "/v1/approvals/"+a.ID, fx.key, "")), accounttest.RPID, copy); err == nil {
		t.Error("an answer by a passkey not in the copy checked out")
	}
}

// TestRequesterRouteDoors: every requester route refuses a missing key, a
// session token, a made-up key, a revoked account key, a revoked service
// key, another account's key naming this one, a service key naming no
// account, and another origin.
func TestRequesterRouteDoors(t *testing.T) {
	fx := newRequesterFixture(t, httpapi.Config{})
	w := fx.apiCall("POST", "/v1/approvals", fx.service.Secret, fmt.Sprintf(depositBody, "ann@example.com"))
	a := decodeApproval(t, w)
	revokedService, _ := account.CreateServiceKey(ctx, fx.store, "old", account.ScopeApprovals, fx.clock.Now())
	if err := account.RevokeServiceKey(ctx, fx.store, revokedService.ID, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	revoked, _ := fx.svc.CreateAPIKey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeCreateAPIKey), "old")
	fx.svc.RevokeAPIKey(ctx, fx.u.Session.Token, revoked.ID)
	routes := []struct{ method, path, body string }{
		{"POST", "/v1/approvals", fmt.Sprintf(depositBody, "ann@example.com")},
		{"GET", "/v1/approvals/" + a.ID + "?account=ann@example.com", ""},
		{"GET", "/v1/requester/passkeys?account=ann@example.com", ""},
		{"GET", "/v1/requester/passkeys/events?account=ann@example.com", ""},
	}
	for _, tc := range []struct {
		name, key, origin string
		code              int
		word              string
	}{
		{"no key", "", "", 401, "invalid-api-key"},
		{"a session token", fx.u.Session.Token, "", 401, "invalid-api-key"},
		{"a made-up service key", "pdks_" + strings.Repeat("A", 43), "", 401, "invalid-api-key"},
		{"a revoked account key", revoked.Secret, "", 401, "invalid-api-key"},
		{"a revoked service key", revokedService.Secret, "", 401, "invalid-api-key"},
		{"another origin", fx.service.Secret, "https://evil.example", 403, "cross-origin"},
	} {
		for _, r := range routes {
			var hdr []string
			if tc.origin != "" {
				hdr = []string{"Origin", tc.origin}
			}
			w := fx.apiCall(r.method, r.path, tc.key, r.body, hdr...)
			if w.Code != tc.code || errorWord(t, w) != tc.word {
				t.Errorf("%s, %s %s: %d %s", tc.name, r.method, r.path, w.Code, w.Body)
			}
		}
	}
	// Bob's own key names Ann: a clear refusal, on every route but the
	// read, where Ann's approval is simply not found.
	for _, r := range routes {
		w := fx.apiCall(r.method, r.path, fx.bobKey, r.body)
		want, word := 400, "invalid-input"
		if strings.HasPrefix(r.path, "/v1/approvals/") {
			want, word = 404, "not-found"
		}
		if w.Code != want || errorWord(t, w) != word {
			t.Errorf("Bob's key, %s %s: %d %s", r.method, r.path, w.Code, w.Body)
		}
	}
	// A service key names the account.
	for _, path := range []string{"/v1/requester/passkeys", "/v1/requester/passkeys/events"} {
		if w := fx.apiCall("GET", path, fx.service.Secret, ""); w.Code != 400 || !strings.Contains(w.Body.String(), "account") {
			t.Errorf("a service key naming no account, %s: %d %s", path, w.Code, w.Body)
		}
	}
	if w := fx.apiCall("POST", "/v1/approvals", fx.service.Secret, fmt.Sprintf(depositBody, "")); w.Code != 400 {
		t.Errorf("a service key's request naming no account: %d %s", w.Code, w.Body)
	}
}

// TestServiceKeyRateLimit: each service key has its own allowance of
// approval requests, as each account key does.
func TestServiceKeyRateLimit(t *testing.T) {
	fx := newRequesterFixture(t, httpapi.Config{ApprovalRate: 1, ApprovalBurst: 2})
	other, err := account.CreateServiceKey(ctx, fx.store, "exchange-eu", account.ScopeApprovals, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(depositBody, "bob@example.com")
	for i := range 2 {
		if w := fx.apiCall("POST", "/v1/approvals", fx.service.Secret, body); w.Code != 201 {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	if w := fx.apiCall("POST", "/v1/approvals", fx.service.Secret, body); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("past the burst: %d %s", w.Code, w.Body)
	}
	if w := fx.apiCall("POST", "/v1/approvals", other.Secret, body); w.Code != 201 {
		t.Fatalf("another service key: %d %s", w.Code, w.Body)
	}
}

// TestPasskeyEventsOverHTTP: the stream sends the passkeys held at once as
// "added", then a new one as it is bound and a removed one as it goes.
func TestPasskeyEventsOverHTTP(t *testing.T) {
	fx := newRequesterFixture(t, httpapi.Config{})
	srv := httptest.NewServer(fx.h)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL+"/v1/requester/passkeys/events?account=ann%40example.com", nil)
	req.Header.Set("Authorization", "Bearer "+fx.service.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan [2]string, 8)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{name, v}
			}
		}
	}()
	nextEvent := func() (string, httpapi.RequesterPasskey) {
		t.Helper()
		select {
		case e, ok := <-events:
			var p httpapi.RequesterPasskey
			if !ok || json.Unmarshal([]byte(e[1]), &p) != nil {
				t.Fatalf("the stream ended or sent %q", e)
			}
			return e[0], p
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return "", httpapi.RequesterPasskey{}
	}
	if name, p := nextEvent(); name != "added" || p.ID != fx.pk.ID || p.Algorithm != -7 || p.PublicKey == "" {
		t.Fatalf("the first event: %s %+v", name, p)
	}
	ed := fx.u.AddPasskey(t, &accounttest.Authenticator{Algorithm: accounttest.AlgEdDSA}, account.KindSecurityKey, "Ed key")
	if name, p := nextEvent(); name != "added" || p.ID != ed.ID || p.Algorithm != -8 {
		t.Fatalf("after an addition: %s %+v", name, p)
	}
	if err := fx.svc.RemovePasskey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeRemovePasskey), ed.ID); err != nil {
		t.Fatal(err)
	}
	if name, p := nextEvent(); name != "removed" || p.ID != ed.ID || p.StillHeld {
		t.Fatalf("after a removal: %s %+v", name, p)
	}
}
