package account_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestPasskeyVerificationExcept: the passkey left out is not in the
// allow list and cannot answer the ceremony even when an authenticator
// answers with it anyway; another of the account's passkeys can. Another
// account's credential ID leaves the list as it is; with no other
// passkey it is RuleNoPasskey; a missing or ended session is refused.
func TestPasskeyVerificationExcept(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	other := &accounttest.Authenticator{}
	fx.u.AddPasskey(t, other, account.KindSecurityKey, "Green key")

	opts, err := fx.svc.BeginPasskeyVerificationExcept(ctx, tok, account.PurposeRemovePasskey, fx.pk.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.auth.Assert(opts); err == nil {
		t.Fatal("the passkey left out is still allowed")
	}
	// The left-out passkey answering anyway (an empty allow list lets
	// the test's authenticator use any of its passkeys) is refused.
	var o map[string]map[string]any
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatal(err)
	}
	o["publicKey"]["allowCredentials"] = []any{}
	forged, _ := json.Marshal(o)
	assertion, err := fx.auth.Assert(forged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishPasskeyVerification(ctx, tok, assertion); err == nil {
		t.Fatal("the passkey left out verified the user")
	}
	// Another passkey answers.
	opts, err = fx.svc.BeginPasskeyVerificationExcept(ctx, tok, account.PurposeRemovePasskey, fx.pk.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err = other.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := fx.svc.FinishPasskeyVerification(ctx, tok, assertion); err != nil || g.Purpose != account.PurposeRemovePasskey {
		t.Fatalf("verification by another passkey: %+v, %v", g, err)
	}

	// Another account's credential ID: both of ann's passkeys stay.
	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	bobKey := &accounttest.Authenticator{}
	bobPK := bob.AddPasskey(t, bobKey, account.KindSecurityKey, "Bob's key")
	opts, err = fx.svc.BeginPasskeyVerificationExcept(ctx, tok, account.PurposeRemovePasskey, bobPK.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.auth.Assert(opts); err != nil {
		t.Errorf("ann's passkey left out for bob's ID: %v", err)
	}
	if _, err := bobKey.Assert(opts); err == nil {
		t.Error("bob's passkey is allowed in ann's check")
	}
	// Bob's only passkey left out: none to ask.
	if _, err := fx.svc.BeginPasskeyVerificationExcept(ctx, bob.Session.Token, account.PurposeRemovePasskey, bobPK.CredentialID); policyRule(err) != account.RuleNoPasskey {
		t.Errorf("with no other passkey: %v", err)
	}
	// No credential ID: a clear input error.
	var input *account.InputError
	if _, err := fx.svc.BeginPasskeyVerificationExcept(ctx, tok, account.PurposeRemovePasskey, nil); !errors.As(err, &input) {
		t.Errorf("no credential ID: %v", err)
	}
	// A missing session and an ended one.
	if _, err := fx.svc.BeginPasskeyVerificationExcept(ctx, "", account.PurposeRemovePasskey, fx.pk.CredentialID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Errorf("no session: %v", err)
	}
	if err := fx.svc.SignOut(ctx, bob.Session.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.BeginPasskeyVerificationExcept(ctx, bob.Session.Token, account.PurposeRemovePasskey, fx.pk.CredentialID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Errorf("ended session: %v", err)
	}
}

// TestMeSaysTheRPID: the account says which relying party its passkeys
// are bound to, so a client need not guess it from an origin.
func TestMeSaysTheRPID(t *testing.T) {
	fx := newApprovalFixture(t)
	me, err := fx.svc.Me(ctx, fx.u.Session.Token)
	if err != nil || me.RPID != accounttest.RPID {
		t.Fatalf("Me: RPID %q, %v; want %q", me.RPID, err, accounttest.RPID)
	}
}
