package account_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// mailedUser signs up on a service that mails to a loopback sink.
func mailedService(t *testing.T) (*account.Service, *accounttest.Clock, *accounttest.MailSink) {
	sink := accounttest.StartMailSink(t)
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Mailer: sink.Mailer()})
	return svc, clock, sink
}

func mailedUser(t *testing.T, svc *account.Service, clock *accounttest.Clock, sink *accounttest.MailSink, email string) *accounttest.User {
	t.Helper()
	u := accounttest.SignUp(t, svc, clock, email)
	u.Mail = sink
	return u
}

// With mail, sign-up mails a code; until it is confirmed the email is no
// factor (password and authenticator code stay) and the account says so;
// wrong, expired and used codes are refused; "Send again" sends a new one
// that replaces the old.
func TestEmailConfirmation(t *testing.T) {
	svc, clock, sink := mailedService(t)
	u := mailedUser(t, svc, clock, sink, "ann@example.com")
	tok := u.Session.Token
	if !u.Session.Account.EmailUnconfirmed {
		t.Error("the sign-up's session does not say the email is unconfirmed")
	}
	first := sink.WaitFor(t, "ann@example.com", "email confirmation code")
	if sink.LastCode("ann@example.com", "email confirmation code") == "" {
		t.Fatalf("no code in %q", first.Text)
	}
	me, err := svc.Me(ctx, tok)
	if err != nil || !me.EmailUnconfirmed || slices.Contains(me.Factors, account.FactorEmailCode) {
		t.Fatalf("before confirming: %+v, %v", me, err)
	}
	// The identity check falls back to password and authenticator code,
	// and mails nothing.
	before := len(sink.Messages())
	v, err := svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
	if err != nil || slices.Contains(v.Factors, account.FactorEmailCode) || v.EmailSentTo != "" {
		t.Fatalf("verification before confirming: %+v, %v", v, err)
	}
	if len(sink.Messages()) != before {
		t.Fatal("an identity check mailed an unconfirmed address")
	}
	if _, err := svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: u.Password, TOTPCode: u.Code(t)}); err != nil {
		t.Fatalf("password and code without the email: %v", err)
	}

	code := sink.LastCode("ann@example.com", "email confirmation code")
	for _, tc := range []struct {
		name string
		code string
		want error
	}{
		{"wrong", otherCode(code), account.ErrInvalidCode},
		{"empty", "", account.ErrInvalidCode},
	} {
		if _, err := svc.ConfirmEmail(ctx, tok, tc.code); !errors.Is(err, tc.want) {
			t.Errorf("%s code: %v, want %v", tc.name, err, tc.want)
		}
	}
	clock.Advance(account.EmailCodeLifetime + time.Second)
	if _, err := svc.ConfirmEmail(ctx, tok, code); !errors.Is(err, account.ErrNoEmailCode) {
		t.Fatalf("expired code: %v", err)
	}
	st, err := svc.SendEmailCode(ctx, tok)
	if err != nil || st.Pending != "ann@example.com" || st.Verified {
		t.Fatalf("send again: %+v, %v", st, err)
	}
	fresh := sink.LastCode("ann@example.com", "email confirmation code")
	if fresh != code {
		if _, err := svc.ConfirmEmail(ctx, tok, code); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("the replaced code: %v", err)
		}
	}
	if st, err := svc.ConfirmEmail(ctx, tok, " "+fresh+" "); err != nil || !st.Verified || st.Pending != "" {
		t.Fatalf("the right code: %+v, %v", st, err)
	}
	if _, err := svc.ConfirmEmail(ctx, tok, fresh); !errors.Is(err, account.ErrNoEmailCode) {
		t.Fatalf("the used code: %v", err)
	}
	if _, err := svc.SendEmailCode(ctx, tok); !errors.Is(err, account.ErrNoEmailCode) {
		t.Fatalf("send again when confirmed: %v", err)
	}
	me, err = svc.Me(ctx, tok)
	if err != nil || me.EmailUnconfirmed || !slices.Contains(me.Factors, account.FactorEmailCode) {
		t.Fatalf("after confirming: %+v, %v", me, err)
	}
	// Now the email code is a factor of identity checks.
	v, err = svc.BeginVerification(ctx, tok, account.PurposeAddPasskey)
	if err != nil || !slices.Contains(v.Factors, account.FactorEmailCode) || v.EmailSentTo != "a•••@example.com" {
		t.Fatalf("verification after confirming: %+v, %v", v, err)
	}
	u.Grant(t, account.PurposeAddPasskey)

	t.Run("too many wrong codes drop the code", func(t *testing.T) {
		u := mailedUser(t, svc, clock, sink, "cy@example.com")
		code := sink.LastCode("cy@example.com", "email confirmation code")
		for range account.MaxEmailCodeFailures {
			if _, err := svc.ConfirmEmail(ctx, u.Session.Token, otherCode(code)); !errors.Is(err, account.ErrInvalidCode) {
				t.Fatalf("wrong code: %v", err)
			}
		}
		if _, err := svc.ConfirmEmail(ctx, u.Session.Token, code); !errors.Is(err, account.ErrNoEmailCode) {
			t.Fatalf("the right code after %d wrong ones: %v", account.MaxEmailCodeFailures, err)
		}
	})
	t.Run("another account's session", func(t *testing.T) {
		bob := mailedUser(t, svc, clock, sink, "bob@example.com")
		bobCode := sink.LastCode("bob@example.com", "email confirmation code")
		dan := mailedUser(t, svc, clock, sink, "dan@example.com")
		if _, err := svc.ConfirmEmail(ctx, dan.Session.Token, bobCode); err == nil {
			t.Fatal("bob's code confirmed dan's address")
		}
		if _, err := svc.ConfirmEmail(ctx, "made-up", bobCode); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("no session: %v", err)
		}
		svc.SignOut(ctx, bob.Session.Token)
		if _, err := svc.ConfirmEmail(ctx, bob.Session.Token, bobCode); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("an ended session: %v", err)
		}
	})
}

