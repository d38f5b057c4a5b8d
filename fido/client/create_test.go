package client_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
)

// registration is RegistrationResponseJSON as a relying party reads it.
type registration struct {
	ID       string `json:"id"`
	RawID    string `json:"rawId"`
	Type     string `json:"type"`
	Response struct {
		ClientDataJSON     string   `json:"clientDataJSON"`
		AuthenticatorData  string   `json:"authenticatorData"`
		Transports         []string `json:"transports"`
		PublicKey          string   `json:"publicKey"`
		PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
		AttestationObject  string   `json:"attestationObject"`
	} `json:"response"`
	AuthenticatorAttachment string                     `json:"authenticatorAttachment"`
	ClientExtensionResults  map[string]json.RawMessage `json:"clientExtensionResults"`
}

type attObject struct {
	Fmt      string         `cbor:"fmt"`
	AttStmt  map[string]any `cbor:"attStmt"`
	AuthData []byte         `cbor:"authData"`
}

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return b
}

func create(t *testing.T, dev *memDevice, options string) (*registration, *attObject) {
	t.Helper()
	out, err := newTestClient(t).Create(context.Background(), dev, []byte(options), fido.Prompt{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	var r registration
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	var ao attObject
	if err := cbor.Unmarshal(unb64(t, r.Response.AttestationObject), &ao); err != nil {
		t.Fatalf("attestation object: %v", err)
	}
	return &r, &ao
}

// easyCreation asks for no user verification, so the in-test device
// needs no PIN.
var easyCreation = edit(goodCreation, "authenticatorSelection", raw(`{"residentKey":"required","userVerification":"discouraged"}`))

func TestCreateDirectAttestation(t *testing.T) {
	dev := newMemDevice()
	r, ao := create(t, dev, easyCreation)
	if r.Type != "public-key" || r.ID != r.RawID || r.ID == "" {
		t.Errorf("id %q rawId %q type %q", r.ID, r.RawID, r.Type)
	}
	if r.AuthenticatorAttachment != "cross-platform" || !reflect.DeepEqual(r.Response.Transports, []string{"usb"}) {
		t.Errorf("attachment %q transports %v", r.AuthenticatorAttachment, r.Response.Transports)
	}
	if got := string(r.ClientExtensionResults["credProps"]); got != `{"rk":true}` {
		t.Errorf("credProps %s, want {\"rk\":true}", got)
	}
	wantCD := `{"type":"webauthn.create","challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZQ","origin":"http://localhost","crossOrigin":false}`
	clientData := unb64(t, r.Response.ClientDataJSON)
	if string(clientData) != wantCD {
		t.Errorf("clientDataJSON %s", clientData)
	}
	if cdh := sha256.Sum256(clientData); !bytes.Equal(dev.lastMake.ClientDataHash, cdh[:]) {
		t.Error("the key was not given the hash of the clientDataJSON sent")
	}
	if ao.Fmt != "packed" || ao.AttStmt["alg"] != int64(fido.ES256) || ao.AttStmt["sig"] == nil || ao.AttStmt["x5c"] != nil {
		t.Errorf("attestation %s %v, want packed self attestation", ao.Fmt, ao.AttStmt)
	}
	if !bytes.Equal(ao.AuthData, unb64(t, r.Response.AuthenticatorData)) {
		t.Error("response.authenticatorData differs from the attestation object's")
	}
	if !bytes.Equal(ao.AuthData[37:53], memAAGUID[:]) {
		t.Errorf("AAGUID %x, want the key's", ao.AuthData[37:53])
	}
	// The self-attestation signature verifies with response.publicKey,
	// over authData ‖ hash(clientDataJSON) (WebAuthn §8.2).
	if r.Response.PublicKeyAlgorithm != fido.ES256 {
		t.Errorf("publicKeyAlgorithm %d", r.Response.PublicKeyAlgorithm)
	}
	pub, err := x509.ParsePKIXPublicKey(unb64(t, r.Response.PublicKey))
	if err != nil {
		t.Fatalf("publicKey: %v", err)
	}
	cdh := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(bytes.Clone(ao.AuthData), cdh[:]...))
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], ao.AttStmt["sig"].([]byte)) {
		t.Error("attestation signature does not verify with response.publicKey")
	}
}

func TestCreateNoneAttestationStripsAndZeroes(t *testing.T) {
	dev := newMemDevice()
	r, ao := create(t, dev, edit(easyCreation, "attestation", "none"))
	if ao.Fmt != "none" || len(ao.AttStmt) != 0 {
		t.Errorf("attestation %s %v, want none {}", ao.Fmt, ao.AttStmt)
	}
	if !bytes.Equal(ao.AuthData[37:53], make([]byte, 16)) {
		t.Errorf("AAGUID %x, want zeros", ao.AuthData[37:53])
	}
	if !bytes.Equal(ao.AuthData, unb64(t, r.Response.AuthenticatorData)) {
		t.Error("response.authenticatorData differs from the attestation object's")
	}
	if _, ok := r.ClientExtensionResults["credProps"]; !ok {
		t.Error("credProps asked for and missing")
	}
	r, _ = create(t, dev, edit(easyCreation, "extensions", raw(`{}`)))
	if len(r.ClientExtensionResults) != 0 {
		t.Errorf("clientExtensionResults %v, want none when none asked", r.ClientExtensionResults)
	}
}

