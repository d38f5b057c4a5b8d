package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestRestrictedSessionBannerAndUnlock: a session signed in with a
// passkey whose counter went backwards opens with a banner; a security
// change is refused in words with the next step; "Confirm it's you" with
// password and code lifts the restriction, and the change then works.
func TestRestrictedSessionBannerAndUnlock(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	key := &accounttest.Authenticator{}
	u.AddPasskey(t, key, account.KindSecurityKey, "Blue key")
	ctx := context.Background()

	// Someone signs in with a copy of the key made before its last use.
	opts, err := h.svc.BeginLogin(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	clone := *key
	clone.Counter = 0
	resp, err := clone.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := h.svc.FinishLogin(ctx, resp)
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, sess.Token)
	h.tokens.Save(sess.Token)
	h.start()
	if h.app.shell == nil {
		t.Fatalf("not signed in; the window shows:\n%s", h.text())
	}
	h.wantText("passkey that looks copied", "Changes are blocked until you confirm it's you.")
	fits(h, "overview with the banner")

	h.tap("Settings")
	var name *widget.Entry
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, "Name, such as") {
			name = e
		}
	})
	if name == nil {
		t.Fatal("no API key name entry")
	}
	h.typeInto(name, "exchange backend")
	h.tap("Create API key")
	h.wantText("Confirm it's you first", "Confirm it's you with your password and code")
	if keys, _ := h.svc.ListAPIKeys(ctx, sess.Token); len(keys) != 0 {
		t.Fatalf("a restricted session made an API key: %+v", keys)
	}

	h.tap("Confirm it's you")
	h.wantText("Verify with a passkey", "Verify with password and codes")
	fits(h, "confirming it's you")
	h.tap("Verify with password and codes")
	check := h.app.shell.unlock.check
	h.typeInto(check.factors.password, "not my password")
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Confirm")
	h.wantText("Wrong email or password")
	if me, _ := h.me(); !me.Restricted {
		t.Fatal("a wrong password lifted the restriction")
	}
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Confirm")
	if me, err := h.me(); err != nil || me.Restricted {
		t.Fatalf("still restricted after password and code: %+v, %v", me, err)
	}
	h.wantText("Security overview")
	h.notText("looks copied")

	h.tap("Settings")
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, "Name, such as") {
			name = e
		}
	})
	h.typeInto(name, "exchange backend")
	h.tap("Create API key")
	h.waitText(5*time.Second, "first confirm it is you")
	h.tap("Verify with password and codes")
	keyCheck := h.app.shell.settings.apiKeys.check
	h.typeInto(keyCheck.factors.password, u.Password)
	h.typeInto(keyCheck.factors.totp, h.code(u.Secret))
	h.tap("Verify and create")
	h.waitText(5*time.Second, "is shown only now")
	h.tap("Done, I saved it")
}
