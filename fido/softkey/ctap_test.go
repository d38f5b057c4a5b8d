package softkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// CTAP commands and statuses the tests use (CTAP 2.1 §6, §8.2).
const (
	ctapMakeCredential   = 0x01
	ctapGetAssertion     = 0x02
	ctapGetInfo          = 0x04
	ctapClientPIN        = 0x06
	ctapReset            = 0x07
	ctapGetNextAssertion = 0x08
	ctapSelection        = 0x0b

	stOK                  = 0x00
	stMissingParameter    = 0x14
	stCredentialExcluded  = 0x19
	stUnsupportedAlg      = 0x26
	stOperationDenied     = 0x27
	stKeyStoreFull        = 0x28
	stUnsupportedOption   = 0x2b
	stKeepaliveCancel     = 0x2d
	stNoCredentials       = 0x2e
	stUserActionTimeout   = 0x2f
	stNotAllowed          = 0x30
	stPINInvalid          = 0x31
	stPINBlocked          = 0x32
	stPINAuthInvalid      = 0x33
	stPINAuthBlocked      = 0x34
	stPINNotSet           = 0x35
	stPUATRequired        = 0x36
	stPINPolicyViolation  = 0x37
	stInvalidCBOR         = 0x12
	stCBORUnexpectedType  = 0x11
	stInvalidCommand      = 0x01
	stUnauthorizedPermiss = 0x40
)

var testAAGUID = fido.AAGUID{0x50, 0x4b, 0x44, 0x65, 0x73, 0x6b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}

func clientDataHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// mcRequest is an authenticatorMakeCredential request (§6.1).
func mcRequest(rpID string, userID string, rk bool) map[int]any {
	return map[int]any{
		1: clientDataHash("register " + rpID + " " + userID),
		2: map[string]any{"id": rpID, "name": "Example"},
		3: map[string]any{"id": []byte(userID), "name": userID + "@example.com", "displayName": "User " + userID},
		4: []map[string]any{{"type": "public-key", "alg": -8}, {"type": "public-key", "alg": -7}},
		7: map[string]bool{"rk": rk},
	}
}

// parsedAuthData is authenticator data taken apart (WebAuthn §6.1).
type parsedAuthData struct {
	rpIDHash []byte
	flags    byte
	count    uint32
	aaguid   []byte
	credID   []byte
	pub      *ecdsa.PublicKey
	ext      map[string]any
}

func parseAuthData(t *testing.T, ad []byte) parsedAuthData {
	t.Helper()
	if len(ad) < 37 {
		t.Fatalf("authData of %d bytes", len(ad))
	}
	p := parsedAuthData{rpIDHash: ad[:32], flags: ad[32], count: binary.BigEndian.Uint32(ad[33:37])}
	rest := ad[37:]
	if p.flags&0x40 != 0 {
		p.aaguid = rest[:16]
		n := int(binary.BigEndian.Uint16(rest[16:18]))
		p.credID = rest[18 : 18+n]
		var key map[int]any
		var err error
		if rest, err = cbor.UnmarshalFirst(rest[18+n:], &key); err != nil {
			t.Fatalf("COSE key: %v", err)
		}
		if key[1] != uint64(2) || key[3] != int64(-7) || key[-1] != uint64(1) {
			t.Fatalf("COSE key %v is not ES256 P-256", key)
		}
		point := append(append([]byte{4}, key[-2].([]byte)...), key[-3].([]byte)...)
		if p.pub, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point); err != nil {
			t.Fatal(err)
		}
	}
	if p.flags&0x80 != 0 {
		if err := cbor.Unmarshal(rest, &p.ext); err != nil {
			t.Fatalf("extensions: %v", err)
		}
	} else if len(rest) != 0 {
		t.Fatalf("%d stray bytes after authData", len(rest))
	}
	return p
}

