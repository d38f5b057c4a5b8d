package libfido2

import (
	"encoding/binary"
	"testing"
)

// Hand-encoded CBOR (RFC 8949), enough for the fake's answers.

type kv struct{ k, v any }
type cmap []kv

func cborHeadOf(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	default:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
}

func enc(v any) []byte {
	switch v := v.(type) {
	case int:
		if v < 0 {
			return cborHeadOf(1, uint64(-1-v))
		}
		return cborHeadOf(0, uint64(v))
	case bool:
		if v {
			return []byte{0xf5}
		}
		return []byte{0xf4}
	case string:
		return append(cborHeadOf(3, uint64(len(v))), v...)
	case []byte:
		return append(cborHeadOf(2, uint64(len(v))), v...)
	case []any:
		b := cborHeadOf(4, uint64(len(v)))
		for _, e := range v {
			b = append(b, enc(e)...)
		}
		return b
	case cmap:
		b := cborHeadOf(5, uint64(len(v)))
		for _, e := range v {
			b = append(append(b, enc(e.k)...), enc(e.v)...)
		}
		return b
	}
	panic("enc: unsupported type")
}

func TestCBOR(t *testing.T) {
	b, err := cborBytes(enc([]byte("hello, authenticator data")))
	if err != nil || string(b) != "hello, authenticator data" {
		t.Errorf("cborBytes: %q, %v", b, err)
	}
	long := make([]byte, 300)
	if b, err := cborBytes(enc(long)); err != nil || len(b) != 300 {
		t.Errorf("cborBytes of 300 bytes: %d, %v", len(b), err)
	}
	for _, bad := range [][]byte{nil, {0x58}, {0x45, 1, 2}, enc("text")} {
		if _, err := cborBytes(bad); err == nil {
			t.Errorf("cborBytes(%x) accepted", bad)
		}
	}
	stmt := enc(cmap{{"sig", []byte{1, 2}}, {"x5c", []any{[]byte{3}}}, {"alg", -7}})
	if alg, ok, err := attStmtAlg(stmt); alg != -7 || !ok || err != nil {
		t.Errorf("attStmtAlg: %d, %v, %v", alg, ok, err)
	}
	if alg, ok, err := attStmtAlg(enc(cmap{{"alg", -257}})); alg != -257 || !ok || err != nil {
		t.Errorf("attStmtAlg RS256: %d, %v, %v", alg, ok, err)
	}
	if _, ok, err := attStmtAlg(enc(cmap{})); ok || err != nil {
		t.Errorf("attStmtAlg of none: %v, %v", ok, err)
	}
	if _, _, err := attStmtAlg([]byte{0xa1, 0x63, 'a'}); err == nil {
		t.Error("attStmtAlg accepted a truncated map")
	}
}

func FuzzCBOR(f *testing.F) {
	f.Add(enc(cmap{{"sig", []byte{1, 2}}, {"x5c", []any{[]byte{3}}}, {"alg", -7}}))
	f.Add(enc([]byte("x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		cborBytes(b)
		attStmtAlg(b)
	})
}