// TestCreateRequestMapping checks how options and the key's getInfo
// become the CTAP request (WebAuthn §5.1.3, §6.3.2).
func TestCreateRequestMapping(t *testing.T) {
	sel := func(s string) string { return edit(goodCreation, "authenticatorSelection", raw(s)) }
	for _, tc := range []struct {
		name    string
		options string
		setup   func(d *memDevice)
		want    func(r *fido.MakeCredentialRequest) bool
		err     error
	}{
		{name: "rk preferred on a key with rk", options: sel(`{"residentKey":"preferred","userVerification":"discouraged"}`),
			want: func(r *fido.MakeCredentialRequest) bool { return r.ResidentKey && !r.UserVerification }},
		{name: "rk preferred on a key without", options: sel(`{"residentKey":"preferred","userVerification":"discouraged"}`),
			setup: func(d *memDevice) { d.info.Options["rk"] = false },
			want:  func(r *fido.MakeCredentialRequest) bool { return !r.ResidentKey }},
		{name: "rk discouraged", options: sel(`{"residentKey":"discouraged","userVerification":"discouraged"}`),
			want: func(r *fido.MakeCredentialRequest) bool { return !r.ResidentKey }},
		{name: "rk required on a key without", options: sel(`{"residentKey":"required"}`),
			setup: func(d *memDevice) { delete(d.info.Options, "rk") }, err: fido.ErrUnsupported},
		{name: "uv preferred, PIN set", options: sel(`{"userVerification":"preferred"}`),
			setup: func(d *memDevice) { d.pin = []byte("1234") },
			want:  func(r *fido.MakeCredentialRequest) bool { return r.UserVerification }},
		{name: "uv preferred, no PIN", options: sel(`{"userVerification":"preferred"}`),
			want: func(r *fido.MakeCredentialRequest) bool { return !r.UserVerification }},
		{name: "uv required on a key with no PIN support", options: sel(`{"userVerification":"required"}`),
			setup: func(d *memDevice) { delete(d.info.Options, "clientPin") }, err: fido.ErrUnsupported},
		{name: "uv required, PIN not yet set", options: sel(`{"userVerification":"required"}`), err: fido.ErrPINNotSet},
		{name: "algorithms the key has, RP order", options: sel(`{}`),
			setup: func(d *memDevice) { d.info.Algorithms = []int{fido.RS256, fido.ES256} },
			want: func(r *fido.MakeCredentialRequest) bool {
				return reflect.DeepEqual(r.Algorithms, []int{fido.ES256, fido.RS256})
			}},
		{name: "key lists no algorithms", options: sel(`{}`),
			setup: func(d *memDevice) { d.info.Algorithms = nil },
			want: func(r *fido.MakeCredentialRequest) bool {
				return reflect.DeepEqual(r.Algorithms, []int{fido.ES256, fido.EdDSA, fido.RS256})
			}},
		{name: "none of the RP's algorithms", options: edit(sel(`{}`), "pubKeyCredParams", raw(`[{"type":"public-key","alg":-257}]`)), err: fido.ErrUnsupported},
		{name: "exclude list passed on", options: sel(`{}`),
			want: func(r *fido.MakeCredentialRequest) bool {
				return len(r.Exclude) == 1 && bytes.Equal(r.Exclude[0].ID, []byte{1, 2, 3})
			}},
		{name: "credProtect on a key with it", options: edit(sel(`{}`), "extensions", raw(`{"credentialProtectionPolicy":"userVerificationRequired"}`)),
			want: func(r *fido.MakeCredentialRequest) bool { return r.CredProtect == fido.CredProtectRequired }},
		{name: "credProtect on a key without, not enforced", options: edit(sel(`{}`), "extensions", raw(`{"credentialProtectionPolicy":"userVerificationRequired"}`)),
			setup: func(d *memDevice) { d.info.Extensions = nil },
			want:  func(r *fido.MakeCredentialRequest) bool { return r.CredProtect == 0 }},
		{name: "credProtect on a key without, enforced", options: edit(sel(`{}`), "extensions", raw(`{"credentialProtectionPolicy":"userVerificationRequired","enforceCredentialProtectionPolicy":true}`)),
			setup: func(d *memDevice) { d.info.Extensions = nil }, err: fido.ErrUnsupported},
		{name: "platform asked, security key given", options: sel(`{"authenticatorAttachment":"platform"}`), err: fido.ErrUnsupported},
		{name: "rp and user passed on", options: sel(`{}`),
			want: func(r *fido.MakeCredentialRequest) bool {
				return r.RP == fido.RelyingParty{ID: "localhost", Name: "Example"} &&
					r.User.Name == "alice@example.com" && r.User.DisplayName == "Alice" && string(r.User.ID) == "user-1"
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := newMemDevice()
			if tc.setup != nil {
				tc.setup(dev)
			}
			_, err := newTestClient(t).Create(context.Background(), dev, []byte(tc.options), (&pinPrompt{pin: "1234"}).prompt())
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(dev.lastMake) {
				t.Errorf("request %+v", dev.lastMake)
			}
		})
	}
}

