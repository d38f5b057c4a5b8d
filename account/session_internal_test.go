package account

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// A ceremony session reads back the same whether it was stored as
// MessagePack (now) or as JSON (before an upgrade).
func TestCeremonySessionDecodes(t *testing.T) {
	want := webauthn.SessionData{
		Challenge:            "q2ZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3OA",
		RelyingPartyID:       "localhost",
		UserID:               []byte{1, 2, 3, 4},
		AllowedCredentialIDs: [][]byte{{9, 8, 7}, {6, 5}},
		Expires:              time.Date(2026, 11, 24, 12, 5, 0, 0, time.UTC),
		UserVerification:     protocol.VerificationRequired,
		CredParams:           []protocol.CredentialParameter{{Type: protocol.PublicKeyCredentialType, Algorithm: -7}},
	}
	packed, err := want.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := json.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"msgpack": packed, "json": legacy} {
		var got webauthn.SessionData
		if err := decodeSession(raw, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got.Expires, want.Expires = got.Expires.UTC(), want.Expires.UTC()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read back %+v, want %+v", name, got, want)
		}
	}
	if err := decodeSession([]byte{0xc1}, new(webauthn.SessionData)); err == nil {
		t.Error("a damaged session decoded without an error")
	}
}
