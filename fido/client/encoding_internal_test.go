package client

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
)

func TestClientDataJSONExactBytes(t *testing.T) {
	for _, tc := range []struct {
		name, typ, origin string
		challenge         []byte
		want              string
	}{
		{
			name: "create", typ: typeCreate, origin: "http://localhost", challenge: []byte("challenge-challenge"),
			want: `{"type":"webauthn.create","challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZQ","origin":"http://localhost","crossOrigin":false}`,
		},
		{
			name: "get", typ: typeGet, origin: "https://login.example.com:8443", challenge: []byte{0xfb, 0xff, 0xbf},
			want: `{"type":"webauthn.get","challenge":"-_-_","origin":"https://login.example.com:8443","crossOrigin":false}`,
		},
		{
			// CCDToString escapes only '"', '\' and control characters,
			// unlike encoding/json, which also escapes <, >, & and U+2028.
			name: "escaping", typ: typeGet, origin: "https://a\"b\\c\x01\x1f<>&\u2028é", challenge: []byte{0},
			want: `{"type":"webauthn.get","challenge":"AA","origin":"https://a\"b\\c\u0001\u001f<>&` + "\u2028é" + `","crossOrigin":false}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := clientDataJSON(tc.typ, tc.challenge, tc.origin)
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestAttestationObjectEncoding checks the CBOR bytes of the attestation
// object: CTAP2 canonical order (shorter keys first: fmt, attStmt,
// authData; then bytewise: alg, sig, x5c) and each format's statement.
func TestAttestationObjectEncoding(t *testing.T) {
	att := &fido.Attestation{Algorithm: fido.ES256, Signature: []byte{1, 2}, X5C: [][]byte{{3}}}
	self := &fido.Attestation{Algorithm: fido.ES256, Signature: []byte{1, 2}}
	hexs := func(s string) string { return hex.EncodeToString([]byte(s)) }
	// key is a short text string: major type 3, length in the low bits.
	key := func(s string) string { return hex.EncodeToString([]byte{0x60 + byte(len(s))}) + hexs(s) }
	for _, tc := range []struct {
		name, format string
		att          *fido.Attestation
		stmt         string // hex of the attStmt map
	}{
		{"packed with x5c", "packed", att, "a3" + key("alg") + "26" + key("sig") + "420102" + key("x5c") + "814103"},
		{"packed self", "packed", self, "a2" + key("alg") + "26" + key("sig") + "420102"},
		{"fido-u2f", "fido-u2f", att, "a2" + key("sig") + "420102" + key("x5c") + "814103"},
		{"none", "none", att, "a0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := attestationObject(tc.format, tc.att, []byte{9})
			if err != nil {
				t.Fatal(err)
			}
			want := "a3" + key("fmt") + key(tc.format) + key("attStmt") + tc.stmt + key("authData") + "4109"
			if hex.EncodeToString(got) != want {
				t.Errorf("got  %x\nwant %s", got, want)
			}
		})
	}
}

func TestParseAttestedRefusesMalformed(t *testing.T) {
	good := append(bytes.Repeat([]byte{0}, 32), flagAT|flagUP, 0, 0, 0, 1)
	good = append(good, make([]byte, 16)...)
	good = append(good, 0, 2, 0xaa, 0xbb)
	good = append(good, 0xa1, 0x03, 0x26) // {3: -7}
	if a, err := parseAttested(good); err != nil || !bytes.Equal(a.credentialID, []byte{0xaa, 0xbb}) || !bytes.Equal(a.publicKey, []byte{0xa1, 0x03, 0x26}) {
		t.Fatalf("good authData: %+v, %v", a, err)
	}
	noAT := bytes.Clone(good)
	noAT[32] = flagUP
	for name, data := range map[string][]byte{
		"empty":          nil,
		"short":          good[:40],
		"no AT flag":     noAT,
		"ID too long":    append(bytes.Clone(good[:53]), 0xff, 0xff, 1),
		"zero ID length": append(bytes.Clone(good[:53]), 0, 0, 0xa0),
		"no key":         good[:57],
		"bad key":        append(bytes.Clone(good[:57]), 0xff),
	} {
		if _, err := parseAttested(data); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
