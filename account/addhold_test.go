package account_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

var deposit = account.Operation{Kind: account.OperationDeposit, Asset: "BTC", Amount: "1", Network: "Bitcoin", Destination: "bc1qdeposit"}

// approveWith runs the desktop's side of an approval with auth.
func (fx *approvalFixture) approveWith(t *testing.T, auth *accounttest.Authenticator, id string) (*account.Approval, error) {
	t.Helper()
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
	if err != nil {
		return nil, err
	}
	assertion, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	return fx.svc.FinishApproval(ctx, fx.u.Session.Token, id, assertion)
}

// hasEventWith reports whether the account's log has an event of type typ
// whose detail holds every one of words.
func (fx *approvalFixture) hasEventWith(t *testing.T, typ account.EventType, words ...string) bool {
	t.Helper()
	ev, err := fx.svc.Activity(ctx, fx.u.Session.Token, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ev {
		if e.Type != typ {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(e.Detail, w)
		}
		if all {
			return true
		}
	}
	return false
}

// TestPasskeyAddedWithPasswordHolds: with a session, the password and a
// code (what the hold exists to slow down), someone adds their own
// passkey. Withdrawals and C2C trades are held for 24 hours, the new
// passkey cannot approve them, and its word spares no removal, policy
// change or addition the hold. A deposit it may approve. Once its hold is
// over it is a passkey like any other.
func TestPasskeyAddedWithPasswordHolds(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	pending := fx.request(t, withdrawal) // asked before the addition

	intruder := &accounttest.Authenticator{}
	pk := fx.u.AddPasskey(t, intruder, account.KindSecurityKey, "Intruder")
	end := fx.clock.Now().Add(account.RemovalHold)
	if !pk.HeldUntil.Equal(end) || !pk.Held(fx.clock.Now()) {
		t.Fatalf("the new passkey is held until %v, want %v", pk.HeldUntil, end)
	}
	pks, _ := fx.svc.Passkeys(ctx, tok)
	if len(pks) != 2 || !pks[1].HeldUntil.Equal(end) || pks[0].Held(fx.clock.Now()) {
		t.Fatalf("passkeys as stored: %+v", pks)
	}
	p, _ := fx.svc.Policy(ctx, tok)
	if !p.HoldUntil.Equal(end) || p.HoldCause != account.HoldPasskeyAdded {
		t.Fatalf("policy after the addition: %+v", p)
	}
	if !fx.hasEventWith(t, account.EventHoldStarted, end.Format(time.RFC3339), "a passkey added") ||
		!fx.hasEventWith(t, account.EventPasskeyAdded, "Intruder", "verified with password and code") {
		t.Fatal("no hold-started event naming the addition")
	}

	// Withdrawals and C2C trades are held: neither asked for nor
	// approved, not even the one asked before, not with the new passkey.
	_, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal})
	var pe *account.PolicyError
	if !errors.As(err, &pe) || pe.Rule != account.RuleHold || !pe.Until.Equal(end) || pe.Cause != account.HoldPasskeyAdded {
		t.Fatalf("withdrawal request after the addition: %v", err)
	}
	if _, err := fx.approveWith(t, intruder, pending.ID); policyRule(err) != account.RuleHold {
		t.Fatalf("the new passkey approving a withdrawal: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, pending.ID); got.State != account.ApprovalPending {
		t.Fatalf("the withdrawal after the refusal: %s", got.State)
	}
	// A deposit is not held: the new passkey approves it.
	if a, err := fx.approveWith(t, intruder, fx.request(t, deposit).ID); err != nil || a.PasskeyID != pk.ID {
		t.Fatalf("the new passkey approving a deposit: %+v %v", a, err)
	}

	// Its word counts as password and code: a removal it verifies holds
	// again, from now.
	fx.clock.Advance(time.Hour)
	phone := fx.addVouched(t, &accounttest.Authenticator{}, account.KindPhone, "Phone")
	grant, err := passkeyGrant(t, fx, intruder, account.PurposeRemovePasskey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.RemovePasskey(ctx, tok, grant, phone.ID); err != nil {
		t.Fatal(err)
	}
	later := fx.clock.Now().Add(account.RemovalHold)
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.Equal(later) || p.HoldCause != account.HoldPasskeyRemoved {
		t.Fatalf("policy after a removal verified by the held passkey: %+v, want the hold until %v", p, later)
	}
	if !fx.hasEventWith(t, account.EventPasskeyRemoved, "Phone", "verified with passkey Intruder, itself on hold until "+end.Format(time.RFC3339)) {
		t.Fatal("the removal's event does not say its passkey was on hold")
	}

	// Nor does it spare "Passkey required" turned off the hold.
	fx.clock.Advance(time.Hour)
	if err := fx.svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
		t.Fatal(err)
	}
	if grant, err = passkeyGrant(t, fx, intruder, account.PurposeChangePolicy); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.SetPasskeyRequired(ctx, tok, grant, false); err != nil {
		t.Fatal(err)
	}
	later = fx.clock.Now().Add(account.RemovalHold)
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.Equal(later) || p.HoldCause != account.HoldPasskeyRequiredOff {
		t.Fatalf("policy after turning it off with the held passkey: %+v", p)
	}

	// Nor an addition: a passkey it vouches for is held too.
	if grant, err = passkeyGrant(t, fx, intruder, account.PurposeAddPasskey); err != nil {
		t.Fatal(err)
	}
	second := &accounttest.Authenticator{}
	pk2 := fx.u.AddPasskeyWith(t, grant, second, account.KindSecurityKey, "Intruder 2")
	later = fx.clock.Now().Add(account.RemovalHold)
	if !pk2.HeldUntil.Equal(later) {
		t.Fatalf("a passkey added on the held passkey's word is held until %v, want %v", pk2.HeldUntil, later)
	}

	// Once its own hold and the account's are over, it approves and
	// vouches like any passkey.
	fx.clock.Advance(later.Sub(fx.clock.Now()))
	if pk, _ := fx.svc.Passkeys(ctx, tok); pk[1].Held(fx.clock.Now()) || !pk[1].HeldUntil.Equal(end) {
		t.Fatalf("after the hold: %+v", pk[1])
	}
	if a, err := fx.approveWith(t, intruder, fx.request(t, withdrawal).ID); err != nil || a.PasskeyID != pk.ID {
		t.Fatalf("withdrawal with the passkey after its hold: %+v %v", a, err)
	}
	if grant, err = passkeyGrant(t, fx, intruder, account.PurposeRemovePasskey); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.RemovePasskey(ctx, tok, grant, pk2.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("a removal on the word of a passkey past its hold started a hold: %+v", p)
	}
}

