package softkey_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// platform is the platform's side of PIN/UV auth protocols 1 and 2 (CTAP
// 2.1 §6.5.6, §6.5.7), written here independently of the key's code.
type platform struct {
	t      *testing.T
	c      *client
	proto  int
	pub    map[int]any // the platform's key agreement key, as COSE_Key
	secret []byte
}

// handshake runs getKeyAgreement and derives a fresh shared secret.
func (p *platform) handshake() {
	p.t.Helper()
	st, resp := p.c.call(ctapClientPIN, map[int]any{1: p.proto, 2: 2})
	if st != stOK {
		p.t.Fatalf("getKeyAgreement: %#x", st)
	}
	var ka map[int]any
	decode(p.t, resp[1], &ka)
	if ka[1] != uint64(2) || ka[3] != int64(-25) || ka[-1] != uint64(1) {
		p.t.Fatalf("key agreement key %v", ka)
	}
	peer, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, ka[-2].([]byte)...), ka[-3].([]byte)...))
	if err != nil {
		p.t.Fatal(err)
	}
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	z, err := priv.ECDH(peer)
	if err != nil {
		p.t.Fatal(err)
	}
	b := priv.PublicKey().Bytes()
	p.pub = map[int]any{1: 2, 3: -25, -1: 1, -2: b[1:33], -3: b[33:]}
	if p.proto == 1 {
		h := sha256.Sum256(z)
		p.secret = h[:]
		return
	}
	salt := make([]byte, 32)
	hk, _ := hkdf.Key(sha256.New, z, salt, "CTAP2 HMAC key", 32)
	ak, _ := hkdf.Key(sha256.New, z, salt, "CTAP2 AES key", 32)
	p.secret = append(hk, ak...)
}

func (p *platform) aes() cipher.Block {
	key := p.secret
	if p.proto == 2 {
		key = key[32:]
	}
	b, _ := aes.NewCipher(key)
	return b
}

