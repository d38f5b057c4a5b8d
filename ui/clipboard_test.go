package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// checkCopyClears taps the Copy button: the secret goes on the clipboard
// and the button says "Copied"; once clipboardLifetime has passed the
// clipboard is empty again. A second copy, followed by the user copying
// something else, is left alone when its time comes.
func checkCopyClears(t *testing.T, h *harness, secret string) {
	t.Helper()
	cb := h.fa.Clipboard()
	cb.SetContent("what the user had")
	h.tap("Copy")
	if got := cb.Content(); got != secret {
		t.Fatalf("Copy put %q on the clipboard; want the secret", got)
	}
	h.button("Copied")
	if len(h.timers) != 1 {
		t.Fatalf("%d timers pending after Copy; want 1", len(h.timers))
	}
	h.runTimer(clipboardLifetime)
	if got := cb.Content(); got != "" {
		t.Fatalf("after %v the clipboard holds %q; want it cleared", clipboardLifetime, got)
	}
	h.button("Copy") // the button says Copy again

	h.tap("Copy")
	cb.SetContent("the user's next copy")
	h.runTimer(clipboardLifetime)
	if got := cb.Content(); got != "the user's next copy" {
		t.Fatalf("the clipboard holds %q; want what the user copied after the secret", got)
	}
}

func TestCopiedTOTPSecretLeavesTheClipboard(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	const password = "analytical engine 1843"
	h.secrets = append(h.secrets, password)
	s := h.app.signUpScreen
	h.typeInto(s.email, "ada@example.com")
	h.typeInto(s.name, "Ada Lovelace")
	h.typeInto(s.password, password)
	h.typeInto(s.confirm, password)
	h.tap("Create account")
	h.wantText("Set up your authenticator app")
	h.secrets = append(h.secrets, s.enrollment.Secret)
	checkCopyClears(t, h, s.enrollment.Secret)
}

func TestCopiedAPIKeyLeavesTheClipboard(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("ann@example.com")
	h.signedIn(u)
	h.tap("Settings")
	var name *widget.Entry
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, "Name, such as") {
			name = e
		}
	})
	if name == nil {
		t.Fatal("no name entry")
	}
	h.typeInto(name, "exchange backend")
	h.tap("Create API key")
	h.waitText(5*time.Second, "first confirm it is you")
	h.tap("Verify with password and codes")
	check := h.app.shell.settings.apiKeys.check
	h.typeInto(check.factors.password, u.Password)
	h.typeInto(check.factors.totp, h.code(u.Secret))
	h.tap("Verify and create")
	h.waitText(5*time.Second, "is shown only now")
	var secret string
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, account.APIKeyPrefix) {
			secret = l.Text
		}
	})
	if secret == "" {
		t.Fatal("no secret shown")
	}
	h.secrets = append(h.secrets, secret)
	checkCopyClears(t, h, secret)
}
