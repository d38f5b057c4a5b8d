// Package requestertest checks an approval's answer the way a requester's
// backend would, with nothing but what GET /v1/approvals/{id} returned
// and, to trust no one, its own copy of the account's passkeys (from GET
// /v1/requester/passkeys and its event stream). It handles every COSE
// algorithm the service's registration offers: ES256, ES384, ES512,
// RS256, RS384, RS512, PS256, PS384, PS512 and EdDSA (Ed25519). Only
// tests import it.
package requestertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// VerifyAnswer checks an approved approval against the public key the
// answer itself carries: the challenge is SHA-256(nonce ‖ canonical
// operation), clientDataJSON carries it for a webauthn.get,
// authenticatorData names rpID with the user present and verified, and the
// signature over authenticatorData ‖ SHA-256(clientDataJSON) verifies with
// the COSE public key given.
func VerifyAnswer(t testing.TB, a httpapi.Approval, rpID string) {
	t.Helper()
	if a.Assertion == nil {
		t.Fatal("the approval carries no assertion")
	}
	if err := check(a, rpID, dec(a.Assertion.PublicKey)); err != nil {
		t.Fatal(err)
	}
}

// VerifyAgainst checks an approved approval as VerifyAnswer does, but with
// the public key of the requester's own copy of the passkeys (by passkey
// ID), not the one the answer carries: the signing passkey must be in the
// copy and still held.
func VerifyAgainst(t testing.TB, a httpapi.Approval, rpID string, copy map[string]httpapi.RequesterPasskey) {
	t.Helper()
	if err := Check(a, rpID, copy); err != nil {
		t.Fatal(err)
	}
}

// Check is VerifyAgainst's verdict as an error.
func Check(a httpapi.Approval, rpID string, copy map[string]httpapi.RequesterPasskey) error {
	if a.Assertion == nil || a.Passkey == nil {
		return errors.New("the approval carries no assertion")
	}
	pk, ok := copy[a.Passkey.ID]
	switch {
	case !ok:
		return fmt.Errorf("the passkey %s is not in the requester's copy", a.Passkey.ID)
	case !pk.StillHeld:
		return fmt.Errorf("the passkey %s is no longer held", a.Passkey.ID)
	case pk.CredentialID != a.Assertion.CredentialID:
		return errors.New("the assertion's credential is not the passkey's")
	}
	return check(a, rpID, dec(pk.PublicKey))
}