// makeCredential registers and checks the packed attestation statement,
// returning the authenticator data.
func makeCredential(t *testing.T, c *client, req map[int]any) parsedAuthData {
	t.Helper()
	st, resp := c.call(ctapMakeCredential, req)
	if st != stOK {
		t.Fatalf("makeCredential: status %#x", st)
	}
	var fmtName string
	var ad []byte
	var stmt struct {
		Alg int      `cbor:"alg"`
		Sig []byte   `cbor:"sig"`
		X5C [][]byte `cbor:"x5c"`
	}
	decode(t, resp[1], &fmtName)
	decode(t, resp[2], &ad)
	decode(t, resp[3], &stmt)
	p := parseAuthData(t, ad)
	rpID := req[2].(map[string]any)["id"].(string)
	if h := sha256.Sum256([]byte(rpID)); fmtName != "packed" || stmt.Alg != -7 || !bytes.Equal(p.rpIDHash, h[:]) {
		t.Fatalf("fmt %q alg %d rpIdHash %x", fmtName, stmt.Alg, p.rpIDHash)
	}
	signed := append(slices.Clone(ad), req[1].([]byte)...)
	if len(stmt.X5C) == 0 { // self attestation: the credential key signs
		if !ecdsa.VerifyASN1(p.pub, digest(signed), stmt.Sig) {
			t.Fatal("self attestation signature does not verify")
		}
		return p
	}
	cert, err := x509.ParseCertificate(stmt.X5C[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignature(x509.ECDSAWithSHA256, signed, stmt.Sig); err != nil {
		t.Fatalf("attestation signature: %v", err)
	}
	checkAttestationCert(t, cert, p.aaguid)
	return p
}

// checkAttestationCert checks WebAuthn §8.2.1's packed certificate rules.
func checkAttestationCert(t *testing.T, cert *x509.Certificate, aaguid []byte) {
	t.Helper()
	s := cert.Subject
	if cert.Version != 3 || len(s.Country) != 1 || len(s.Organization) != 1 || s.CommonName == "" ||
		len(s.OrganizationalUnit) != 1 || s.OrganizationalUnit[0] != "Authenticator Attestation" {
		t.Errorf("certificate version %d subject %v", cert.Version, s)
	}
	if !cert.BasicConstraintsValid || cert.IsCA {
		t.Error("certificate is not CA=false")
	}
	found := false
	for _, e := range cert.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 45724, 1, 1, 4}) {
			var v []byte
			if _, err := asn1.Unmarshal(e.Value, &v); err != nil || !bytes.Equal(v, aaguid) || e.Critical {
				t.Errorf("AAGUID extension %x critical %v (%v)", e.Value, e.Critical, err)
			}
			found = true
		}
	}
	if !found {
		t.Error("no id-fido-gen-ce-aaguid extension")
	}
}

