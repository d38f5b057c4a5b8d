package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// limitsOff gives the fixture a handler without rate limits: a fuzzer
// calls far more often than any limit allows, and a 429 would hide the
// decoders behind it.
func (f *fixture) limitsOff(t testing.TB) {
	t.Helper()
	h, err := httpapi.New(f.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: f.clock.Now, RateLimitsOff: true})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
}

// FuzzPageCalls sends arbitrary bodies to every page endpoint. Whatever the
// bytes, the answer is a 2xx or a 4xx with a JSON reason, never a 5xx or
// a panic. The seeds are the bodies of TestPageCallsRefuse and of a whole
// valid enrollment.
func FuzzPageCalls(f *testing.F) {
	fx := newFixture(f)
	fx.limitsOff(f)
	paths := []string{"open", "wait", "options", "result"}
	for i, body := range []string{
		fx.body(device1, ""),
		fx.body(device1, `,"state":"waiting"`), // after the open above: answers at once
		fx.body(device1, `,"state":"x"`),
		fx.body(device1, `,"code":"12a"`),
		fx.body(device1, `,"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{}}`),
		fx.body(device1, `,"credential":"x"`),
		fx.body(device1, `,"admin":true`),
		`{"device":"` + device1 + `"}`,
		`{"link":"../../etc","device":"` + device1 + `"}`,
		`{"link":null,"device":[]}`,
		`{}{}`,
		`[]`,
		`null`,
		"link=x",
		"",
	} {
		f.Add(uint8(i), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		w := fx.call(path, body)
		if msg := wantReasoned(t, fmt.Sprintf("%s %q", path, body), w); strings.Contains(msg, "ann@") {
			t.Fatalf("%s: the reason shows the email: %s", path, msg)
		}
	})
}

// FuzzDesktopConfirm sends arbitrary bodies to the desktop's confirm
// call, on an enrollment a phone has opened: never a 5xx.
func FuzzDesktopConfirm(f *testing.F) {
	fx := newFixture(f)
	fx.limitsOff(f)
	if w := fx.call("open", fx.body(device1, "")); w.Code != 200 {
		f.Fatalf("open: %d %s", w.Code, w.Body)
	}
	for _, body := range []string{`{"code":"123456"}`, `{"code":"123 456"}`, `{"code":"123-456"}`, `{"code":"12a"}`, `{"code":5}`,
		`{"code":"` + strings.Repeat("-", 1000) + `1"}`, `{`, ``} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		wantReasoned(t, fmt.Sprintf("%q", body), fx.desktopCall("POST", "/api/enrollments/"+fx.enr.ID+"/confirm", fx.u.Session.Token, body))
	})
}

// FuzzDesktopBegin sends arbitrary bodies to the desktop's begin call.
func FuzzDesktopBegin(f *testing.F) {
	fx := newFixture(f)
	fx.limitsOff(f)
	for _, body := range []string{`{"grant":"x"}`, `{"grant":5}`, `{"grant":"x","y":1}`, `{`, ``, strings.Repeat(" ", 70000)} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		wantReasoned(t, fmt.Sprintf("%q", body), fx.desktopCall("POST", "/api/enrollments", fx.u.Session.Token, body))
	})
}

// v1Route is a /v1/ call that reads a body: how to reach it, as the
// fuzz target below sends it.
type v1Route struct {
	method, path string
	auth         string // "", "session" or "apikey"
}

