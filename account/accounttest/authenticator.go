package accounttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator is a software WebAuthn authenticator plus the client part
// of a browser: it turns creation and request options JSON into the
// credential JSON a browser would send. Its knobs let tests produce the
// responses a relying party must refuse.
type Authenticator struct {
	AAGUID [16]byte
	// Origin goes into clientDataJSON; "" means accounttest.Origin.
	Origin string
	// RPID is hashed into authenticator data; "" means the options' rp.id.
	RPID string
	// NoUV leaves the user-verified flag off.
	NoUV bool
	// BackupEligible and BackedUp set the BE and BS flags.
	BackupEligible, BackedUp bool
	// Counter is the next signature counter value used (then incremented).
	Counter uint32
	// Packed makes registrations carry a packed self attestation (signed
	// with the new credential's key, WebAuthn §8.2) instead of "none", as
	// security keys do.
	Packed bool
	// Algorithm is the COSE algorithm of the credentials Register makes
	// from now on: 0 or AlgES256 (-7), AlgES384, AlgES512, AlgRS256
	// (-257), AlgRS384, AlgRS512, AlgPS256, AlgPS384, AlgPS512 or AlgEdDSA
	// (-8, Ed25519): every one the service's registration options offer.
	Algorithm int

	creds []*softCredential
}

// The COSE algorithms Authenticator.Algorithm takes.
const (
	AlgES256 = -7
	AlgES384 = -35
	AlgES512 = -36
	AlgRS256 = -257
	AlgRS384 = -258
	AlgRS512 = -259
	AlgPS256 = -37
	AlgPS384 = -38
	AlgPS512 = -39
	AlgEdDSA = -8
)

type softCredential struct {
	id         []byte
	key        crypto.Signer
	alg        int
	rpID       string
	userHandle []byte
}

// newKey makes a private key for COSE algorithm alg and its COSE_Key.
func newKey(alg int) (crypto.Signer, []byte, error) {
	switch alg {
	case AlgES256, AlgES384, AlgES512:
		curve, crv := elliptic.P256(), 1
		if alg == AlgES384 {
			curve, crv = elliptic.P384(), 2
		} else if alg == AlgES512 {
			curve, crv = elliptic.P521(), 3
		}
		key, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		point, err := key.PublicKey.Bytes() // 0x04 ‖ x ‖ y
		if err != nil {
			return nil, nil, err
		}
		n := (len(point) - 1) / 2
		cose, err := cbor.Marshal(map[int]any{1: 2, 3: alg, -1: crv, -2: point[1 : 1+n], -3: point[1+n:]})
		return key, cose, err
	case AlgRS256, AlgRS384, AlgRS512, AlgPS256, AlgPS384, AlgPS512:
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, nil, err
		}
		e := new(big.Int).SetInt64(int64(key.PublicKey.E)).Bytes()
		cose, err := cbor.Marshal(map[int]any{1: 3, 3: alg, -1: key.PublicKey.N.Bytes(), -2: e})
		return key, cose, err
	case AlgEdDSA:
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		cose, err := cbor.Marshal(map[int]any{1: 1, 3: alg, -1: 6, -2: []byte(pub)})
		return key, cose, err
	}
	return nil, nil, fmt.Errorf("accounttest: COSE algorithm %d is not one the service offers", alg)
}

