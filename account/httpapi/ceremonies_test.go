package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// TestCeremonyOutcomes: each call that ends a ceremony is reported once,
// as "ok" or with the error code its answer carried, whichever wrapper
// answered (the service, the body check, the rate limit, the session
// check); a call that is no ceremony's is not reported.
func TestCeremonyOutcomes(t *testing.T) {
	f := newLimitFixture(t)
	var (
		mu  sync.Mutex
		got []string
	)
	h, err := httpapi.New(f.svc, httpapi.Config{PublicURL: accounttest.Origin, Now: f.clock.Now,
		ClientAddr: func(r *http.Request) string { return r.Header.Get("X-Client") },
		Ceremony: func(ceremony, outcome string) {
			mu.Lock()
			got = append(got, ceremony+" "+outcome)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	bob := f.bob
	signIn := func(client, password, code string) int {
		return f.do("POST", "/v1/signin", client, "", fmt.Sprintf(`{"Email":%q,"Password":%q,"Code":%q}`, bob.Email, password, code)).Code
	}
	if c := signIn("192.0.2.1", bob.Password, bob.Code(t)); c != 200 {
		t.Fatalf("sign-in: %d", c)
	}
	if c := signIn("192.0.2.2", "not the password", bob.Code(t)); c != 401 {
		t.Fatalf("wrong password: %d", c)
	}
	if w := f.do("POST", "/v1/signin", "192.0.2.3", "", `{"Email":`); w.Code != 400 {
		t.Fatalf("a cut body: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/v1/approvals/nope/finish", "192.0.2.4", "", `{}`); w.Code != 401 {
		t.Fatalf("an approval without a session: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/v1/login/begin", "192.0.2.5", "", `{"Email":""}`); w.Code != 200 {
		t.Fatalf("login begin: %d %s", w.Code, w.Body)
	}
	// The phone sign-in's code, wrong, and its finish before the code.
	ps, err := f.svc.BeginPhoneSignIn(ctx, "pc")
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(ps.URL, "#")
	wrong := wrongCode(ps.Code)
	if w := f.do("POST", "/api/phone/signin/options", "192.0.2.6", "", `{"link":"`+link+`","code":"`+wrong+`"}`); w.Code != 422 {
		t.Fatalf("a wrong code on the phone: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/api/phone/signin/finish", "192.0.2.6", "", `{"link":"`+link+`","assertion":{"id":"AA"}}`); w.Code != 409 {
		t.Fatalf("a finish before the code: %d %s", w.Code, w.Body)
	}
	// Over the address's sign-in limit.
	lim := httpapi.DefaultLimits.SignInPerIP
	for i := range lim.Burst + 1 {
		f.do("POST", "/v1/signin", "198.51.100.9", "", fmt.Sprintf(`{"Email":"n%d@example.com","Password":"x","Code":"000000"}`, i))
	}
	want := []string{
		"password-sign-in ok",
		"password-sign-in invalid-credentials",
		"password-sign-in invalid-body",
		"approval unauthenticated",
		"phone-sign-in-code wrong-code",
		"phone-sign-in sign-in-wrong-step",
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got[:len(want)], want) {
		t.Errorf("outcomes %q, want %q first", got, want)
	}
	if n := len(got) - len(want); n != lim.Burst+1 {
		t.Errorf("%d outcomes over the limit's %d calls", n, lim.Burst+1)
	}
	if last := got[len(got)-1]; last != "password-sign-in rate-limited" {
		t.Errorf("the call over the limit: %q", last)
	}
}
