package account_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func policyRule(err error) account.PolicyRule {
	var pe *account.PolicyError
	if errors.As(err, &pe) {
		return pe.Rule
	}
	return ""
}

// passkeyGrant verifies the user with one of auth's passkeys.
func passkeyGrant(t *testing.T, fx *approvalFixture, auth *accounttest.Authenticator, purpose account.Purpose) (string, error) {
	t.Helper()
	opts, err := fx.svc.BeginPasskeyVerification(ctx, fx.u.Session.Token, purpose)
	if err != nil {
		return "", err
	}
	assertion, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := fx.svc.FinishPasskeyVerification(ctx, fx.u.Session.Token, assertion)
	if err != nil {
		return "", err
	}
	if g.Purpose != purpose {
		t.Fatalf("grant for %s", g.Purpose)
	}
	return g.Token, nil
}

// addVouched adds a passkey of auth with a grant from the fixture's
// passkey, past its hold: no hold starts.
func (fx *approvalFixture) addVouched(t *testing.T, auth *accounttest.Authenticator, kind account.Kind, name string) *account.Passkey {
	t.Helper()
	grant, err := passkeyGrant(t, fx, fx.auth, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	pk := fx.u.AddPasskeyWith(t, grant, auth, kind, name)
	if !pk.HeldUntil.IsZero() {
		t.Fatalf("a passkey added with another passkey's word is held until %v", pk.HeldUntil)
	}
	return pk
}

func TestRemovePasskeyNeedsVerification(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	for name, grant := range map[string]string{
		"no grant":        "",
		"made-up grant":   "not-a-grant",
		"add-passkey one": fx.u.Grant(t, account.PurposeAddPasskey),
	} {
		if err := fx.svc.RemovePasskey(ctx, tok, grant, fx.pk.ID); !errors.Is(err, account.ErrGrantRequired) {
			t.Errorf("%s: %v", name, err)
		}
	}
	grant := fx.u.Grant(t, account.PurposeRemovePasskey)
	if err := fx.svc.RemovePasskey(ctx, tok, grant, "nope"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("unknown passkey: %v", err)
	}
	if err := fx.svc.RemovePasskey(ctx, tok, grant, fx.pk.ID); err != nil {
		t.Fatal(err)
	}
	if pks, _ := fx.svc.Passkeys(ctx, tok); len(pks) != 0 {
		t.Fatalf("still bound: %+v", pks)
	}
	// The grant is used up.
	pk2 := fx.u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "")
	if err := fx.svc.RemovePasskey(ctx, tok, grant, pk2.ID); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("grant reused: %v", err)
	}
	ev, _ := fx.svc.Activity(ctx, tok, 20)
	var removed bool
	for _, e := range ev {
		removed = removed || (e.Type == account.EventPasskeyRemoved && strings.Contains(e.Detail, "Blue key"))
	}
	if !removed {
		t.Fatalf("no removal event: %+v", ev)
	}
}

func TestPasskeyRequired(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := u.Session.Token
	if err := svc.SetPasskeyRequired(ctx, tok, "", true); policyRule(err) != account.RuleNoPasskey {
		t.Fatalf("on without a passkey: %v", err)
	}
	auth := &accounttest.Authenticator{}
	pk := u.AddPasskey(t, auth, account.KindSecurityKey, "")
	if err := svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Policy(ctx, tok); !p.PasskeyRequired {
		t.Fatal("policy not on")
	}

	// Password and code no longer sign in; a passkey does.
	_, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t))
	if policyRule(err) != account.RulePasskeySignIn || !strings.Contains(err.Error(), "passkey") {
		t.Fatalf("password sign-in: %v", err)
	}
	opts, _ := svc.BeginLogin(ctx, u.Email)
	assertion, _ := auth.Assert(opts)
	if _, err := svc.FinishLogin(ctx, assertion); err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	// A wrong password is still just a wrong password.
	if _, err := svc.SignIn(ctx, u.Email, "wrong password!", u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}

	// The last passkey stays.
	err = svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), pk.ID)
	if policyRule(err) != account.RuleLastPasskey || !strings.Contains(err.Error(), "last passkey") {
		t.Fatalf("removing the last passkey: %v", err)
	}
	// With a second one, the first can go; then the second is the last.
	auth2 := &accounttest.Authenticator{}
	pk2 := u.AddPasskey(t, auth2, account.KindPhone, "")
	if err := svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), pk.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), pk2.ID); policyRule(err) != account.RuleLastPasskey {
		t.Fatalf("removing the new last passkey: %v", err)
	}
	// Turned off, password sign-in and removal work again.
	if err := svc.SetPasskeyRequired(ctx, tok, u.Grant(t, account.PurposeChangePolicy), false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t)); err != nil {
		t.Fatalf("password sign-in after turning it off: %v", err)
	}
	if err := svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), pk2.ID); err != nil {
		t.Fatal(err)
	}
}