func digest(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// assertion is one decoded authenticatorGetAssertion response (§6.2).
type assertion struct {
	credID []byte
	ad     []byte
	sig    []byte
	user   map[string]any
	count  int
}

func getAssertion(t *testing.T, c *client, cmd byte, req any) (byte, assertion) {
	t.Helper()
	st, resp := c.call(cmd, req)
	if st != stOK {
		return st, assertion{}
	}
	var a assertion
	var cred struct {
		ID []byte `cbor:"id"`
	}
	decode(t, resp[1], &cred)
	a.credID = cred.ID
	decode(t, resp[2], &a.ad)
	decode(t, resp[3], &a.sig)
	if raw, ok := resp[4]; ok {
		decode(t, raw, &a.user)
	}
	if raw, ok := resp[5]; ok {
		decode(t, raw, &a.count)
	}
	return st, a
}

func gaRequest(rpID string, allow ...[]byte) map[int]any {
	req := map[int]any{1: rpID, 2: clientDataHash("sign in " + rpID)}
	if len(allow) > 0 {
		var list []map[string]any
		for _, id := range allow {
			list = append(list, map[string]any{"type": "public-key", "id": id})
		}
		req[3] = list
	}
	return req
}

func verifyAssertion(t *testing.T, pub *ecdsa.PublicKey, req map[int]any, a assertion) parsedAuthData {
	t.Helper()
	if !ecdsa.VerifyASN1(pub, digest(append(slices.Clone(a.ad), req[2].([]byte)...)), a.sig) {
		t.Fatal("assertion signature does not verify over authData ‖ clientDataHash")
	}
	return parseAuthData(t, a.ad)
}

func TestGetInfo(t *testing.T) {
	k := newKey(t, softkey.Options{AAGUID: testAAGUID, Slots: 3})
	c := dial(t, k)
	st, resp := c.call(ctapGetInfo, nil)
	if st != stOK {
		t.Fatalf("status %#x", st)
	}
	var info struct {
		Versions   []string         `cbor:"1,keyasint"`
		Extensions []string         `cbor:"2,keyasint"`
		AAGUID     []byte           `cbor:"3,keyasint"`
		Options    map[string]bool  `cbor:"4,keyasint"`
		MaxMsgSize int              `cbor:"5,keyasint"`
		Protocols  []int            `cbor:"6,keyasint"`
		MaxInList  int              `cbor:"7,keyasint"`
		MaxIDLen   int              `cbor:"8,keyasint"`
		Transports []string         `cbor:"9,keyasint"`
		Algorithms []map[string]any `cbor:"10,keyasint"`
		MinPIN     int              `cbor:"13,keyasint"`
		Firmware   int              `cbor:"14,keyasint"`
		Remaining  int              `cbor:"20,keyasint"`
	}
	raw, _ := cbor.Marshal(resp)
	decode(t, raw, &info)
	if !slices.Equal(info.Versions, []string{"FIDO_2_0", "FIDO_2_1"}) || !slices.Equal(info.Extensions, []string{"credProtect"}) ||
		!bytes.Equal(info.AAGUID, testAAGUID[:]) || !slices.Equal(info.Protocols, []int{2, 1}) ||
		!slices.Equal(info.Transports, []string{"usb"}) || info.MinPIN != 4 || info.Remaining != 3 ||
		info.MaxMsgSize != maxMsgSize || info.MaxInList != 8 || info.MaxIDLen != 48 ||
		len(info.Algorithms) != 1 || info.Algorithms[0]["alg"] != int64(-7) {
		t.Errorf("getInfo %+v", info)
	}
	if !info.Options["rk"] || !info.Options["up"] || info.Options["clientPin"] || !info.Options["credMgmt"] ||
		!info.Options["credentialMgmtPreview"] || !info.Options["authnrCfg"] || !info.Options["setMinPINLength"] ||
		info.Options["alwaysUv"] || !info.Options["makeCredUvNotRqd"] {
		t.Errorf("options %v", info.Options)
	}
}

func TestRegisterAndSignIn(t *testing.T) {
	for _, self := range []bool{false, true} {
		t.Run(fmt.Sprintf("self attestation %v", self), func(t *testing.T) {
			k := newKey(t, softkey.Options{AAGUID: testAAGUID})
			k.SetSelfAttestation(self)
			c := dial(t, k)
			reg := makeCredential(t, c, mcRequest("example.com", "alice", false))
			if !bytes.Equal(reg.aaguid, testAAGUID[:]) || reg.flags != 0x41 || len(reg.credID) < 32 {
				t.Fatalf("registration: aaguid %x flags %#x credID %d bytes", reg.aaguid, reg.flags, len(reg.credID))
			}
			req := gaRequest("example.com", []byte("unknown"), reg.credID)
			st, a := getAssertion(t, c, ctapGetAssertion, req)
			if st != stOK || !bytes.Equal(a.credID, reg.credID) || a.user != nil {
				t.Fatalf("status %#x credID %x user %v", st, a.credID, a.user)
			}
			p := verifyAssertion(t, reg.pub, req, a)
			if p.flags != 0x01 || p.count <= reg.count {
				t.Errorf("flags %#x count %d after %d", p.flags, p.count, reg.count)
			}
			if st, _ := getAssertion(t, c, ctapGetAssertion, gaRequest("other.example", reg.credID)); st != stNoCredentials {
				t.Errorf("another RP: status %#x", st)
			}
		})
	}
}

func TestDiscoverable(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	pubs := map[string]*ecdsa.PublicKey{}
	for _, u := range []string{"alice", "bob", "carol"} {
		reg := makeCredential(t, c, mcRequest("example.com", u, true))
		pubs[u] = reg.pub
	}
	makeCredential(t, c, mcRequest("example.com", "dave", false)) // not discoverable
	req := gaRequest("example.com")
	st, a := getAssertion(t, c, ctapGetAssertion, req)
	if st != stOK || a.count != 3 {
		t.Fatalf("status %#x numberOfCredentials %d", st, a.count)
	}
	var users []string
	for i := range 3 {
		if i > 0 {
			if st, a = getAssertion(t, c, ctapGetNextAssertion, nil); st != stOK {
				t.Fatalf("next assertion %d: %#x", i, st)
			}
		}
		id := string(a.user["id"].([]byte))
		if _, named := a.user["name"]; named {
			t.Error("user name returned without user verification")
		}
		verifyAssertion(t, pubs[id], req, a)
		users = append(users, id)
	}
	if !slices.Equal(users, []string{"carol", "bob", "alice"}) {
		t.Errorf("users %v, want newest first", users)
	}
	if st, _ := c.call(ctapGetNextAssertion, nil); st != stNotAllowed {
		t.Errorf("a fourth: %#x", st)
	}
	// The same user again replaces the credential rather than taking a slot.
	makeCredential(t, c, mcRequest("example.com", "alice", true))
	if _, a := getAssertion(t, c, ctapGetAssertion, req); a.count != 3 {
		t.Errorf("after re-registering alice: %d credentials", a.count)
	}
}

func TestMakeCredentialErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(map[int]any)
		status byte
	}{
		{"no client data hash", func(r map[int]any) { delete(r, 1) }, stMissingParameter},
		{"no user", func(r map[int]any) { delete(r, 3) }, stMissingParameter},
		{"rp is a string", func(r map[int]any) { r[2] = "example.com" }, stCBORUnexpectedType},
		{"only EdDSA", func(r map[int]any) { r[4] = []map[string]any{{"type": "public-key", "alg": -8}} }, stUnsupportedAlg},
		{"built-in uv", func(r map[int]any) { r[7] = map[string]bool{"uv": true} }, 0x2c},
		{"no presence", func(r map[int]any) { r[7] = map[string]bool{"up": false} }, 0x2c},
		{"empty pinUvAuthParam", func(r map[int]any) { r[8] = []byte{}; r[9] = 2 }, stPINNotSet},
		{"pinUvAuthParam without protocol", func(r map[int]any) { r[8] = make([]byte, 32) }, stMissingParameter},
		{"pinUvAuthParam without PIN", func(r map[int]any) { r[8] = make([]byte, 32); r[9] = 2 }, stPINNotSet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, newKey(t, softkey.Options{}))
			req := mcRequest("example.com", "alice", false)
			tt.edit(req)
			if st, _ := c.call(ctapMakeCredential, req); st != tt.status {
				t.Fatalf("status %#x, want %#x", st, tt.status)
			}
		})
	}
}

