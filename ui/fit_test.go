package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// Every screen fits a window of 800×600 (the smallest the app supports)
// without clipping, in the light and the dark theme.
func TestScreensFit800x600(t *testing.T) {
	for _, variant := range []struct {
		name   string
		choice themeChoice
		dark   bool
	}{{"light", themeLight, false}, {"dark", themeDark, true}} {
		t.Run(variant.name, func(t *testing.T) {
			h, u, _ := withPasskeys(t)
			h.fa.Preferences().SetString(prefTheme, string(variant.choice))

			check := func(screen string) {
				t.Helper()
				min := h.app.Window().Content().MinSize()
				if min.Width > 800 || min.Height > 600 {
					t.Errorf("%s needs %v; more than 800×600", screen, min)
				}
				// The theme reaches the pixels: the window's corner is
				// painted in the variant's background.
				shot := h.canvas().Capture()
				r, g, b, _ := shot.At(2, shot.Bounds().Dy()-3).RGBA()
				if lum := (r + g + b) / 3 >> 8; (lum < 128) != variant.dark {
					t.Errorf("%s: the corner pixel's brightness is %d in the %s theme", screen, lum, variant.name)
				}
			}

			// A deposit waits (withdrawals are held after the passkeys
			// were added), to check its detail with a long destination
			// at the heading size.
			key, err := h.svc.CreateAPIKey(context.Background(), u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
			if err != nil {
				t.Fatal(err)
			}
			h.secrets = append(h.secrets, key.Secret)
			if _, err := h.svc.RequestApproval(context.Background(), key.Secret, account.ApprovalRequest{Operation: account.Operation{
				Kind: account.OperationDeposit, Asset: "BTC", Amount: "0.015", Network: "Bitcoin", Fee: "0.0001", Reference: "D-7731",
				Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlhbc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}}); err != nil {
				t.Fatal(err)
			}

			h.start() // opens signed in, on the overview, in the theme
			check("overview")
			h.tap("Passkeys")
			check("passkeys")
			h.tap("Add passkey")
			check("add passkey: verify")
			w := h.app.shell.wizard
			h.typeInto(w.password, u.Password)
			h.typeInto(w.totp, h.code(u.Secret))
			h.tap("Verify")
			check("add passkey: methods")
			h.tap("Approvals")
			h.waitText(5*time.Second, "Deposit of 0.015 BTC")
			h.tap("Open")
			check("approval detail")
			h.tap("Settings")
			check("settings")
			h.tap("Recovery codes…")
			check("recovery codes")
			h.tap("Make new codes")
			check("recovery codes: verify")
			h.tap("Verify with password and codes")
			rc := h.app.shell.recovery
			h.typeInto(rc.check.factors.password, u.Password)
			h.typeInto(rc.check.factors.totp, h.code(u.Secret))
			h.tap("Verify and make new codes")
			if rc.fresh == nil {
				t.Fatalf("no new recovery codes; the window shows:\n%s", h.text())
			}
			h.secrets = append(h.secrets, rc.fresh.codes...)
			check("recovery codes: the new set")
			h.tap("Settings")
			h.tap("Change password…")
			check("change password")
			cp := h.app.shell.password
			h.typeInto(cp.password, "a brand new passphrase")
			h.typeInto(cp.confirm, "a brand new passphrase")
			h.tap("Continue")
			check("change password: verify")
			h.tap("Sign out")
			check("sign in")
			h.setKnownAccount(false)
			h.start()
			check("first run")
			s := h.app.signUpScreen
			h.typeInto(s.email, "new@example.com")
			h.typeInto(s.name, "New")
			h.typeInto(s.password, "long enough pw")
			h.typeInto(s.confirm, "long enough pw")
			h.tap("Create account")
			h.secrets = append(h.secrets, s.secret.Text)
			check("authenticator app")
			h.typeInto(s.code, h.code(s.secret.Text))
			h.tap("Confirm and sign in")
			if s.recovery == nil {
				t.Fatalf("no recovery codes step; the window shows:\n%s", h.text())
			}
			h.secrets = append(h.secrets, s.recovery.codes...)
			check("recovery codes at sign-up")
		})
	}
}

// The email's screens fit 800×600 too: the overview with the unconfirmed
// note and the backup nudge, Settings with the email line, and each step
// of the change-email screen.
func TestEmailScreensFit800x600(t *testing.T) {
	sink := accounttest.StartMailSink(t)
	h := newHarness(t, harnessOptions{mailer: sink.Mailer()})
	u := h.user("a.rather.long.address.for.the.fit@example.com")
	u.Mail = sink
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	h.signedIn(u)
	check := func(screen string) {
		t.Helper()
		if min := h.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
			t.Errorf("%s needs %v; more than 800×600", screen, min)
		}
	}
	h.wantText("is not confirmed yet", "Only one passkey")
	check("overview: email unconfirmed, one passkey")
	h.tap("Send again")
	check("overview: a code sent again")
	h.tap("Passkeys")
	check("passkeys: one passkey")
	u.ConfirmEmail(t)
	h.tap("Settings")
	check("settings with the email")
	h.tap("Change email…")
	check("change email")
	s := h.app.shell.email
	h.typeInto(s.email, "another.rather.long.address@example.com")
	h.tap("Continue")
	check("change email: verify")
	h.tap("Verify with password and codes")
	h.typeInto(s.check.factors.password, u.Password)
	h.typeInto(s.check.factors.totp, h.code(u.Secret))
	h.typeInto(s.check.factors.email, sink.LastCode(u.Email, "verification code"))
	h.tap("Verify and send the code")
	h.wantText("A code was emailed to")
	check("change email: the code")
}