// TestPasskeyRequiredOffNeedsVerification: turning "Passkey required" on
// only tightens and needs the session; turning it off needs a
// change-policy grant from password and codes or a passkey, used up by
// the change.
func TestPasskeyRequiredOffNeedsVerification(t *testing.T) {
	other := func(t *testing.T, fx *approvalFixture) string {
		bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
		return bob.Grant(t, account.PurposeChangePolicy)
	}
	for _, tc := range []struct {
		name  string
		grant func(t *testing.T, fx *approvalFixture) string
		ok    bool
		how   string // the event's words when ok
		held  bool   // whether withdrawals are held afterwards
	}{
		{name: "no grant", grant: func(*testing.T, *approvalFixture) string { return "" }},
		{name: "made-up grant", grant: func(*testing.T, *approvalFixture) string { return "not-a-grant" }},
		{name: "remove-passkey grant", grant: func(t *testing.T, fx *approvalFixture) string {
			return fx.u.Grant(t, account.PurposeRemovePasskey)
		}},
		{name: "add-passkey grant from a passkey", grant: func(t *testing.T, fx *approvalFixture) string {
			g, err := passkeyGrant(t, fx, fx.auth, account.PurposeAddPasskey)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}},
		{name: "another account's grant", grant: other},
		{name: "expired grant", grant: func(t *testing.T, fx *approvalFixture) string {
			g := fx.u.Grant(t, account.PurposeChangePolicy)
			fx.clock.Advance(account.GrantLifetime)
			return g
		}},
		{name: "password and code", ok: true, how: "verified with password and code", held: true, grant: func(t *testing.T, fx *approvalFixture) string {
			return fx.u.Grant(t, account.PurposeChangePolicy)
		}},
		{name: "passkey", ok: true, how: "verified with a passkey", grant: func(t *testing.T, fx *approvalFixture) string {
			g, err := passkeyGrant(t, fx, fx.auth, account.PurposeChangePolicy)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newApprovalFixture(t)
			tok := fx.u.Session.Token
			// On: the session is enough; a grant is not read.
			if err := fx.svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
				t.Fatalf("turning it on: %v", err)
			}
			grant := tc.grant(t, fx)
			err := fx.svc.SetPasskeyRequired(ctx, tok, grant, false)
			p, perr := fx.svc.Policy(ctx, tok)
			if perr != nil {
				t.Fatal(perr)
			}
			if !tc.ok {
				if !errors.Is(err, account.ErrGrantRequired) || !p.PasskeyRequired {
					t.Fatalf("turned off with %s: %v, policy %+v", tc.name, err, p)
				}
				return
			}
			if err != nil || p.PasskeyRequired {
				t.Fatalf("turning it off: %v, policy %+v", err, p)
			}
			ev, _ := fx.svc.Activity(ctx, tok, 5)
			if !slices.ContainsFunc(ev, func(e account.Event) bool {
				return e.Type == account.EventPolicyChanged && strings.Contains(e.Detail, tc.how)
			}) {
				t.Fatalf("no policy event saying %q: %+v", tc.how, ev)
			}
			if held := !p.HoldUntil.IsZero(); held != tc.held {
				t.Fatalf("withdrawals held %v after turning it off %s, want %v", held, tc.how, tc.held)
			}
			if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal}); (policyRule(err) == account.RuleHold) != tc.held {
				t.Fatalf("a withdrawal request after turning it off %s: %v", tc.how, err)
			}
			// The grant was used up: on again, it cannot turn it off twice.
			if err := fx.svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
				t.Fatal(err)
			}
			if err := fx.svc.SetPasskeyRequired(ctx, tok, grant, false); !errors.Is(err, account.ErrGrantRequired) {
				t.Fatalf("grant reused: %v", err)
			}
		})
	}
}

