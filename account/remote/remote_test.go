package remote_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// serve starts the HTTP API of a fresh service and returns a client of it
// with the service's clock.
func serve(t *testing.T) (*remote.Client, *accounttest.Clock) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{PublicURL: url})
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
	return c, clock
}

// user signs up through the client.
type user struct {
	email, password, secret string
	token                   string
	clock                   *accounttest.Clock
	// recovery are the recovery codes sign-up gave.
	recovery []string
}

func (u *user) code(t *testing.T) string {
	t.Helper()
	u.clock.Advance(30 * time.Second)
	code, err := account.TOTPCode(u.secret, u.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func signUp(t *testing.T, c *remote.Client, clock *accounttest.Clock, email string) *user {
	t.Helper()
	ctx := context.Background()
	u := &user{email: email, password: "correct horse battery", clock: clock}
	enr, err := c.SignUp(ctx, account.SignUpRequest{Email: email, DisplayName: "Remote User", Password: u.password})
	if err != nil {
		t.Fatalf("sign-up: %v", err)
	}
	u.secret = enr.Secret
	s, err := c.ConfirmSignUp(ctx, enr.ID, u.code(t))
	if err != nil {
		t.Fatalf("confirming: %v", err)
	}
	u.token, u.recovery = s.Token, s.RecoveryCodes
	return u
}

func (u *user) grant(t *testing.T, c *remote.Client, purpose account.Purpose) string {
	t.Helper()
	ctx := context.Background()
	v, err := c.BeginVerification(ctx, u.token, purpose)
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.CompleteVerification(ctx, u.token, v.ID, account.Proof{Password: u.password, TOTPCode: u.code(t)})
	if err != nil {
		t.Fatal(err)
	}
	return g.Token
}

// TestTheWholeAccountOverHTTP: an account's life through the client, as
// the desktop app lives it on a server: sign-up, a passkey bound and
// renamed, passkey sign-in, an approval requested by a backend and
// approved, the activity exported, removal, sign-out.
func TestTheWholeAccountOverHTTP(t *testing.T) {
	c, clock := serve(t)
	ctx := context.Background()
	u := signUp(t, c, clock, "whole@example.com")
	me, err := c.Me(ctx, u.token)
	if err != nil || me.Email != u.email || len(me.UserHandle) != 32 {
		t.Fatalf("Me: %+v, %v", me, err)
	}
	grant := u.grant(t, c, account.PurposeAddPasskey)
	opts, err := c.BeginRegistration(ctx, u.token, grant, account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	auth := &accounttest.Authenticator{Packed: true}
	cred, err := auth.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := c.FinishRegistration(ctx, u.token, grant, cred, "Blue key")
	if err != nil {
		t.Fatalf("finishing registration: %v", err)
	}
	if pk.Name != "Blue key" || pk.Kind != account.KindSecurityKey || len(pk.PublicKey) == 0 {
		t.Fatalf("the new passkey: %+v", pk)
	}
	if _, err := c.RenamePasskey(ctx, u.token, pk.ID, "Red key"); err != nil {
		t.Fatal(err)
	}
	list, err := c.Passkeys(ctx, u.token)
	if err != nil || len(list) != 1 || list[0].Name != "Red key" || !list[0].CreatedAt.Equal(pk.CreatedAt) {
		t.Fatalf("the passkeys: %+v, %v", list, err)
	}

	login, err := c.BeginLogin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(login)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.FinishLogin(ctx, assertion)
	if err != nil || s.Account.Email != u.email {
		t.Fatalf("passkey sign-in: %+v, %v", s, err)
	}

	if _, err := c.CreateAPIKey(ctx, u.token, "", "exchange"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("an API key without an identity check: %v", err)
	}
	key, err := c.CreateAPIKey(ctx, u.token, u.grant(t, c, account.PurposeCreateAPIKey), "exchange")
	if err != nil || !strings.HasPrefix(key.Secret, account.APIKeyPrefix) {
		t.Fatalf("an API key: %+v, %v", key, err)
	}
	keys, err := c.ListAPIKeys(ctx, u.token)
	if err != nil || len(keys) != 1 || keys[0].Name != "exchange" {
		t.Fatalf("the API keys: %+v, %v", keys, err)
	}
	// A passkey added with password and code holds withdrawals for a
	// day; a deposit is not held.
	req := account.ApprovalRequest{Operation: account.Operation{Kind: account.OperationDeposit, Asset: "BTC", Amount: "0.015",
		Network: "Bitcoin", Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}}
	ap, err := c.RequestApproval(ctx, key.Secret, req)
	if err != nil || ap.State != account.ApprovalPending || len(ap.Nonce) != 32 {
		t.Fatalf("requesting an approval: %+v, %v", ap, err)
	}
	pending, err := c.PendingApprovals(ctx, u.token)
	if err != nil || len(pending) != 1 || pending[0].Operation != req.Operation {
		t.Fatalf("the pending approvals: %+v, %v", pending, err)
	}
	approveOpts, err := c.BeginApproval(ctx, u.token, ap.ID)
	if err != nil {
		t.Fatal(err)
	}
	approval, err := auth.Assert(approveOpts)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := c.FinishApproval(ctx, u.token, ap.ID, approval); err != nil || done.State != account.ApprovalApproved {
		t.Fatalf("approving: %+v, %v", done, err)
	}
	got, err := c.GetApproval(ctx, key.Secret, ap.ID)
	if err != nil || got.State != account.ApprovalApproved || got.Assertion == nil || len(got.Assertion.Signature) == 0 ||
		string(got.Challenge) != string(account.ChallengeFor(got.Nonce, got.ID, got.Operation)) {
		t.Fatalf("the requester's read: %+v, %v", got, err)
	}

	csv, err := c.ExportActivity(ctx, u.token, "csv", account.ActivityFilter{Type: account.EventApprovalApproved})
	if err != nil || !strings.HasPrefix(string(csv), "time,type,detail,source") || !strings.Contains(string(csv), "approval-approved") {
		t.Fatalf("the export: %q, %v", csv, err)
	}
	events, err := c.Activity(ctx, u.token, 5)
	if err != nil || len(events) != 5 {
		t.Fatalf("the activity: %d events, %v", len(events), err)
	}

	if err := c.RemovePasskey(ctx, u.token, u.grant(t, c, account.PurposeRemovePasskey), pk.ID); err != nil {
		t.Fatalf("removing: %v", err)
	}
	policy, err := c.Policy(ctx, u.token)
	if err != nil || policy.HoldUntil.IsZero() {
		t.Fatalf("the hold after a removal: %+v, %v", policy, err)
	}
	if err := c.SignOut(ctx, u.token); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(ctx, u.token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("Me after sign-out: %v", err)
	}
}

// TestErrorsCrossTheWire: the service's errors come back as themselves.
func TestErrorsCrossTheWire(t *testing.T) {
	c, clock := serve(t)
	ctx := context.Background()
	u := signUp(t, c, clock, "errors@example.com")
	other := signUp(t, c, clock, "other@example.com")

	if _, err := c.SignUp(ctx, account.SignUpRequest{Email: u.email, DisplayName: "x", Password: "another long password"}); !errors.Is(err, account.ErrEmailTaken) {
		t.Errorf("a taken email: %v", err)
	}
	var input *account.InputError
	if _, err := c.CreateAPIKey(ctx, u.token, "", ""); !errors.As(err, &input) || input.Field != "name" {
		t.Errorf("an empty key name: %v", err)
	}
	if _, err := c.RenamePasskey(ctx, u.token, "no-such-passkey", "x"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("an unknown passkey: %v", err)
	}
	if _, err := c.BeginRegistration(ctx, u.token, "not-a-grant", account.KindPhone); !errors.Is(err, account.ErrGrantRequired) {
		t.Errorf("no grant: %v", err)
	}
	// Another account's grant is not this one's.
	if _, err := c.BeginRegistration(ctx, u.token, other.grant(t, c, account.PurposeAddPasskey), account.KindPhone); !errors.Is(err, account.ErrGrantRequired) {
		t.Errorf("another account's grant: %v", err)
	}
	if _, err := c.FinishLogin(ctx, []byte(`{"id":"x"}`)); !errors.Is(err, account.ErrCredentialRejected) {
		t.Errorf("a malformed assertion: %v", err)
	}
	if list, err := c.Passkeys(ctx, "not-a-session"); !errors.Is(err, account.ErrUnauthenticated) || list != nil {
		t.Errorf("a wrong session: %v, %v", list, err)
	}
	// A failed call gives no answer beside its error, as in-process.
	if me, err := c.Me(ctx, "not-a-session"); me != nil || !errors.Is(err, account.ErrUnauthenticated) {
		t.Errorf("Me of a wrong session: %+v, %v", me, err)
	}
	if _, err := c.GetApproval(ctx, "pdk_wrong", "x"); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a wrong API key: %v", err)
	}
	var policy *account.PolicyError
	if err := c.SetPasskeyRequired(ctx, u.token, "", true); !errors.As(err, &policy) || policy.Rule != account.RuleNoPasskey {
		t.Errorf("passkey required without a passkey: %v", err)
	}
	v, err := c.BeginVerification(ctx, u.token, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	var locked *account.LockedError
	for i := 0; i < 10 && locked == nil; i++ {
		_, err = c.CompleteVerification(ctx, u.token, v.ID, account.Proof{Password: "wrong password", TOTPCode: "000000"})
		errors.As(err, &locked)
	}
	if locked == nil || locked.Factor == "" || locked.Until.IsZero() {
		t.Errorf("wrong passwords never locked: %v", err)
	}
}

// TestAServerThatCannotBeReached gives an *remote.Error without a status.
func TestAServerThatCannotBeReached(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	c, err := remote.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background(), "token")
	var re *remote.Error
	if !errors.As(err, &re) || re.Status != 0 || !strings.Contains(err.Error(), "could not be reached") {
		t.Fatalf("an unreachable server: %v", err)
	}
	if _, err := remote.New("http://passkeys.example.com", nil); err == nil {
		t.Fatal("plain http to a non-loopback host was accepted")
	}
}

// TestARateLimitCrossesTheWire: the server's 429 "rate-limited" reaches
// the caller as an *remote.Error with the status and the Retry-After,
// and once that has passed on the server's clock the call goes through.
func TestARateLimitCrossesTheWire(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{PublicURL: url})
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: url, Now: clock.Now,
		Limits: httpapi.Limits{SignInPerEmail: httpapi.Limit{PerMinute: 4, Burst: 2}}})
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
	ctx := context.Background()
	for i := range 2 {
		if _, err := c.SignIn(ctx, "limited@example.com", "wrong password", "000000"); !errors.Is(err, account.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	s, err := c.SignIn(ctx, "limited@example.com", "wrong password", "000000")
	var re *remote.Error
	if s != nil || !errors.As(err, &re) || re.Status != 429 || re.RetryAfter != 15*time.Second {
		t.Fatalf("over the limit: %+v, %#v", s, err)
	}
	if !strings.Contains(err.Error(), "try again in 15 s") || strings.Contains(err.Error(), "limited@") {
		t.Fatalf("the error's words: %v", err)
	}
	clock.Advance(15 * time.Second)
	if _, err := c.SignIn(ctx, "limited@example.com", "wrong password", "000000"); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("after Retry-After: %v", err)
	}
}

