package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// pageCall posts body to an approval page call from the page's origin.
func (fx *approvalFixture) pageCall(call, body string, hdr ...string) *httptest.ResponseRecorder {
	return fx.apiCall("POST", "/api/phone/approval/"+call, "", body, append([]string{"Origin", accounttest.Origin}, hdr...)...)
}

// phoneLink asks for a phone link of approval id with session token, over
// HTTP, and returns the link's token.
func (fx *approvalFixture) phoneLink(t *testing.T, token, id string) (*account.ApprovalLink, string) {
	t.Helper()
	w := fx.apiCall("POST", "/v1/approvals/"+id+"/phone-link", token, "")
	var l account.ApprovalLink
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &l) != nil || l.ApprovalID != id {
		t.Fatalf("POST /v1/approvals/%s/phone-link: %d %s", id, w.Code, w.Body)
	}
	_, link, ok := strings.Cut(l.URL, "/approve#")
	if !ok || !strings.HasPrefix(l.URL, accounttest.Origin+"/approve#") {
		t.Fatalf("the link %q", l.URL)
	}
	return &l, link
}

// TestPhoneApprovalOverHTTP: the desktop's link, the page's calls and the
// desktop's read of the outcome, with the doors each must keep: another
// account's session, none, an ended one; another device, another origin,
// a used or expired link.
func TestPhoneApprovalOverHTTP(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	a := decodeApproval(t, fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody))

	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	ended, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.SignOut(ctx, ended.Token); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/approvals/" + a.ID + "/phone-link", "/v1/approvals/" + a.ID + "/state"} {
		method := "POST"
		if strings.HasSuffix(path, "/state") {
			method = "GET"
		}
		for _, c := range []struct {
			who, token string
			status     int
			word       string
		}{
			{"another account's session", bob.Session.Token, 404, "not-found"},
			{"no session", "", 401, "unauthenticated"},
			{"a signed-out session", ended.Token, 401, "unauthenticated"},
			{"an API key", fx.key, 401, "unauthenticated"},
		} {
			if w := fx.apiCall(method, path, c.token, ""); w.Code != c.status || errorWord(t, w) != c.word {
				t.Errorf("%s %s with %s: %d %s", method, path, c.who, w.Code, w.Body)
			}
		}
	}
	l, link := fx.phoneLink(t, tok, a.ID)
	for _, c := range []struct {
		who, token string
		status     int
	}{
		{"another account's session", bob.Session.Token, 404},
		{"no session", "", 401},
		{"a signed-out session", ended.Token, 401},
	} {
		if w := fx.apiCall("DELETE", "/v1/approval-links/"+l.ID, c.token, ""); w.Code != c.status {
			t.Errorf("DELETE the link with %s: %d %s", c.who, w.Code, w.Body)
		}
	}
	if w := fx.apiCall("DELETE", "/v1/approval-links/"+l.ID, tok, ""); w.Code != 204 {
		t.Fatalf("DELETE the link: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("open", fmt.Sprintf(`{"link":%q,"device":%q}`, link, device1)); w.Code != 409 || errorWord(t, w) != "link-used" {
		t.Errorf("open a canceled link: %d %s", w.Code, w.Body)
	}
	if w := fx.apiCall("POST", "/v1/approvals/nope/phone-link", tok, ""); w.Code != 404 {
		t.Errorf("a link for no approval: %d %s", w.Code, w.Body)
	}

	l, link = fx.phoneLink(t, tok, a.ID)
	open := fmt.Sprintf(`{"link":%q,"device":%q}`, link, device1)
	if w := fx.pageCall("open", open, "Origin", "https://evil.example"); w.Code != 403 {
		t.Errorf("open from another origin: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("open", `{"link":"","device":"`+device1+`"}`); w.Code != 400 {
		t.Errorf("open with no link: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("open", fmt.Sprintf(`{"link":%q,"device":%q}`, strings.Repeat("A", 22), device1)); w.Code != 410 || errorWord(t, w) != "link-ended" {
		t.Errorf("open with an unknown link: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("options", open); w.Code != 400 || errorWord(t, w) != "invalid-input" {
		t.Errorf("options before open: %d %s", w.Code, w.Body)
	}
	w := fx.pageCall("open", open)
	var page httpapi.ApprovalPageAnswer
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &page) != nil {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	if page.ApprovalID != a.ID || page.Kind != "withdrawal" || page.Amount != "0.015" || page.Asset != "BTC" ||
		page.Destination != "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" || page.Requester != "backend" ||
		page.Email != "a•••@example.com" || !page.ExpiresAt.Equal(l.ExpiresAt) || !page.Now.Equal(fx.clock.Now()) || page.State != "pending" {
		t.Fatalf("the page: %+v", page)
	}
	if strings.Contains(w.Body.String(), "ann@") || strings.Contains(w.Body.String(), "nonce") {
		t.Fatalf("the page's answer says too much: %s", w.Body)
	}
	other := fmt.Sprintf(`{"link":%q,"device":%q}`, link, device2)
	if w := fx.pageCall("open", other); w.Code != 409 || errorWord(t, w) != "link-used" {
		t.Errorf("open on another device: %d %s", w.Code, w.Body)
	}
	w = fx.pageCall("options", open)
	if w.Code != 200 {
		t.Fatalf("options: %d %s", w.Code, w.Body)
	}
	assertion, err := fx.auth.Assert(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	finish := fmt.Sprintf(`{"link":%q,"device":%q,"credential":%s}`, link, device1, assertion)
	if w := fx.pageCall("finish", open); w.Code != 400 {
		t.Errorf("finish with no credential: %d %s", w.Code, w.Body)
	}
	w = fx.pageCall("finish", finish)
	var decision httpapi.ApprovalDecision
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &decision) != nil || decision.State != "approved" || decision.PasskeyName != "Blue key" {
		t.Fatalf("finish: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("finish", finish); w.Code != 409 || errorWord(t, w) != "link-used" {
		t.Errorf("a replayed finish: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("open", open); w.Code != 409 || errorWord(t, w) != "link-used" {
		t.Errorf("opening a used link: %d %s", w.Code, w.Body)
	}
	w = fx.apiCall("GET", "/v1/approvals/"+a.ID+"/state", tok, "")
	var mine account.Approval
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &mine) != nil || mine.State != account.ApprovalApproved || mine.PasskeyName != "Blue key" {
		t.Fatalf("the desktop's read: %d %s", w.Code, w.Body)
	}

	// Deny through a second link; then an expired one.
	b := decodeApproval(t, fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody))
	_, link = fx.phoneLink(t, tok, b.ID)
	open = fmt.Sprintf(`{"link":%q,"device":%q}`, link, device1)
	if w := fx.pageCall("open", open); w.Code != 200 {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("deny", open); w.Code != 200 || !strings.Contains(w.Body.String(), `"denied"`) {
		t.Fatalf("deny: %d %s", w.Code, w.Body)
	}
	if got := decodeApproval(t, fx.apiCall("GET", "/v1/approvals/"+b.ID, fx.key, "")); got.State != "denied" {
		t.Fatalf("the requester reads %s", got.State)
	}
	c := decodeApproval(t, fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody))
	_, link = fx.phoneLink(t, tok, c.ID)
	fx.clock.Advance(account.ApprovalLinkLifetime)
	if w := fx.pageCall("open", fmt.Sprintf(`{"link":%q,"device":%q}`, link, device1)); w.Code != http.StatusGone || errorWord(t, w) != "link-ended" {
		t.Errorf("an expired link: %d %s", w.Code, w.Body)
	}
}

// TestPhoneApprovalCeremoniesCounted: the approval page's Approve and
// Deny are counted as ceremonies with their outcomes, as the desktop's
// are.
func TestPhoneApprovalCeremoniesCounted(t *testing.T) {
	fx := newApprovalFixture(t)
	var got []string
	h, err := httpapi.New(fx.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: fx.clock.Now,
		Ceremony: func(ceremony, outcome string) { got = append(got, ceremony+" "+outcome) }})
	if err != nil {
		t.Fatal(err)
	}
	fx.h = h
	a := decodeApproval(t, fx.apiCall("POST", "/v1/approvals", fx.key, withdrawalBody))
	_, link := fx.phoneLink(t, fx.u.Session.Token, a.ID)
	open := fmt.Sprintf(`{"link":%q,"device":%q}`, link, device1)
	if w := fx.pageCall("open", open); w.Code != 200 {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("deny", open); w.Code != 200 {
		t.Fatalf("deny: %d %s", w.Code, w.Body)
	}
	if w := fx.pageCall("finish", fmt.Sprintf(`{"link":%q,"device":%q,"credential":{}}`, link, device1)); w.Code != 409 {
		t.Fatalf("finish on a used link: %d %s", w.Code, w.Body)
	}
	if want := "phone-denial ok,phone-approval link-used"; strings.Join(got, ",") != want {
		t.Fatalf("ceremonies counted: %q, want %q", got, want)
	}
}

// FuzzApprovalPageCalls sends arbitrary bodies to every approval page
// call, on a link a phone has opened: whatever the bytes, a 2xx or a 4xx
// with a JSON reason, never a 5xx or a panic, never the email.
func FuzzApprovalPageCalls(f *testing.F) {
	fx := newApprovalFixture(f)
	fx.limitsOff(f)
	a, err := fx.svc.RequestApproval(ctx, fx.key, account.ApprovalRequest{Operation: account.Operation{
		Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Network: "Bitcoin", Destination: "bc1qdeposit"}, Lifetime: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	l, err := fx.svc.BeginPhoneApproval(ctx, fx.u.Session.Token, a.ID)
	if err != nil {
		f.Fatal(err)
	}
	_, link, _ := strings.Cut(l.URL, "#")
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, device1); err != nil {
		f.Fatal(err)
	}
	body := func(more string) string { return fmt.Sprintf(`{"link":%q,"device":%q%s}`, link, device1, more) }
	paths := []string{"approval/open", "approval/options", "approval/finish", "approval/deny"}
	for i, b := range []string{
		body(""),
		body(`,"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{}}`),
		body(`,"credential":"x"`),
		body(`,"state":"opened"`),
		body(`,"admin":true`),
		`{"link":"` + link + `","device":"` + device2 + `"}`,
		`{"link":"../../etc","device":"` + device1 + `"}`,
		`{"link":null,"device":[]}`,
		`{}{}`,
		`[]`,
		"",
	} {
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, which uint8, b string) {
		path := paths[int(which)%len(paths)]
		w := fx.call(path, b)
		wantReasoned(t, fmt.Sprintf("%s %q", path, b), w)
		if strings.Contains(w.Body.String(), "ann@") {
			t.Fatalf("%s: the answer shows the email: %s", path, w.Body)
		}
	})
}