func TestRemovalHold(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	auth2 := &accounttest.Authenticator{}
	pk2 := fx.addVouched(t, auth2, account.KindPhone, "Phone")
	pending := fx.request(t, withdrawal) // asked before the removal

	// Removal verified by password and code: withdrawals and C2C trades
	// are held for 24 hours.
	if err := fx.svc.RemovePasskey(ctx, tok, fx.u.Grant(t, account.PurposeRemovePasskey), pk2.ID); err != nil {
		t.Fatal(err)
	}
	holdEnd := fx.clock.Now().Add(24 * time.Hour)
	p, _ := fx.svc.Policy(ctx, tok)
	if !p.HoldUntil.Equal(holdEnd) {
		t.Fatalf("hold until %v, want %v", p.HoldUntil, holdEnd)
	}
	_, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal})
	var pe *account.PolicyError
	if !errors.As(err, &pe) || pe.Rule != account.RuleHold || !pe.Until.Equal(holdEnd) {
		t.Fatalf("withdrawal during the hold: %v", err)
	}
	trade := account.Operation{Kind: account.OperationC2CTrade, Asset: "USDT", Amount: "10", Counterparty: "m"}
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: trade}); policyRule(err) != account.RuleHold {
		t.Fatalf("trade during the hold: %v", err)
	}
	deposit := account.Operation{Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Destination: "bc1q"}
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: deposit}); err != nil {
		t.Fatalf("deposits are not held: %v", err)
	}
	// The withdrawal asked before cannot be approved now, and its
	// requester sees the hold.
	if _, err := fx.approve(t, pending.ID); policyRule(err) != account.RuleHold {
		t.Fatalf("approving during the hold: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, pending.ID); !got.HeldUntil.Equal(holdEnd) {
		t.Fatalf("requester sees hold %v", got.HeldUntil)
	}

	// The hold lifts after 24 hours.
	fx.clock.Advance(24*time.Hour - time.Second)
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal}); policyRule(err) != account.RuleHold {
		t.Fatalf("a second before the end: %v", err)
	}
	fx.clock.Advance(time.Second)
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("hold still shown: %v", p.HoldUntil)
	}
	if _, err := fx.approve(t, fx.request(t, withdrawal).ID); err != nil {
		t.Fatalf("withdrawal after the hold: %v", err)
	}
}