// TestPhoneSignInOverHTTP: the desktop's and the phone page's calls of a
// phone sign-in through the client: the page sees the computer, a wrong
// code is the service's ErrInvalidCode, and the session reaches the
// desktop's stream.
func TestPhoneSignInOverHTTP(t *testing.T) {
	c, clock := serve(t)
	ctx := context.Background()
	u := signUp(t, c, clock, "phone@example.com")
	grant := u.grant(t, c, account.PurposeAddPasskey)
	opts, err := c.BeginRegistration(ctx, u.token, grant, account.KindPhone)
	if err != nil {
		t.Fatal(err)
	}
	auth := &accounttest.Authenticator{}
	cred, err := auth.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FinishRegistration(ctx, u.token, grant, cred, "Phone"); err != nil {
		t.Fatal(err)
	}

	ps, err := c.BeginPhoneSignIn(ctx, "ann-laptop")
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	watch, err := c.WatchPhoneSignIn(wctx, ps.ID, ps.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WatchPhoneSignIn(wctx, ps.ID, "not the secret"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a watch with another secret: %v", err)
	}
	_, link, _ := strings.Cut(ps.URL, "#")
	page, err := c.OpenPhoneSignIn(ctx, link)
	if err != nil || page.Computer != "ann-laptop" || page.Address != "127.0.0.1" || page.State != account.PhoneSignInOpened {
		t.Fatalf("the page: %+v, %v", page, err)
	}
	wrong := "000000"
	if ps.Code == wrong {
		wrong = "111111"
	}
	if _, err := c.PhoneSignInOptions(ctx, link, wrong); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("a wrong code: %v", err)
	}
	request, err := c.PhoneSignInOptions(ctx, link, ps.Code)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(request)
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.FinishPhoneSignIn(ctx, link, assertion)
	if err != nil || done.Email != "p•••@example.com" {
		t.Fatalf("finish: %+v, %v", done, err)
	}
	if _, err := c.FinishPhoneSignIn(ctx, link, assertion); !errors.Is(err, account.ErrPhoneSignInEnded) {
		t.Fatalf("the assertion again: %v", err)
	}
	for st := range watch {
		if st.Session != nil {
			if me, err := c.Me(ctx, st.Session.Token); err != nil || me.Email != u.email {
				t.Fatalf("the session: %+v, %v", me, err)
			}
			return
		}
	}
	t.Fatal("the stream ended without the session")
}

