package account_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// Two page keys, as two browsers would make them.
const (
	phoneA = "phone-a-0123456789abcdef"
	phoneB = "phone-b-0123456789abcdef"
)

// phoneLink begins a phone approval of id and returns the link's token.
func (fx *approvalFixture) phoneLink(t *testing.T, id string) (*account.ApprovalLink, string) {
	t.Helper()
	l, err := fx.svc.BeginPhoneApproval(ctx, fx.u.Session.Token, id)
	if err != nil {
		t.Fatalf("beginning a phone approval: %v", err)
	}
	u, err := url.Parse(l.URL)
	if err != nil || u.Path != "/approve" || u.Fragment == "" || u.RawQuery != "" {
		t.Fatalf("the link %q: want /approve with the token in the fragment", l.URL)
	}
	if strings.Contains(u.Path, u.Fragment) {
		t.Fatal("the token is in the path")
	}
	return l, u.Fragment
}

// phoneApprove is the page's side: options, the authenticator, finish.
func (fx *approvalFixture) phoneApprove(t *testing.T, auth *accounttest.Authenticator, link, device string) (*account.Approval, error) {
	t.Helper()
	opts, err := fx.svc.PhoneApprovalOptions(ctx, link, device)
	if err != nil {
		return nil, err
	}
	assertion, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	return fx.svc.FinishPhoneApproval(ctx, link, device, assertion)
}

// TestPhoneApprovalApproves: the link opens on one phone, which sees the
// operation, its requester and nothing else; it approves over the same
// detail-bound challenge as the desktop, the requester reads the answer,
// and the link is spent.
func TestPhoneApprovalApproves(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, withdrawal)
	l, link := fx.phoneLink(t, req.ID)
	if l.ApprovalID != req.ID || !l.ExpiresAt.Equal(req.ExpiresAt) && l.ExpiresAt.After(req.ExpiresAt) {
		t.Fatalf("the link: %+v", l)
	}
	page, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA)
	if err != nil {
		t.Fatal(err)
	}
	if page.Approval.ID != req.ID || page.Approval.Operation != withdrawal || page.Approval.State != account.ApprovalPending ||
		page.Requester != "exchange backend" || page.Email != "a•••@example.com" || !page.LinkExpiresAt.Equal(l.ExpiresAt) {
		t.Fatalf("the page: %+v", page)
	}
	// A reload on the same phone opens it again.
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatalf("reopening on the same phone: %v", err)
	}
	opts, err := fx.svc.PhoneApprovalOptions(ctx, link, phoneA)
	if err != nil {
		t.Fatal(err)
	}
	desktop, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if optionsChallenge(t, opts) != optionsChallenge(t, desktop) {
		t.Fatal("the phone's challenge is not the desktop's")
	}
	assertion, err := fx.auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fx.svc.FinishPhoneApproval(ctx, link, phoneA, assertion)
	if err != nil || got.State != account.ApprovalApproved || got.PasskeyID != fx.pk.ID {
		t.Fatalf("approving on the phone: %+v %v", got, err)
	}
	seen, err := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID)
	if err != nil || seen.State != account.ApprovalApproved || seen.Assertion == nil {
		t.Fatalf("the requester reads: %+v %v", seen, err)
	}
	verifyIndependently(t, seen, withdrawal)
	if !fx.hasEventWith(t, account.EventApprovalApproved, "withdrawal", "Blue key") {
		t.Fatal("no approval event")
	}
	ev, _ := fx.svc.Activity(ctx, fx.u.Session.Token, 1)
	if ev[0].Source != account.SourcePhonePage {
		t.Fatalf("the approval's event comes from %q", ev[0].Source)
	}
	mine, err := fx.svc.ReadApproval(ctx, fx.u.Session.Token, req.ID)
	if err != nil || mine.State != account.ApprovalApproved || mine.PasskeyName != "Blue key" {
		t.Fatalf("the desktop reads: %+v %v", mine, err)
	}
	// Used: a second open, on this phone or another, and a replay fail.
	for _, device := range []string{phoneA, phoneB} {
		if _, err := fx.svc.OpenPhoneApproval(ctx, link, device); !errors.Is(err, account.ErrApprovalLinkUsed) {
			t.Fatalf("opening a used link: %v", err)
		}
	}
	if _, err := fx.svc.FinishPhoneApproval(ctx, link, phoneA, assertion); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("a replayed answer: %v", err)
	}
	if !strings.Contains(account.ErrApprovalLinkUsed.Error(), "already used") {
		t.Fatal("the words do not say the link was used")
	}
}