func TestRemovalApprovedByAnotherPasskeyHasNoHold(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	auth2 := &accounttest.Authenticator{}
	pk2 := fx.addVouched(t, auth2, account.KindPhone, "Phone")

	// Verified by the key, the phone is removed without a hold.
	grant, err := passkeyGrant(t, fx, fx.auth, account.PurposeRemovePasskey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.RemovePasskey(ctx, tok, grant, pk2.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("hold after a passkey-approved removal: %v", p.HoldUntil)
	}
	if _, err := fx.approve(t, fx.request(t, withdrawal).ID); err != nil {
		t.Fatal(err)
	}
	ev, _ := fx.svc.Activity(ctx, tok, 10)
	var how string
	for _, e := range ev {
		if e.Type == account.EventPasskeyRemoved {
			how = e.Detail
		}
	}
	if !strings.Contains(how, "approved with another passkey") {
		t.Fatalf("removal event %q", how)
	}

	// A passkey that verifies its own removal does not count as another.
	pk3 := fx.addVouched(t, auth2, account.KindPhone, "Phone 2")
	grant, err = passkeyGrant(t, fx, auth2, account.PurposeRemovePasskey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.RemovePasskey(ctx, tok, grant, pk3.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.Policy(ctx, tok); p.HoldUntil.IsZero() {
		t.Fatal("no hold after a passkey verified its own removal")
	}

	// A passkey grant is for its purpose only, and single use.
	grant, _ = passkeyGrant(t, fx, fx.auth, account.PurposeAddPasskey)
	if err := fx.svc.RemovePasskey(ctx, tok, grant, fx.pk.ID); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("add-passkey grant used for removal: %v", err)
	}
	// A replayed verification answer is refused.
	opts, _ := fx.svc.BeginPasskeyVerification(ctx, tok, account.PurposeRemovePasskey)
	assertion, _ := fx.auth.Assert(opts)
	if _, err := fx.svc.FinishPasskeyVerification(ctx, tok, assertion); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishPasskeyVerification(ctx, tok, assertion); !errors.Is(err, account.ErrCeremonyExpired) {
		t.Fatalf("replayed verification: %v", err)
	}
	// A cloned-looking passkey cannot verify.
	fx.auth.Counter = 0
	if _, err := passkeyGrant(t, fx, fx.auth, account.PurposeRemovePasskey); !errors.Is(err, account.ErrPasskeyCloned) {
		t.Fatalf("verification by a clone: %v", err)
	}
}

func TestExportActivity(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	start := fx.clock.Now()
	fx.clock.Advance(time.Minute)
	a := fx.request(t, account.Operation{Kind: account.OperationSignInElsewhere, Reference: "=HYPERLINK(\"x\")"})
	if _, err := fx.approve(t, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RenamePasskey(ctx, tok, fx.pk.ID, "-Red key"); err != nil {
		t.Fatal(err)
	}

	raw, err := fx.svc.ExportActivity(ctx, tok, "csv", account.ActivityFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	all, _ := fx.svc.Activity(ctx, tok, 0)
	if len(rows) != len(all)+1 || strings.Join(rows[0], ",") != "time,type,detail,source" {
		t.Fatalf("csv has %d rows for %d events; header %v", len(rows), len(all), rows[0])
	}
	bySource := map[string]string{}
	for i, r := range rows[1:] {
		if at, err := time.Parse(time.RFC3339Nano, r[0]); err != nil || !at.Equal(all[i].At) || r[1] != string(all[i].Type) {
			t.Fatalf("row %d = %v, event %+v", i, r, all[i])
		}
		bySource[r[1]] = r[3]
		if strings.HasPrefix(r[2], "=") || strings.HasPrefix(r[2], "-") {
			t.Fatalf("formula-like cell not defused: %q", r[2])
		}
	}
	for typ, src := range map[account.EventType]string{
		account.EventApprovalRequested: "api",
		account.EventApprovalApproved:  "app",
		account.EventPasskeyAdded:      "app",
		account.EventAPIKeyCreated:     "app",
	} {
		if bySource[string(typ)] != src {
			t.Errorf("%s: source %q, want %q", typ, bySource[string(typ)], src)
		}
	}

	raw, err = fx.svc.ExportActivity(ctx, tok, "json", account.ActivityFilter{Since: start.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Time                 time.Time
		Type, Detail, Source string
	}
	if err := json.Unmarshal(raw, &events); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[0].Type != "passkey-renamed" || events[2].Type != "approval-requested" || events[2].Source != "api" ||
		events[2].Detail != `sign-in-elsewhere (=HYPERLINK("x")) (key exchange backend)` {
		t.Fatalf("json since the request: %+v", events)
	}
	raw, _ = fx.svc.ExportActivity(ctx, tok, "json", account.ActivityFilter{Type: account.EventPasskeyAdded})
	if err := json.Unmarshal(raw, &events); err != nil || len(events) != 1 || events[0].Type != "passkey-added" {
		t.Fatalf("json of one type: %+v %v", events, err)
	}
	if _, err := fx.svc.ExportActivity(ctx, tok, "xml", account.ActivityFilter{}); err == nil {
		t.Fatal("xml accepted")
	}
	if _, err := fx.svc.ExportActivity(ctx, "nope", "csv", account.ActivityFilter{}); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
}

// TestLostPasskeysDoNotCountAsUsable: while a passkey is required, the
// last passkey that is not lost stays even when lost ones remain, a lost
// one can always be removed, and the policy cannot be turned on with only
// lost passkeys.
func TestLostPasskeysDoNotCountAsUsable(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := u.Session.Token
	lost := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Reset key")
	if err := svc.MarkPasskeysLost(ctx, tok, "", []string{lost.ID}, "the key was reset"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetPasskeyRequired(ctx, tok, "", true); policyRule(err) != account.RuleNoPasskey {
		t.Fatalf("on with only a lost passkey: %v", err)
	}
	good := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "Phone")
	if err := svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
		t.Fatal(err)
	}
	err := svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), good.ID)
	if policyRule(err) != account.RuleLastPasskey {
		t.Fatalf("removing the last passkey that works, a lost one left: %v", err)
	}
	if err := svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), lost.ID); err != nil {
		t.Fatalf("removing the lost passkey: %v", err)
	}
	pks, _ := svc.Passkeys(ctx, tok)
	if len(pks) != 1 || pks[0].ID != good.ID {
		t.Fatalf("passkeys left: %+v", pks)
	}
}
