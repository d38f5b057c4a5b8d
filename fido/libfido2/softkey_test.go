//go:build cgo

package libfido2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// These tests run real libfido2 against fido/softkey through the I/O hook.

var softAAGUID = fido.AAGUID{0x50, 0x61, 0x73, 0x73, 0x6b, 0x65, 0x79, 0x44, 0x65, 0x73, 0x6b, 1, 2, 3, 4, 5}

const testPIN = "4826"

// softKey registers a new soft key and opens it.
func softKey(t *testing.T, opts softkey.Options) (*softkey.Key, fido.Device) {
	t.Helper()
	if opts.Name == "" {
		opts.Name = t.Name()
	}
	if opts.AAGUID == (fido.AAGUID{}) {
		opts.AAGUID = softAAGUID
	}
	k := softkey.New(opts)
	path := register(t, opts.Name, k)
	d, err := NewProvider().Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return k, d
}

// reopen opens the key at d's path again (after a power cycle).
func reopen(t *testing.T, d fido.Device) fido.Device {
	t.Helper()
	d.Close()
	d2, err := NewProvider().Open(context.Background(), d.Path())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { d2.Close() })
	return d2
}

func setPIN(t *testing.T, d fido.Device) {
	t.Helper()
	if err := d.SetPIN(context.Background(), []byte(testPIN)); err != nil {
		t.Fatalf("SetPIN: %v", err)
	}
}

// pinPrompt answers with the given PINs in turn (the last one again when
// they run out) and records the requests.
type pinPrompt struct {
	mu      sync.Mutex
	pins    []string
	reqs    []fido.PINRequest
	touches int
	given   [][]byte
}

func (pp *pinPrompt) prompt() fido.Prompt {
	return fido.Prompt{
		PIN: func(_ context.Context, req fido.PINRequest) ([]byte, error) {
			pp.mu.Lock()
			defer pp.mu.Unlock()
			pp.reqs = append(pp.reqs, req)
			pin := pp.pins[min(len(pp.reqs), len(pp.pins))-1]
			b := []byte(pin)
			pp.given = append(pp.given, b)
			return b, nil
		},
		Touch: func() {
			pp.mu.Lock()
			pp.touches++
			pp.mu.Unlock()
		},
	}
}