// "Send again" sends at most MaxEmailSends codes an hour (the sign-up's
// counts), also when many ask at once.
func TestSendAgainLimit(t *testing.T) {
	svc, clock, sink := mailedService(t)
	u := mailedUser(t, svc, clock, sink, "ann@example.com")
	const tries = 3 * account.MaxEmailSends
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent, refused := 0, 0
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.SendEmailCode(ctx, u.Session.Token)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				sent++
			case errors.Is(err, account.ErrTooManyEmails):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if sent != account.MaxEmailSends-1 || refused != tries-sent {
		t.Fatalf("%d at once: %d sent, %d refused; want %d sent", tries, sent, refused, account.MaxEmailSends-1)
	}
	if n := sink.Count("ann@example.com", "email confirmation code"); n != account.MaxEmailSends {
		t.Fatalf("%d codes mailed, want %d", n, account.MaxEmailSends)
	}
	if st, err := svc.EmailStatus(ctx, u.Session.Token); err != nil || st.SendsLeft != 0 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	clock.Advance(account.EmailSendWindow)
	if _, err := svc.SendEmailCode(ctx, u.Session.Token); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	u.ConfirmEmail(t)
}

// Without mail the address is taken as given: no code, no "unconfirmed",
// and the email calls say mail is not configured.
func TestEmailWithoutMail(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	me, err := svc.Me(ctx, u.Session.Token)
	if err != nil || me.EmailUnconfirmed || len(me.Factors) != 2 {
		t.Fatalf("me: %+v, %v", me, err)
	}
	st, err := svc.EmailStatus(ctx, u.Session.Token)
	if err != nil || st.Configured || st.Verified || st.Email != "ann@example.com" {
		t.Fatalf("status: %+v, %v", st, err)
	}
	if _, err := svc.SendEmailCode(ctx, u.Session.Token); !errors.Is(err, account.ErrMailNotConfigured) {
		t.Fatalf("send: %v", err)
	}
	if _, err := svc.ConfirmEmail(ctx, u.Session.Token, "123456"); !errors.Is(err, account.ErrMailNotConfigured) {
		t.Fatalf("confirm: %v", err)
	}
	if _, err := svc.ChangeEmail(ctx, u.Session.Token, u.Grant(t, account.PurposeChangeEmail), "new@example.com"); !errors.Is(err, account.ErrMailNotConfigured) {
		t.Fatalf("change: %v", err)
	}
}

