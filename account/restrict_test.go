package account_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// cloneSignIn signs in to fx's account with a copy of fx.auth whose sign
// counter starts again from the beginning, as a clone made earlier would.
func cloneSignIn(t *testing.T, fx *approvalFixture) *account.Session {
	t.Helper()
	opts, err := fx.svc.BeginLogin(ctx, fx.u.Email)
	if err != nil {
		t.Fatal(err)
	}
	clone := *fx.auth
	clone.Counter = 0
	resp, err := clone.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := fx.svc.FinishLogin(ctx, resp)
	if err != nil {
		t.Fatalf("sign-in with the clone: %v", err)
	}
	return sess
}

// passkeySignIn signs in to fx's account with auth.
func passkeySignIn(t *testing.T, fx *approvalFixture, auth *accounttest.Authenticator) *account.Session {
	t.Helper()
	opts, err := fx.svc.BeginLogin(ctx, fx.u.Email)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := fx.svc.FinishLogin(ctx, resp)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return sess
}

// TestClonedPasskeySignInIsRestricted: a sign-in whose passkey's counter
// did not advance logs passkey-clone-suspected and gives a session that
// can read but make no security change until another factor confirms it.
func TestClonedPasskeySignInIsRestricted(t *testing.T) {
	fx := newApprovalFixture(t)
	pending := fx.request(t, withdrawal)
	good := passkeySignIn(t, fx, fx.auth)
	if good.Account.Restricted {
		t.Fatal("a sign-in whose counter advanced is restricted")
	}

	sess := cloneSignIn(t, fx)
	tok := sess.Token
	if !sess.Account.Restricted {
		t.Fatal("the session from a cloned-looking passkey is not marked restricted")
	}
	if me, err := fx.svc.Me(ctx, tok); err != nil || !me.Restricted {
		t.Fatalf("Me: %+v, %v; want restricted", me, err)
	}
	// The earlier session the same passkey signed in may be the copy's:
	// it ends.
	if _, err := fx.svc.Me(ctx, good.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the passkey's earlier session after the clone suspicion: %v", err)
	}
	if _, err := fx.svc.Me(ctx, fx.u.Session.Token); err != nil {
		t.Fatalf("the password's session after the clone suspicion: %v", err)
	}
	events, _ := fx.svc.Activity(ctx, tok, 10)
	if events[0].Type != account.EventSignedIn || events[1].Type != account.EventSessionEnded ||
		!strings.Contains(events[1].Detail, "1 sessions signed in with Blue key") || events[2].Type != account.EventPasskeyCloneSuspected ||
		!strings.Contains(events[2].Detail, "Blue key") {
		t.Fatalf("events after the sign-in: %+v", events[:3])
	}

	// Reading is allowed.
	if _, err := fx.svc.Passkeys(ctx, tok); err != nil {
		t.Fatalf("listing passkeys: %v", err)
	}
	if list, err := fx.svc.PendingApprovals(ctx, tok); err != nil || len(list) != 1 {
		t.Fatalf("pending approvals: %d, %v", len(list), err)
	}

	// A grant and a verification another session made cannot be used by
	// this one either.
	grant := fx.u.Grant(t, account.PurposeAddPasskey)
	removeGrant := fx.u.Grant(t, account.PurposeRemovePasskey)
	keyGrant := fx.u.Grant(t, account.PurposeCreateAPIKey)
	ver, err := fx.svc.BeginVerification(ctx, fx.u.Session.Token, account.PurposeRemovePasskey)
	if err != nil {
		t.Fatal(err)
	}
	// Answers that parse, for the finishing calls: the session is
	// refused before they are looked at.
	opts, err := fx.svc.BeginRegistration(ctx, fx.u.Session.Token, grant, account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	credential, err := (&accounttest.Authenticator{}).Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	if opts, err = fx.svc.BeginLogin(ctx, ""); err != nil {
		t.Fatal(err)
	}
	spare := *fx.auth
	assertion, err := spare.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sensitive := map[string]func() error{
		"create API key": func() error { _, err := fx.svc.CreateAPIKey(ctx, tok, keyGrant, "mine"); return err },
		"revoke API key": func() error { return fx.svc.RevokeAPIKey(ctx, tok, fx.key.ID) },
		"begin approval": func() error { _, err := fx.svc.BeginApproval(ctx, tok, pending.ID); return err },
		"finish approval": func() error {
			_, err := fx.svc.FinishApproval(ctx, tok, pending.ID, assertion)
			return err
		},
		"deny approval": func() error { _, err := fx.svc.DenyApproval(ctx, tok, pending.ID); return err },
		"verify to add": func() error { _, err := fx.svc.BeginVerification(ctx, tok, account.PurposeAddPasskey); return err },
		"verify to remove": func() error {
			_, err := fx.svc.BeginPasskeyVerification(ctx, tok, account.PurposeRemovePasskey)
			return err
		},
		"complete other's": func() error {
			_, err := fx.svc.CompleteVerification(ctx, tok, ver.ID, account.Proof{Password: fx.u.Password, TOTPCode: fx.u.Code(t)})
			return err
		},
		"begin registration": func() error { _, err := fx.svc.BeginRegistration(ctx, tok, grant, account.KindSecurityKey); return err },
		"finish registration": func() error {
			_, err := fx.svc.FinishRegistration(ctx, tok, grant, credential, "")
			return err
		},
		"phone enrollment": func() error { _, err := fx.svc.BeginPhoneEnrollment(ctx, tok, grant); return err },
		"remove passkey":   func() error { return fx.svc.RemovePasskey(ctx, tok, removeGrant, fx.pk.ID) },
		"passkey required": func() error { return fx.svc.SetPasskeyRequired(ctx, tok, "", true) },
		"mark lost": func() error {
			return fx.svc.MarkPasskeysLost(ctx, tok, removeGrant, []string{fx.pk.ID}, "the key was reset")
		},
	}
	for name, call := range sensitive {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, account.ErrSessionRestricted) {
				t.Fatalf("got %v, want ErrSessionRestricted", err)
			}
		})
	}

	// Nothing changed.
	keys, _ := fx.svc.ListAPIKeys(ctx, tok)
	if len(keys) != 1 || !keys[0].RevokedAt.IsZero() {
		t.Fatalf("API keys changed: %+v", keys)
	}
	if a, _ := fx.svc.GetApproval(ctx, fx.key.Secret, pending.ID); a.State != account.ApprovalPending {
		t.Fatalf("the approval is %s", a.State)
	}
	if pks, _ := fx.svc.Policy(ctx, tok); pks.PasskeyRequired {
		t.Fatal("the policy changed")
	}
	if pks, _ := fx.svc.Passkeys(ctx, tok); len(pks) != 1 || pks[0].Lost() {
		t.Fatalf("passkeys changed: %+v", pks)
	}

	// A verification to lift the restriction begun by another session
	// does not lift this one's.
	other, err := fx.svc.BeginVerification(ctx, fx.u.Session.Token, account.PurposeUnlockSession)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.CompleteVerification(ctx, tok, other.ID, account.Proof{Password: fx.u.Password, TOTPCode: fx.u.Code(t)}); !errors.Is(err, account.ErrVerificationExpired) {
		t.Fatalf("completing another session's unlock: %v", err)
	}

	// Password and code lift it.
	v, err := fx.svc.BeginVerification(ctx, tok, account.PurposeUnlockSession)
	if err != nil {
		t.Fatalf("a restricted session cannot start the check that lifts it: %v", err)
	}
	if _, err := fx.svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: "wrong password", TOTPCode: fx.u.Code(t)}); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("a wrong password: %v", err)
	}
	if me, _ := fx.svc.Me(ctx, tok); !me.Restricted {
		t.Fatal("a wrong password lifted the restriction")
	}
	g, err := fx.svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: fx.u.Password, TOTPCode: fx.u.Code(t)})
	if err != nil {
		t.Fatalf("confirming with password and code: %v", err)
	}
	if g.Token != "" || g.Purpose != account.PurposeUnlockSession {
		t.Fatalf("grant = %+v; want none to use", g)
	}
	if me, _ := fx.svc.Me(ctx, tok); me.Restricted {
		t.Fatal("still restricted after password and code")
	}
	v, err = fx.svc.BeginVerification(ctx, tok, account.PurposeCreateAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	if g, err = fx.svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: fx.u.Password, TOTPCode: fx.u.Code(t)}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.CreateAPIKey(ctx, tok, g.Token, "mine"); err != nil {
		t.Fatalf("creating an API key once confirmed: %v", err)
	}
}

