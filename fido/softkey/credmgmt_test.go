package softkey_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// Credential management (CTAP 2.1 §6.8) and authenticatorConfig (§6.11)
// at the CTAPHID level, under both credential management command codes.

const (
	ctapCredMgmt        = 0x0a
	ctapCredMgmtPreview = 0x41
	ctapConfig          = 0x0d

	stInvalidParameter = 0x02
	stUVBlocked        = 0x3c
	stUVInvalid        = 0x3f

	permMC   = 0x01
	permGA   = 0x02
	permCM   = 0x04
	permACfg = 0x20
)

// cm sends one credential management subcommand; params (already CBOR,
// so that the bytes authenticated are the bytes sent) may be nil, and
// token nil sends no pinUvAuthParam.
func (p *platform) cm(cmd byte, sub int, params cbor.RawMessage, token []byte) (byte, map[int]cbor.RawMessage) {
	p.t.Helper()
	req := map[int]any{1: sub}
	if params != nil {
		req[2] = params
	}
	if token != nil {
		req[3], req[4] = p.proto, p.authenticate(token, append([]byte{byte(sub)}, params...))
	}
	return p.c.call(cmd, req)
}

// config sends one authenticatorConfig subcommand.
func (p *platform) config(sub int, params cbor.RawMessage, token []byte) byte {
	p.t.Helper()
	req := map[int]any{1: sub}
	if params != nil {
		req[2] = params
	}
	if token != nil {
		msg := append(bytes.Repeat([]byte{0xff}, 32), ctapConfig, byte(sub))
		req[3], req[4] = p.proto, p.authenticate(token, append(msg, params...))
	}
	st, _ := p.c.call(ctapConfig, req)
	return st
}

