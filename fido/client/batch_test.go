//go:build cgo

package client_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
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

const ctapGetAssertion = 0x02

// openSoftKeyWith is openSoftKey with options.
func openSoftKeyWith(t *testing.T, opts softkey.Options) (*softkey.Key, fido.Device) {
	t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	opts.Name, opts.AAGUID = "client-"+t.Name(), aaguid
	key := softkey.New(opts)
	t.Cleanup(libfido2.Register(opts.Name, key))
	dev, err := libfido2.NewProvider().Open(context.Background(), libfido2.SimScheme+opts.Name)
	if err != nil {
		t.Fatalf("opening the soft key through libfido2: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	return key, dev
}

// padList puts n random 48-byte credential IDs (the soft key's length) in
// front of the list field (allowCredentials or excludeCredentials) of
// options JSON, so that the ones already there come last.
func padList(t *testing.T, optionsJSON []byte, field string, n int) []byte {
	t.Helper()
	var o map[string]json.RawMessage
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		t.Fatal(err)
	}
	wrapped := o["publicKey"] != nil
	if wrapped {
		if err := json.Unmarshal(o["publicKey"], &o); err != nil {
			t.Fatal(err)
		}
	}
	var list []map[string]any
	if raw := o[field]; raw != nil {
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatal(err)
		}
	}
	pad := make([]map[string]any, n)
	for i := range pad {
		id := make([]byte, 48)
		rand.Read(id)
		pad[i] = map[string]any{"type": "public-key", "id": base64.RawURLEncoding.EncodeToString(id)}
	}
	o[field] = must(json.Marshal(append(pad, list...)))
	out := must(json.Marshal(o))
	if wrapped {
		out = must(json.Marshal(map[string]json.RawMessage{"publicKey": out}))
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLongListsThroughLibfido2AndSoftKey: an account with 150 passkeys,
// the one on this key last, signs in with the key; registering the key
// again with 150 passkeys excluded says it is already registered, also
// when no touch comes; the key sees only requests it takes (maxMsgSize
// 1200 bytes, 8 credentials a list), and its PIN is asked once.
func TestLongListsThroughLibfido2AndSoftKey(t *testing.T) {
	ctx := context.Background()
	key, dev := openSoftKeyWith(t, softkey.Options{TouchTimeout: 300 * time.Millisecond})
	if err := dev.SetPIN(ctx, []byte("4321")); err != nil {
		t.Fatal(err)
	}
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Model: assets.ModelName})
	c := newTestClient(t)
	alice := accounttest.SignUp(t, svc, clock, "alice@example.com")
	pk, err := register(t, svc, alice, c, dev, (&pinPrompt{pin: "4321"}).prompt())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("sign in with 150 in the allow list", func(t *testing.T) {
		opts, err := svc.BeginLogin(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		pp := &pinPrompt{pin: "4321"}
		before := key.Commands(ctapGetAssertion)
		cands, err := c.Get(ctx, dev, padList(t, opts, "allowCredentials", 149), pp.prompt())
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if len(cands) != 1 || string(cands[0].CredentialID) != string(pk.CredentialID) {
			t.Fatalf("%d candidates; want alice's passkey", len(cands))
		}
		sess, err := svc.FinishLogin(ctx, cands[0].Credential)
		if err != nil || sess.Account.Email != "alice@example.com" {
			t.Fatalf("finishing login: %v", err)
		}
		// 19 silent probes of 8 (the last holds alice's), then the one
		// assertion the user touches.
		if n := key.Commands(ctapGetAssertion) - before; n != 19+1 {
			t.Errorf("%d getAssertion requests, want 20", n)
		}
		if pp.asked != 1 {
			t.Errorf("PIN asked %d times, want once", pp.asked)
		}
	})

	t.Run("none of 150 on the key", func(t *testing.T) {
		opts, err := svc.BeginLogin(ctx, "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		json.Unmarshal(opts, &o)
		if pub, ok := o["publicKey"].(map[string]any); ok {
			o = pub
		}
		delete(o, "allowCredentials")
		_, err = c.Get(ctx, dev, padList(t, must(json.Marshal(o)), "allowCredentials", 150), (&pinPrompt{pin: "4321"}).prompt())
		if !errors.Is(err, fido.ErrNoCredentials) {
			t.Fatalf("get: %v, want ErrNoCredentials", err)
		}
	})

	for name, touch := range map[string]softkey.TouchMode{"touched": softkey.TouchAtOnce, "no touch": softkey.TouchNever} {
		t.Run("register again with 150 excluded, "+name, func(t *testing.T) {
			key.SetTouch(touch, 0)
			defer key.SetTouch(softkey.TouchAtOnce, 0)
			grant := alice.Grant(t, account.PurposeAddPasskey)
			opts, err := svc.BeginRegistration(ctx, alice.Session.Token, grant, account.KindSecurityKey)
			if err != nil {
				t.Fatal(err)
			}
			pp := &pinPrompt{pin: "4321"}
			_, err = c.Create(ctx, dev, padList(t, opts, "excludeCredentials", 149), pp.prompt())
			if !errors.Is(err, fido.ErrCredentialExcluded) {
				t.Fatalf("create: %v, want ErrCredentialExcluded", err)
			}
			if pp.asked != 1 {
				t.Errorf("PIN asked %d times, want once", pp.asked)
			}
		})
	}

	t.Run("register with 150 excluded, none on the key", func(t *testing.T) {
		bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
		grant := bob.Grant(t, account.PurposeAddPasskey)
		opts, err := svc.BeginRegistration(ctx, bob.Session.Token, grant, account.KindSecurityKey)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := c.Create(ctx, dev, padList(t, opts, "excludeCredentials", 150), (&pinPrompt{pin: "4321"}).prompt())
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if _, err := svc.FinishRegistration(ctx, bob.Session.Token, grant, cred, ""); err != nil {
			t.Fatalf("finishing registration: %v", err)
		}
	})
}