// TestRestrictedSessionUnlockedByAnotherPasskey: another passkey lifts
// the restriction; the cloned-looking one cannot. A later sign-in with the
// marked passkey is restricted again even when its counter advances.
func TestRestrictedSessionUnlockedByAnotherPasskey(t *testing.T) {
	fx := newApprovalFixture(t)
	second := &accounttest.Authenticator{}
	fx.u.AddPasskey(t, second, account.KindSecurityKey, "Spare key")
	sess := cloneSignIn(t, fx)
	tok := sess.Token

	opts, err := fx.svc.BeginPasskeyVerification(ctx, tok, account.PurposeUnlockSession)
	if err != nil {
		t.Fatalf("a restricted session cannot start the passkey check that lifts it: %v", err)
	}
	clone := *fx.auth
	if resp, err := clone.Assert([]byte(stripAllow(t, opts))); err != nil {
		t.Fatal(err)
	} else if _, err := fx.svc.FinishPasskeyVerification(ctx, tok, resp); !errors.Is(err, account.ErrPasskeyCloned) {
		t.Fatalf("the marked passkey confirming its own sign-in: %v", err)
	}
	if me, _ := fx.svc.Me(ctx, tok); !me.Restricted {
		t.Fatal("the marked passkey lifted the restriction")
	}

	opts, err = fx.svc.BeginPasskeyVerification(ctx, tok, account.PurposeUnlockSession)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := second.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := fx.svc.FinishPasskeyVerification(ctx, tok, resp); err != nil || g.Token != "" {
		t.Fatalf("confirming with the other passkey: %+v, %v", g, err)
	}
	if me, _ := fx.svc.Me(ctx, tok); me.Restricted {
		t.Fatal("still restricted after another passkey confirmed it")
	}

	// The marked passkey's counter now advances, but it stays marked,
	// and its sessions restricted.
	later := passkeySignIn(t, fx, fx.auth)
	if !later.Account.Restricted {
		t.Fatal("a sign-in with a passkey marked as a possible clone is not restricted")
	}
	events, _ := fx.svc.Activity(ctx, later.Token, 1)
	if events[0].Type != account.EventSignedIn || !strings.Contains(events[0].Detail, "restricted") {
		t.Fatalf("last event %+v", events[0])
	}
}