func TestExcludeList(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	reg := makeCredential(t, c, mcRequest("example.com", "alice", false))
	req := mcRequest("example.com", "alice", false)
	req[5] = []map[string]any{{"type": "public-key", "id": reg.credID}}
	k.SetTouch(softkey.TouchAfterDelay, 150*time.Millisecond)
	if st, keepalives := excludedCall(t, c, req, false); st != stCredentialExcluded || keepalives == 0 {
		t.Fatalf("status %#x after %d keepalives, want CREDENTIAL_EXCLUDED after a touch", st, keepalives)
	}
	// The same credential in another RP's exclude list excludes nothing.
	req = mcRequest("other.example", "alice", false)
	req[5] = []map[string]any{{"type": "public-key", "id": reg.credID}}
	makeCredential(t, c, req)
}

// TestExcludeListWithoutTouch: a key that finds an excluded credential
// answers CREDENTIAL_EXCLUDED whether or not a touch comes (CTAP 2.1
// §6.1.2 step 12.1.4), not USER_ACTION_TIMEOUT or OPERATION_DENIED; only a
// cancel ends it otherwise.
func TestExcludeListWithoutTouch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		touch  softkey.TouchMode
		cancel bool
		want   byte
	}{
		{"no touch before the timeout", softkey.TouchNever, false, stCredentialExcluded},
		{"touch declined", softkey.TouchDenied, false, stCredentialExcluded},
		{"cancelled", softkey.TouchNever, true, stKeepaliveCancel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKey(t, softkey.Options{TouchTimeout: 200 * time.Millisecond})
			c := dial(t, k)
			reg := makeCredential(t, c, mcRequest("example.com", "alice", false))
			req := mcRequest("example.com", "alice", false)
			req[5] = []map[string]any{{"type": "public-key", "id": reg.credID}}
			k.SetTouch(tc.touch, 0)
			if st, _ := excludedCall(t, c, req, tc.cancel); st != tc.want {
				t.Fatalf("status %#x, want %#x", st, tc.want)
			}
		})
	}
}

