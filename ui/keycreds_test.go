package ui

import (
	"bytes"
	"testing"
)

// TestShortIDTellsCredentialsApart: IDs laid out as a key's constant
// handle, varying bytes and a constant tail still get distinct short IDs.
func TestShortIDTellsCredentialsApart(t *testing.T) {
	handle, tail := bytes.Repeat([]byte{0xa5}, 16), []byte{1, 2, 3, 4}
	tests := []struct {
		name string
		ids  [][]byte
	}{
		{"soft key layout: handle then random bytes", nil},
		{"common tail", nil},
		{"short IDs", [][]byte{{1}, {2}, {1, 0}, {}}},
	}
	for i := range 25 {
		mid := bytes.Repeat([]byte{byte(i)}, 32)
		tests[0].ids = append(tests[0].ids, append(bytes.Clone(handle), mid...))
		tests[1].ids = append(tests[1].ids, append(append(bytes.Clone(handle), mid...), tail...))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string][]byte{}
			for _, id := range tt.ids {
				s := shortID(id)
				if len(s) != 10 {
					t.Fatalf("shortID(%x) = %q, want 10 characters", id, s)
				}
				if s != shortID(bytes.Clone(id)) {
					t.Fatalf("shortID(%x) is not stable", id)
				}
				if other, ok := seen[s]; ok {
					t.Fatalf("%x and %x share the short ID %s", other, id, s)
				}
				seen[s] = id
			}
		})
	}
}