func (p *platform) encrypt(plain []byte) []byte {
	iv := make([]byte, 16)
	if p.proto == 2 {
		rand.Read(iv)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(p.aes(), iv).CryptBlocks(out, plain)
	if p.proto == 2 {
		return append(iv, out...)
	}
	return out
}

func (p *platform) decrypt(ct []byte) []byte {
	iv := make([]byte, 16)
	if p.proto == 2 {
		iv, ct = ct[:16], ct[16:]
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(p.aes(), iv).CryptBlocks(out, ct)
	return out
}

// authenticate is HMAC-SHA-256, cut to 16 bytes in protocol 1.
func (p *platform) authenticate(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key[:32])
	m.Write(msg)
	if p.proto == 1 {
		return m.Sum(nil)[:16]
	}
	return m.Sum(nil)
}

func padPIN(pin string) []byte {
	b := make([]byte, 64)
	copy(b, pin)
	return b
}

func pinHash(pin string) []byte {
	h := sha256.Sum256([]byte(pin))
	return h[:16]
}

func (p *platform) setPIN(pin string) byte {
	p.t.Helper()
	p.handshake()
	enc := p.encrypt(padPIN(pin))
	st, _ := p.c.call(ctapClientPIN, map[int]any{1: p.proto, 2: 3, 3: p.pub, 4: p.authenticate(p.secret, enc), 5: enc})
	return st
}

func (p *platform) changePIN(old, pin string) byte {
	p.t.Helper()
	p.handshake()
	newEnc, hashEnc := p.encrypt(padPIN(pin)), p.encrypt(pinHash(old))
	auth := p.authenticate(p.secret, append(bytes.Clone(newEnc), hashEnc...))
	st, _ := p.c.call(ctapClientPIN, map[int]any{1: p.proto, 2: 4, 3: p.pub, 4: auth, 5: newEnc, 6: hashEnc})
	return st
}

// token gets a pinUvAuthToken: getPinToken when perms is 0, else
// getPinUvAuthTokenUsingPinWithPermissions.
func (p *platform) token(pin string, perms int, rpID string) ([]byte, byte) {
	p.t.Helper()
	p.handshake()
	req := map[int]any{1: p.proto, 2: 5, 3: p.pub, 6: p.encrypt(pinHash(pin))}
	if perms != 0 {
		req[2], req[9] = 9, perms
		if rpID != "" {
			req[10] = rpID
		}
	}
	st, resp := p.c.call(ctapClientPIN, req)
	if st != stOK {
		return nil, st
	}
	var enc []byte
	decode(p.t, resp[2], &enc)
	return p.decrypt(enc), stOK
}

func (p *platform) retries() (int, bool) {
	p.t.Helper()
	st, resp := p.c.call(ctapClientPIN, map[int]any{1: p.proto, 2: 1})
	if st != stOK {
		p.t.Fatalf("getPINRetries: %#x", st)
	}
	var n int
	var powerCycle bool
	decode(p.t, resp[3], &n)
	decode(p.t, resp[4], &powerCycle)
	return n, powerCycle
}

func TestPINProtocols(t *testing.T) {
	for _, proto := range []int{1, 2} {
		t.Run(fmt.Sprint("protocol ", proto), func(t *testing.T) {
			k := newKey(t, softkey.Options{})
			c := dial(t, k)
			p := &platform{t: t, c: c, proto: proto}
			if _, st := p.token("1234", 0, ""); st != stPINNotSet {
				t.Fatalf("token before a PIN: %#x", st)
			}
			if st := p.setPIN("1234"); st != stOK {
				t.Fatalf("setPIN: %#x", st)
			}
			if st := p.setPIN("5678"); st != stNotAllowed {
				t.Fatalf("second setPIN: %#x", st)
			}
			if n, _ := p.retries(); n != 8 {
				t.Fatalf("retries %d", n)
			}
			// With a PIN, a discoverable credential needs a token.
			if st, _ := c.call(ctapMakeCredential, mcRequest("example.com", "alice", true)); st != stPUATRequired {
				t.Fatalf("rk without token: %#x", st)
			}
			tok, st := p.token("1234", 0x03, "example.com")
			if st != stOK || len(tok) != 32 {
				t.Fatalf("token: %#x, %d bytes", st, len(tok))
			}
			mc := mcRequest("example.com", "alice", true)
			mc[8], mc[9] = p.authenticate(tok, mc[1].([]byte)), proto
			reg := makeCredential(t, c, mc)
			if reg.flags != 0x45 {
				t.Fatalf("flags %#x, want UP|UV|AT", reg.flags)
			}
			// The makeCredential spent the token (§6.1.2 step 14.4).
			if tok, st = p.token("1234", 0x03, "example.com"); st != stOK {
				t.Fatalf("second token: %#x", st)
			}
			ga := gaRequest("example.com")
			ga[6], ga[7] = p.authenticate(tok, ga[2].([]byte)), proto
			st, a := getAssertion(t, c, ctapGetAssertion, ga)
			if st != stOK || a.user["name"] != "alice@example.com" {
				t.Fatalf("status %#x user %v", st, a.user)
			}
			if f := verifyAssertion(t, reg.pub, ga, a).flags; f != 0x05 {
				t.Fatalf("assertion flags %#x", f)
			}
			// A token is bound to example.com, and a wrong MAC fails.
			if tok, st = p.token("1234", 0x03, "example.com"); st != stOK {
				t.Fatalf("third token: %#x", st)
			}
			other := gaRequest("other.example")
			other[6], other[7] = p.authenticate(tok, other[2].([]byte)), proto
			if st, _ := c.call(ctapGetAssertion, other); st != stPINAuthInvalid {
				t.Fatalf("token for another RP: %#x", st)
			}
			ga[6] = p.authenticate([]byte("not the token, but 32 bytes long"), ga[2].([]byte))
			ga[7] = proto
			if st, _ := c.call(ctapGetAssertion, ga); st != stPINAuthInvalid {
				t.Fatalf("wrong pinUvAuthParam: %#x", st)
			}
			if st := p.changePIN("1234", "987654"); st != stOK {
				t.Fatalf("changePIN: %#x", st)
			}
			if _, st := p.token("1234", 0, ""); st != stPINInvalid {
				t.Fatalf("old PIN: %#x", st)
			}
			tok, st = p.token("987654", 0, "")
			if st != stOK {
				t.Fatalf("new PIN: %#x", st)
			}
			ga[6] = p.authenticate(tok, ga[2].([]byte))
			if st, _ := c.call(ctapGetAssertion, ga); st != stOK {
				t.Fatalf("getPinToken token: %#x", st)
			}
		})
	}
}

func TestPINPolicy(t *testing.T) {
	tests := []struct {
		name   string
		pin    string
		status byte
	}{
		{"four digits", "1234", stOK},
		{"three digits", "123", stPINPolicyViolation},
		{"four code points in eight bytes", "äöüß", stOK},
		{"three code points in six bytes", "äöü", stPINPolicyViolation},
		{"63 bytes", string(bytes.Repeat([]byte("x"), 63)), stOK},
		{"64 bytes", string(bytes.Repeat([]byte("x"), 64)), stPINPolicyViolation},
		{"not UTF-8", "\xff\xfe\xfd\xfc", stPINPolicyViolation},
	}
	for _, tt := range tests {
		for _, proto := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s, protocol %d", tt.name, proto), func(t *testing.T) {
				p := &platform{t: t, c: dial(t, newKey(t, softkey.Options{})), proto: proto}
				if st := p.setPIN(tt.pin); st != tt.status {
					t.Fatalf("status %#x, want %#x", st, tt.status)
				}
			})
		}
	}
}

