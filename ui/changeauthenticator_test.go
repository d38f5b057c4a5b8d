package ui

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// Settings › Change authenticator app: an identity check with the old
// app's code, then the new secret's QR code (read from the pixels) and
// the new app's first code; the old app works until then and not after.
func TestChangeAuthenticatorScreen(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ola@example.com")
	ctx := context.Background()
	h.signedIn(u)
	h.tap("Settings")
	h.wantText("Authenticator app", "the old one keeps working")
	h.tap("Change authenticator app…")
	s := h.app.shell.authenticator
	if h.canvas().Focused() != s.start {
		t.Error("the focus is not on the start button")
	}
	// Cancel at the check goes back to the start.
	h.tap("Set up a new app")
	h.tap("Cancel")
	h.wantText("Set up a new app")

	h.tap("Set up a new app")
	h.tap("Verify with password and codes")
	h.typeInto(s.check.factors.password, u.Password)
	h.typeInto(s.check.factors.totp, h.code(u.Secret))
	h.tap("Verify and continue")
	h.wantText("Scan this QR code with the new authenticator app", "Use the new app")
	if s.enr == nil {
		t.Fatalf("no new secret; the window shows:\n%s", h.text())
	}
	fresh := s.enr.Secret
	h.secrets = append(h.secrets, fresh)
	h.wantText(fresh)
	// Nothing overlaps: each part starts below the one before (a
	// wrapped paragraph laid out before it knew its width once ran under
	// the QR code).
	for i := 1; i < len(s.box.Objects); i++ {
		above, below := s.box.Objects[i-1], s.box.Objects[i]
		if below.Position().Y < above.Position().Y+above.Size().Height {
			t.Errorf("part %d (at %v) overlaps part %d (at %v, %v tall)", i, below.Position(), i-1, above.Position(), above.Size().Height)
		}
		if above.Size().Height < above.MinSize().Height {
			t.Errorf("part %d is %v tall, less than the %v it needs", i-1, above.Size().Height, above.MinSize().Height)
		}
	}
	uri := decodeQR(t, h, s.qr)
	if uri != s.enr.URI {
		t.Errorf("the QR code holds %q; want %q", uri, s.enr.URI)
	}
	if p, err := url.Parse(uri); err != nil || p.Query().Get("secret") != fresh {
		t.Errorf("the QR code's secret: %q, %v", uri, err)
	}
	if h.canvas().Focused() != s.code {
		t.Error("the focus is not on the code")
	}

	// The old app still signs in; its code does not confirm the new one.
	if _, err := h.svc.SignIn(ctx, u.Email, u.Password, h.code(u.Secret)); err != nil {
		t.Fatalf("the old app before the new one is confirmed: %v", err)
	}
	h.typeInto(s.code, h.code(u.Secret))
	h.tap("Use the new app")
	h.wantText("Wrong code")
	h.typeInto(s.code, h.code(fresh))
	h.tap("Use the new app")
	h.wantText("Your account now uses the new authenticator app")
	if s.enr != nil || s.grant != "" {
		t.Error("the screen keeps the new secret or the grant")
	}
	if _, err := h.svc.SignIn(ctx, u.Email, u.Password, h.code(u.Secret)); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("the old app after the change: %v", err)
	}
	if _, err := h.svc.SignIn(ctx, u.Email, u.Password, h.code(fresh)); err != nil {
		t.Fatalf("the new app: %v", err)
	}
	h.tap("Back to Settings")
	h.wantText("Theme")
	h.tap("Overview")
	h.wantText("The authenticator app was changed without a passkey's approval")
	h.tap("Activity")
	h.wantText("Authenticator app changed")
}
