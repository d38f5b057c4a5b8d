package client_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
)

// register binds a passkey on dev to u's account through the real
// service: BeginRegistration → Client.Create → FinishRegistration.
// signInAs signs in with the passkeys on dev, from the allow list when
// email is given and discoverably when it is "": it asks the key, finishes
// the login with the candidate whose user is pick, checks the session is
// pick's, and returns every candidate the key gave.
func signInAs(t *testing.T, svc *account.Service, c *client.Client, dev fido.Device, p fido.Prompt, email, pick string) []client.Candidate {
	t.Helper()
	ctx := context.Background()
	opts, err := svc.BeginLogin(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	cands, err := c.Get(ctx, dev, opts, p)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	i := slices.IndexFunc(cands, func(cand client.Candidate) bool { return cand.User.Name == pick })
	if i < 0 {
		t.Fatalf("no candidate for %s among %d", pick, len(cands))
	}
	sess, err := svc.FinishLogin(ctx, cands[i].Credential)
	if err != nil {
		t.Fatalf("finishing login: %v\nassertion: %s", err, cands[i].Credential)
	}
	if sess.Account.Email != pick {
		t.Errorf("picked %s, signed in as %q", pick, sess.Account.Email)
	}
	return cands
}

func register(t *testing.T, svc *account.Service, u *accounttest.User, c *client.Client, dev fido.Device, p fido.Prompt) (*account.Passkey, error) {
	t.Helper()
	ctx := context.Background()
	grant := u.Grant(t, account.PurposeAddPasskey)
	opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindSecurityKey)
	if err != nil {
		t.Fatalf("beginning registration: %v", err)
	}
	cred, err := c.Create(ctx, dev, opts, p)
	if err != nil {
		return nil, err
	}
	pk, err := svc.FinishRegistration(ctx, u.Session.Token, grant, cred, "")
	if err != nil {
		t.Fatalf("finishing registration: %v\ncredential: %s", err, cred)
	}
	return pk, nil
}

func newTestClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCeremoniesAgainstAccountService runs registration and sign-in
// through the real account service on SQLite, with the in-memory device.
func TestCeremoniesAgainstAccountService(t *testing.T) {
	ctx := context.Background()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Model: func(aaguid []byte) string {
		if bytes.Equal(aaguid, memAAGUID[:]) {
			return "Test key"
		}
		return ""
	}})
	c := newTestClient(t)
	dev := newMemDevice()
	if err := dev.SetPIN(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	pp := &pinPrompt{pin: "1234"}

	alice := accounttest.SignUp(t, svc, clock, "alice@example.com")
	pk, err := register(t, svc, alice, c, dev, pp.prompt())
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if pk.Model != "Test key" || !bytes.Equal(pk.AAGUID, memAAGUID[:]) {
		t.Errorf("passkey model %q, AAGUID %x; want the device's (direct attestation keeps the AAGUID)", pk.Model, pk.AAGUID)
	}
	if pk.Kind != account.KindSecurityKey || len(pk.Transports) != 1 || pk.Transports[0] != "usb" {
		t.Errorf("passkey kind %q transports %v", pk.Kind, pk.Transports)
	}
	if req := dev.lastMake; !req.ResidentKey || !req.UserVerification || req.RP.ID != accounttest.RPID || req.User.Name != "alice@example.com" {
		t.Errorf("make credential request %+v; want rk, uv, rp localhost, user alice", req)
	}
	if pp.asked != 1 || pp.touched != 1 {
		t.Errorf("PIN asked %d times, touch %d; want 1 and 1", pp.asked, pp.touched)
	}

	// The same key again: the service excludes the passkey it holds.
	if _, err := register(t, svc, alice, c, dev, pp.prompt()); !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Fatalf("second registration on the same key: %v, want ErrCredentialExcluded", err)
	}

	// Sign in with an allow list (email given).
	if cands := signInAs(t, svc, c, dev, pp.prompt(), "alice@example.com", "alice@example.com"); len(cands) != 1 || !bytes.Equal(cands[0].CredentialID, pk.CredentialID) {
		t.Fatalf("candidates %+v; want alice's one passkey", cands)
	}

	// A second account on the same key; a discoverable sign-in then
	// offers both, and the one picked is the one signed in.
	bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
	if _, err := register(t, svc, bob, c, dev, pp.prompt()); err != nil {
		t.Fatalf("create for bob: %v", err)
	}
	cands := signInAs(t, svc, c, dev, pp.prompt(), "", "bob@example.com")
	if len(dev.lastGet.Allow) != 0 || !dev.lastGet.UserVerification {
		t.Errorf("get assertion request %+v; want discoverable with uv", dev.lastGet)
	}
	names := map[string]client.Candidate{}
	for _, cand := range cands {
		names[cand.User.Name] = cand
	}
	if len(cands) != 2 || names["alice@example.com"].Credential == nil {
		t.Fatalf("candidates for %v; want alice and bob", names)
	}
	if names["bob@example.com"].User.DisplayName != "Test User" || len(names["bob@example.com"].User.ID) == 0 {
		t.Errorf("bob's candidate user %+v", names["bob@example.com"].User)
	}
}

// TestDeviceErrorsPassThrough checks that what the key says reaches the
// caller matchable with errors.Is and errors.As.
func TestDeviceErrorsPassThrough(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"timeout", fido.ErrTimeout},
		{"removed", fido.ErrKeyRemoved},
		{"canceled", fido.ErrCanceled},
		{"full", fido.ErrKeyStoreFull},
		{"wrong PIN", &fido.PINError{Retries: 3}},
		{"status", &fido.DeviceError{Op: "make credential", Status: 0x2b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := newMemDevice()
			dev.makeErr, dev.getErr = tc.err, tc.err
			_, err := c.Create(ctx, dev, []byte(goodCreation), fido.Prompt{})
			if !errors.Is(err, tc.err) {
				t.Errorf("Create: %v, want %v", err, tc.err)
			}
			_, err = c.Get(ctx, dev, []byte(goodRequest), fido.Prompt{})
			if !errors.Is(err, tc.err) {
				t.Errorf("Get: %v, want %v", err, tc.err)
			}
		})
	}
	t.Run("PINError retries", func(t *testing.T) {
		dev := newMemDevice()
		dev.SetPIN(ctx, []byte("1234"))
		pp := &pinPrompt{pin: "9999"}
		_, err := c.Create(ctx, dev, []byte(goodCreation), pp.prompt())
		var pe *fido.PINError
		if !errors.As(err, &pe) || pe.Retries != 7 || !errors.Is(err, fido.ErrPINInvalid) {
			t.Errorf("wrong PIN: %v, want *PINError{7}", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		_, err := c.Get(ctx, newMemDevice(), []byte(goodRequest), fido.Prompt{})
		if !errors.Is(err, fido.ErrNoCredentials) {
			t.Errorf("empty key: %v, want ErrNoCredentials", err)
		}
	})
}
