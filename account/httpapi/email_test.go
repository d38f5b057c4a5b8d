package httpapi_test

import (
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// The email routes answer bad requests with a 4xx and a reason, and the
// service's refusals with their own codes: no mail, too many codes, a
// wrong or used code, a missing session.
func TestEmailRoutes(t *testing.T) {
	sink := accounttest.StartMailSink(t)
	handler := func(mailer account.Mailer) (*fixture, *accounttest.User) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{Mailer: mailer})
		h, err := httpapi.New(svc, httpapi.Config{PublicURL: accounttest.Origin, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		return &fixture{svc: svc, clock: clock, u: u, h: h}, u
	}
	f, u := handler(sink.Mailer())
	plain, pu := handler(nil)
	tok := u.Session.Token
	code := sink.LastCode("ann@example.com", "email confirmation code")
	for _, tc := range []struct {
		name              string
		f                 *fixture
		method, path, tok string
		body              string
		status            int
		word              string
	}{
		{"no session", f, "GET", "/v1/email", "", "", 401, "unauthenticated"},
		{"unknown session", f, "POST", "/v1/email/code", "nope", "", 401, "unauthenticated"},
		{"not JSON", f, "POST", "/v1/email/confirm", tok, "code=1", 400, "invalid-body"},
		{"unknown field", f, "POST", "/v1/email/confirm", tok, `{"Code":"123456","Admin":true}`, 400, "invalid-body"},
		{"wrong code", f, "POST", "/v1/email/confirm", tok, `{"Code":"` + wrongCode(code) + `"}`, 422, "wrong-code"},
		{"malformed address", f, "PUT", "/v1/email", tok, `{"Grant":"x","Email":"nope"}`, 400, "invalid-input"},
		{"no grant", f, "PUT", "/v1/email", tok, `{"Grant":"","Email":"new@example.com"}`, 403, "grant-required"},
		{"no mail: send", plain, "POST", "/v1/email/code", pu.Session.Token, "", 409, "mail-not-configured"},
		{"no mail: confirm", plain, "POST", "/v1/email/confirm", pu.Session.Token, `{"Code":"123456"}`, 409, "mail-not-configured"},
		{"right code", f, "POST", "/v1/email/confirm", tok, `{"Code":"` + code + `"}`, 200, ""},
		{"used code", f, "POST", "/v1/email/confirm", tok, `{"Code":"` + code + `"}`, 410, "no-email-code"},
		{"nothing to send", f, "POST", "/v1/email/code", tok, "", 410, "no-email-code"},
	} {
		w := tc.f.desktopCall(tc.method, tc.path, tc.tok, tc.body)
		if w.Code != tc.status || (tc.word != "" && errorWord(t, w) != tc.word) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.word)
		}
	}

	// "Send again" past the limit is a 429.
	g, again := handler(sink.Mailer())
	last := 0
	for range account.MaxEmailSends {
		last = g.desktopCall("POST", "/v1/email/code", again.Session.Token, "").Code
	}
	if w := g.desktopCall("POST", "/v1/email/code", again.Session.Token, ""); last != 429 || w.Code != 429 || errorWord(t, w) != "too-many-emails" {
		t.Fatalf("past the limit: %d %s (the sends before ended with %d)", w.Code, w.Body, last)
	}
}
