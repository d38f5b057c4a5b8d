package account

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// codeMACInfo labels the HMAC key derived from Config.SecretKey, so that
// key is never the AES key that seals TOTP secrets.
const codeMACInfo = "passkeydesk code MAC v1"

// deriveCodeMACKey derives the key of codeMAC from the service's secret
// key with HKDF-SHA-256.
func deriveCodeMACKey(secretKey []byte) []byte {
	k, err := hkdf.Key(sha256.New, secretKey, nil, codeMACInfo, sha256.Size)
	if err != nil {
		panic(err) // only for a length HKDF-SHA-256 cannot give
	}
	return k
}

// codeMAC is what the store keeps of a short code (or another guessable
// value) instead of the value: HMAC-SHA-256 under a key derived from the
// service's secret key, over kind (what the code is for, such as
// "email-code"), id (what it belongs to, such as a verification's ID) and
// the code, each prefixed by its length. A copy of the database alone
// cannot test guesses against it, as it could a plain hash of a 6-digit
// code. Compare results with hmac.Equal or subtle.ConstantTimeCompare.
func (s *Service) codeMAC(kind, id, code string) []byte {
	m := hmac.New(sha256.New, s.codeKey)
	for _, part := range []string{kind, id, code} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		m.Write(n[:])
		m.Write([]byte(part))
	}
	return m.Sum(nil)
}