// excludedCall sends a makeCredential and returns its status and how many
// keepalives came before it; with cancel, CTAPHID_CANCEL answers the first
// keepalive.
func excludedCall(t *testing.T, c *client, req map[int]any, cancel bool) (status byte, keepalives int) {
	t.Helper()
	c.send(hidCBOR, append([]byte{ctapMakeCredential}, must(cbor.Marshal(req))...))
	for {
		_, cmd, payload, err := c.recvAny()
		if err != nil {
			t.Fatal(err)
		}
		if cmd == hidKeepalive {
			if keepalives++; cancel && keepalives == 1 {
				c.send(hidCancel, nil)
			}
			continue
		}
		if cmd != hidCBOR || len(payload) == 0 {
			t.Fatalf("answer cmd %#x payload %x", cmd, payload)
		}
		return payload[0], keepalives
	}
}

func TestKeyStoreFull(t *testing.T) {
	k := newKey(t, softkey.Options{Slots: 2})
	c := dial(t, k)
	makeCredential(t, c, mcRequest("example.com", "alice", true))
	makeCredential(t, c, mcRequest("example.com", "bob", true))
	if st, _ := c.call(ctapMakeCredential, mcRequest("example.com", "carol", true)); st != stKeyStoreFull {
		t.Fatalf("third discoverable: %#x, want KEY_STORE_FULL", st)
	}
	makeCredential(t, c, mcRequest("example.com", "carol", false)) // non-discoverable still fits
	makeCredential(t, c, mcRequest("example.com", "bob", true))    // replacing needs no slot
}

func TestTouchKnobs(t *testing.T) {
	tests := []struct {
		name   string
		mode   softkey.TouchMode
		delay  time.Duration
		press  bool
		deny   bool
		status byte
	}{
		{"at once", softkey.TouchAtOnce, 0, false, false, stOK},
		{"after a delay", softkey.TouchAfterDelay, 120 * time.Millisecond, false, false, stOK},
		{"denied", softkey.TouchDenied, 0, false, false, stOperationDenied},
		{"never", softkey.TouchNever, 0, false, false, stUserActionTimeout},
		{"never, then pressed", softkey.TouchNever, 0, true, false, stOK},
		{"never, then denied", softkey.TouchNever, 0, false, true, stOperationDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKey(t, softkey.Options{TouchTimeout: 400 * time.Millisecond})
			k.SetTouch(tt.mode, tt.delay)
			c := dial(t, k)
			if tt.press || tt.deny { // answer once the key asks, as a user would
				c.send(hidCBOR, append([]byte{ctapMakeCredential}, must(cbor.Marshal(mcRequest("example.com", "alice", false)))...))
				if _, cmd, _, err := c.recvAny(); err != nil || cmd != hidKeepalive {
					t.Fatalf("cmd %#x err %v, want KEEPALIVE", cmd, err)
				}
				if tt.deny {
					k.Deny()
				} else {
					k.Press()
				}
				if _, resp := c.recv(); resp[0] != tt.status {
					t.Fatalf("status %#x, want %#x", resp[0], tt.status)
				}
				return
			}
			if st, _ := c.call(ctapMakeCredential, mcRequest("example.com", "alice", false)); st != tt.status {
				t.Fatalf("status %#x, want %#x", st, tt.status)
			}
			if st, _ := c.call(ctapSelection, nil); st != tt.status {
				t.Fatalf("selection: status %#x, want %#x", st, tt.status)
			}
		})
	}
}

func TestCredProtect(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	regs := map[int]parsedAuthData{}
	for _, level := range []int{1, 2, 3} {
		req := mcRequest("example.com", fmt.Sprint("user", level), true)
		req[6] = map[string]any{"credProtect": level}
		regs[level] = makeCredential(t, c, req)
		if regs[level].flags&0x80 == 0 || regs[level].ext["credProtect"] != uint64(level) {
			t.Fatalf("level %d: flags %#x extensions %v", level, regs[level].flags, regs[level].ext)
		}
	}
	// Without user verification: discoverable finds level 1 only; an
	// allow list reaches level 2 too, never level 3.
	if _, a := getAssertion(t, c, ctapGetAssertion, gaRequest("example.com")); a.count != 0 || !bytes.Equal(a.credID, regs[1].credID) {
		t.Errorf("discoverable without uv: %x (%d)", a.credID, a.count)
	}
	if st, _ := getAssertion(t, c, ctapGetAssertion, gaRequest("example.com", regs[2].credID)); st != stOK {
		t.Errorf("level 2 by allow list: %#x", st)
	}
	if st, _ := getAssertion(t, c, ctapGetAssertion, gaRequest("example.com", regs[3].credID)); st != stNoCredentials {
		t.Errorf("level 3 without uv: %#x", st)
	}
}