// TestPasskeyVerificationExceptOverHTTP: the identity check that leaves
// one passkey out, and the RP ID in Me, through the client: the passkey
// left out cannot answer, another can; with none other the policy error
// crosses the wire; a missing or ended session is refused.
func TestPasskeyVerificationExceptOverHTTP(t *testing.T) {
	c, clock := serve(t)
	ctx := context.Background()
	u := signUp(t, c, clock, "except@example.com")
	me, err := c.Me(ctx, u.token)
	if err != nil || me.RPID == "" {
		t.Fatalf("Me: %+v, %v", me, err)
	}
	add := func(auth *accounttest.Authenticator, name string) *account.Passkey {
		t.Helper()
		grant := u.grant(t, c, account.PurposeAddPasskey)
		opts, err := c.BeginRegistration(ctx, u.token, grant, account.KindSecurityKey)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := auth.Register(opts)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := c.FinishRegistration(ctx, u.token, grant, cred, name)
		if err != nil {
			t.Fatal(err)
		}
		return pk
	}
	blue, green := &accounttest.Authenticator{}, &accounttest.Authenticator{}
	bluePK := add(blue, "Blue key")
	var policy *account.PolicyError
	if _, err := c.BeginPasskeyVerificationExcept(ctx, u.token, account.PurposeRemovePasskey, bluePK.CredentialID); !errors.As(err, &policy) || policy.Rule != account.RuleNoPasskey {
		t.Fatalf("with no other passkey: %v", err)
	}
	add(green, "Green key")
	opts, err := c.BeginPasskeyVerificationExcept(ctx, u.token, account.PurposeRemovePasskey, bluePK.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blue.Assert(opts); err == nil {
		t.Fatal("the passkey left out is still allowed")
	}
	assertion, err := green.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FinishPasskeyVerification(ctx, u.token, assertion); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BeginPasskeyVerificationExcept(ctx, "", account.PurposeRemovePasskey, bluePK.CredentialID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Errorf("no session: %v", err)
	}
	if err := c.SignOut(ctx, u.token); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BeginPasskeyVerificationExcept(ctx, u.token, account.PurposeRemovePasskey, bluePK.CredentialID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Errorf("ended session: %v", err)
	}
}
