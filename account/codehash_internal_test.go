package account

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// TestCodeMACIsKeyed: what is stored of a code depends on the service's
// secret key (through a derived key, not the AES key itself), and on the
// code's kind and owner, so a copy of the database cannot be searched for
// the code as a plain SHA-256 of 10^6 candidates could.
func TestCodeMACIsKeyed(t *testing.T) {
	svc := func(key byte) *Service {
		return &Service{codeKey: deriveCodeMACKey(bytes.Repeat([]byte{key}, 32))}
	}
	a, b := svc(1), svc(2)
	if bytes.Equal(a.codeKey, bytes.Repeat([]byte{1}, 32)) || len(a.codeKey) != sha256.Size {
		t.Fatal("the MAC key is the secret key itself, or not 32 bytes")
	}
	got := a.codeMAC(macEmailCode, "v1", "123456")
	plain := sha256.Sum256([]byte("v1\x00123456"))
	for what, other := range map[string][]byte{
		"plain SHA-256 of id and code": plain[:],
		"another secret key":           b.codeMAC(macEmailCode, "v1", "123456"),
		"another kind":                 a.codeMAC("match-code", "v1", "123456"),
		"another id":                   a.codeMAC(macEmailCode, "v2", "123456"),
		"another code":                 a.codeMAC(macEmailCode, "v1", "123457"),
		"the parts moved":              a.codeMAC(macEmailCode, "v11", "23456"),
	} {
		if hmac.Equal(got, other) {
			t.Errorf("the MAC equals that of %s", what)
		}
	}
	if !hmac.Equal(got, a.codeMAC(macEmailCode, "v1", "123456")) {
		t.Error("the MAC is not deterministic")
	}
}
