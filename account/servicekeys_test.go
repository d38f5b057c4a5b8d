package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// serviceFixture is two accounts with a passkey each, Ann's own API key,
// and a service key of the operator's backend, on one store.
type serviceFixture struct {
	store    account.Store
	svc      *account.Service
	clock    *accounttest.Clock
	ann, bob *accounttest.User
	annAuth  *accounttest.Authenticator
	bobAuth  *accounttest.Authenticator
	annKey   *account.NewAPIKey
	service  *account.NewServiceKey
}

func newServiceFixture(t *testing.T) *serviceFixture {
	t.Helper()
	fx := &serviceFixture{annAuth: &accounttest.Authenticator{}, bobAuth: &accounttest.Authenticator{}}
	fx.svc, fx.clock, _ = accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store {
		fx.store = s
		return s
	}})
	fx.ann = accounttest.SignUp(t, fx.svc, fx.clock, "ann@example.com")
	fx.bob = accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	fx.ann.AddPasskey(t, fx.annAuth, account.KindSecurityKey, "Ann's key")
	fx.bob.AddPasskey(t, fx.bobAuth, account.KindSecurityKey, "Bob's key")
	fx.clock.Advance(account.RemovalHold)
	var err error
	if fx.annKey, err = fx.svc.CreateAPIKey(ctx, fx.ann.Session.Token, fx.ann.Grant(t, account.PurposeCreateAPIKey), "ann's script"); err != nil {
		t.Fatal(err)
	}
	if fx.service, err = account.CreateServiceKey(ctx, fx.store, "exchange-prod", account.ScopeApprovals, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *serviceFixture) approve(t *testing.T, u *accounttest.User, auth *accounttest.Authenticator, id string) *account.Approval {
	t.Helper()
	opts, err := fx.svc.BeginApproval(ctx, u.Session.Token, id)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	a, err := fx.svc.FinishApproval(ctx, u.Session.Token, id, assertion)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestServiceKeyRequestsForAnyAccount: one service key requests approvals
// for two accounts, by email and by account ID, and reads the answers;
// each account's activity names the key; the key's last use is recorded.
func TestServiceKeyRequestsForAnyAccount(t *testing.T) {
	fx := newServiceFixture(t)
	if !strings.HasPrefix(fx.service.Secret, account.ServiceKeyPrefix) || len(fx.service.Secret) != len("pdks_")+43 {
		t.Fatalf("the secret %q", fx.service.Hint)
	}
	forBob, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: " Bob@Example.com ", Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	annID, _ := fx.svc.Me(ctx, fx.ann.Session.Token)
	forAnn, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: annID.ID, Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := fx.svc.PendingApprovals(ctx, fx.bob.Session.Token); len(list) != 1 || list[0].ID != forBob.ID {
		t.Fatalf("Bob's inbox: %+v", list)
	}
	if list, _ := fx.svc.PendingApprovals(ctx, fx.ann.Session.Token); len(list) != 1 || list[0].ID != forAnn.ID {
		t.Fatalf("Ann's inbox: %+v", list)
	}
	fx.approve(t, fx.bob, fx.bobAuth, forBob.ID)
	got, err := fx.svc.GetApproval(ctx, fx.service.Secret, forBob.ID)
	if err != nil || got.State != account.ApprovalApproved || got.Assertion == nil {
		t.Fatalf("the service key reads Bob's answer: %+v, %v", got, err)
	}
	verifyIndependently(t, got, withdrawal)
	// Ann's own key reads what was asked of her account, by whichever key.
	if _, err := fx.svc.GetApproval(ctx, fx.annKey.Secret, forAnn.ID); err != nil {
		t.Fatalf("Ann's key reads her approval: %v", err)
	}
	for _, u := range []*accounttest.User{fx.ann, fx.bob} {
		events, _ := fx.svc.Activity(ctx, u.Session.Token, 20)
		var found bool
		for _, e := range events {
			found = found || (e.Type == account.EventApprovalRequested && strings.Contains(e.Detail, "(key exchange-prod (service))") && e.Source == account.SourceAPI)
		}
		if !found {
			t.Errorf("%s's activity does not name the service key: %+v", u.Email, events)
		}
	}
	keys, err := account.ListServiceKeys(ctx, fx.store)
	if err != nil || len(keys) != 1 || !keys[0].LastUsedAt.Equal(fx.clock.Now().UTC()) || keys[0].Hint != fx.service.Secret[:9] {
		t.Fatalf("the list after use: %+v, %v", keys, err)
	}
}

// TestServiceKeyDoors: who may not request or read, and what each hears.
func TestServiceKeyDoors(t *testing.T) {
	fx := newServiceFixture(t)
	other, err := account.CreateServiceKey(ctx, fx.store, "exchange-test", account.ScopeApprovals, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	forBob, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: "bob@example.com", Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	inputOn := func(field string) func(error) bool {
		return func(err error) bool {
			var in *account.InputError
			return errors.As(err, &in) && in.Field == field
		}
	}
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	for _, tc := range []struct {
		name, key, account string
		want               func(error) bool
	}{
		{"a service key naming no account", fx.service.Secret, "", inputOn("account")},
		{"a service key naming an unknown account", fx.service.Secret, "nobody@example.com", is(account.ErrNotFound)},
		{"a service key naming an unknown ID", fx.service.Secret, "no-such-id", is(account.ErrNotFound)},
		{"an account's key naming another account", fx.annKey.Secret, "bob@example.com", inputOn("account")},
		{"a made-up service key", "pdks_" + strings.Repeat("A", 43), "bob@example.com", is(account.ErrInvalidAPIKey)},
		{"no key", "", "bob@example.com", is(account.ErrInvalidAPIKey)},
	} {
		_, err := fx.svc.RequestApproval(ctx, tc.key, account.ApprovalRequest{Account: tc.account, Operation: withdrawal})
		if !tc.want(err) {
			t.Errorf("request, %s: %v", tc.name, err)
		}
		_, err = fx.svc.RequesterPasskeys(ctx, tc.key, tc.account)
		if !tc.want(err) {
			t.Errorf("passkeys, %s: %v", tc.name, err)
		}
		_, err = fx.svc.WatchRequesterPasskeys(ctx, tc.key, tc.account)
		if !tc.want(err) {
			t.Errorf("passkey watch, %s: %v", tc.name, err)
		}
	}
	// An account's key may name its own account.
	if _, err := fx.svc.RequestApproval(ctx, fx.annKey.Secret, account.ApprovalRequest{Account: "ann@example.com", Operation: withdrawal}); err != nil {
		t.Errorf("Ann's key naming Ann: %v", err)
	}
	// Reading: another service key, and another account's key, find nothing.
	for name, key := range map[string]string{"another service key": other.Secret, "Ann's key": fx.annKey.Secret} {
		if _, err := fx.svc.GetApproval(ctx, key, forBob.ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("%s reads Bob's approval: %v", name, err)
		}
	}
	// A revoked service key stops at once, for every call.
	if err := account.RevokeServiceKey(ctx, fx.store, fx.service.ID, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: "bob@example.com", Operation: withdrawal}); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a revoked key requests: %v", err)
	}
	if _, err := fx.svc.GetApproval(ctx, fx.service.Secret, forBob.ID); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a revoked key reads: %v", err)
	}
	if _, err := fx.svc.RequesterPasskeys(ctx, fx.service.Secret, "bob@example.com"); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a revoked key lists passkeys: %v", err)
	}
	if _, err := fx.svc.WatchRequesterPasskeys(ctx, fx.service.Secret, "bob@example.com"); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a revoked key watches passkeys: %v", err)
	}
	// A revoked account key too.
	keys, _ := fx.svc.ListAPIKeys(ctx, fx.ann.Session.Token)
	if err := fx.svc.RevokeAPIKey(ctx, fx.ann.Session.Token, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequesterPasskeys(ctx, fx.annKey.Secret, ""); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a revoked account key lists passkeys: %v", err)
	}
	if _, err := fx.svc.WatchRequesterPasskeys(ctx, fx.annKey.Secret, ""); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Errorf("a revoked account key watches passkeys: %v", err)
	}
}

