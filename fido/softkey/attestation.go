package softkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// idFidoGenCeAAGUID is the certificate extension that carries the AAGUID
// (WebAuthn §8.2.1).
var idFidoGenCeAAGUID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 45724, 1, 1, 4}

// newAttestation makes the key's attestation key and a self-signed
// certificate that meets the packed attestation certificate requirements
// of WebAuthn §8.2.1: version 3; subject C, O, OU "Authenticator
// Attestation" and CN; basic constraints CA false; the AAGUID in a
// non-critical id-fido-gen-ce-aaguid extension.
func newAttestation(aaguid fido.AAGUID) (*ecdsa.PrivateKey, []byte, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ext, err := asn1.Marshal(aaguid[:]) // an OCTET STRING
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:            []string{"US"},
			Organization:       []string{"Passkey Desk"},
			OrganizationalUnit: []string{"Authenticator Attestation"},
			CommonName:         "Passkey Desk Simulated Key",
		},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  false,
		ExtraExtensions:       []pkix.Extension{{Id: idFidoGenCeAAGUID, Value: ext}},
	}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, nil, err
	}
	return priv, cert, nil
}

// attest makes the packed attestation statement over signed, which is
// authData ‖ clientDataHash (WebAuthn §8.2): by the attestation key with
// its certificate, or by the credential's own key (self attestation).
func (k *Key) attest(c *credential, signed []byte) (map[string]any, error) {
	if k.selfAtt {
		sig, err := c.sign(signed)
		if err != nil {
			return nil, err
		}
		return map[string]any{"alg": fido.ES256, "sig": sig}, nil
	}
	priv, err := parseKey(k.st.AttestationKey)
	if err != nil {
		return nil, err
	}
	sig, err := signES256(priv, signed)
	if err != nil {
		return nil, err
	}
	return map[string]any{"alg": fido.ES256, "sig": sig, "x5c": [][]byte{k.st.AttestationCert}}, nil
}

// authData builds authenticator data (WebAuthn §6.1): SHA-256(rpId),
// flags, the signature counter (big endian), then attested credential
// data and extensions when present.
func authData(rpID string, flags byte, count uint32, attested, ext []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	b := append(h[:], flags, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[33:], count)
	return append(append(b, attested...), ext...)
}

// attestedCredentialData is AAGUID ‖ L ‖ credential ID ‖ COSE public key
// (WebAuthn §6.5.1).
func attestedCredentialData(aaguid fido.AAGUID, id []byte, pub *ecdsa.PublicKey) []byte {
	b := append(aaguid[:], byte(len(id)>>8), byte(len(id)))
	b = append(b, id...)
	return append(b, must(encMode.Marshal(coseKey(pub, fido.ES256)))...)
}

// coseKey is an EC2 P-256 COSE_Key (RFC 9053 §7.1) with algorithm alg.
func coseKey(pub *ecdsa.PublicKey, alg int) map[int]any {
	b := must(pub.Bytes()) // 0x04 ‖ x ‖ y
	return map[int]any{1: 2, 3: alg, -1: 1, -2: b[1:33], -3: b[33:65]}
}

// signES256 signs SHA-256(msg) with priv (ASN.1 DER signature).
func signES256(priv *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	return ecdsa.SignASN1(rand.Reader, priv, h[:])
}

func parseKey(der []byte) (*ecdsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, x509.ErrUnsupportedAlgorithm
	}
	return priv, nil
}
