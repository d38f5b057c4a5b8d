//go:build cgo

package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/httpapi/requestertest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/platform"
)

// TestApproveWithThisComputer approves an operation end to end with a
// passkey of this computer whose master key is in the real Secret Service
// (make test runs the tests under .ci/with-session, which provides one).
// The operation is requested over HTTP with a service API key, approved
// in the inbox's detail view, and the requester's answer is verified with
// nothing but its own fields. Without a keyring the test skips, except
// under CI=true, where it fails.
func TestApproveWithThisComputer(t *testing.T) {
	if os.Getenv("PASSKEYDESK_TEST_KEYRING") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Secret Service for the this-computer approval test: run the tests through .ci/with-session")
		}
		t.Skip("no Secret Service: run through .ci/with-session (make test) to test the real keyring")
	}
	ctx := context.Background()
	aaguid, err := assets.ParseAAGUID(assets.ThisComputerAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	// A keyring entry of the test's own, removed afterwards.
	b := make([]byte, 8)
	rand.Read(b)
	entry := "test-master-key-" + hex.EncodeToString(b)
	t.Cleanup(func() { keyring.Delete(platform.KeyringService, entry) })
	dev, err := platform.New(platform.Options{Dir: t.TempDir(), AAGUID: aaguid, KeyringUser: entry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	if err := dev.SetPIN(ctx, []byte(localPIN)); err != nil {
		t.Fatalf("setting this computer's PIN (the master key goes to the keyring): %v", err)
	}
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{client: c, thisComputer: dev, model: assets.ModelName})
	h.secrets = append(h.secrets, localPIN)
	u := h.user("lee@example.com")

	// A passkey of this computer, bound as if added earlier.
	grant := u.Grant(t, account.PurposeAddPasskey)
	opts, err := h.svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindThisComputer)
	if err != nil {
		t.Fatal(err)
	}
	prompt := fido.Prompt{
		PIN:   func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(localPIN), nil },
		Touch: func() {},
	}
	cred, err := c.Create(ctx, dev, opts, prompt)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := h.svc.FinishRegistration(ctx, u.Session.Token, grant, cred, "")
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(account.RemovalHold) // the passkey's hold is over
	key, err := h.svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, key.Secret)

	// The requester asks over HTTP.
	api, err := httpapi.New(h.svc, httpapi.Config{PublicURL: accounttest.Origin})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	call := func(method, path, body string) httpapi.Approval {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a httpapi.Approval
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: status %d, %v", method, path, resp.StatusCode, err)
		}
		return a
	}
	requested := call("POST", "/v1/approvals", `{"kind":"withdrawal","asset":"BTC","amount":"0.015","network":"Bitcoin",`+
		`"destination":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq","fee":"0.0001","reference":"W-7731"}`)

	// The owner approves it in the inbox with this computer.
	h.signedIn(u)
	h.app.shell.watch.now()
	h.waitFor("the badge", 10*time.Second, func() bool { return h.app.shell.watch.badge.Text == "1" })
	h.tap("Approvals")
	h.waitText(5*time.Second, "Withdrawal of 0.015 BTC")
	h.tap("Open")
	h.wantText(grouped("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"), "W-7731")
	h.tap("Approve with a passkey")
	h.waitText(5*time.Second, "Use a passkey to approve")
	h.tap("This computer")
	h.waitText(5*time.Second, "Enter the PIN for this computer")
	h.typeFocused(localPIN)
	h.tap("Continue")
	h.waitText(10*time.Second, "Approved")

	// The requester reads the decision and checks it on its own.
	got := call("GET", "/v1/approvals/"+requested.ID, "")
	if got.State != string(account.ApprovalApproved) || got.Passkey == nil || got.Passkey.ID != pk.ID || got.Assertion == nil {
		t.Fatalf("the requester sees %+v", got)
	}
	requestertest.VerifyAnswer(t, got, accounttest.RPID)
}
