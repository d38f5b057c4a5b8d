package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// deletionFixture is Ann with a passkey and an API key, and Bob, on a
// store the test can look into.
type deletionFixture struct {
	*approvalFixture
	bob   *accounttest.User
	store *sqlstore.Store
}

func newDeletionFixture(t *testing.T) *deletionFixture {
	t.Helper()
	fx := &deletionFixture{approvalFixture: newApprovalFixture(t)}
	fx.bob = accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	var err error
	if fx.store, err = sqlstore.Open(fx.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.store.Close() })
	return fx
}

// exists says whether the account with email is still in the store, and
// how many passkeys it has there.
func (fx *deletionFixture) exists(t *testing.T, email string) (bool, int) {
	t.Helper()
	var found bool
	var n int
	err := fx.store.View(ctx, func(tx account.Tx) error {
		a, err := tx.AccountByEmail(email)
		if errors.Is(err, account.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		pks, err := tx.Passkeys(a.ID)
		n = len(pks)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, n
}

// sweep makes the service sweep (a begun identity check sweeps at most
// once a minute).
func (fx *deletionFixture) sweep(t *testing.T) {
	t.Helper()
	fx.clock.Advance(time.Minute)
	if _, err := fx.svc.BeginVerification(ctx, fx.bob.Session.Token, account.PurposeAddPasskey); err != nil {
		t.Fatal(err)
	}
}

func (fx *deletionFixture) request(t *testing.T) *account.AccountDeletion {
	t.Helper()
	d, err := fx.svc.RequestAccountDeletion(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeDeleteAccount), " ANN@example.com ")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The doors: a session of the account, its delete-account grant and its
// email typed; anything else is refused and changes nothing.
func TestRequestAccountDeletionRefusals(t *testing.T) {
	fx := newDeletionFixture(t)
	tok := fx.u.Session.Token
	grant := func() string { return fx.u.Grant(t, account.PurposeDeleteAccount) }
	revoked := accounttest.SignUp(t, fx.svc, fx.clock, "cy@example.com")
	revokedGrant := revoked.Grant(t, account.PurposeDeleteAccount)
	if err := fx.svc.SignOut(ctx, revoked.Session.Token); err != nil {
		t.Fatal(err)
	}
	var input *account.InputError
	for _, tt := range []struct {
		name    string
		token   func() string
		grant   func() string
		confirm string
		want    func(error) bool
	}{
		{"no grant", func() string { return tok }, func() string { return "" }, fx.u.Email, is(account.ErrGrantRequired)},
		{"made-up grant", func() string { return tok }, func() string { return "made-up" }, fx.u.Email, is(account.ErrGrantRequired)},
		{"grant of another purpose", func() string { return tok }, func() string { return fx.u.Grant(t, account.PurposeChangePassword) }, fx.u.Email, is(account.ErrGrantRequired)},
		{"another account's grant", func() string { return tok }, func() string { return fx.bob.Grant(t, account.PurposeDeleteAccount) }, fx.u.Email, is(account.ErrGrantRequired)},
		{"another account's session", func() string { return fx.bob.Session.Token }, grant, fx.u.Email, is(account.ErrGrantRequired)},
		{"another account's session, its email", func() string { return fx.bob.Session.Token }, grant, fx.bob.Email, is(account.ErrGrantRequired)},
		{"expired grant", func() string { return tok }, func() string {
			g := grant()
			fx.clock.Advance(account.GrantLifetime)
			return g
		}, fx.u.Email, is(account.ErrGrantRequired)},
		{"no session", func() string { return "made-up-token" }, grant, fx.u.Email, is(account.ErrUnauthenticated)},
		{"signed-out session", func() string { return revoked.Session.Token }, func() string { return revokedGrant }, revoked.Email, is(account.ErrUnauthenticated)},
		{"no confirmation", func() string { return tok }, grant, "", func(err error) bool { return errors.As(err, &input) && input.Field == "confirmation" }},
		{"another email typed", func() string { return tok }, grant, fx.bob.Email, func(err error) bool { return errors.As(err, &input) && input.Field == "confirmation" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token, g := tt.token(), tt.grant()
			if _, err := fx.svc.RequestAccountDeletion(ctx, token, g, tt.confirm); !tt.want(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
	// A mistyped confirmation leaves the grant usable.
	g := grant()
	if _, err := fx.svc.RequestAccountDeletion(ctx, tok, g, "ann@example.org"); err == nil {
		t.Fatal("a mistyped email was taken")
	}
	if _, err := fx.svc.RequestAccountDeletion(ctx, tok, g, fx.u.Email); err != nil {
		t.Fatalf("the grant after a mistyped email: %v", err)
	}
	// Nobody else's account was touched.
	if _, err := fx.svc.Me(ctx, fx.bob.Session.Token); err != nil {
		t.Fatalf("Bob after the refusals: %v", err)
	}
	fx.clock.Advance(account.DeletionGrace)
	fx.sweep(t)
	if ok, _ := fx.exists(t, fx.bob.Email); !ok {
		t.Fatal("Bob's account was deleted")
	}
}

// A restricted session (a cloned-looking passkey's sign-in) cannot ask.
func TestRestrictedSessionCannotDeleteAccount(t *testing.T) {
	fx := newDeletionFixture(t)
	sess := cloneSignIn(t, fx.approvalFixture)
	if _, err := fx.svc.RequestAccountDeletion(ctx, sess.Token, fx.u.Grant(t, account.PurposeDeleteAccount), fx.u.Email); !errors.Is(err, account.ErrSessionRestricted) {
		t.Fatalf("got %v", err)
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

// After the grace period the sweep deletes the account and its data; a
// sign-in once it is due fails as for an unknown account; the email is
// free again.
func TestAccountDeletedAfterGrace(t *testing.T) {
	fx := newDeletionFixture(t)
	other, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	d := fx.request(t)
	if !d.RequestedAt.Equal(fx.clock.Now()) || !d.DeletesAt.Equal(d.RequestedAt.Add(account.DeletionGrace)) {
		t.Fatalf("deletes at %v, asked at %v, now %v", d.DeletesAt, d.RequestedAt, fx.clock.Now())
	}
	for _, tok := range []string{fx.u.Session.Token, other.Token} {
		if _, err := fx.svc.Me(ctx, tok); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("a session after the request: %v", err)
		}
	}
	// A sweep before the time keeps it.
	fx.clock.Advance(account.DeletionGrace - 2*time.Minute)
	fx.sweep(t)
	if ok, n := fx.exists(t, fx.u.Email); !ok || n != 1 {
		t.Fatalf("before the grace ended: exists %v, %d passkeys", ok, n)
	}
	fx.clock.Advance(time.Minute)
	// Due, not yet swept: a sign-in is refused, not a cancel.
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("a sign-in once due: %v", err)
	}
	if ok, _ := fx.exists(t, fx.u.Email); !ok {
		t.Fatal("the account went before a sweep")
	}
	fx.sweep(t)
	if ok, _ := fx.exists(t, fx.u.Email); ok {
		t.Fatal("the account stays after the grace period")
	}
	if ok, _ := fx.exists(t, fx.bob.Email); !ok {
		t.Fatal("the sweep deleted another account")
	}
	err = fx.store.View(ctx, func(tx account.Tx) error {
		_, _, err := tx.PasskeyByCredentialID(fx.pk.CredentialID)
		return err
	})
	if !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("the passkey after the deletion: %v", err)
	}
	if _, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("a sign-in after the deletion: %v", err)
	}
	accounttest.SignUp(t, fx.svc, fx.clock, fx.u.Email) // the email is free
}

// Sweep deletes a due account at once, with no other activity.
func TestSweepDeletesDueAccount(t *testing.T) {
	fx := newDeletionFixture(t)
	fx.request(t)
	fx.clock.Advance(account.DeletionGrace - time.Second)
	if err := fx.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := fx.exists(t, fx.u.Email); !ok {
		t.Fatal("swept before it was due")
	}
	fx.clock.Advance(time.Second)
	if err := fx.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := fx.exists(t, fx.u.Email); ok {
		t.Fatal("a due account stays after Sweep")
	}
}

// An account whose deletion is due gives up its email to a sign-up even
// before a sweep.
func TestDueDeletionFreesEmail(t *testing.T) {
	fx := newDeletionFixture(t)
	fx.request(t)
	fx.clock.Advance(account.DeletionGrace - time.Second)
	if _, err := fx.svc.SignUp(ctx, account.SignUpRequest{Email: fx.u.Email, DisplayName: "New", Password: "long enough pw"}); !errors.Is(err, account.ErrEmailTaken) {
		t.Fatalf("a sign-up during the grace period: %v", err)
	}
	fx.clock.Advance(time.Second)
	accounttest.SignUp(t, fx.svc, fx.clock, fx.u.Email)
}

// Signing in during the grace period, with the password or a passkey,
// cancels the deletion and says so.
func TestSignInCancelsDeletion(t *testing.T) {
	for _, how := range []string{"password", "passkey"} {
		t.Run(how, func(t *testing.T) {
			fx := newDeletionFixture(t)
			fx.request(t)
			fx.clock.Advance(account.DeletionGrace - time.Hour)
			var sess *account.Session
			var err error
			if how == "password" {
				sess, err = fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
			} else {
				opts, berr := fx.svc.BeginLogin(ctx, fx.u.Email)
				if berr != nil {
					t.Fatal(berr)
				}
				resp, aerr := fx.auth.Assert(opts)
				if aerr != nil {
					t.Fatal(aerr)
				}
				sess, err = fx.svc.FinishLogin(ctx, resp)
			}
			if err != nil || !sess.DeletionCanceled {
				t.Fatalf("sign-in: %+v, %v", sess, err)
			}
			evs, err := fx.svc.Activity(ctx, sess.Token, 0)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range evs {
				if e.Type == account.EventDeletionRequested || e.Type == account.EventDeletionCanceled {
					kinds = append(kinds, string(e.Type))
				}
			}
			if strings.Join(kinds, " ") != "deletion-canceled deletion-requested" && strings.Join(kinds, " ") != "deletion-requested deletion-canceled" {
				t.Fatalf("events %v", kinds)
			}
			fx.clock.Advance(2 * time.Hour)
			fx.sweep(t)
			if ok, _ := fx.exists(t, fx.u.Email); !ok {
				t.Fatal("a cancelled deletion deleted the account")
			}
			again, err := fx.svc.SignIn(ctx, fx.u.Email, fx.u.Password, fx.u.Code(t))
			if err != nil || again.DeletionCanceled {
				t.Fatalf("the next sign-in: %+v, %v", again, err)
			}
		})
	}
}