func TestPermissions(t *testing.T) {
	tests := []struct {
		name   string
		perms  int
		status byte
	}{
		{"makeCredential and getAssertion", 0x03, stOK},
		{"credential management", 0x04, stOK},
		{"authenticator configuration", 0x20, stOK},
		{"bio enrollment", 0x08, stUnauthorizedPermiss},
		{"large blob write", 0x10, stUnauthorizedPermiss},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &platform{t: t, c: dial(t, newKey(t, softkey.Options{})), proto: 2}
			p.setPIN("1234")
			if _, st := p.token("1234", tt.perms, "example.com"); st != tt.status {
				t.Fatalf("status %#x, want %#x", st, tt.status)
			}
		})
	}
	// A getAssertion-only token cannot register.
	c := dial(t, newKey(t, softkey.Options{}))
	p := &platform{t: t, c: c, proto: 2}
	p.setPIN("1234")
	tok, _ := p.token("1234", 0x02, "example.com")
	mc := mcRequest("example.com", "alice", false)
	mc[8], mc[9] = p.authenticate(tok, mc[1].([]byte)), 2
	if st, _ := c.call(ctapMakeCredential, mc); st != stPINAuthInvalid {
		t.Fatalf("mc with a ga token: %#x", st)
	}
}

// TestPINRetries walks the PIN lockout of §6.5.5.5: three wrong in a row
// block PIN use until a power cycle; the eighth wrong blocks the PIN.
func TestPINRetries(t *testing.T) {
	k := newKey(t, softkey.Options{})
	p := &platform{t: t, c: dial(t, k), proto: 1}
	p.setPIN("1234")
	steps := []struct {
		pin        string
		status     byte
		retries    int
		powerCycle bool
	}{
		{"0000", stPINInvalid, 7, false},
		{"1234", stOK, 8, false}, // a right PIN restores the retries
		{"0000", stPINInvalid, 7, false},
		{"0000", stPINInvalid, 6, false},
		{"0000", stPINAuthBlocked, 5, true},
		{"1234", stPINAuthBlocked, 5, true}, // even the right PIN
		{"cycle", 0, 5, false},
		{"0000", stPINInvalid, 4, false},
		{"0000", stPINInvalid, 3, false},
		{"0000", stPINAuthBlocked, 2, true},
		{"cycle", 0, 2, false},
		{"0000", stPINInvalid, 1, false},
		{"0000", stPINBlocked, 0, false},
		{"1234", stPINBlocked, 0, false},
		{"cycle", 0, 0, false},
		{"1234", stPINBlocked, 0, false},
	}
	for i, s := range steps {
		if s.pin == "cycle" {
			k.PowerCycle()
			p.c = dial(t, k)
		} else if _, st := p.token(s.pin, 0, ""); st != s.status {
			t.Fatalf("step %d (%s): status %#x, want %#x", i, s.pin, st, s.status)
		}
		if n, pc := p.retries(); n != s.retries || pc != s.powerCycle {
			t.Fatalf("step %d: retries %d power cycle %v, want %d %v", i, n, pc, s.retries, s.powerCycle)
		}
	}
	if st := p.changePIN("1234", "5678"); st != stPINBlocked {
		t.Fatalf("changePIN when blocked: %#x", st)
	}
	// Only a reset helps.
	if st, _ := p.c.call(ctapReset, nil); st != stOK {
		t.Fatalf("reset: %#x", st)
	}
	if st := p.setPIN("5678"); st != stOK {
		t.Fatalf("setPIN after reset: %#x", st)
	}
}