// TestPasskeyAddedWithAnotherPasskeyHasNoHold: verified by a passkey past
// its own hold, an addition holds nothing and the new passkey approves a
// withdrawal at once.
func TestPasskeyAddedWithAnotherPasskeyHasNoHold(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	before, _ := fx.svc.Activity(ctx, tok, 100)
	auth := &accounttest.Authenticator{}
	pk := fx.addVouched(t, auth, account.KindSecurityKey, "Green key")
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() || p.HoldCause != "" {
		t.Fatalf("policy after an addition verified by a passkey: %+v", p)
	}
	after, _ := fx.svc.Activity(ctx, tok, 100)
	for _, e := range after[:len(after)-len(before)] {
		if e.Type == account.EventHoldStarted {
			t.Fatalf("a hold-started event after an addition verified by a passkey: %+v", e)
		}
	}
	if !fx.hasEventWith(t, account.EventPasskeyAdded, "Green key", "approved with another passkey") {
		t.Fatal("the addition's event does not say another passkey approved it")
	}
	if a, err := fx.approveWith(t, auth, fx.request(t, withdrawal).ID); err != nil || a.PasskeyID != pk.ID {
		t.Fatalf("withdrawal with the new passkey: %+v %v", a, err)
	}
}

// TestHeldPasskeyRefusedOnItsOwn: the passkey's own hold refuses it even
// when the account's hold is gone (here lifted in the database, as an
// operator might), with RulePasskeyHeld and its end; BeginApproval says
// so at once when every passkey is held, and another passkey still
// approves.
func TestHeldPasskeyRefusedOnItsOwn(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token
	intruder := &accounttest.Authenticator{}
	pk := fx.u.AddPasskey(t, intruder, account.KindSecurityKey, "Intruder")
	db, err := sql.Open("sqlite", fx.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE account_policies SET hold_until = 0, hold_cause = ''`); err != nil {
		t.Fatal(err)
	}

	w := fx.request(t, withdrawal)
	_, err = fx.approveWith(t, intruder, w.ID)
	var pe *account.PolicyError
	if !errors.As(err, &pe) || pe.Rule != account.RulePasskeyHeld || !pe.Until.Equal(pk.HeldUntil) {
		t.Fatalf("the held passkey approving a withdrawal: %v", err)
	}
	if !strings.Contains(err.Error(), pk.HeldUntil.Format(time.RFC3339)) {
		t.Fatalf("the refusal does not say until when: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, w.ID); got.State != account.ApprovalPending {
		t.Fatalf("the withdrawal after the refusal: %s", got.State)
	}
	if !fx.hasEventWith(t, account.EventApprovalRefused, "withdrawal") {
		t.Fatal("no event for the refused answer")
	}
	if a, err := fx.approveWith(t, fx.auth, w.ID); err != nil || a.PasskeyID != fx.pk.ID {
		t.Fatalf("the passkey past its hold approving: %+v %v", a, err)
	}

	// With the other passkey gone, BeginApproval refuses a withdrawal at
	// once, a deposit not.
	grant, err := passkeyGrant(t, fx, fx.auth, account.PurposeRemovePasskey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.RemovePasskey(ctx, tok, grant, fx.pk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE account_policies SET hold_until = 0, hold_cause = ''`); err != nil {
		t.Fatal(err)
	}
	w = fx.request(t, withdrawal)
	if _, err := fx.svc.BeginApproval(ctx, tok, w.ID); !errors.As(err, &pe) || pe.Rule != account.RulePasskeyHeld || !pe.Until.Equal(pk.HeldUntil) {
		t.Fatalf("options for a withdrawal with only a held passkey: %v", err)
	}
	if _, err := fx.approveWith(t, intruder, fx.request(t, deposit).ID); err != nil {
		t.Fatalf("a deposit with the held passkey: %v", err)
	}
}