func cdh(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func softMakeReq(user string, rk bool) *fido.MakeCredentialRequest {
	return &fido.MakeCredentialRequest{
		ClientDataHash:   cdh("make " + user),
		RP:               fido.RelyingParty{ID: "passkeydesk.test", Name: "Passkey Desk"},
		User:             fido.User{ID: []byte("id-" + user), Name: user + "@example.org", DisplayName: user},
		Algorithms:       []int{fido.EdDSA, fido.ES256, fido.RS256},
		ResidentKey:      rk,
		UserVerification: true,
		CredProtect:      fido.CredProtectOptionalWithList,
	}
}

// softMakeReqNoUV is softMakeReq without user verification.
func softMakeReqNoUV(user string) *fido.MakeCredentialRequest {
	r := softMakeReq(user, false)
	r.UserVerification = false
	return r
}

func TestSoftkeyInfo(t *testing.T) {
	_, d := softKey(t, softkey.Options{Slots: 3})
	info, err := d.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.AAGUID != softAAGUID || info.RemainingDiscoverable != 3 || !info.HasOption("rk") ||
		info.HasOption("clientPin") || len(info.Algorithms) != 1 || info.Algorithms[0] != fido.ES256 ||
		info.MinPINLength != 4 || len(info.PINProtocols) == 0 ||
		info.MaxMsgSize != 1200 || info.MaxCredsInList != 8 || info.MaxCredIDLength != 48 {
		t.Errorf("info %+v", info)
	}
	st, err := d.PINState(context.Background())
	if err != nil || st.Set || st.Retries != 8 || st.UVRetries != -1 {
		t.Errorf("PINState %+v, %v", st, err)
	}
}

// TestSoftkeyRegisterAndSignIn: PIN set, two discoverable credentials
// made with the PIN and verified by libfido2's fido_cred_verify, then one
// discoverable assertion request returning both users, each verified by
// fido_assert_verify.
func TestSoftkeyRegisterAndSignIn(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{})
	setPIN(t, d)
	if st, err := d.PINState(ctx); err != nil || !st.Set || st.Retries != 8 {
		t.Fatalf("PINState %+v, %v", st, err)
	}

	pubKeys := map[string][]byte{}
	for i, user := range []string{"ada", "grace"} {
		self := i == 1
		k.SetSelfAttestation(self)
		k.SetTouch(softkey.TouchAfterDelay, 20*time.Millisecond)
		pp := &pinPrompt{pins: []string{testPIN}}
		req := softMakeReq(user, true)
		att, err := d.MakeCredential(ctx, req, pp.prompt())
		if err != nil {
			t.Fatalf("MakeCredential %s: %v", user, err)
		}
		if len(pp.reqs) != 1 || pp.reqs[0].Wrong || pp.reqs[0].Retries != 8 || pp.reqs[0].MinLength != 4 {
			t.Errorf("PIN requests %+v", pp.reqs)
		}
		for _, b := range pp.given {
			if !bytes.Equal(b, make([]byte, len(b))) {
				t.Errorf("the PIN slice was not zeroed: %q", b)
			}
		}
		if pp.touches != 1 {
			t.Errorf("Touch called %d times, want 1", pp.touches)
		}
		if att.Format != "packed" || att.Algorithm != fido.ES256 || len(att.CredentialID) == 0 ||
			(self && len(att.X5C) != 0) || (!self && len(att.X5C) != 1) {
			t.Errorf("attestation %s %d %x x5c=%d", att.Format, att.Algorithm, att.CredentialID, len(att.X5C))
		}
		pk, err := testOnlyVerifyCredential(req.RP.ID, req.ClientDataHash, att, true, true, req.CredProtect)
		if err != nil {
			t.Fatalf("libfido2 rejects the attestation of %s: %v", user, err)
		}
		pubKeys[string(att.CredentialID)] = pk
	}

	k.SetTouch(softkey.TouchAtOnce, 0)
	pp := &pinPrompt{pins: []string{testPIN}}
	req := &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("sign in"), UserVerification: true}
	as, err := d.GetAssertion(ctx, req, pp.prompt())
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 {
		t.Fatalf("%d assertions, want 2", len(as))
	}
	users := map[string]bool{}
	for _, a := range as {
		users[a.User.Name] = true
		if string(a.User.ID) != "id-"+a.User.DisplayName || a.User.Name != a.User.DisplayName+"@example.org" {
			t.Errorf("user %+v", a.User)
		}
		pk := pubKeys[string(a.CredentialID)]
		if pk == nil {
			t.Fatalf("assertion by unknown credential %x", a.CredentialID)
		}
		if err := testOnlyVerifyAssertion(req.RPID, req.ClientDataHash, &a, true, pk); err != nil {
			t.Errorf("libfido2 rejects the assertion of %s: %v", a.User.Name, err)
		}
	}
	if !users["ada@example.org"] || !users["grace@example.org"] {
		t.Errorf("users %v", users)
	}

	// An allow list picks one credential.
	var adaID []byte
	for _, a := range as {
		if a.User.DisplayName == "ada" {
			adaID = a.CredentialID
		}
	}
	req.Allow = []fido.CredentialDescriptor{{ID: adaID}}
	as, err = d.GetAssertion(ctx, req, pp.prompt())
	if err != nil || len(as) != 1 || !bytes.Equal(as[0].CredentialID, adaID) {
		t.Fatalf("with an allow list: %d assertions, %v", len(as), err)
	}
	if err := testOnlyVerifyAssertion(req.RPID, req.ClientDataHash, &as[0], true, pubKeys[string(adaID)]); err != nil {
		t.Error(err)
	}

	// Another site has none.
	req.RPID, req.Allow = "elsewhere.test", nil
	if _, err := d.GetAssertion(ctx, req, pp.prompt()); !errors.Is(err, fido.ErrNoCredentials) {
		t.Fatalf("other RP: %v, want ErrNoCredentials", err)
	}
}