func optionsChallenge(t *testing.T, opts json.RawMessage) string {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("options %s: %v", opts, err)
	}
	return o.PublicKey.Challenge
}

// TestPhoneApprovalOneDevice: the first phone to open the link holds it;
// another cannot open it or answer through it, and no call works before
// the link is opened.
func TestPhoneApprovalOneDevice(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, deposit)
	_, link := fx.phoneLink(t, req.ID)
	var in *account.InputError
	if _, err := fx.svc.PhoneApprovalOptions(ctx, link, phoneA); !errors.As(err, &in) {
		t.Fatalf("options before the link is opened: %v", err)
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneB); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("a second phone opening the link: %v", err)
	}
	if _, err := fx.phoneApprove(t, &accounttest.Authenticator{}, link, phoneB); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("a second phone asking for options: %v", err)
	}
	if _, err := fx.svc.DenyPhoneApproval(ctx, link, phoneB); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("a second phone denying: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("x", 22) + "!"} {
		if _, err := fx.svc.OpenPhoneApproval(ctx, bad, phoneA); !errors.Is(err, account.ErrApprovalLinkEnded) {
			t.Fatalf("opening the link %q: %v", bad, err)
		}
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, "AAAAAAAAAAAAAAAAAAAAAA", phoneA); !errors.Is(err, account.ErrApprovalLinkEnded) {
		t.Fatalf("opening an unknown link: %v", err)
	}
	if a, err := fx.phoneApprove(t, fx.auth, link, phoneA); err != nil || a.State != account.ApprovalApproved {
		t.Fatalf("the holding phone approving: %v", err)
	}
}

// TestPhoneApprovalDeny: Deny on the phone decides the approval and spends
// the link.
func TestPhoneApprovalDeny(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, withdrawal)
	_, link := fx.phoneLink(t, req.ID)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	got, err := fx.svc.DenyPhoneApproval(ctx, link, phoneA)
	if err != nil || got.State != account.ApprovalDenied {
		t.Fatalf("denying on the phone: %+v %v", got, err)
	}
	if seen, _ := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID); seen.State != account.ApprovalDenied {
		t.Fatalf("the requester reads %s", seen.State)
	}
	if _, err := fx.svc.DenyPhoneApproval(ctx, link, phoneA); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("denying again: %v", err)
	}
	if !fx.hasEventWith(t, account.EventApprovalDenied, "withdrawal") {
		t.Fatal("no denial event")
	}
}

// TestPhoneApprovalExpiry: a link lives ApprovalLinkLifetime, or less
// when its approval expires sooner; then it fails with words.
func TestPhoneApprovalExpiry(t *testing.T) {
	fx := newApprovalFixture(t)
	long, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: deposit, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l, link := fx.phoneLink(t, long.ID)
	if !l.ExpiresAt.Equal(fx.clock.Now().Add(account.ApprovalLinkLifetime)) {
		t.Fatalf("the link expires at %v", l.ExpiresAt)
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(account.ApprovalLinkLifetime)
	if _, err := fx.phoneApprove(t, fx.auth, link, phoneA); !errors.Is(err, account.ErrApprovalLinkEnded) {
		t.Fatalf("an expired link: %v", err)
	}
	if !strings.Contains(account.ErrApprovalLinkEnded.Error(), "expired") {
		t.Fatal("the words do not say the link expired")
	}

	short, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: deposit, Lifetime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	l, link = fx.phoneLink(t, short.ID)
	if !l.ExpiresAt.Equal(short.ExpiresAt) {
		t.Fatalf("the link of an approval with a minute left expires at %v, the approval at %v", l.ExpiresAt, short.ExpiresAt)
	}
	fx.clock.Advance(time.Minute)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); !errors.Is(err, account.ErrApprovalLinkEnded) {
		t.Fatalf("the link of an expired approval: %v", err)
	}
	if _, err := fx.svc.BeginPhoneApproval(ctx, fx.u.Session.Token, short.ID); !errors.Is(err, account.ErrApprovalExpired) {
		t.Fatalf("a link for an expired approval: %v", err)
	}
}

