package ui

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// openWizard signs a user in and opens the add-passkey wizard.
func openWizard(t *testing.T, opts harnessOptions) (*harness, *addPasskeyScreen, string, string) {
	t.Helper()
	h := newHarness(t, opts)
	u := h.user("walt@example.com")
	h.signedIn(u)
	h.tap("Passkeys")
	h.tap("Add passkey")
	w := h.app.shell.wizard
	if w == nil || w.ver == nil {
		t.Fatalf("the wizard did not start a verification; the window shows:\n%s", h.text())
	}
	return h, w, u.Password, u.Secret
}

func TestAddPasskeyVerifiesIdentity(t *testing.T) {
	h, w, password, secret := openWizard(t, harnessOptions{})
	h.wantText("Step 1 of 2: verify your identity",
		"Email delivery is not configured on this account service, so this check does not ask for an email code.")
	if w.password == nil || w.totp == nil || w.email != nil {
		t.Fatalf("want password and app-code entries and no email entry")
	}
	if h.canvas().Focused() != w.password {
		t.Error("the password entry does not have the focus")
	}

	h.typeInto(w.password, password)
	h.typeInto(w.totp, wrong(h.code(secret)))
	h.tap("Verify")
	h.wantText("Wrong code")
	h.notText("Your identity is verified")
	if w.totp.Text != "" {
		t.Error("the used code is still in its entry")
	}

	h.typeInto(w.totp, h.code(secret))
	h.tap("Verify")
	h.wantText("Your identity is verified.", "This check lets you add one passkey, until",
		"No way to add a passkey is available in this version of Passkey Desk yet")

	// No binding method is offered, not even as a placeholder: the only
	// buttons are the navigation and the way back.
	want := []string{"Overview", "Approvals", "Activity", "Passkeys", "Settings", "Sign out", "Back to passkeys"}
	got := h.buttons()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("buttons after verification: %q; want %q", got, want)
	}

	// The grant is real: the service accepts it for a registration.
	if w.grant == nil {
		t.Fatal("no grant kept")
	}
	h.secrets = append(h.secrets, w.grant.Token)
	if _, err := h.svc.BeginRegistration(context.Background(), h.app.token, w.grant.Token, account.KindSecurityKey); err != nil {
		t.Errorf("the service refuses the wizard's grant: %v", err)
	}

	h.tap("Back to passkeys")
	if h.app.shell.passkeys == nil {
		t.Error("Back to passkeys did not go back")
	}
}

func TestAddPasskeyWrongPasswordAndLockout(t *testing.T) {
	h, w, password, secret := openWizard(t, harnessOptions{})
	h.typeInto(w.password, "not the password")
	h.typeInto(w.totp, h.code(secret))
	h.tap("Verify")
	h.wantText("Wrong email or password")

	for i := 1; i < account.MaxFailures; i++ {
		h.typeInto(w.password, password)
		h.typeInto(w.totp, wrong(h.code(secret)))
		h.tap("Verify")
		h.wantText("Wrong code")
	}
	h.typeInto(w.password, password)
	h.typeInto(w.totp, wrong(h.code(secret)))
	h.tap("Verify")
	h.wantText("Too many wrong attempts", "authenticator-app code is locked until")
}

// mailbox is an account.Mailer that keeps what it is given. It stands in
// for an SMTP relay here; the SMTP mailer itself is tested in account
// against a loopback SMTP listener.
type mailbox struct {
	mu   sync.Mutex
	to   []string
	body []string
}

func (m *mailbox) Send(_ context.Context, to, _, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.to = append(m.to, to)
	m.body = append(m.body, body)
	return nil
}

func (m *mailbox) lastCode(t *testing.T) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.body) == 0 {
		t.Fatal("no email sent")
	}
	c := regexp.MustCompile(`\b\d{6}\b`).FindString(m.body[len(m.body)-1])
	if c == "" {
		t.Fatal("no code in the email")
	}
	return c
}

func TestAddPasskeyWithEmailCode(t *testing.T) {
	mail := &mailbox{}
	h, w, password, secret := openWizard(t, harnessOptions{mailer: mail})
	if w.email == nil {
		t.Fatal("no email-code entry although email is configured")
	}
	h.wantText("A code was emailed to " + w.ver.EmailSentTo)
	h.notText("Email delivery is not configured")
	if w.ver.EmailSentTo == "" || w.ver.EmailSentTo == "walt@example.com" {
		t.Errorf("the address shown is %q; want it masked", w.ver.EmailSentTo)
	}
	code := mail.lastCode(t)
	h.secrets = append(h.secrets, code)

	h.typeInto(w.password, password)
	h.typeInto(w.totp, h.code(secret))
	h.typeInto(w.email, wrong(code))
	h.tap("Verify")
	h.wantText("Wrong code")

	h.typeInto(w.totp, h.code(secret))
	h.typeInto(w.email, code)
	h.tap("Verify")
	h.wantText("Your identity is verified.")
}

// TestAddPasskeyHoldSaidBeforehand: verified with password and code,
// adding a passkey holds withdrawals and C2C trades. The wizard says so on
// the check, before anything is typed, and again where the way to add it
// is chosen; the list's note after the addition gives the hold's end.
func TestAddPasskeyHoldSaidBeforehand(t *testing.T) {
	h, w, password, secret := openWizard(t, harnessOptions{phone: true, publicURL: "http://localhost:8765"})
	h.wantText("Step 1 of 3: verify your identity",
		"Adding a passkey with your password and code holds withdrawals and C2C trades for 24 hours, and the new passkey cannot approve them until then.")
	h.typeInto(w.password, password)
	h.typeInto(w.totp, h.code(secret))
	h.tap("Verify")
	h.wantText("Your identity is verified.", "Phone or tablet",
		"Once it is added, withdrawals and C2C trades are held for 24 hours, until about "+holdTime(h.clock.Now().Add(account.RemovalHold)))

	now := h.clock.Now()
	held := &account.Passkey{Name: "Blue key", HeldUntil: now.Add(account.RemovalHold)}
	if got, want := addedNote(held, now), "held until "+holdTime(held.HeldUntil)+", and it approves them only after that"; !strings.Contains(got, want) {
		t.Errorf("note after a held addition: %q, want it to say %q", got, want)
	}
	if got := addedNote(&account.Passkey{Name: "Blue key"}, now); strings.Contains(got, "held") {
		t.Errorf("note after an addition with no hold: %q", got)
	}
}
