// Package requestertest checks an approval's answer the way a requester's
// backend would, with nothing but what GET /v1/approvals/{id} returned.
// Only tests import it.
package requestertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// VerifyAnswer checks an approved approval: the challenge is SHA-256(nonce
// ‖ canonical operation), clientDataJSON carries it for a webauthn.get,
// authenticatorData names rpID with the user present and verified, and the
// ES256 signature over authenticatorData ‖ SHA-256(clientDataJSON)
// verifies with the COSE public key given.
func VerifyAnswer(t testing.TB, a httpapi.Approval, rpID string) {
	t.Helper()
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	op := account.Operation{
		Kind: account.OperationKind(a.Operation.Kind), Asset: a.Operation.Asset, Amount: a.Operation.Amount,
		Network: a.Operation.Network, Destination: a.Operation.Destination, Counterparty: a.Operation.Counterparty,
		Fee: a.Operation.Fee, Reference: a.Operation.Reference,
	}
	sum := sha256.Sum256(append(dec(a.Nonce), account.CanonicalOperation(a.ID, op)...))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != a.Challenge {
		t.Fatal("the challenge is not SHA-256(nonce ‖ canonical operation)")
	}
	var cd struct{ Type, Challenge string }
	if err := json.Unmarshal(dec(a.Assertion.ClientDataJSON), &cd); err != nil || cd.Challenge != a.Challenge || cd.Type != "webauthn.get" {
		t.Fatalf("clientDataJSON %+v, %v", cd, err)
	}
	var cose map[int]any
	if err := cbor.Unmarshal(dec(a.Assertion.PublicKey), &cose); err != nil {
		t.Fatal(err)
	}
	x, _ := cose[-2].([]byte)
	y, _ := cose[-3].([]byte)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	authData := dec(a.Assertion.AuthenticatorData)
	rpHash := sha256.Sum256([]byte(rpID))
	if len(authData) < 37 || string(authData[:32]) != string(rpHash[:]) || authData[32]&0x05 != 0x05 {
		t.Fatal("authenticatorData: wrong RP or user not present and verified")
	}
	cdh := sha256.Sum256(dec(a.Assertion.ClientDataJSON))
	digest := sha256.Sum256(append(authData, cdh[:]...))
	if !ecdsa.VerifyASN1(pub, digest[:], dec(a.Assertion.Signature)) {
		t.Fatal("the signature does not verify")
	}
}
