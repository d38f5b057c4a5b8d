package client

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagAT = 0x40
)

// errAuthData is authenticator data that does not parse: the key, not the
// RP, is at fault.
var errAuthData = errors.New("client: the key returned malformed authenticator data")

// attestedData is the parsed head of authenticator data with attested
// credential data (WebAuthn §6.1, §6.5.2).
type attestedData struct {
	flags        byte
	aaguidAt     int // offset of the AAGUID in the raw data
	credentialID []byte
	publicKey    []byte // the COSE_Key, as encoded by the key
}

func parseAttested(authData []byte) (*attestedData, error) {
	const head = 32 + 1 + 4 // rpIdHash, flags, signCount
	if len(authData) < head+16+2 {
		return nil, fmt.Errorf("%w: %d bytes", errAuthData, len(authData))
	}
	a := &attestedData{flags: authData[32], aaguidAt: head}
	if a.flags&flagAT == 0 {
		return nil, fmt.Errorf("%w: no attested credential data", errAuthData)
	}
	rest := authData[head+16:]
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if n == 0 || n > len(rest) {
		return nil, fmt.Errorf("%w: credential ID length %d", errAuthData, n)
	}
	a.credentialID, rest = rest[:n], rest[n:]
	var key cbor.RawMessage
	if err := cbor.NewDecoder(bytes.NewReader(rest)).Decode(&key); err != nil {
		return nil, fmt.Errorf("%w: credential public key: %v", errAuthData, err)
	}
	a.publicKey = key
	return a, nil
}

// encMode encodes CTAP2 canonical CBOR (CTAP 2.1 §8), as browsers do for
// the attestation object they rebuild.
var encMode = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// attestationObject encodes the attestation object (WebAuthn §6.5.4):
// {fmt, attStmt, authData}. The statement holds what its format defines:
// packed has alg, sig and, unless it is self attestation, x5c (§8.2);
// fido-u2f has sig and x5c (§8.6); none is empty (§8.7).
func attestationObject(format string, att *fido.Attestation, authData []byte) ([]byte, error) {
	stmt := map[string]any{}
	switch format {
	case "none":
	case "fido-u2f":
		stmt["sig"] = att.Signature
		stmt["x5c"] = x5c(att.X5C)
	default:
		if att.Algorithm != 0 {
			stmt["alg"] = att.Algorithm
		}
		stmt["sig"] = att.Signature
		if len(att.X5C) > 0 {
			stmt["x5c"] = x5c(att.X5C)
		}
	}
	return encMode.Marshal(map[string]any{"fmt": format, "attStmt": stmt, "authData": authData})
}

func x5c(certs [][]byte) [][]byte {
	if certs == nil {
		return [][]byte{}
	}
	return certs
}

// COSE key parameters (RFC 9052 §7, RFC 9053 §7).
const (
	coseKty = 1
	coseAlg = 3
	coseCrv = -1 // also RSA n
	coseX   = -2 // also RSA e
	coseY   = -3
)

// coseAlgorithm returns the alg of a COSE_Key.
func coseAlgorithm(key []byte) (int, error) {
	var m map[int]cbor.RawMessage
	if err := cbor.Unmarshal(key, &m); err != nil {
		return 0, err
	}
	var alg int
	if err := cbor.Unmarshal(m[coseAlg], &alg); err != nil {
		return 0, fmt.Errorf("alg: %w", err)
	}
	return alg, nil
}

// spki converts a COSE_Key to a DER SubjectPublicKeyInfo, the publicKey
// member of AuthenticatorAttestationResponseJSON (WebAuthn §5.2.1.1), for
// the algorithms a browser must support there (ES256, EdDSA, RS256).
func spki(key []byte, alg int) ([]byte, error) {
	var m map[int]cbor.RawMessage
	if err := cbor.Unmarshal(key, &m); err != nil {
		return nil, err
	}
	bytesOf := func(label int) []byte {
		var b []byte
		if cbor.Unmarshal(m[label], &b) != nil {
			return nil
		}
		return b
	}
	switch alg {
	case fido.ES256:
		x, y := bytesOf(coseX), bytesOf(coseY)
		if len(x) != 32 || len(y) != 32 {
			return nil, errors.New("ES256 key: coordinates are not 32 bytes")
		}
		pub, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKIXPublicKey(pub)
	case fido.EdDSA:
		x := bytesOf(coseX)
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("EdDSA key: not an Ed25519 key")
		}
		return x509.MarshalPKIXPublicKey(ed25519.PublicKey(x))
	case fido.RS256:
		n, e := bytesOf(coseCrv), bytesOf(coseX)
		if len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("RS256 key: bad modulus or exponent")
		}
		exp := new(big.Int).SetBytes(e)
		return x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())})
	}
	return nil, fmt.Errorf("algorithm %d has no SubjectPublicKeyInfo here", alg)
}