func TestCreateOnPlatformAuthenticator(t *testing.T) {
	dev := newMemDevice()
	dev.info.Transports = []string{"internal", "hybrid"}
	r, _ := create(t, dev, edit(easyCreation, "authenticatorSelection", raw(`{"authenticatorAttachment":"platform","residentKey":"required","userVerification":"discouraged"}`)))
	if r.AuthenticatorAttachment != "platform" || !reflect.DeepEqual(r.Response.Transports, []string{"hybrid", "internal"}) {
		t.Errorf("attachment %q transports %v", r.AuthenticatorAttachment, r.Response.Transports)
	}
}

func TestGetRequestMapping(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	dev := newMemDevice()
	if _, err := c.Create(ctx, dev, []byte(easyCreation), fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	id := dev.creds[0].id
	allow := edit(edit(goodRequest, "userVerification", "preferred"), "allowCredentials",
		[]any{map[string]any{"type": "public-key", "id": base64.RawURLEncoding.EncodeToString(id), "transports": []string{"usb"}}})
	cands, err := c.Get(ctx, dev, []byte(allow), fido.Prompt{})
	if err != nil {
		t.Fatal(err)
	}
	if req := dev.lastGet; req.RPID != "localhost" || req.UserVerification || len(req.Allow) != 1 || !bytes.Equal(req.Allow[0].ID, id) {
		t.Errorf("request %+v; want rp localhost, no uv (no PIN), the allow list", req)
	}
	var resp struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Response struct {
			ClientDataJSON    string  `json:"clientDataJSON"`
			AuthenticatorData string  `json:"authenticatorData"`
			Signature         string  `json:"signature"`
			UserHandle        *string `json:"userHandle"`
		} `json:"response"`
		AuthenticatorAttachment string `json:"authenticatorAttachment"`
	}
	if len(cands) != 1 {
		t.Fatalf("%d candidates", len(cands))
	}
	if err := json.Unmarshal(cands[0].Credential, &resp); err != nil {
		t.Fatal(err)
	}
	cd := unb64(t, resp.Response.ClientDataJSON)
	if string(cd) != `{"type":"webauthn.get","challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZQ","origin":"http://localhost","crossOrigin":false}` {
		t.Errorf("clientDataJSON %s", cd)
	}
	if resp.ID != base64.RawURLEncoding.EncodeToString(id) || resp.Type != "public-key" || resp.AuthenticatorAttachment != "cross-platform" {
		t.Errorf("response %+v", resp)
	}
	if resp.Response.UserHandle == nil || string(unb64(t, *resp.Response.UserHandle)) != "user-1" {
		t.Errorf("userHandle %v, want the discoverable credential's user", resp.Response.UserHandle)
	}
	if cands[0].User.Name != "alice@example.com" {
		t.Errorf("candidate user %+v", cands[0].User)
	}
}

// TestGetDropsIDsTooLongForTheKey: credential IDs longer than the key's
// maxCredentialIdLength are not sent; when none is left the key holds
// none of them, and the request never becomes a discoverable one (an
// empty allow list), which would offer every account on the key.
func TestGetDropsIDsTooLongForTheKey(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	dev := newMemDevice()
	if _, err := c.Create(ctx, dev, []byte(easyCreation), fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	dev.info.MaxCredIDLength = 48
	descriptor := func(id []byte) map[string]any {
		return map[string]any{"type": "public-key", "id": base64.RawURLEncoding.EncodeToString(id)}
	}
	long := bytes.Repeat([]byte{1}, 49)
	request := edit(goodRequest, "userVerification", "discouraged")
	allow := edit(request, "allowCredentials", []any{descriptor(long), descriptor(dev.creds[0].id)})
	if _, err := c.Get(ctx, dev, []byte(allow), fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	if req := dev.lastGet; len(req.Allow) != 1 || !bytes.Equal(req.Allow[0].ID, dev.creds[0].id) {
		t.Errorf("allow list of %d sent, want the key's credential alone", len(req.Allow))
	}
	dev.lastGet = nil
	allow = edit(request, "allowCredentials", []any{descriptor(long)})
	if _, err := c.Get(ctx, dev, []byte(allow), fido.Prompt{}); !errors.Is(err, fido.ErrNoCredentials) {
		t.Fatalf("only IDs too long: %v, want ErrNoCredentials", err)
	}
	if dev.lastGet != nil {
		t.Errorf("the key was asked with an allow list of %d", len(dev.lastGet.Allow))
	}
}
