package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// emailEntry finds the visible entry for an emailed code.
func (h *harness) emailEntry() *widget.Entry {
	h.t.Helper()
	var found *widget.Entry
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == "6-digit code from the email" {
			found = e
		}
	})
	if found == nil {
		h.t.Fatalf("no entry for the email's code; the window shows:\n%s", h.text())
	}
	return found
}

// With mail configured, the overview says the address is not confirmed
// and what that means, sends the code again and takes it; once it is
// confirmed the email code is one of the account's factors.
func TestOverviewConfirmsTheEmail(t *testing.T) {
	sink := accounttest.StartMailSink(t)
	h := newHarness(t, harnessOptions{mailer: sink.Mailer()})
	u := h.user("pia@example.com")
	h.signedIn(u)
	h.wantText("Your email address pia@example.com is not confirmed yet",
		"identity checks ask for your password and authenticator code only",
		"Not used until your address is confirmed")
	h.tap("Add passkey")
	h.wantText("Your email address is not confirmed yet, so this check asks only for your password and authenticator code.")
	if h.app.shell.wizard.email != nil {
		t.Fatal("the check asks for an email code to an unconfirmed address")
	}
	h.tap("Overview")

	h.tap("Send again")
	h.wantText("A new code was emailed to pia@example.com", "3 more can be sent this hour")
	for range 3 {
		h.tap("Send again")
	}
	h.wantText("0 more can be sent this hour")
	h.tap("Send again")
	h.wantText("Too many codes sent", "Use the newest one")
	code := sink.LastCode("pia@example.com", "email confirmation code")
	h.secrets = append(h.secrets, code)

	h.typeInto(h.emailEntry(), wrong(code))
	h.tap("Confirm")
	h.wantText("This is not the code in the email.")

	h.typeInto(h.emailEntry(), code)
	h.tap("Confirm")
	h.wantText("Your email address pia@example.com is confirmed.", "On. A code is emailed to you before security changes.")
	h.notText("Not used until your address is confirmed")
	if me, err := h.me(); err != nil || me.EmailUnconfirmed {
		t.Fatalf("after confirming: %+v, %v", me, err)
	}
	h.tap("Activity")
	h.wantText("Email confirmed")
}

// Without mail (the embedded default) there is no note, and Settings says
// the address is taken as given.
func TestNoEmailNoteWithoutMail(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.signedIn(h.user("pia@example.com"))
	h.notText("not confirmed", "Send again")
	h.tap("Settings")
	h.wantText("This account service sends no email, so the address is taken as given")
	h.notText("Change email…")
}

// Settings › Change email: the new address, an identity check (with the
// current address's code), the code sent to the new address, and the
// change; the old address is told.
func TestChangeEmailScreen(t *testing.T) {
	sink := accounttest.StartMailSink(t)
	h := newHarness(t, harnessOptions{mailer: sink.Mailer()})
	u := h.user("pia@example.com")
	u.Mail = sink
	u.ConfirmEmail(t)
	h.signedIn(u)
	h.tap("Settings")
	h.wantText("Your email is pia@example.com, confirmed")
	h.tap("Change email…")
	s := h.app.shell.email
	if h.canvas().Focused() != s.email {
		t.Error("the focus is not on the new address")
	}
	h.typeInto(s.email, "not an address")
	h.tap("Continue")
	h.wantText("name@example.com")
	h.notText("Verify with password and codes")

	h.typeInto(s.email, "pia.new@example.com")
	h.tap("Continue")
	h.tap("Verify with password and codes")
	check := s.check
	if check.factors.email == nil {
		t.Fatal("the check of a confirmed address asks no email code")
	}
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.typeInto(check.factors.email, sink.LastCode("pia@example.com", "verification code"))
	h.tap("Verify and send the code")
	h.wantText("A code was emailed to pia.new@example.com")
	code := sink.LastCode("pia.new@example.com", "email confirmation code")
	h.secrets = append(h.secrets, code)
	h.typeInto(h.emailEntry(), code)
	h.tap("Confirm")
	h.wantText("Your email is now pia.new@example.com")
	sink.WaitFor(t, "pia@example.com", "Your account's email was changed")
	if me, err := h.me(); err != nil || me.Email != "pia.new@example.com" {
		t.Fatalf("after the change: %+v, %v", me, err)
	}
	h.tap("Back to Settings")
	h.wantText("Your email is pia.new@example.com, confirmed")
}

// With one passkey to count on, the overview and the passkeys list say so
// and offer another; a second one ends the note, and a lost one brings
// it back.
func TestBackupNudge(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("pia@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	h.signedIn(u)
	h.wantText("Only one passkey can sign you in and approve changes: Blue key.")
	h.tap("Passkeys")
	h.wantText("Only one passkey can sign you in and approve changes: Blue key.")
	h.tap("Add another passkey")
	if h.app.shell.wizard == nil {
		t.Fatalf("Add another passkey did not open the wizard; the window shows:\n%s", h.text())
	}

	second := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindPhone, "Pixel")
	h.tap("Overview")
	h.notText("Only one passkey")
	h.tap("Passkeys")
	h.notText("Only one passkey", "Add another passkey")

	if err := h.svc.MarkPasskeysLost(context.Background(), u.Session.Token, "", []string{second.ID}, "the phone was reset"); err != nil {
		t.Fatal(err)
	}
	h.tap("Overview")
	h.wantText("Only one passkey can sign you in and approve changes: Blue key.")
}