// TestPhoneApprovalDoors: another account's session cannot make a link
// for an approval, nor read it; a link dies with the desktop session that
// made it; an approval decided on the desktop cannot be decided again on
// the phone.
func TestPhoneApprovalDoors(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, deposit)
	other := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	if _, err := fx.svc.BeginPhoneApproval(ctx, other.Session.Token, req.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another account's link: %v", err)
	}
	if _, err := fx.svc.ReadApproval(ctx, other.Session.Token, req.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another account's read: %v", err)
	}
	for _, tok := range []string{"", "no-such-session"} {
		if _, err := fx.svc.BeginPhoneApproval(ctx, tok, req.ID); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("a link with session %q: %v", tok, err)
		}
		if _, err := fx.svc.ReadApproval(ctx, tok, req.ID); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("a read with session %q: %v", tok, err)
		}
	}
	if _, err := fx.svc.BeginPhoneApproval(ctx, fx.u.Session.Token, "no-such-approval"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a link for no approval: %v", err)
	}

	// Decided on the desktop first.
	_, link := fx.phoneLink(t, req.ID)
	if _, err := fx.approve(t, req.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); !errors.Is(err, account.ErrApprovalDecided) {
		t.Fatalf("opening the link of a decided approval: %v", err)
	}
	if _, err := fx.svc.BeginPhoneApproval(ctx, fx.u.Session.Token, req.ID); !errors.Is(err, account.ErrApprovalDecided) {
		t.Fatalf("a link for a decided approval: %v", err)
	}

	// The desktop signs out: its links die.
	next := fx.request(t, deposit)
	_, link = fx.phoneLink(t, next.ID)
	if err := fx.svc.SignOut(ctx, fx.u.Session.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); !errors.Is(err, account.ErrApprovalLinkEnded) {
		t.Fatalf("a link after the desktop signed out: %v", err)
	}
}

// TestPhoneApprovalLinkIsForOneApproval: a link reaches only its own
// approval. An answer made for another approval, posted through it, is
// an answer over other details: its approval is refused for good, as on
// the desktop, and the other approval is untouched.
func TestPhoneApprovalLinkIsForOneApproval(t *testing.T) {
	fx := newApprovalFixture(t)
	mine := fx.request(t, deposit)
	other := fx.request(t, withdrawal)
	_, link := fx.phoneLink(t, mine.ID)
	page, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA)
	if err != nil || page.Approval.ID != mine.ID {
		t.Fatalf("the page: %+v %v", page, err)
	}
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	forOther, err := fx.auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishPhoneApproval(ctx, link, phoneA, forOther); !errors.Is(err, account.ErrApprovalRefused) {
		t.Fatalf("another approval's answer through the link: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, other.ID); got.State != account.ApprovalPending {
		t.Fatalf("the other approval is %s", got.State)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, mine.ID); got.State != account.ApprovalRefused {
		t.Fatalf("the link's approval is %s", got.State)
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("the link after a refusal for good: %v", err)
	}
}