func TestSoftkeyWrongPIN(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{})
	setPIN(t, d)
	pp := &pinPrompt{pins: []string{"0000", "1111", testPIN}}
	if _, err := d.MakeCredential(ctx, softMakeReq("ada", false), pp.prompt()); err != nil {
		t.Fatal(err)
	}
	want := []fido.PINRequest{{Retries: 8, MinLength: 4}, {Retries: 7, Wrong: true, MinLength: 4}, {Retries: 6, Wrong: true, MinLength: 4}}
	if len(pp.reqs) != len(want) {
		t.Fatalf("PIN requests %+v, want %+v", pp.reqs, want)
	}
	for i := range want {
		if pp.reqs[i] != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, pp.reqs[i], want[i])
		}
	}
	// A right PIN resets the retries.
	if st, _ := d.PINState(ctx); st.Retries != 8 {
		t.Errorf("retries %d after the right PIN, want 8", st.Retries)
	}

	// ChangePIN with a wrong old PIN: a PINError with the retries.
	err := d.ChangePIN(ctx, []byte("9999"), []byte("135790"))
	var pe *fido.PINError
	if !errors.As(err, &pe) || pe.Retries != 7 || !errors.Is(err, fido.ErrPINInvalid) {
		t.Fatalf("ChangePIN with a wrong PIN: %v, want PINError{7}", err)
	}
	if err := d.ChangePIN(ctx, []byte(testPIN), []byte("135790")); err != nil {
		t.Fatalf("ChangePIN: %v", err)
	}
	pp = &pinPrompt{pins: []string{"135790"}}
	if _, err := d.MakeCredential(ctx, softMakeReq("ada", false), pp.prompt()); err != nil {
		t.Fatalf("with the new PIN: %v", err)
	}
}

func TestSoftkeyPINErrors(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{})
	if err := d.SetPIN(ctx, []byte("12")); !errors.Is(err, fido.ErrPINPolicy) {
		t.Errorf("SetPIN too short: %v, want ErrPINPolicy", err)
	}
	// UV without a PIN set.
	if _, err := d.MakeCredential(ctx, softMakeReq("ada", true), fido.Prompt{}); !errors.Is(err, fido.ErrPINNotSet) {
		t.Errorf("UV without a PIN: %v, want ErrPINNotSet", err)
	}
	setPIN(t, d)
	// UV with a PIN but nobody to type it.
	if _, err := d.MakeCredential(ctx, softMakeReq("ada", true), fido.Prompt{}); !errors.Is(err, fido.ErrPINRequired) {
		t.Errorf("no PIN prompt: %v, want ErrPINRequired", err)
	}
	// The prompt gives up.
	giveUp := errors.New("user closed the dialog")
	p := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return nil, giveUp }}
	if _, err := d.MakeCredential(ctx, softMakeReq("ada", true), p); !errors.Is(err, giveUp) {
		t.Errorf("prompt error: %v", err)
	}
}

// TestSoftkeyPINBlocking: three wrong PINs soft-lock the key until a power
// cycle; eight block it.
func TestSoftkeyPINBlocking(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{})
	setPIN(t, d)
	pp := &pinPrompt{pins: []string{"0000"}}
	_, err := d.MakeCredential(ctx, softMakeReq("ada", false), pp.prompt())
	if !errors.Is(err, fido.ErrPINAuthBlocked) {
		t.Fatalf("three wrong PINs: %v, want ErrPINAuthBlocked", err)
	}
	if len(pp.reqs) != 3 || pp.reqs[2].Retries != 6 || !pp.reqs[2].Wrong {
		t.Errorf("PIN requests %+v", pp.reqs)
	}
	for _, want := range []error{fido.ErrPINAuthBlocked, fido.ErrPINBlocked} {
		k.PowerCycle()
		d = reopen(t, d)
		pp = &pinPrompt{pins: []string{"0000"}}
		if _, err := d.GetAssertion(ctx, &fido.GetAssertionRequest{RPID: "x.test", ClientDataHash: cdh("x"), UserVerification: true}, pp.prompt()); !errors.Is(err, want) {
			t.Fatalf("got %v, want %v (requests %+v)", err, want, pp.reqs)
		}
	}
	if st, err := d.PINState(ctx); err != nil || st.Retries != 0 {
		t.Errorf("PINState %+v, %v", st, err)
	}
	pp = &pinPrompt{pins: []string{testPIN}}
	if _, err := d.MakeCredential(ctx, softMakeReq("ada", false), pp.prompt()); !errors.Is(err, fido.ErrPINBlocked) {
		t.Errorf("after blocking: %v, want ErrPINBlocked", err)
	}
	if len(pp.reqs) != 0 {
		t.Errorf("asked for a PIN on a blocked key: %+v", pp.reqs)
	}
}

