package softkey_test

import (
	"fmt"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// Where a plain CTAP 2.1 key must be stricter than a kind one: the tests
// below drive the key through its CTAPHID reports with the platform side
// written here, and name the CTAP 2.1 steps they check.

const stInvalidOption = 0x2c

// withToken adds a pinUvAuthParam made with token over the request's
// clientDataHash (key 1 in makeCredential, 2 in getAssertion).
func (p *platform) withToken(req map[int]any, token []byte, registering bool) map[int]any {
	if registering {
		req[8], req[9] = p.authenticate(token, req[1].([]byte)), p.proto
	} else {
		req[6], req[7] = p.authenticate(token, req[2].([]byte)), p.proto
	}
	return req
}

// TestTokenSpentByPresence: a makeCredential or getAssertion that collects
// user presence with a pinUvAuthToken clears the token's permissions
// (§6.1.2 step 14.4, §6.2.2 step 9.4), so a second one with the same token
// answers PIN_AUTH_INVALID; a new token works again. A getAssertion with
// up=false collects no presence and leaves the token as it was.
func TestTokenSpentByPresence(t *testing.T) {
	for _, proto := range []int{1, 2} {
		for _, legacy := range []bool{false, true} {
			t.Run(fmt.Sprintf("protocol %d getPinToken %v", proto, legacy), func(t *testing.T) {
				c := dial(t, newKey(t, softkey.Options{}))
				p := &platform{t: t, c: c, proto: proto}
				if st := p.setPIN("1234"); st != stOK {
					t.Fatalf("setPIN: %#x", st)
				}
				perms := permMC | permGA
				if legacy {
					perms = 0
				}
				token := func() []byte {
					tok, st := p.token("1234", perms, "")
					if st != stOK {
						t.Fatalf("token: %#x", st)
					}
					return tok
				}

				tok := token()
				reg := makeCredential(t, c, p.withToken(mcRequest("example.com", "alice", true), tok, true))
				if reg.flags&0x05 != 0x05 {
					t.Fatalf("first makeCredential flags %#x", reg.flags)
				}
				if st, _ := c.call(ctapMakeCredential, p.withToken(mcRequest("example.com", "bob", true), tok, true)); st != stPINAuthInvalid {
					t.Fatalf("second makeCredential with the same token: %#x, want PIN_AUTH_INVALID", st)
				}
				if st, _ := getAssertion(t, c, ctapGetAssertion, p.withToken(gaRequest("example.com"), tok, false)); st != stPINAuthInvalid {
					t.Fatalf("getAssertion with the spent token: %#x, want PIN_AUTH_INVALID", st)
				}

				tok = token()
				silent := p.withToken(gaRequest("example.com"), tok, false)
				silent[5] = map[string]bool{"up": false}
				if st, a := getAssertion(t, c, ctapGetAssertion, silent); st != stOK || parseAuthData(t, a.ad).flags != 0x04 {
					t.Fatalf("getAssertion up=false: %#x", st)
				}
				req := p.withToken(gaRequest("example.com"), tok, false)
				st, a := getAssertion(t, c, ctapGetAssertion, req)
				if st != stOK {
					t.Fatalf("getAssertion after up=false: %#x", st)
				}
				if ad := verifyAssertion(t, reg.pub, req, a); ad.flags != 0x05 {
					t.Fatalf("getAssertion flags %#x", ad.flags)
				}
				if st, _ := getAssertion(t, c, ctapGetAssertion, p.withToken(gaRequest("example.com"), tok, false)); st != stPINAuthInvalid {
					t.Fatalf("second getAssertion with the same token: %#x, want PIN_AUTH_INVALID", st)
				}
				if st, _ := c.call(ctapMakeCredential, p.withToken(mcRequest("example.com", "bob", true), tok, true)); st != stPINAuthInvalid {
					t.Fatalf("makeCredential with a token spent by getAssertion: %#x", st)
				}
				makeCredential(t, c, p.withToken(mcRequest("example.com", "bob", true), token(), true))
			})
		}
	}
}

// TestUVOptionWithoutBuiltInUV: "uv": true without a pinUvAuthParam on a
// key with no built-in user verification is INVALID_OPTION (§6.1.2 step
// 5.3, §6.2.2 step 5.3), with a PIN set or not.
func TestUVOptionWithoutBuiltInUV(t *testing.T) {
	for _, withPIN := range []bool{false, true} {
		t.Run(fmt.Sprintf("PIN set %v", withPIN), func(t *testing.T) {
			c := dial(t, newKey(t, softkey.Options{}))
			if withPIN {
				p := &platform{t: t, c: c, proto: 2}
				p.setPIN("1234")
			}
			reg := makeCredential(t, c, mcRequest("example.com", "alice", false))
			mc := mcRequest("example.com", "bob", false)
			mc[7] = map[string]bool{"uv": true}
			if st, _ := c.call(ctapMakeCredential, mc); st != stInvalidOption {
				t.Errorf("makeCredential uv=true: %#x, want INVALID_OPTION", st)
			}
			ga := gaRequest("example.com", reg.credID)
			ga[5] = map[string]bool{"uv": true}
			if st, _ := getAssertion(t, c, ctapGetAssertion, ga); st != stInvalidOption {
				t.Errorf("getAssertion uv=true: %#x, want INVALID_OPTION", st)
			}
		})
	}
}

// TestUVOptionWithPinUvAuthParam: with a pinUvAuthParam the "uv" option
// is treated as false (§6.1.2 step 5.2, §6.2.2 step 5.2): the request
// succeeds with UP and UV set, on a key without built-in UV.
func TestUVOptionWithPinUvAuthParam(t *testing.T) {
	for _, proto := range []int{1, 2} {
		t.Run(fmt.Sprintf("protocol %d", proto), func(t *testing.T) {
			c := dial(t, newKey(t, softkey.Options{}))
			p := &platform{t: t, c: c, proto: proto}
			p.setPIN("1234")
			tok, st := p.token("1234", permMC, "example.com")
			if st != stOK {
				t.Fatalf("token: %#x", st)
			}
			mc := p.withToken(mcRequest("example.com", "alice", true), tok, true)
			mc[7] = map[string]bool{"rk": true, "uv": true}
			reg := makeCredential(t, c, mc)
			if reg.flags&0x05 != 0x05 {
				t.Fatalf("makeCredential flags %#x, want UP and UV", reg.flags)
			}
			if tok, st = p.token("1234", permGA, "example.com"); st != stOK {
				t.Fatalf("token: %#x", st)
			}
			ga := p.withToken(gaRequest("example.com"), tok, false)
			ga[5] = map[string]bool{"uv": true}
			st, a := getAssertion(t, c, ctapGetAssertion, ga)
			if st != stOK {
				t.Fatalf("getAssertion: %#x", st)
			}
			if ad := verifyAssertion(t, reg.pub, ga, a); ad.flags != 0x05 {
				t.Fatalf("getAssertion flags %#x, want UP and UV", ad.flags)
			}
		})
	}
}
