package ui

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// TestSettingsExplainsTheApprovalsAPI: Settings shows the address a
// requester calls, the request's fields and an example built from that
// address; a key is made only after an identity check; and the example,
// run by curl as shown with the new key, asks for an approval that the
// app then lists.
func TestSettingsExplainsTheApprovalsAPI(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the example")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	origin := "http://localhost:" + port
	h := newHarness(t, harnessOptions{publicURL: origin, phone: true})
	handler, err := httpapi.New(h.svc, httpapi.Config{PublicURL: origin})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := origin
	if h.server != "" { // the app is on the service's HTTP API
		base = h.server
	}

	u := h.user("ann@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Blue key")
	h.clock.Advance(account.RemovalHold) // its hold is over: it may approve
	h.signedIn(u)
	h.app.publicURL = origin // as cmd/passkeydesk passes it
	h.tap("Settings")
	h.waitText(5*time.Second, "Approvals API", "POST "+base+"/v1/approvals", "kind: withdrawal, deposit, c2c-trade or sign-in-elsewhere",
		"destination:", "expiresInSeconds:", "GET "+base+"/v1/approvals/ID", "/v1/requester/passkeys")
	fits(h, "settings approvals api")
	example := labelStarting(t, h, "curl ")
	if !strings.HasPrefix(example.Text, "curl "+base+"/v1/approvals ") || !strings.Contains(example.Text, exampleKey) {
		t.Fatalf("the example:\n%s", example.Text)
	}
	h.tap("Copy example")
	if h.app.fyne.Clipboard().Content() != example.Text {
		t.Error("Copy example did not copy it")
	}

	// A key needs an identity check; cancelling it makes none.
	keys := h.app.shell.settings.apiKeys
	h.typeInto(keys.name, "exchange backend")
	h.tap("Create API key")
	h.waitText(5*time.Second, "first confirm it is you", "Verify with password and codes")
	if !keys.create.Disabled() {
		t.Error("Create API key stays enabled during the check")
	}
	h.tap("Cancel")
	if list, _ := h.svc.ListAPIKeys(context.Background(), u.Session.Token); len(list) != 0 {
		t.Fatalf("a key was made without a check: %+v", list)
	}
	h.tap("Create API key")
	h.waitText(5*time.Second, "Verify with password and codes")
	h.tap("Verify with password and codes")
	h.typeInto(keys.check.factors.password, u.Password)
	h.typeInto(keys.check.factors.totp, h.code(u.Secret))
	h.tap("Verify and create")
	h.waitText(5*time.Second, "is shown only now")
	secret := labelStarting(t, h, account.APIKeyPrefix).Text
	h.secrets = append(h.secrets, secret)
	if list, _ := h.svc.ListAPIKeys(context.Background(), u.Session.Token); len(list) != 1 || list[0].Name != "exchange backend" {
		t.Fatalf("keys after the check: %+v", list)
	}

	// The example, as shown, with the key in its place.
	script := strings.Replace(example.Text, exampleKey, secret, 1) + " -sS -o /dev/null -w '%{http_code}'"
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil || string(out) != "201" {
		t.Fatalf("the example answered %q (%v)", out, err)
	}
	pending, err := h.svc.PendingApprovals(context.Background(), u.Session.Token)
	if err != nil || len(pending) != 1 || pending[0].Operation.Destination != "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" ||
		pending[0].Operation.Reference != "W-1042" || pending[0].Operation.Kind != account.OperationWithdrawal {
		t.Fatalf("pending after the example: %+v, %v", pending, err)
	}
}

// TestSettingsSaysWhenTheApprovalsAPIIsNotServed: without the embedded
// page (its port taken) Settings says the API is not served, and why.
func TestSettingsSaysWhenTheApprovalsAPIIsNotServed(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	if h.server != "" {
		t.Skip("on a server the API is the server's")
	}
	h.app.phone, h.app.phoneUnavailable = true, &net.OpError{Op: "listen", Net: "tcp", Err: errAddrInUse{}}
	u := h.user("ann@example.com")
	h.signedIn(u)
	h.app.phone, h.app.phoneUnavailable = true, &net.OpError{Op: "listen", Net: "tcp", Err: errAddrInUse{}}
	h.tap("Settings")
	h.wantText("Approvals API", "The approvals API is not served now: the app could not listen on its address", "address already in use", "another --phone-addr")
	h.notText("POST ", "curl ")
}

type errAddrInUse struct{}

func (errAddrInUse) Error() string { return "bind: address already in use" }

// labelStarting finds the one visible label whose text starts with
// prefix.
func labelStarting(t *testing.T, h *harness, prefix string) *widget.Label {
	t.Helper()
	var found []*widget.Label
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, prefix) {
			found = append(found, l)
		}
	})
	if len(found) != 1 {
		t.Fatalf("want one label starting %q, found %d:\n%s", prefix, len(found), h.text())
	}
	return found[0]
}