func TestSoftkeyExcludedAndFull(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{Slots: 1})
	setPIN(t, d)
	pp := &pinPrompt{pins: []string{testPIN}}
	att, err := d.MakeCredential(ctx, softMakeReq("ada", true), pp.prompt())
	if err != nil {
		t.Fatal(err)
	}
	req := softMakeReq("ada", true)
	req.Exclude = []fido.CredentialDescriptor{{ID: []byte("some other credential")}, {ID: att.CredentialID}}
	if _, err := d.MakeCredential(ctx, req, pp.prompt()); !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Errorf("excluded: %v, want ErrCredentialExcluded", err)
	}
	if _, err := d.MakeCredential(ctx, softMakeReq("grace", true), pp.prompt()); !errors.Is(err, fido.ErrKeyStoreFull) {
		t.Errorf("full: %v, want ErrKeyStoreFull", err)
	}
	if info, err := d.Info(ctx); err != nil || info.RemainingDiscoverable != 0 {
		t.Errorf("remaining %d, %v", info.RemainingDiscoverable, err)
	}
}

func TestSoftkeyTouch(t *testing.T) {
	ctx := context.Background()
	t.Run("never", func(t *testing.T) {
		k, d := softKey(t, softkey.Options{TouchTimeout: 200 * time.Millisecond})
		k.SetTouch(softkey.TouchNever, 0)
		if _, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), fido.Prompt{}); !errors.Is(err, fido.ErrTimeout) {
			t.Errorf("got %v, want ErrTimeout", err)
		}
	})
	t.Run("denied", func(t *testing.T) {
		k, d := softKey(t, softkey.Options{})
		k.SetTouch(softkey.TouchDenied, 0)
		if _, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), fido.Prompt{}); !errors.Is(err, fido.ErrDenied) {
			t.Errorf("got %v, want ErrDenied", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		k, d := softKey(t, softkey.Options{})
		k.SetTouch(softkey.TouchNever, 0)
		p := fido.Prompt{Touch: func() { go d.Cancel() }}
		if _, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), p); !errors.Is(err, fido.ErrCanceled) {
			t.Fatalf("got %v, want ErrCanceled", err)
		}
		// The key goes on working.
		k.SetTouch(softkey.TouchAtOnce, 0)
		if _, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), fido.Prompt{}); err != nil {
			t.Fatalf("after cancel: %v", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		k, d := softKey(t, softkey.Options{})
		req := softMakeReqNoUV("ada")
		req.RP.ID = "x.test"
		att, err := d.MakeCredential(ctx, req, fido.Prompt{})
		if err != nil {
			t.Fatal(err)
		}
		k.SetTouch(softkey.TouchNever, 0)
		ctx, cancel := context.WithCancel(ctx)
		p := fido.Prompt{Touch: cancel}
		areq := &fido.GetAssertionRequest{RPID: "x.test", ClientDataHash: cdh("x"), Allow: []fido.CredentialDescriptor{{ID: att.CredentialID}}}
		if _, err := d.GetAssertion(ctx, areq, p); !errors.Is(err, fido.ErrCanceled) {
			t.Fatalf("got %v, want ErrCanceled", err)
		}
	})
	t.Run("unplug", func(t *testing.T) {
		k, d := softKey(t, softkey.Options{})
		k.SetTouch(softkey.TouchNever, 0)
		p := fido.Prompt{Touch: func() { go k.Unplug() }}
		if _, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), p); !errors.Is(err, fido.ErrKeyRemoved) {
			t.Fatalf("got %v, want ErrKeyRemoved", err)
		}
		if _, err := NewProvider().Open(ctx, d.Path()); !errors.Is(err, fido.ErrKeyRemoved) {
			t.Fatalf("open after unplug: %v, want ErrKeyRemoved", err)
		}
		k.Plug()
		d = reopen(t, d)
		if _, err := d.Info(ctx); err != nil {
			t.Fatalf("after plugging back: %v", err)
		}
	})
}

