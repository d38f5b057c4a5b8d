package remote_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// serveMailed is serve with the service mailing to a loopback sink.
func serveMailed(t *testing.T) (*remote.Client, *accounttest.Clock, *accounttest.MailSink) {
	t.Helper()
	sink := accounttest.StartMailSink(t)
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{PublicURL: url, Mailer: sink.Mailer()})
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: url})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := remote.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock, sink
}

// The verified email over HTTP: the sign-up's code, "Send again", a
// change to a new address with a change-email grant, and every door
// (another account's session, none, an ended one; wrong, expired and
// used codes) shut with the account's own errors.
func TestEmailOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock, sink := serveMailed(t)
	ann := signUp(t, c, clock, "ann@example.com")
	bob := signUp(t, c, clock, "bob@example.com")

	me, err := c.Me(ctx, ann.token)
	if err != nil || !me.EmailUnconfirmed {
		t.Fatalf("me before confirming: %+v, %v", me, err)
	}
	st, err := c.EmailStatus(ctx, ann.token)
	if err != nil || !st.Configured || st.Verified || st.Pending != "ann@example.com" || st.SendsLeft != account.MaxEmailSends-1 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	annCode := sink.LastCode("ann@example.com", "email confirmation code")
	bobCode := sink.LastCode("bob@example.com", "email confirmation code")

	// The doors.
	if _, err := c.EmailStatus(ctx, "made-up"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("status without a session: %v", err)
	}
	if _, err := c.SendEmailCode(ctx, "made-up"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("send without a session: %v", err)
	}
	if _, err := c.ConfirmEmail(ctx, "made-up", annCode); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("confirm without a session: %v", err)
	}
	if annCode != bobCode {
		if _, err := c.ConfirmEmail(ctx, bob.token, annCode); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("ann's code in bob's session: %v", err)
		}
	}
	if _, err := c.ConfirmEmail(ctx, ann.token, "12345x"); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("a wrong code: %v", err)
	}
	clock.Advance(account.EmailCodeLifetime)
	if _, err := c.ConfirmEmail(ctx, ann.token, annCode); !errors.Is(err, account.ErrNoEmailCode) {
		t.Fatalf("an expired code: %v", err)
	}
	if _, err := c.SendEmailCode(ctx, ann.token); err != nil {
		t.Fatalf("send again: %v", err)
	}
	annCode = sink.LastCode("ann@example.com", "email confirmation code")
	if st, err := c.ConfirmEmail(ctx, ann.token, annCode); err != nil || !st.Verified {
		t.Fatalf("confirm: %+v, %v", st, err)
	}
	if _, err := c.ConfirmEmail(ctx, ann.token, annCode); !errors.Is(err, account.ErrNoEmailCode) {
		t.Fatalf("a used code: %v", err)
	}
	if _, err := c.SendEmailCode(ctx, ann.token); !errors.Is(err, account.ErrNoEmailCode) {
		t.Fatalf("send again when confirmed: %v", err)
	}

	// A change: the grant now takes the old address's code too.
	v, err := c.BeginVerification(ctx, ann.token, account.PurposeChangeEmail)
	if err != nil || v.EmailSentTo == "" {
		t.Fatalf("verification: %+v, %v", v, err)
	}
	g, err := c.CompleteVerification(ctx, ann.token, v.ID, account.Proof{Password: ann.password, TOTPCode: ann.code(t),
		EmailCode: sink.LastCode("ann@example.com", "verification code")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChangeEmail(ctx, ann.token, "", "new@example.com"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("no grant: %v", err)
	}
	if _, err := c.ChangeEmail(ctx, bob.token, g.Token, "new@example.com"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("another account's session: %v", err)
	}
	if _, err := c.ChangeEmail(ctx, "made-up", g.Token, "new@example.com"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
	if _, err := c.ChangeEmail(ctx, ann.token, g.Token, "bob@example.com"); !errors.Is(err, account.ErrEmailTaken) {
		t.Fatalf("a taken address: %v", err)
	}
	var in *account.InputError
	if _, err := c.ChangeEmail(ctx, ann.token, g.Token, "nope"); !errors.As(err, &in) || in.Field != "email" {
		t.Fatalf("a malformed address: %v", err)
	}
	if st, err := c.ChangeEmail(ctx, ann.token, g.Token, "new@example.com"); err != nil || st.Pending != "new@example.com" {
		t.Fatalf("change: %+v, %v", st, err)
	}
	if _, err := c.ChangeEmail(ctx, ann.token, g.Token, "other@example.com"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("a used grant: %v", err)
	}
	if st, err := c.ConfirmEmail(ctx, ann.token, sink.LastCode("new@example.com", "email confirmation code")); err != nil || st.Email != "new@example.com" {
		t.Fatalf("confirming the new address: %+v, %v", st, err)
	}
	sink.WaitFor(t, "ann@example.com", "Your account's email was changed")

	// An ended session is shut out.
	if err := c.SignOut(ctx, bob.token); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConfirmEmail(ctx, bob.token, bobCode); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("an ended session: %v", err)
	}
}

// A sign-in over HTTP from an app the account has not used is an alert
// that names the app and the address the server saw.
func TestNewDeviceAlertOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock, sink := serveMailed(t)
	ann := signUp(t, c, clock, "ann@example.com")
	if _, err := c.ConfirmEmail(ctx, ann.token, sink.LastCode("ann@example.com", "email confirmation code")); err != nil {
		t.Fatal(err)
	}
	// The sign-up's own client is known; sign in from it again.
	if _, err := c.SignIn(ctx, ann.email, ann.password, ann.code(t)); err != nil {
		t.Fatal(err)
	}
	if n := sink.Count("ann@example.com", "new device"); n != 0 {
		t.Fatalf("%d new-device alerts for the sign-up's own client", n)
	}
	other, err := remote.New(c.URL(), &http.Client{Transport: agent("Passkey Desk on another computer")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.SignIn(ctx, ann.email, ann.password, ann.code(t)); err != nil {
		t.Fatal(err)
	}
	sink.WaitFor(t, "ann@example.com", "Your account was signed in from a new device", "Passkey Desk on another computer at 127.0.0.1")
}

// agent is a transport that names its app in User-Agent.
type agent string

func (a agent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(a))
	return http.DefaultTransport.RoundTrip(r)
}