func rawCBOR(t *testing.T, v any) cbor.RawMessage {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fill makes discoverable credentials: users per RP, before a PIN is set.
func fill(t *testing.T, c *client, rps []string, users int) map[string][][]byte {
	t.Helper()
	ids := map[string][][]byte{}
	for _, rp := range rps {
		for u := range users {
			ad := makeCredential(t, c, mcRequest(rp, rp+"-user"+string(rune('a'+u)), true))
			ids[rp] = append(ids[rp], ad.credID)
		}
	}
	return ids
}

func getInfoMap(t *testing.T, c *client) map[int]cbor.RawMessage {
	t.Helper()
	st, resp := c.call(ctapGetInfo, nil)
	if st != stOK {
		t.Fatalf("getInfo: %#x", st)
	}
	return resp
}

func infoOptions(t *testing.T, c *client) map[string]bool {
	t.Helper()
	var opts map[string]bool
	decode(t, getInfoMap(t, c)[4], &opts)
	return opts
}

func TestCredentialManagement(t *testing.T) {
	for _, cmd := range []byte{ctapCredMgmt, ctapCredMgmtPreview} {
		for _, proto := range []int{1, 2} {
			t.Run(string(rune('0'+proto))+"/"+map[byte]string{ctapCredMgmt: "0x0a", ctapCredMgmtPreview: "0x41"}[cmd], func(t *testing.T) {
				k := newKey(t, softkey.Options{Slots: 10})
				c := dial(t, k)
				ids := fill(t, c, []string{"a.example", "b.example"}, 2)
				makeCredential(t, c, mcRequest("c.example", "nd", false)) // not discoverable: not listed
				p := &platform{t: t, c: c, proto: proto}
				if st := p.setPIN("1234"); st != stOK {
					t.Fatal(st)
				}
				tok, st := p.token("1234", permCM, "")
				if st != stOK {
					t.Fatalf("token: %#x", st)
				}

				st, resp := p.cm(cmd, 1, nil, tok)
				var existing, remaining int
				if st != stOK {
					t.Fatalf("metadata: %#x", st)
				}
				decode(t, resp[1], &existing)
				decode(t, resp[2], &remaining)
				if existing != 4 || remaining != 6 {
					t.Errorf("metadata %d/%d, want 4/6", existing, remaining)
				}

				st, resp = p.cm(cmd, 2, nil, tok)
				if st != stOK {
					t.Fatalf("enumerateRPsBegin: %#x", st)
				}
				var total int
				decode(t, resp[5], &total)
				rps := []map[int]cbor.RawMessage{resp}
				for range total - 1 {
					st, r := p.cm(cmd, 3, nil, nil)
					if st != stOK {
						t.Fatalf("getNextRP: %#x", st)
					}
					rps = append(rps, r)
				}
				if st, _ := p.cm(cmd, 3, nil, nil); st != stNotAllowed {
					t.Errorf("getNextRP past the end: %#x", st)
				}
				if total != 2 {
					t.Fatalf("%d RPs", total)
				}
				for i, want := range []string{"a.example", "b.example"} {
					var rp struct {
						ID   string `cbor:"id"`
						Name string `cbor:"name"`
					}
					var hash []byte
					decode(t, rps[i][3], &rp)
					decode(t, rps[i][4], &hash)
					h := sha256.Sum256([]byte(want))
					if rp.ID != want || rp.Name != "Example" || !bytes.Equal(hash, h[:]) {
						t.Errorf("RP %d: %+v %x", i, rp, hash)
					}
				}

				h := sha256.Sum256([]byte("b.example"))
				params := rawCBOR(t, map[int]any{1: h[:]})
				st, resp = p.cm(cmd, 4, params, tok)
				if st != stOK {
					t.Fatalf("enumerateCredentialsBegin: %#x", st)
				}
				decode(t, resp[9], &total)
				var cred struct {
					ID   []byte `cbor:"id"`
					Type string `cbor:"type"`
				}
				decode(t, resp[7], &cred)
				var protect int
				decode(t, resp[10], &protect)
				if total != 2 || !bytes.Equal(cred.ID, ids["b.example"][0]) || protect != 1 || resp[8] == nil || resp[6] == nil {
					t.Errorf("first credential: total %d id %x protect %d", total, cred.ID, protect)
				}
				st, resp = p.cm(cmd, 5, nil, nil)
				decode(t, resp[7], &cred)
				if st != stOK || !bytes.Equal(cred.ID, ids["b.example"][1]) {
					t.Errorf("next credential: %#x %x", st, cred.ID)
				}

				// Update the user of b's first credential, then delete it.
				desc := map[string]any{"id": ids["b.example"][0], "type": "public-key"}
				upd := rawCBOR(t, map[int]any{2: desc, 3: map[string]any{"id": []byte("b.example-usera"), "name": "new", "displayName": "New Name"}})
				if st, _ := p.cm(cmd, 7, upd, tok); st != stOK {
					t.Fatalf("updateUserInformation: %#x", st)
				}
				wrongUser := rawCBOR(t, map[int]any{2: desc, 3: map[string]any{"id": []byte("someone else"), "name": "x"}})
				if st, _ := p.cm(cmd, 7, wrongUser, tok); st != stInvalidParameter {
					t.Errorf("update with another user ID: %#x", st)
				}
				st, resp = p.cm(cmd, 4, params, tok)
				var user struct {
					ID          []byte `cbor:"id"`
					Name        string `cbor:"name"`
					DisplayName string `cbor:"displayName"`
				}
				decode(t, resp[6], &user)
				if st != stOK || user.Name != "new" || user.DisplayName != "New Name" {
					t.Errorf("after update: %#x %+v", st, user)
				}
				del := rawCBOR(t, map[int]any{2: desc})
				if st, _ := p.cm(cmd, 6, del, tok); st != stOK {
					t.Fatalf("deleteCredential: %#x", st)
				}
				if st, _ := p.cm(cmd, 6, del, tok); st != stNoCredentials {
					t.Errorf("deleting again: %#x", st)
				}
				st, resp = p.cm(cmd, 1, nil, tok)
				decode(t, resp[1], &existing)
				if st != stOK || existing != 3 {
					t.Errorf("metadata after delete: %#x %d", st, existing)
				}
			})
		}
	}
}

func TestCredentialManagementPermissions(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	p := &platform{t: t, c: c, proto: 2}
	if st, _ := p.cm(ctapCredMgmt, 1, nil, make([]byte, 32)); st != stPINNotSet {
		t.Errorf("no PIN: %#x", st)
	}
	fill(t, c, []string{"a.example"}, 1)
	p.setPIN("1234")

	legacy, _ := p.token("1234", 0, "")
	if st, _ := p.cm(ctapCredMgmt, 1, nil, legacy); st != stPINAuthInvalid {
		t.Errorf("0x0a with a getPinToken token: %#x", st)
	}
	if st, _ := p.cm(ctapCredMgmtPreview, 1, nil, legacy); st != stOK {
		t.Errorf("0x41 with a getPinToken token: %#x", st)
	}
	mcga, _ := p.token("1234", permMC|permGA, "")
	for _, cmd := range []byte{ctapCredMgmt, ctapCredMgmtPreview} {
		if st, _ := p.cm(cmd, 1, nil, mcga); st != stPINAuthInvalid {
			t.Errorf("%#x with an mc|ga token: %#x", cmd, st)
		}
	}
	tok, _ := p.token("1234", permCM, "")
	if st, _ := p.cm(ctapCredMgmt, 1, nil, nil); st != stPUATRequired {
		t.Errorf("no pinUvAuthParam: %#x", st)
	}
	if st, _ := p.cm(ctapCredMgmt, 1, nil, make([]byte, 32)); st != stPINAuthInvalid {
		t.Errorf("wrong pinUvAuthParam: %#x", st)
	}
	if st, _ := p.cm(ctapCredMgmt, 3, nil, nil); st != stNotAllowed {
		t.Errorf("getNextRP first: %#x", st)
	}
	if st, _ := p.cm(ctapCredMgmt, 0x20, nil, tok); st != 0x3e {
		t.Errorf("unknown subcommand: %#x", st)
	}
	// A token with an RP ID may not list everything.
	rpTok, _ := p.token("1234", permCM, "a.example")
	if st, _ := p.cm(ctapCredMgmt, 1, nil, rpTok); st != stPINAuthInvalid {
		t.Errorf("metadata with an RP-bound token: %#x", st)
	}
	// A cm token cannot register.
	mc := mcRequest("a.example", "z", false)
	mc[8], mc[9] = p.authenticate(tok, mc[1].([]byte)), 2
	if st, _ := c.call(ctapMakeCredential, mc); st != stPINAuthInvalid {
		t.Errorf("mc with a cm token: %#x", st)
	}
	// No RPs left: NO_CREDENTIALS.
	k2 := newKey(t, softkey.Options{})
	p2 := &platform{t: t, c: dial(t, k2), proto: 1}
	p2.setPIN("1234")
	tok2, _ := p2.token("1234", permCM, "")
	if st, _ := p2.cm(ctapCredMgmtPreview, 2, nil, tok2); st != stNoCredentials {
		t.Errorf("enumerateRPsBegin on an empty key: %#x", st)
	}
}

func TestAuthenticatorConfig(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	p := &platform{t: t, c: c, proto: 2}
	// Without a PIN no pinUvAuthParam is needed.
	if st := p.config(2, nil, nil); st != stOK {
		t.Fatalf("toggleAlwaysUv without PIN: %#x", st)
	}
	if !infoOptions(t, c)["alwaysUv"] || infoOptions(t, c)["makeCredUvNotRqd"] {
		t.Errorf("alwaysUv not on: %v", infoOptions(t, c))
	}
	if st, _ := c.call(ctapMakeCredential, mcRequest("a.example", "u", false)); st != stPUATRequired {
		t.Errorf("mc without UV under alwaysUv: %#x", st)
	}
	p.setPIN("1234")
	if st := p.config(2, nil, nil); st != stPUATRequired {
		t.Errorf("toggle without pinUvAuthParam: %#x", st)
	}
	cmTok, _ := p.token("1234", permCM, "")
	if st := p.config(2, nil, cmTok); st != stPINAuthInvalid {
		t.Errorf("toggle with a cm token: %#x", st)
	}
	tok, _ := p.token("1234", permACfg, "")
	if st := p.config(2, nil, tok); st != stOK || infoOptions(t, c)["alwaysUv"] {
		t.Errorf("toggle back: %#x %v", st, infoOptions(t, c))
	}

	// setMinPINLength 6 with forceChangePin.
	if st := p.config(3, rawCBOR(t, map[int]any{1: 3}), tok); st != stPINPolicyViolation {
		t.Errorf("lowering the minimum: %#x", st)
	}
	if st := p.config(3, rawCBOR(t, map[int]any{1: 6, 3: true}), tok); st != stOK {
		t.Fatalf("setMinPINLength: %#x", st)
	}
	info := getInfoMap(t, c)
	var force bool
	var minLen int
	decode(t, info[0x0c], &force)
	decode(t, info[0x0d], &minLen)
	if !force || minLen != 6 {
		t.Errorf("getInfo forcePINChange %v minPINLength %d", force, minLen)
	}
	if _, st := p.token("1234", permGA, ""); st != stPINPolicyViolation {
		t.Errorf("token while a change is forced: %#x", st)
	}
	if _, st := p.token("1234", 0, ""); st != stPINPolicyViolation {
		t.Errorf("getPinToken while a change is forced: %#x", st)
	}
	if _, st := p.token("9999", permGA, ""); st != stPINInvalid {
		t.Errorf("wrong PIN while a change is forced: %#x", st)
	}
	if st := p.changePIN("1234", "12345"); st != stPINPolicyViolation {
		t.Errorf("change to a PIN under the new minimum: %#x", st)
	}
	if st := p.changePIN("1234", "1234"); st != stPINPolicyViolation {
		t.Errorf("change to the same PIN: %#x", st)
	}
	if st := p.changePIN("1234", "123456"); st != stOK {
		t.Fatalf("change: %#x", st)
	}
	decode(t, getInfoMap(t, c)[0x0c], &force)
	if _, st := p.token("123456", permGA, ""); st != stOK || force {
		t.Errorf("after the change: token %#x, forcePINChange %v", st, force)
	}
	// Raising the minimum above the PIN's length forces a change too.
	tok, _ = p.token("123456", permACfg, "")
	if st := p.config(3, rawCBOR(t, map[int]any{1: 8}), tok); st != stOK {
		t.Fatal(st)
	}
	decode(t, getInfoMap(t, c)[0x0c], &force)
	if !force {
		t.Error("minimum above the PIN's length did not force a change")
	}
	// Reset clears the policy.
	k.PowerCycle()
	c = dial(t, k)
	if st, _ := c.call(ctapReset, nil); st != stOK {
		t.Fatal(st)
	}
	info = getInfoMap(t, c)
	decode(t, info[0x0c], &force)
	decode(t, info[0x0d], &minLen)
	if force || minLen != 4 {
		t.Errorf("after reset: force %v min %d", force, minLen)
	}
}

func TestBuiltInUV(t *testing.T) {
	k := newKey(t, softkey.Options{BuiltInUV: true})
	c := dial(t, k)
	if !infoOptions(t, c)["uv"] {
		t.Fatal("no uv option")
	}
	p := &platform{t: t, c: c, proto: 2}
	uvRetries := func() int {
		st, resp := c.call(ctapClientPIN, map[int]any{1: 2, 2: 7})
		var n int
		if st != stOK {
			t.Fatalf("getUVRetries: %#x", st)
		}
		decode(t, resp[5], &n)
		return n
	}
	uvToken := func(perms int) ([]byte, byte) {
		p.handshake()
		st, resp := c.call(ctapClientPIN, map[int]any{1: 2, 2: 6, 3: p.pub, 9: perms})
		if st != stOK {
			return nil, st
		}
		var enc []byte
		decode(t, resp[2], &enc)
		return p.decrypt(enc), st
	}
	if n := uvRetries(); n != 5 {
		t.Errorf("UV retries %d", n)
	}
	tok, st := uvToken(permMC | permCM)
	if st != stOK {
		t.Fatalf("UV token: %#x", st)
	}
	if st, _ := p.cm(ctapCredMgmt, 1, nil, tok); st != stOK {
		t.Errorf("credential management with a UV token: %#x", st)
	}
	mc := mcRequest("a.example", "u", true)
	mc[8], mc[9] = p.authenticate(tok, mc[1].([]byte)), 2
	if ad := makeCredential(t, c, mc); ad.flags&0x04 == 0 {
		t.Error("no UV flag")
	}
	// The "uv" option, CTAP 2.0 style.
	mc = mcRequest("a.example", "v", true)
	mc[7] = map[string]bool{"rk": true, "uv": true}
	if ad := makeCredential(t, c, mc); ad.flags&0x04 == 0 {
		t.Error("uv option: no UV flag")
	}
	k.FailUV(1)
	if _, st := uvToken(permMC); st != stUVInvalid || uvRetries() != 4 || k.UVRetries() != 4 {
		t.Errorf("failed UV: %#x, retries %d", st, uvRetries())
	}
	if _, st := uvToken(permMC); st != stOK || uvRetries() != 5 {
		t.Errorf("UV after a failure: %#x, retries %d", st, uvRetries())
	}
	k.FailUV(5)
	for range 4 {
		uvToken(permMC)
	}
	if _, st := uvToken(permMC); st != stUVBlocked || uvRetries() != 0 {
		t.Errorf("fifth failure: %#x", st)
	}
	if _, st := uvToken(permMC); st != stUVBlocked {
		t.Errorf("blocked UV: %#x", st)
	}
	// A key without built-in UV refuses the UV subcommands and the option.
	c2 := dial(t, newKey(t, softkey.Options{}))
	if st, _ := c2.call(ctapClientPIN, map[int]any{1: 2, 2: 7}); st != 0x3e {
		t.Errorf("getUVRetries without UV: %#x", st)
	}
	mc[7] = map[string]bool{"uv": true}
	if st, _ := c2.call(ctapMakeCredential, mc); st != stInvalidOption {
		t.Errorf("uv option without UV: %#x", st)
	}
}