// TestSoftkeyPINWhenRequired: without user verification asked, a key that
// needs the PIN anyway (a discoverable credential on a key with a PIN,
// CTAP 2.1 §6.1.2) answers PIN_REQUIRED, and the PIN is then asked.
func TestSoftkeyPINWhenRequired(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{})
	setPIN(t, d)
	req := softMakeReq("ada", true)
	req.UserVerification = false
	if _, err := d.MakeCredential(ctx, req, fido.Prompt{}); !errors.Is(err, fido.ErrPINRequired) {
		t.Fatalf("without a PIN prompt: %v, want ErrPINRequired", err)
	}
	pp := &pinPrompt{pins: []string{testPIN}}
	if _, err := d.MakeCredential(ctx, req, pp.prompt()); err != nil {
		t.Fatal(err)
	}
	if len(pp.reqs) != 1 {
		t.Errorf("PIN asked %d times, want 1", len(pp.reqs))
	}
	// A non-discoverable credential needs no PIN (makeCredUvNotRqd).
	pp = &pinPrompt{pins: []string{testPIN}}
	if _, err := d.MakeCredential(ctx, softMakeReqNoUV("grace"), pp.prompt()); err != nil || len(pp.reqs) != 0 {
		t.Errorf("non-discoverable: %v, PIN asked %d times", err, len(pp.reqs))
	}
}

// TestSoftkeyOpenBusy: opening a key busy with a request on another
// connection (here waiting for a touch) reports ErrBusy, not ErrNotFIDO2
// (libfido2 falls back to U2F when getInfo fails); once that request
// ends, the key opens again.
func TestSoftkeyOpenBusy(t *testing.T) {
	k, d := softKey(t, softkey.Options{})
	k.SetTouch(softkey.TouchNever, 0)
	waited := make(chan error, 1)
	go func() { waited <- d.(fido.Manager).WaitTouch(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for !k.WaitingForTouch() {
		if time.Now().After(deadline) {
			t.Fatal("the first connection's request is not waiting for a touch")
		}
		time.Sleep(10 * time.Millisecond)
	}

	d2, err := NewProvider().Open(context.Background(), d.Path())
	if err == nil {
		d2.Close()
		t.Fatal("opened a key busy on another connection")
	}
	if !errors.Is(err, fido.ErrBusy) || errors.Is(err, fido.ErrNotFIDO2) {
		t.Fatalf("opening a busy key: %v, want ErrBusy", err)
	}

	d.Cancel()
	select {
	case err := <-waited:
		if !errors.Is(err, fido.ErrCanceled) {
			t.Fatalf("the cancelled wait: %v, want ErrCanceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end 10s after Cancel")
	}
	d3, err := NewProvider().Open(context.Background(), d.Path())
	if err != nil {
		t.Fatalf("opening the key once it is free: %v", err)
	}
	d3.Close()
}

// TestOpenU2FOnlyKey: a key that speaks U2F alone is still ErrNotFIDO2,
// not ErrBusy.
func TestOpenU2FOnlyKey(t *testing.T) {
	k := newFakeKey()
	k.u2fOnly = true
	path := register(t, "u2f-only", k)
	d, err := NewProvider().Open(context.Background(), path)
	if err == nil {
		d.Close()
		t.Fatal("opened a U2F-only key")
	}
	if !errors.Is(err, fido.ErrNotFIDO2) || errors.Is(err, fido.ErrBusy) {
		t.Fatalf("opening a U2F-only key: %v, want ErrNotFIDO2", err)
	}
}