// TestPhoneAddedWithPasswordHolds: a phone enrolled on a password-and-code
// grant is held as a key is, with the hold logged from the phone page;
// one enrolled on a passkey's grant is not.
func TestPhoneAddedWithPasswordHolds(t *testing.T) {
	fx := newApprovalFixture(t)
	tok := fx.u.Session.Token

	pk := enrollPhone(t, fx, fx.u.Grant(t, account.PurposeAddPasskey))
	end := fx.clock.Now().Add(account.RemovalHold)
	if !pk.HeldUntil.Equal(end) {
		t.Fatalf("phone held until %v, want %v", pk.HeldUntil, end)
	}
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.Equal(end) || p.HoldCause != account.HoldPasskeyAdded {
		t.Fatalf("policy after the phone was added: %+v", p)
	}
	ev, _ := fx.svc.Activity(ctx, tok, 100)
	found := false
	for _, e := range ev {
		found = found || (e.Type == account.EventHoldStarted && e.Source == account.SourcePhonePage)
	}
	if !found {
		t.Fatalf("no hold-started event from the phone page: %+v", ev)
	}

	fx.clock.Advance(account.RemovalHold)
	grant, err := passkeyGrant(t, fx, fx.auth, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	if pk := enrollPhone(t, fx, grant); !pk.HeldUntil.IsZero() {
		t.Fatalf("a phone added on a passkey's word is held until %v", pk.HeldUntil)
	}
	if p, _ := fx.svc.Policy(ctx, tok); !p.HoldUntil.IsZero() {
		t.Fatalf("policy after a phone added on a passkey's word: %+v", p)
	}
}

// enrollPhone runs a whole phone enrollment on grant and returns the
// phone's passkey.
func enrollPhone(t *testing.T, fx *approvalFixture, grant string) *account.Passkey {
	t.Helper()
	enr, err := fx.svc.BeginPhoneEnrollment(ctx, fx.u.Session.Token, grant)
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(enr.URL, "#")
	page, err := fx.svc.OpenPhoneEnrollment(ctx, link, phoneKey, iPhoneUA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.ConfirmPhoneEnrollmentCode(ctx, fx.u.Session.Token, enr.ID, page.MatchCode); err != nil {
		t.Fatal(err)
	}
	opts, err := fx.svc.PhoneEnrollmentOptions(ctx, link, phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := (&accounttest.Authenticator{}).Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := fx.svc.FinishPhoneEnrollment(ctx, link, phoneKey, cred)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}
