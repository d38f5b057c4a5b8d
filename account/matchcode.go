package account

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
)

// matchKeyInfo labels the key derived from Config.SecretKey for match
// codes (HKDF, RFC 5869), so that it is not the key that seals TOTP
// secrets nor any other key derived from it.
const matchKeyInfo = "passkeydesk phone enrollment match code v1"

// newMatchKey derives the key of matchCodeMAC from the service's secret
// key.
func newMatchKey(secretKey []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, secretKey, nil, matchKeyInfo, 32)
}

// matchCodeMAC is the stored form of an enrollment's match code:
// HMAC-SHA-256 under a key derived from Config.SecretKey, over the
// enrollment's ID, a zero byte and the code. A copy of the database
// without the secret key cannot test the million codes against it, as it
// could a plain hash.
func (s *Service) matchCodeMAC(id, code string) []byte {
	m := hmac.New(sha256.New, s.matchKey)
	m.Write([]byte(id))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}