// Changing the email takes a change-email grant (with the old address's
// code once it is proven) and a code sent to the new address; the change
// lands when that code is typed, and the old address is alerted.
func TestChangeEmail(t *testing.T) {
	svc, clock, sink := mailedService(t)
	u := mailedUser(t, svc, clock, sink, "ann@example.com")
	u.ConfirmEmail(t)
	bob := mailedUser(t, svc, clock, sink, "bob@example.com")
	tok := u.Session.Token

	bob.Mail = sink
	for _, door := range accounttest.GrantDoors(t, u, bob, account.PurposeChangeEmail, account.PurposeAddPasskey) {
		if _, err := svc.ChangeEmail(ctx, door.Token(), door.Grant(), "new@example.com"); !errors.Is(err, door.Want) {
			t.Errorf("%s: %v, want %v", door.Name, err, door.Want)
		}
	}
	grant := u.Grant(t, account.PurposeChangeEmail)
	if _, err := svc.ChangeEmail(ctx, tok, grant, "bob@example.com"); !errors.Is(err, account.ErrEmailTaken) {
		t.Errorf("a taken address: %v", err)
	}
	var in *account.InputError
	if _, err := svc.ChangeEmail(ctx, tok, grant, "not an address"); !errors.As(err, &in) {
		t.Errorf("a malformed address: %v", err)
	}
	st, err := svc.ChangeEmail(ctx, tok, grant, "New@Example.com")
	if err != nil || st.Pending != "new@example.com" || st.Email != "ann@example.com" || !st.Verified {
		t.Fatalf("change: %+v, %v", st, err)
	}
	if _, err := svc.ChangeEmail(ctx, tok, grant, "other@example.com"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("the used grant: %v", err)
	}
	code := sink.LastCode("new@example.com", "email confirmation code")
	if code == "" {
		t.Fatal("no code went to the new address")
	}
	if _, err := svc.ConfirmEmail(ctx, tok, otherCode(code)); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if me, _ := svc.Me(ctx, tok); me.Email != "ann@example.com" {
		t.Fatalf("the email changed before the code: %s", me.Email)
	}
	st, err = svc.ConfirmEmail(ctx, tok, code)
	if err != nil || st.Email != "new@example.com" || !st.Verified || st.Pending != "" {
		t.Fatalf("confirm: %+v, %v", st, err)
	}
	alert := sink.WaitFor(t, "ann@example.com", "Your account's email was changed", "n•••@example.com", "If it was not you")
	_ = alert
	if me, _ := svc.Me(ctx, tok); me.Email != "new@example.com" || me.EmailUnconfirmed {
		t.Fatalf("after the change: %+v", me)
	}
	// The new address signs in; the old one does not.
	if _, err := svc.SignIn(ctx, "new@example.com", u.Password, u.Code(t)); err != nil {
		t.Fatalf("signing in with the new address: %v", err)
	}
	if _, err := svc.SignIn(ctx, "ann@example.com", u.Password, u.Code(t)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("signing in with the old address: %v", err)
	}
}

// A sign-in's session says what Me says of the email.
func TestSessionSaysWhereTheEmailStands(t *testing.T) {
	svc, clock, sink := mailedService(t)
	u := mailedUser(t, svc, clock, sink, "ann@example.com")
	sess, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t))
	if err != nil || !sess.Account.EmailUnconfirmed || slices.Contains(sess.Account.Factors, account.FactorEmailCode) {
		t.Fatalf("before confirming: %+v, %v", sess, err)
	}
	u.ConfirmEmail(t)
	sess, err = svc.SignIn(ctx, u.Email, u.Password, u.Code(t))
	if err != nil || sess.Account.EmailUnconfirmed || !slices.Contains(sess.Account.Factors, account.FactorEmailCode) {
		t.Fatalf("after confirming: %+v, %v", sess, err)
	}
}