func dec(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

func check(a httpapi.Approval, rpID string, coseKey []byte) error {
	op := account.Operation{
		Kind: account.OperationKind(a.Operation.Kind), Asset: a.Operation.Asset, Amount: a.Operation.Amount,
		Network: a.Operation.Network, Destination: a.Operation.Destination, Counterparty: a.Operation.Counterparty,
		Fee: a.Operation.Fee, Reference: a.Operation.Reference,
	}
	sum := sha256.Sum256(append(dec(a.Nonce), account.CanonicalOperation(a.ID, op)...))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != a.Challenge {
		return errors.New("the challenge is not SHA-256(nonce ‖ canonical operation)")
	}
	var cd struct{ Type, Challenge string }
	if err := json.Unmarshal(dec(a.Assertion.ClientDataJSON), &cd); err != nil || cd.Challenge != a.Challenge || cd.Type != "webauthn.get" {
		return fmt.Errorf("clientDataJSON %+v, %v", cd, err)
	}
	authData := dec(a.Assertion.AuthenticatorData)
	rpHash := sha256.Sum256([]byte(rpID))
	if len(authData) < 37 || string(authData[:32]) != string(rpHash[:]) || authData[32]&0x05 != 0x05 {
		return errors.New("authenticatorData: wrong RP or user not present and verified")
	}
	cdh := sha256.Sum256(dec(a.Assertion.ClientDataJSON))
	return VerifySignature(coseKey, append(authData, cdh[:]...), dec(a.Assertion.Signature))
}

// COSE algorithms (RFC 9053, RFC 8812).
const (
	algES256, algES384, algES512 = -7, -35, -36
	algRS256, algRS384, algRS512 = -257, -258, -259
	algPS256, algPS384, algPS512 = -37, -38, -39
	algEdDSA                     = -8
)

// VerifySignature checks sig over msg with a COSE_Key, by its algorithm
// (WebAuthn §6.5.6): ECDSA (ASN.1 DER signature) on P-256, P-384 or
// P-521, RSASSA-PKCS1-v1_5 or RSASSA-PSS with SHA-256, -384 or -512, or
// Ed25519. A key of another kind, or whose algorithm does not fit its
// kind or curve, is an error.
func VerifySignature(coseKey, msg, sig []byte) error {
	// The COSE_Key's labels: 1 kty, 3 alg, and by kty -1 crv (EC2, OKP)
	// or n (RSA), -2 x or e, -3 y (EC2).
	var k struct {
		Kty, Alg, Crv int
		X, Y          []byte
	}
	var raw map[int]cbor.RawMessage
	if err := cbor.Unmarshal(coseKey, &raw); err != nil {
		return fmt.Errorf("the COSE key: %w", err)
	}
	if err := cbor.Unmarshal(raw[1], &k.Kty); err != nil {
		return errors.New("the COSE key has no kty")
	}
	if err := cbor.Unmarshal(raw[3], &k.Alg); err != nil {
		return errors.New("the COSE key has no alg")
	}
	hash := map[int]crypto.Hash{
		algES256: crypto.SHA256, algES384: crypto.SHA384, algES512: crypto.SHA512,
		algRS256: crypto.SHA256, algRS384: crypto.SHA384, algRS512: crypto.SHA512,
		algPS256: crypto.SHA256, algPS384: crypto.SHA384, algPS512: crypto.SHA512,
	}[k.Alg]
	digest := func() []byte {
		h := hash.New()
		h.Write(msg)
		return h.Sum(nil)
	}
	bad := errors.New("the signature does not verify")
	switch k.Kty {
	case 2: // EC2
		cbor.Unmarshal(raw[-1], &k.Crv)
		cbor.Unmarshal(raw[-2], &k.X)
		cbor.Unmarshal(raw[-3], &k.Y)
		curve := map[int]elliptic.Curve{1: elliptic.P256(), 2: elliptic.P384(), 3: elliptic.P521()}[k.Crv]
		want := map[int]int{1: algES256, 2: algES384, 3: algES512}[k.Crv]
		if curve == nil || k.Alg != want {
			return fmt.Errorf("an EC2 key on curve %d with algorithm %d", k.Crv, k.Alg)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, k.X...), k.Y...))
		if err != nil {
			return fmt.Errorf("the EC2 key: %w", err)
		}
		if !ecdsa.VerifyASN1(pub, digest(), sig) {
			return bad
		}
		return nil
	case 3: // RSA
		var n, e []byte
		cbor.Unmarshal(raw[-1], &n)
		cbor.Unmarshal(raw[-2], &e)
		if len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return errors.New("the RSA key lacks n or e")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		var err error
		switch k.Alg {
		case algRS256, algRS384, algRS512:
			err = rsa.VerifyPKCS1v15(pub, hash, digest(), sig)
		case algPS256, algPS384, algPS512:
			err = rsa.VerifyPSS(pub, hash, digest(), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		default:
			return fmt.Errorf("an RSA key with algorithm %d", k.Alg)
		}
		if err != nil {
			return bad
		}
		return nil
	case 1: // OKP
		cbor.Unmarshal(raw[-1], &k.Crv)
		cbor.Unmarshal(raw[-2], &k.X)
		if k.Crv != 6 || k.Alg != algEdDSA || len(k.X) != ed25519.PublicKeySize {
			return fmt.Errorf("an OKP key on curve %d with algorithm %d", k.Crv, k.Alg)
		}
		if !ed25519.Verify(ed25519.PublicKey(k.X), msg, sig) {
			return bad
		}
		return nil
	}
	return fmt.Errorf("a COSE key of kty %d", k.Kty)
}