// FuzzV1Bodies sends arbitrary bodies to every /v1/ call that reads one,
// on a real service, with the user's session or API key where the call
// needs one and real IDs in the paths (a passkey, an approval, an
// enrollment, a verification). Whatever the bytes, the answer is a 2xx
// or a 4xx with {"error", "message"}, never a 5xx or a panic. The seeds
// are each call's valid body, and malformed ones.
func FuzzV1Bodies(f *testing.F) {
	fx := newApprovalFixture(f)
	fx.limitsOff(f)
	tok := fx.u.Session.Token
	v, err := fx.svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
	if err != nil {
		f.Fatal(err)
	}
	approval, err := fx.svc.RequestApproval(ctx, fx.key, account.ApprovalRequest{Operation: account.Operation{Kind: account.OperationDeposit,
		Asset: "USDT", Amount: "250", Network: "TRC20", Destination: "TXYZ1234567890abcdefghijkLMNOPQRS"}})
	if err != nil {
		f.Fatal(err)
	}
	// A real assertion, for the seeds of the calls that take one.
	opts, err := fx.svc.BeginLogin(ctx, fx.u.Email)
	if err != nil {
		f.Fatal(err)
	}
	assertion, err := fx.auth.Assert(opts)
	if err != nil {
		f.Fatal(err)
	}
	grant := fx.u.Grant(f, account.PurposeAddPasskey)
	routes := []v1Route{
		{"POST", "/v1/signup", ""},
		{"POST", "/v1/signup/confirm", ""},
		{"POST", "/v1/signin", ""},
		{"POST", "/v1/login/begin", ""},
		{"POST", "/v1/login/finish", ""},
		{"POST", "/v1/verifications", "session"},
		{"POST", "/v1/verifications/" + v.ID + "/complete", "session"},
		{"POST", "/v1/registrations/begin", "session"},
		{"POST", "/v1/registrations/finish", "session"},
		{"PATCH", "/v1/passkeys/" + fx.pk.ID, "session"},
		{"POST", "/v1/passkeys/" + fx.pk.ID + "/remove", "session"},
		{"POST", "/v1/passkeys/lost", "session"},
		{"POST", "/v1/passkey-verifications/begin", "session"},
		{"POST", "/v1/passkey-verifications/finish", "session"},
		{"PUT", "/v1/policy/passkey-required", "session"},
		{"POST", "/v1/apikeys", "session"},
		{"POST", "/v1/approvals", "apikey"},
		{"POST", "/v1/approvals/" + approval.ID + "/finish", "session"},
		{"POST", "/v1/enrollments", "session"},
		{"POST", "/v1/enrollments/" + fx.enr.ID + "/confirm", "session"},
		{"POST", "/v1/phone-signins", ""},
	}
	valid := map[string]string{
		"/v1/signup":                                `{"Email":"new@example.com","DisplayName":"New","Password":"a long enough password"}`,
		"/v1/signup/confirm":                        `{"EnrollmentID":"x","Code":"123456"}`,
		"/v1/signin":                                `{"Email":"ann@example.com","Password":"wrong","Code":"123456"}`,
		"/v1/login/begin":                           `{"Email":"ann@example.com"}`,
		"/v1/login/finish":                          string(assertion),
		"/v1/verifications":                         `{"Purpose":"add-passkey"}`,
		"/v1/registrations/begin":                   `{"Grant":"` + grant + `","Kind":"security-key"}`,
		"/v1/registrations/finish":                  `{"Grant":"` + grant + `","Name":"Key","Credential":{"id":"AA","rawId":"AA","type":"public-key","response":{}}}`,
		"/v1/passkeys/lost":                         `{"Grant":"x","PasskeyIDs":["` + fx.pk.ID + `"],"Why":"lost"}`,
		"/v1/passkey-verifications/begin":           `{"Purpose":"remove-passkey"}`,
		"/v1/passkey-verifications/finish":          string(assertion),
		"/v1/policy/passkey-required":               `{"Grant":"x","On":true}`,
		"/v1/apikeys":                               `{"Name":"backend 2"}`,
		"/v1/approvals":                             withdrawalBody,
		"/v1/enrollments":                           `{"Grant":"x"}`,
		"/v1/verifications/" + v.ID + "/complete":   `{"Password":"wrong","TOTPCode":"123456"}`,
		"/v1/passkeys/" + fx.pk.ID:                  `{"Name":"Renamed"}`,
		"/v1/passkeys/" + fx.pk.ID + "/remove":      `{"Grant":"x"}`,
		"/v1/approvals/" + approval.ID + "/finish":  string(assertion),
		"/v1/enrollments/" + fx.enr.ID + "/confirm": `{"Code":"123 456"}`,
		"/v1/phone-signins":                         `{"Computer":"ann-laptop"}`,
	}
	malformed := []string{``, `{`, `{}{}`, `[]`, `null`, `"x"`, `{"Unknown":1}`, `{"Email":5}`, `{"Grant":null}`,
		`{"Name":"` + strings.Repeat("é", 300) + `"}`, `{"Purpose":"` + strings.Repeat("x", 1000) + `"}`,
		`{"PasskeyIDs":"x"}`, `{"expiresInSeconds":-1,"kind":"withdrawal"}`, `{"amount":1e400}`, "\xff\xfe{}"}
	for i, rt := range routes {
		f.Add(uint8(i), valid[rt.path])
		for _, body := range malformed {
			f.Add(uint8(i), body)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		rt := routes[int(which)%len(routes)]
		key := ""
		switch rt.auth {
		case "session":
			key = tok
		case "apikey":
			key = fx.key
		}
		w := fx.apiCall(rt.method, rt.path, key, body)
		wantReasoned(t, fmt.Sprintf("%s %s %q", rt.method, rt.path, body), w)
	})
}

// FuzzSignInPageCalls sends arbitrary bodies to the phone sign-in page's
// endpoints: a 2xx or a 4xx with a JSON reason, never a 5xx or a panic.
func FuzzSignInPageCalls(f *testing.F) {
	fx := newFixture(f)
	fx.limitsOff(f)
	ps, err := fx.svc.BeginPhoneSignIn(ctx, "fuzzed-pc")
	if err != nil {
		f.Fatal(err)
	}
	_, link, _ := strings.Cut(ps.URL, "#")
	paths := []string{"signin/open", "signin/options", "signin/finish"}
	for i, body := range []string{
		`{"link":"` + link + `"}`,
		`{"link":"` + link + `","code":"12a"}`,
		`{"link":"` + link + `","code":"` + strings.Repeat("1", 5000) + `"}`,
		`{"link":"` + link + `","assertion":{"id":"AA","rawId":"AA","type":"public-key","response":{}}}`,
		`{"link":"` + link + `","assertion":"x"}`,
		`{"link":"` + link + `","admin":true}`,
		`{"link":"../../etc"}`,
		`{"link":null,"code":[]}`,
		`{}{}`,
		`[]`,
		`null`,
		"",
	} {
		f.Add(uint8(i), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		wantReasoned(t, fmt.Sprintf("%s %q", path, body), fx.call(path, body))
	})
}

// wantReasoned fails t unless w is a 2xx, or a 4xx with a JSON reason
// (error and message); what names the call in the failure. It gives the
// reason's message ("" for a 2xx).
func wantReasoned(t *testing.T, what string, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d %s", what, w.Code, w.Body)
	}
	if w.Code/100 == 2 {
		return ""
	}
	var e struct{ Error, Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
		t.Fatalf("%s: status %d without a JSON reason: %s", what, w.Code, w.Body)
	}
	return e.Message
}