func TestReset(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		wait   time.Duration
		touch  softkey.TouchMode
		status byte
	}{
		{"in the window", time.Second, 0, softkey.TouchAtOnce, stOK},
		{"after the window", 50 * time.Millisecond, 100 * time.Millisecond, softkey.TouchAtOnce, stNotAllowed},
		{"denied", time.Second, 0, softkey.TouchDenied, stOperationDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKey(t, softkey.Options{ResetWindow: tt.window})
			c := dial(t, k)
			reg := makeCredential(t, c, mcRequest("example.com", "alice", true))
			time.Sleep(tt.wait)
			k.SetTouch(tt.touch, 0)
			if st, _ := c.call(ctapReset, nil); st != tt.status {
				t.Fatalf("reset: %#x, want %#x", st, tt.status)
			}
			k.SetTouch(softkey.TouchAtOnce, 0)
			st, _ := getAssertion(t, c, ctapGetAssertion, gaRequest("example.com", reg.credID))
			if (st == stNoCredentials) != (tt.status == stOK) {
				t.Errorf("assertion after reset: %#x", st)
			}
		})
	}
	// A power cycle opens the window again.
	k := newKey(t, softkey.Options{ResetWindow: 50 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	k.PowerCycle()
	if st, _ := dial(t, k).call(ctapReset, nil); st != stOK {
		t.Fatalf("reset after power cycle: %#x", st)
	}
}

func TestSignCount(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	reg := makeCredential(t, c, mcRequest("example.com", "alice", false))
	if err := k.SetSignCount(1000); err != nil {
		t.Fatal(err)
	}
	req := gaRequest("example.com", reg.credID)
	_, a := getAssertion(t, c, ctapGetAssertion, req)
	if p := verifyAssertion(t, reg.pub, req, a); p.count != 1001 || k.SignCount() != 1001 {
		t.Fatalf("count %d, key says %d", p.count, k.SignCount())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name   string
		msg    []byte
		status byte
	}{
		{"unknown command", []byte{0x0c, 0xa0}, stInvalidCommand},
		{"unknown command with malformed CBOR", []byte{0x00, 0xa1}, stInvalidCommand},
		{"truncated map", []byte{ctapMakeCredential, 0xa1, 0x01}, stInvalidCBOR},
		{"array instead of map", []byte{ctapGetAssertion, 0x80}, stInvalidCBOR},
		{"duplicate key", []byte{ctapClientPIN, 0xa2, 0x01, 0x01, 0x01, 0x02}, stInvalidCBOR},
		{"no parameters", []byte{ctapMakeCredential}, stMissingParameter},
		{"clientPIN without subcommand", append([]byte{ctapClientPIN}, must(cbor.Marshal(map[int]any{1: 2}))...), stMissingParameter},
		{"clientPIN protocol 3", append([]byte{ctapClientPIN}, must(cbor.Marshal(map[int]any{1: 3, 2: 2}))...), 0x02},
		{"clientPIN subcommand 0x0f", append([]byte{ctapClientPIN}, must(cbor.Marshal(map[int]any{1: 2, 2: 0x0f}))...), 0x3e},
		{"getNextAssertion first", []byte{ctapGetNextAssertion}, stNotAllowed},
		{"rk option in getAssertion", append([]byte{ctapGetAssertion}, must(cbor.Marshal(map[int]any{1: "a", 2: []byte{1}, 5: map[string]bool{"rk": true}}))...), stUnsupportedOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, newKey(t, softkey.Options{}))
			c.send(hidCBOR, tt.msg)
			if cmd, resp := c.recv(); cmd != hidCBOR || len(resp) != 1 || resp[0] != tt.status {
				t.Fatalf("answer %#x %x, want status %#x", cmd, resp, tt.status)
			}
		})
	}
}
