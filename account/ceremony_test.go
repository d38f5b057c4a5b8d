package account_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

var testAAGUID = [16]byte{0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13, 0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a}

func modelOf(aaguid []byte) string {
	if bytes.Equal(aaguid, testAAGUID[:]) {
		return "Test Key 5"
	}
	return ""
}

func TestRegistrationCeremony(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Model: modelOf})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	tok := u.Session.Token
	auth := &accounttest.Authenticator{AAGUID: testAAGUID}

	pk := u.AddPasskey(t, auth, account.KindSecurityKey, "")
	if pk.Name != "Test Key 5" || pk.Model != "Test Key 5" || pk.Kind != account.KindSecurityKey ||
		!pk.CreatedAt.Equal(clock.Now()) || len(pk.PublicKey) == 0 || pk.SignCount != 1 || pk.BackupEligible {
		t.Fatalf("passkey = %+v", pk)
	}
	list, err := svc.Passkeys(ctx, tok)
	if err != nil || len(list) != 1 || list[0].ID != pk.ID || list[0].Transports[0] != "usb" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	me, _ := svc.Me(ctx, tok)
	if me.PasskeyCount != 1 {
		t.Fatalf("passkey count %d", me.PasskeyCount)
	}

	// The options a browser gets.
	grant := u.Grant(t, account.PurposeAddPasskey)
	raw, err := svc.BeginRegistration(ctx, tok, grant, account.KindPhone)
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		PublicKey struct {
			RP                     struct{ ID string }
			Exclude                []struct{ ID string } `json:"excludeCredentials"`
			AuthenticatorSelection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Attestation string `json:"attestation"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &opts); err != nil {
		t.Fatal(err)
	}
	o := opts.PublicKey
	if o.RP.ID != accounttest.RPID || len(o.Exclude) != 1 || o.Exclude[0].ID != pk.ID ||
		o.AuthenticatorSelection.UserVerification != "required" || o.AuthenticatorSelection.ResidentKey != "required" || o.Attestation != "direct" {
		t.Fatalf("options = %s", raw)
	}
	// The same authenticator is excluded.
	if _, err := auth.Register(raw); !errors.Is(err, accounttest.ErrExcluded) {
		t.Fatalf("exclude list not honoured: %v", err)
	}
	// A phone that is backed up: flags kept, default name from the kind.
	phone := &accounttest.Authenticator{BackupEligible: true, BackedUp: true}
	cred, err := phone.Register(raw)
	if err != nil {
		t.Fatal(err)
	}
	pk2, err := svc.FinishRegistration(ctx, tok, grant, cred, "  ")
	if err != nil {
		t.Fatal(err)
	}
	if pk2.Name != "Phone or tablet" || pk2.Kind != account.KindPhone || !pk2.BackupEligible || !pk2.BackedUp {
		t.Fatalf("phone passkey = %+v", pk2)
	}
	// The grant was used up by the registration.
	if _, err := svc.BeginRegistration(ctx, tok, grant, account.KindPhone); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("grant reused after a registration: %v", err)
	}
	if !hasEvent(t, svc, u, account.EventPasskeyAdded) {
		t.Fatal("no passkey-added event")
	}
}

func TestRegistrationRejects(t *testing.T) {
	tests := []struct {
		name string
		auth accounttest.Authenticator
		// grantAge is how long before the ceremony begins the grant was given.
		grantAge time.Duration
		// mutate runs between begin and finish (clock moves, replays).
		mutate func(t *testing.T, h *regHarness)
		want   error
	}{
		{"no user verification", accounttest.Authenticator{NoUV: true}, 0, nil, account.ErrCredentialRejected},
		{"wrong origin", accounttest.Authenticator{Origin: "https://evil.example"}, 0, nil, account.ErrCredentialRejected},
		{"wrong RP ID", accounttest.Authenticator{RPID: "evil.example"}, 0, nil, account.ErrCredentialRejected},
		{"challenge expired", accounttest.Authenticator{}, 0, func(t *testing.T, h *regHarness) {
			h.clock.Advance(account.CeremonyLifetime)
		}, account.ErrCeremonyExpired},
		{"challenge reused", accounttest.Authenticator{}, 0, func(t *testing.T, h *regHarness) {
			if _, err := h.svc.FinishRegistration(ctx, h.u.Session.Token, h.grant, h.cred, ""); err != nil {
				t.Fatal(err)
			}
			h.grant = h.u.Grant(t, account.PurposeAddPasskey)
		}, account.ErrCeremonyExpired},
		{"challenge of a failed attempt reused", accounttest.Authenticator{}, 0, func(t *testing.T, h *regHarness) {
			if _, err := h.svc.FinishRegistration(ctx, h.u.Session.Token, "wrong-grant", h.cred, ""); !errors.Is(err, account.ErrGrantRequired) {
				t.Fatalf("wrong grant: %v", err)
			}
		}, account.ErrCeremonyExpired},
		{"grant expired meanwhile", accounttest.Authenticator{}, account.GrantLifetime - time.Minute, func(t *testing.T, h *regHarness) {
			h.clock.Advance(2 * time.Minute)
		}, account.ErrGrantRequired},
		{"malformed JSON", accounttest.Authenticator{}, 0, func(t *testing.T, h *regHarness) {
			h.cred = []byte(`{"id": 5}`)
		}, account.ErrCredentialRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
			h := &regHarness{svc: svc, clock: clock, u: accounttest.SignUp(t, svc, clock, "ann@example.com")}
			h.grant = h.u.Grant(t, account.PurposeAddPasskey)
			clock.Advance(tt.grantAge)
			opts, err := svc.BeginRegistration(ctx, h.u.Session.Token, h.grant, account.KindSecurityKey)
			if err != nil {
				t.Fatal(err)
			}
			auth := tt.auth
			if h.cred, err = auth.Register(opts); err != nil {
				t.Fatal(err)
			}
			if tt.mutate != nil {
				tt.mutate(t, h)
			}
			before, _ := svc.Passkeys(ctx, h.u.Session.Token)
			_, err = svc.FinishRegistration(ctx, h.u.Session.Token, h.grant, h.cred, "")
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			after, _ := svc.Passkeys(ctx, h.u.Session.Token)
			if len(after) != len(before) {
				t.Fatalf("a rejected registration changed the list: %d → %d", len(before), len(after))
			}
		})
	}
}

type regHarness struct {
	svc   *account.Service
	clock *accounttest.Clock
	u     *accounttest.User
	grant string
	cred  []byte
}

func TestLoginCeremony(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	pk := u.AddPasskey(t, auth, account.KindSecurityKey, "Desk key")

	for _, tc := range []struct{ name, email string }{{"with email", "ann@example.com"}, {"discoverable", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := svc.BeginLogin(ctx, tc.email)
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				PublicKey struct {
					Allow []struct{ ID string } `json:"allowCredentials"`
					UV    string                `json:"userVerification"`
				} `json:"publicKey"`
			}
			json.Unmarshal(opts, &o)
			if (tc.email != "") != (len(o.PublicKey.Allow) == 1) || o.PublicKey.UV != "required" {
				t.Fatalf("options = %s", opts)
			}
			clock.Advance(1e9)
			resp, err := auth.Assert(opts)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := svc.FinishLogin(ctx, resp)
			if err != nil {
				t.Fatal(err)
			}
			if sess.Account.Email != u.Email {
				t.Fatalf("signed in as %q", sess.Account.Email)
			}
			if _, err := svc.FinishLogin(ctx, resp); !errors.Is(err, account.ErrCeremonyExpired) {
				t.Fatalf("replayed assertion: %v", err)
			}
			list, _ := svc.Passkeys(ctx, sess.Token)
			if !list[0].LastUsedAt.Equal(clock.Now()) || list[0].LastUsedFor != "sign-in" || list[0].SignCount != auth.Counter {
				t.Fatalf("passkey after sign-in = %+v", list[0])
			}
		})
	}

	rejects := []struct {
		name   string
		auth   func() *accounttest.Authenticator
		before func()
		want   error
	}{
		{"no user verification", func() *accounttest.Authenticator { a := *auth; a.NoUV = true; return &a }, nil, account.ErrCredentialRejected},
		{"wrong origin", func() *accounttest.Authenticator { a := *auth; a.Origin = "https://evil.example"; return &a }, nil, account.ErrCredentialRejected},
		{"wrong RP ID", func() *accounttest.Authenticator { a := *auth; a.RPID = "evil.example"; return &a }, nil, account.ErrCredentialRejected},
		{"challenge expired", func() *accounttest.Authenticator { return auth }, func() { clock.Advance(account.CeremonyLifetime) }, account.ErrCeremonyExpired},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := svc.BeginLogin(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tt.auth().Assert(opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.before != nil {
				tt.before()
			}
			if _, err := svc.FinishLogin(ctx, resp); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("counter going backwards marks a possible clone", func(t *testing.T) {
		opts, _ := svc.BeginLogin(ctx, "")
		clone := *auth
		clone.Counter = 0
		resp, err := clone.Assert(opts)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := svc.FinishLogin(ctx, resp)
		if err != nil {
			t.Fatal(err)
		}
		list, _ := svc.Passkeys(ctx, sess.Token)
		if list[0].ID != pk.ID || !list[0].CloneWarning {
			t.Fatalf("passkey = %+v", list[0])
		}
	})
	t.Run("unknown credential", func(t *testing.T) {
		stranger := &accounttest.Authenticator{}
		bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
		bob.AddPasskey(t, stranger, account.KindSecurityKey, "")
		opts, _ := svc.BeginLogin(ctx, "ann@example.com") // Ann's allow list
		resp, err := stranger.Assert([]byte(stripAllow(t, opts)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FinishLogin(ctx, resp); !errors.Is(err, account.ErrCredentialRejected) {
			t.Fatalf("Bob's passkey against Ann's allow list: %v", err)
		}
	})
}

func stripAllow(t *testing.T, opts []byte) string {
	var m map[string]map[string]any
	if err := json.Unmarshal(opts, &m); err != nil {
		t.Fatal(err)
	}
	delete(m["publicKey"], "allowCredentials")
	out, _ := json.Marshal(m)
	return string(out)
}

func TestRenamePasskey(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	pk := u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Old name")
	tests := []struct {
		name, id, newName string
		wantErr           bool
		wantInput         bool
	}{
		{"rename", pk.ID, " Blue key ", false, false},
		{"empty", pk.ID, "   ", true, true},
		{"too long", pk.ID, string(make([]rune, 65)), true, true},
		{"unknown passkey", "nope", "X", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.RenamePasskey(ctx, u.Session.Token, tt.id, tt.newName)
			var ie *account.InputError
			switch {
			case tt.wantInput && !errors.As(err, &ie):
				t.Fatalf("got %v, want an InputError", err)
			case tt.wantErr && !tt.wantInput && !errors.Is(err, account.ErrNotFound):
				t.Fatalf("got %v, want ErrNotFound", err)
			case !tt.wantErr && (err != nil || got.Name != "Blue key"):
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
	list, _ := svc.Passkeys(ctx, u.Session.Token)
	if list[0].Name != "Blue key" {
		t.Fatalf("stored name %q", list[0].Name)
	}
	evs, _ := svc.Activity(ctx, u.Session.Token, 1)
	if len(evs) != 1 || evs[0].Type != account.EventPasskeyRenamed || evs[0].Detail != "Old name → Blue key" {
		t.Fatalf("latest event = %+v", evs)
	}
}

func TestPackedSelfAttestation(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	pk := u.AddPasskey(t, &accounttest.Authenticator{Packed: true}, account.KindSecurityKey, "")
	if pk.Kind != account.KindSecurityKey {
		t.Fatalf("passkey = %+v", pk)
	}
}