// TestPhoneApprovalHeldPasskey: a passkey on its own hold cannot approve
// a withdrawal from the phone either; the approval stays pending. With
// every passkey held, no link is made.
func TestPhoneApprovalHeldPasskey(t *testing.T) {
	fx := newApprovalFixture(t)
	phone := &accounttest.Authenticator{}
	pk := fx.u.AddPasskey(t, phone, account.KindPhone, "Phone")
	db, err := sql.Open("sqlite", fx.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	liftAccountHold := func() {
		if _, err := db.Exec(`UPDATE account_policies SET hold_until = 0, hold_cause = ''`); err != nil {
			t.Fatal(err)
		}
	}
	liftAccountHold()
	w := fx.request(t, withdrawal)
	_, link := fx.phoneLink(t, w.ID)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	var pe *account.PolicyError
	if _, err := fx.phoneApprove(t, phone, link, phoneA); !errors.As(err, &pe) || pe.Rule != account.RulePasskeyHeld || !pe.Until.Equal(pk.HeldUntil) {
		t.Fatalf("the held phone passkey approving: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, w.ID); got.State != account.ApprovalPending {
		t.Fatalf("the withdrawal after the refusal: %s", got.State)
	}
	// Another passkey still approves through the same link.
	if a, err := fx.phoneApprove(t, fx.auth, link, phoneA); err != nil || a.PasskeyID != fx.pk.ID {
		t.Fatalf("the passkey past its hold: %+v %v", a, err)
	}

	// Only the held passkey left: no link for a withdrawal.
	grant, err := passkeyGrant(t, fx, fx.auth, account.PurposeRemovePasskey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.RemovePasskey(ctx, fx.u.Session.Token, grant, fx.pk.ID); err != nil {
		t.Fatal(err)
	}
	liftAccountHold()
	w = fx.request(t, withdrawal)
	if _, err := fx.svc.BeginPhoneApproval(ctx, fx.u.Session.Token, w.ID); !errors.As(err, &pe) || pe.Rule != account.RulePasskeyHeld {
		t.Fatalf("a link with only a held passkey: %v", err)
	}
}

// TestPhoneApprovalAttempts: answers that fail for a benign reason leave
// the approval pending, but a link takes MaxFailures of them, then is
// spent. A cloned-looking passkey refuses the approval for good.
func TestPhoneApprovalAttempts(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, deposit)
	_, link := fx.phoneLink(t, req.ID)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	for i := range account.MaxFailures {
		_, err := fx.svc.FinishPhoneApproval(ctx, link, phoneA, json.RawMessage(`{"id":"x"}`))
		if i == 0 && !errors.Is(err, account.ErrCredentialRejected) {
			t.Fatalf("a garbage answer: %v", err)
		}
	}
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("the link after %d refused answers: %v", account.MaxFailures, err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID); got.State != account.ApprovalPending {
		t.Fatalf("the approval after refused answers: %s", got.State)
	}

	// Clone detection: the counter goes backwards.
	_, link = fx.phoneLink(t, req.ID)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.phoneApprove(t, fx.auth, link, phoneA); err != nil {
		t.Fatal(err)
	}
	clone := fx.request(t, deposit)
	_, link = fx.phoneLink(t, clone.ID)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	fx.auth.Counter = 0
	if _, err := fx.phoneApprove(t, fx.auth, link, phoneA); !errors.Is(err, account.ErrPasskeyCloned) || !errors.Is(err, account.ErrApprovalRefused) {
		t.Fatalf("a cloned-looking passkey: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, clone.ID); got.State != account.ApprovalRefused {
		t.Fatalf("the approval after the clone: %s", got.State)
	}
}

// TestPhoneApprovalConcurrentOpens: phones racing to open one link: one
// holds it, every other is told it was used.
func TestPhoneApprovalConcurrentOpens(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, deposit)
	_, link := fx.phoneLink(t, req.ID)
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := fx.svc.OpenPhoneApproval(ctx, link, fmt.Sprintf("racing-phone-%02d-0123456789", i))
			errs <- err
		}()
	}
	held := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			held++
		case !errors.Is(err, account.ErrApprovalLinkUsed):
			t.Errorf("a losing phone: %v", err)
		}
	}
	if held != 1 {
		t.Fatalf("%d phones hold the link, want 1", held)
	}
}

// TestPhoneApprovalCancel: the desktop that made a link can end it at
// once; another session, of this account or another, cannot.
func TestPhoneApprovalCancel(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, deposit)
	l, link := fx.phoneLink(t, req.ID)
	if _, err := fx.svc.OpenPhoneApproval(ctx, link, phoneA); err != nil {
		t.Fatal(err)
	}
	bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	second, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	for who, tok := range map[string]string{"another account": bob.Session.Token, "another session of the account": second.Token} {
		if err := fx.svc.CancelPhoneApproval(ctx, tok, l.ID); !errors.Is(err, account.ErrNotFound) {
			t.Fatalf("%s cancels the link: %v", who, err)
		}
	}
	if err := fx.svc.CancelPhoneApproval(ctx, "", l.ID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session cancels the link: %v", err)
	}
	if err := fx.svc.CancelPhoneApproval(ctx, fx.u.Session.Token, "nope"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("canceling no link: %v", err)
	}
	if _, err := fx.svc.PhoneApprovalOptions(ctx, link, phoneA); err != nil {
		t.Fatalf("the link after refused cancels: %v", err)
	}
	for range 2 { // twice: canceling a canceled link is no error
		if err := fx.svc.CancelPhoneApproval(ctx, fx.u.Session.Token, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fx.phoneApprove(t, fx.auth, link, phoneA); !errors.Is(err, account.ErrApprovalLinkUsed) {
		t.Fatalf("a canceled link: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID); got.State != account.ApprovalPending {
		t.Fatalf("the approval after the cancel: %s", got.State)
	}
}
