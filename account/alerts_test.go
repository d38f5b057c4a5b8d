package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// Every security change is mailed to the verified address with what
// happened, when, from where and what to do; an unverified address gets
// no alert; a sign-in from a new app or address is one.
func TestAlertsAreMailed(t *testing.T) {
	svc, clock, sink := mailedService(t)
	u := mailedUser(t, svc, clock, sink, "ann@example.com")
	u.ConfirmEmail(t)
	tok := u.Session.Token
	const to = "ann@example.com"
	wantAlert := func(t *testing.T, title string, words ...string) {
		t.Helper()
		m := sink.WaitFor(t, to, append([]string{"security alert: " + title, "When: ", "From: ", "If it was not you"}, words...)...)
		for _, secret := range []string{u.Password, u.Secret, tok} {
			if strings.Contains(m.Text, secret) {
				t.Fatalf("the alert carries a secret: %q", m.Text)
			}
		}
	}

	key := &accounttest.Authenticator{}
	pk := u.AddPasskey(t, key, account.KindSecurityKey, "Blue key")
	t.Run("passkey added", func(t *testing.T) {
		wantAlert(t, "A passkey was added to your account", "Blue key")
	})
	t.Run("hold started", func(t *testing.T) {
		wantAlert(t, "Withdrawals and C2C trades are on hold")
	})
	t.Run("passkey required turned off", func(t *testing.T) {
		clock.Advance(account.RemovalHold + 1)
		if err := svc.SetPasskeyRequired(ctx, tok, "", true); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPasskeyRequired(ctx, tok, u.Grant(t, account.PurposeChangePolicy), false); err != nil {
			t.Fatal(err)
		}
		wantAlert(t, `"Passkey required" was turned off`)
		if n := sink.Count(to, `security alert: "Passkey required"`); n != 1 {
			t.Fatalf("%d alerts about the policy; turning it on is no alert", n)
		}
	})
	t.Run("passkey removed", func(t *testing.T) {
		if err := svc.RemovePasskey(ctx, tok, u.Grant(t, account.PurposeRemovePasskey), pk.ID); err != nil {
			t.Fatal(err)
		}
		wantAlert(t, "A passkey was removed from your account", "Blue key")
	})
	t.Run("password changed", func(t *testing.T) {
		if err := svc.ChangePassword(ctx, tok, u.Grant(t, account.PurposeChangePassword), "a new long passphrase"); err != nil {
			t.Fatal(err)
		}
		u.Password = "a new long passphrase"
		wantAlert(t, "Your password was changed")
	})
	t.Run("recovery code used, from a new device", func(t *testing.T) {
		c := account.WithClientAgent(account.WithClientAddress(context.Background(), "203.0.113.7"), "Firefox/140.0")
		if _, err := svc.SignIn(c, to, u.Password, u.Session.RecoveryCodes[0]); err != nil {
			t.Fatal(err)
		}
		wantAlert(t, "A recovery code was used", "address 203.0.113.7")
		wantAlert(t, "Your account was signed in from a new device", "Firefox/140.0 at 203.0.113.7")
		// The same device again is no news.
		if _, err := svc.SignIn(c, to, u.Password, u.Code(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SignIn(context.Background(), to, u.Password, u.Code(t)); err != nil {
			t.Fatal(err)
		}
		svc.WaitAlerts()
		if n := sink.Count(to, "from a new device"); n != 1 {
			t.Fatalf("%d new-device alerts, want 1", n)
		}
	})
	t.Run("authenticator changed", func(t *testing.T) {
		if err := account.AppendEventNow(svc, u.Session.Account.ID, account.EventAuthenticatorChanged, "a new authenticator app"); err != nil {
			t.Fatal(err)
		}
		wantAlert(t, "Your authenticator app was changed", "a new authenticator app")
	})
	t.Run("no alert to an unverified address", func(t *testing.T) {
		bob := mailedUser(t, svc, clock, sink, "bob@example.com")
		bob.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "")
		if err := svc.ChangePassword(ctx, bob.Session.Token, bob.Grant(t, account.PurposeChangePassword), "another long passphrase"); err != nil {
			t.Fatal(err)
		}
		svc.WaitAlerts()
		if n := sink.Count("bob@example.com", "security alert"); n != 0 {
			t.Fatalf("%d alerts to an unconfirmed address", n)
		}
	})
	// Last: a deletion request ends the account's sessions.
	t.Run("deletion requested", func(t *testing.T) {
		if _, err := svc.RequestAccountDeletion(ctx, tok, u.Grant(t, account.PurposeDeleteAccount), to); err != nil {
			t.Fatal(err)
		}
		wantAlert(t, "Your account is to be deleted")
	})
}

// failingAlerts delivers codes to the sink and fails every alert.
type failingAlerts struct{ account.Mailer }

func (f failingAlerts) Send(ctx context.Context, to, subject, body string) error {
	if strings.Contains(subject, "security alert") {
		return errors.New("relay refused the message")
	}
	return f.Mailer.Send(ctx, to, subject, body)
}

// A mail that fails fails no change.
func TestAFailedAlertFailsNothing(t *testing.T) {
	sink := accounttest.StartMailSink(t)
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Mailer: failingAlerts{sink.Mailer()}})
	u := mailedUser(t, svc, clock, sink, "ann@example.com")
	u.ConfirmEmail(t)
	if err := svc.ChangePassword(ctx, u.Session.Token, u.Grant(t, account.PurposeChangePassword), "a new long passphrase"); err != nil {
		t.Fatalf("the change failed with its alert: %v", err)
	}
	svc.WaitAlerts()
	if _, err := svc.SignIn(ctx, "ann@example.com", "a new long passphrase", u.Code(t)); err != nil {
		t.Fatal(err)
	}
}
