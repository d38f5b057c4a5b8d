//go:build cgo

package client_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// openSoftKey plugs a fresh soft key in at sim://NAME and opens it
// through real libfido2.
func openSoftKey(t *testing.T) (*softkey.Key, fido.Device) {
	t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	name := "client-" + t.Name()
	key := softkey.New(softkey.Options{Name: name, AAGUID: aaguid})
	t.Cleanup(libfido2.Register(name, key))
	dev, err := libfido2.NewProvider().Open(context.Background(), libfido2.SimScheme+name)
	if err != nil {
		t.Fatalf("opening the soft key through libfido2: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	return key, dev
}

// TestCeremoniesThroughLibfido2AndSoftKey is the whole stack: the account
// service on SQLite, this client, libfido2 and the soft key, with a PIN
// set on the key first.
func TestCeremoniesThroughLibfido2AndSoftKey(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		self bool
		// touch is how long the simulated user takes to touch the key;
		// the key sends keepalives meanwhile and Prompt.Touch runs.
		touch time.Duration
	}{
		{"attestation certificate, touch at once", false, 0},
		{"self attestation, touch after a while", true, 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, dev := openSoftKey(t)
			key.SetSelfAttestation(tc.self)
			if tc.touch > 0 {
				key.SetTouch(softkey.TouchAfterDelay, tc.touch)
			}
			if err := dev.SetPIN(ctx, []byte("4321")); err != nil {
				t.Fatalf("setting the PIN: %v", err)
			}
			svc, clock, _ := accounttest.NewService(t, accounttest.Options{Model: assets.ModelName})
			c := newTestClient(t)
			pp := &pinPrompt{pin: "4321"}

			alice := accounttest.SignUp(t, svc, clock, "alice@example.com")
			pk, err := register(t, svc, alice, c, dev, pp.prompt())
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if pk.Model != "Passkey Desk simulated security key" || pk.Kind != account.KindSecurityKey {
				t.Errorf("passkey model %q kind %q", pk.Model, pk.Kind)
			}
			if pp.asked != 1 || (tc.touch > 0 && pp.touched == 0) {
				t.Errorf("PIN asked %d times, touch prompted %d times", pp.asked, pp.touched)
			}
			if _, err := register(t, svc, alice, c, dev, pp.prompt()); !errors.Is(err, fido.ErrCredentialExcluded) {
				t.Fatalf("second registration on the same key: %v, want ErrCredentialExcluded", err)
			}

			if cands := signInAs(t, svc, c, dev, pp.prompt(), "alice@example.com", "alice@example.com"); len(cands) != 1 || !bytes.Equal(cands[0].CredentialID, pk.CredentialID) {
				t.Fatalf("%d candidates; want alice's passkey", len(cands))
			}
			bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
			if _, err := register(t, svc, bob, c, dev, pp.prompt()); err != nil {
				t.Fatalf("create for bob: %v", err)
			}
			if cands := signInAs(t, svc, c, dev, pp.prompt(), "", "bob@example.com"); len(cands) != 2 {
				t.Fatalf("%d candidates; want alice and bob", len(cands))
			}
		})
	}
}