// sign signs msg as COSE algorithm alg does (WebAuthn §6.5.6).
func sign(key crypto.Signer, alg int, msg []byte) ([]byte, error) {
	h := crypto.SHA256
	switch alg {
	case AlgES384, AlgRS384, AlgPS384:
		h = crypto.SHA384
	case AlgES512, AlgRS512, AlgPS512:
		h = crypto.SHA512
	case AlgEdDSA:
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	d := h.New()
	d.Write(msg)
	digest := d.Sum(nil)
	switch alg {
	case AlgPS256, AlgPS384, AlgPS512:
		return rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	return key.Sign(rand.Reader, digest, h) // ECDSA: ASN.1 DER; RSA: PKCS #1 v1.5
}

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		Allow     []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

var b64 = base64.RawURLEncoding

// ErrExcluded is returned by Register when the authenticator holds a
// credential in the exclude list.
var ErrExcluded = errors.New("accounttest: credential excluded")

// Register answers navigator.credentials.create(options) with a new
// credential of Algorithm (ES256 by default) and "none" (or, with Packed, packed self) attestation, as a
// browser would.
func (a *Authenticator) Register(options []byte) ([]byte, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	for _, ex := range o.PublicKey.Exclude {
		for _, c := range a.creds {
			if b64.EncodeToString(c.id) == ex.ID {
				return nil, ErrExcluded
			}
		}
	}
	alg := a.Algorithm
	if alg == 0 {
		alg = AlgES256
	}
	key, coseKey, err := newKey(alg)
	if err != nil {
		return nil, err
	}
	userHandle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user.id: %w", err)
	}
	c := &softCredential{id: make([]byte, 32), key: key, alg: alg, rpID: o.PublicKey.RP.ID, userHandle: userHandle}
	rand.Read(c.id)
	a.creds = append(a.creds, c)

	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)
	authData := a.authData(c.rpID, 0x40) // AT
	authData = append(authData, a.AAGUID[:]...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(c.id)))
	authData = append(authData, c.id...)
	authData = append(authData, coseKey...)
	format, stmt := "none", map[string]any{}
	if a.Packed {
		cdh := sha256.Sum256(clientData)
		sig, err := sign(key, alg, append(append([]byte{}, authData...), cdh[:]...))
		if err != nil {
			return nil, err
		}
		format, stmt = "packed", map[string]any{"alg": alg, "sig": sig}
	}
	attObj, err := cbor.Marshal(map[string]any{"fmt": format, "attStmt": stmt, "authData": authData})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id":    b64.EncodeToString(c.id),
		"rawId": b64.EncodeToString(c.id),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(attObj),
			"transports":        []string{"usb"},
		},
		"authenticatorAttachment": "cross-platform",
		"clientExtensionResults":  map[string]any{"credProps": map[string]any{"rk": true}},
	})
}

// Assert answers navigator.credentials.get(options) with the first
// credential that fits: one in the allow list, or else any for the RP ID.
func (a *Authenticator) Assert(options []byte) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	var c *softCredential
	for _, cand := range a.creds {
		if cand.rpID != o.PublicKey.RPID {
			continue
		}
		if len(o.PublicKey.Allow) == 0 {
			c = cand
			break
		}
		for _, al := range o.PublicKey.Allow {
			if al.ID == b64.EncodeToString(cand.id) {
				c = cand
			}
		}
		if c != nil {
			break
		}
	}
	if c == nil {
		return nil, errors.New("accounttest: no credential for these options")
	}
	clientData := a.clientData("webauthn.get", o.PublicKey.Challenge)
	authData := a.authData(c.rpID, 0)
	cdh := sha256.Sum256(clientData)
	sig, err := sign(c.key, c.alg, append(append([]byte{}, authData...), cdh[:]...))
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id":    b64.EncodeToString(c.id),
		"rawId": b64.EncodeToString(c.id),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.userHandle),
		},
		"authenticatorAttachment": "cross-platform",
		"clientExtensionResults":  map[string]any{},
	})
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	origin := a.Origin
	if origin == "" {
		origin = Origin
	}
	raw, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return raw
}

// authData is rpIdHash ‖ flags ‖ signCount (WebAuthn §6.1), with extra
// flag bits in more.
func (a *Authenticator) authData(rpID string, more byte) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	flags := byte(0x01) | more // UP
	if !a.NoUV {
		flags |= 0x04
	}
	if a.BackupEligible {
		flags |= 0x08
	}
	if a.BackedUp {
		flags |= 0x10
	}
	out := append(h[:], flags)
	a.Counter++
	return binary.BigEndian.AppendUint32(out, a.Counter)
}
