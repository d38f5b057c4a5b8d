package account

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"unicode"
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

// typedMatchCode reads a match code as a person types it: the spaces and
// dashes it may be shown or typed with ("114 473", "114-473") are dropped
// first, then it must be 6 digits.
func typedMatchCode(typed string) (string, error) {
	code := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) {
			return -1
		}
		return r
	}, typed)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", &InputError{Field: "code", Reason: "type the 6 digits the phone shows"}
	}
	return code, nil
}