// TestServiceKeyPendingCap: a service key has MaxPendingApprovals waiting
// at most, across all accounts; another service key has its own.
func TestServiceKeyPendingCap(t *testing.T) {
	fx := newServiceFixture(t)
	for i := range account.MaxPendingApprovals {
		who := []string{"ann@example.com", "bob@example.com"}[i%2]
		if _, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: who, Operation: withdrawal}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if _, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: "bob@example.com", Operation: withdrawal}); !errors.Is(err, account.ErrTooManyPending) {
		t.Fatalf("one past the cap: %v", err)
	}
	other, err := account.CreateServiceKey(ctx, fx.store, "exchange-eu", account.ScopeApprovals, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequestApproval(ctx, other.Secret, account.ApprovalRequest{Account: "bob@example.com", Operation: withdrawal}); err != nil {
		t.Fatalf("another service key: %v", err)
	}
	fx.clock.Advance(account.ApprovalLifetime)
	if _, err := fx.svc.RequestApproval(ctx, fx.service.Secret, account.ApprovalRequest{Account: "bob@example.com", Operation: withdrawal}); err != nil {
		t.Fatalf("after the requests expired: %v", err)
	}
}

// TestServiceKeyManagement: names and scope are checked, a name is unique
// among the keys in force, a revoked key stays listed, revoking twice is
// fine and an unknown ID is ErrNotFound.
func TestServiceKeyManagement(t *testing.T) {
	fx := newServiceFixture(t)
	for _, tc := range []struct {
		name  string
		scope account.ServiceKeyScope
		field string
	}{
		{"", account.ScopeApprovals, "name"},
		{strings.Repeat("x", 65), account.ScopeApprovals, "name"},
		{"tab\there", account.ScopeApprovals, "name"},
		{"admin", "everything", "scope"},
		{"exchange-prod", account.ScopeApprovals, "name"},
	} {
		var in *account.InputError
		if _, err := account.CreateServiceKey(ctx, fx.store, tc.name, tc.scope, fx.clock.Now()); !errors.As(err, &in) || in.Field != tc.field {
			t.Errorf("CreateServiceKey(%q, %q): %v", tc.name, tc.scope, err)
		}
	}
	if err := account.RevokeServiceKey(ctx, fx.store, "no-such-key", fx.clock.Now()); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("revoking an unknown key: %v", err)
	}
	for range 2 {
		if err := account.RevokeServiceKey(ctx, fx.store, fx.service.ID, fx.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	fx.clock.Advance(time.Second)
	again, err := account.CreateServiceKey(ctx, fx.store, "exchange-prod", account.ScopeApprovals, fx.clock.Now())
	if err != nil {
		t.Fatalf("the name of a revoked key: %v", err)
	}
	keys, err := account.ListServiceKeys(ctx, fx.store)
	if err != nil || len(keys) != 2 || keys[0].ID != fx.service.ID || keys[0].RevokedAt.IsZero() || keys[1].ID != again.ID || !keys[1].RevokedAt.IsZero() {
		t.Fatalf("the list: %+v, %v", keys, err)
	}
}
