package account

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// A login's challenge carries its own ceremony: BeginLogin writes
// nothing, and the challenge it hands out is the ceremony sealed under a
// key derived from Config.SecretKey (XChaCha20-Poly1305, whose random
// 24-byte nonces may be drawn for every login a server ever begins, where
// AES-GCM's 12-byte ones would call for a new key after 2^32):
//
//	challenge = version ‖ nonce (24) ‖ seal(random (16) ‖ expiry (8) ‖ account ID) ‖ tag (16)
//
// with the version and "login" as associated data. Only the service can
// make one, and every instance that shares the secret key can open one,
// so a login begun on one instance is finished on another. Opening it
// gives the account the options were made for ("" for a discoverable
// login) and when it expires; the go-webauthn session is made again from
// it and the account's passkeys at the finish (loginSession).
//
// Single use: FinishLogin records the challenge's hash with UseChallenge
// in the transaction that signs in, before anything else, and the first
// answer, right or wrong, commits it; an answer whose challenge was
// already recorded gets ErrCeremonyExpired. The store's unique key on
// the hash decides between concurrent answers on any number of
// instances, exactly as deleting a stored ceremony did. A record is kept
// until usedChallengeMargin past the challenge's expiry, so an instance
// whose clock runs behind the one that sweeps still refuses a replay.
// A challenge that does not open, or has expired, is refused without
// writing anything.

// loginChallengeVersion is the first byte of a sealed login challenge.
const loginChallengeVersion = 1

// loginChallengeInfo is the HKDF info of the login challenge key.
const loginChallengeInfo = "passkeydesk login challenge v1"

// usedChallengeMargin is how long past its expiry a used challenge stays
// recorded: far more than the clocks of two instances may differ.
const usedChallengeMargin = CeremonyLifetime

// loginChallengeAD is the associated data of a sealed login challenge.
var loginChallengeAD = []byte{loginChallengeVersion, 'l', 'o', 'g', 'i', 'n'}

func newLoginChallengeAEAD(secretKey []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, secretKey, nil, loginChallengeInfo, 32)
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.NewX(k)
}

// sealLoginChallenge makes the challenge of a login for accountID ("" for
// a discoverable login) that expires at expires.
func (s *Service) sealLoginChallenge(accountID string, expires time.Time) []byte {
	a := s.loginAEAD
	plain := make([]byte, 0, 16+8+len(accountID))
	plain = append(plain, randomBytes(16)...)
	plain = binary.BigEndian.AppendUint64(plain, uint64(expires.UnixNano()))
	plain = append(plain, accountID...)
	out := make([]byte, 1, 1+a.NonceSize()+len(plain)+a.Overhead())
	out[0] = loginChallengeVersion
	out = append(out, randomBytes(a.NonceSize())...)
	return a.Seal(out, out[1:], plain, loginChallengeAD)
}

// loginChallenge is an opened login challenge.
type loginChallenge struct {
	raw       []byte // the challenge's bytes
	accountID string // "" for a discoverable login
	expires   time.Time
	// hash is SHA-256 of raw: the key of its UseChallenge record.
	hash []byte
}

var errNotLoginChallenge = errors.New("not a login challenge of this service")

// openLoginChallenge opens challenge (base64url, as in clientDataJSON).
func (s *Service) openLoginChallenge(challenge string) (*loginChallenge, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(challenge)
	a := s.loginAEAD
	if err != nil || len(raw) < 1+a.NonceSize()+16+8+a.Overhead() || raw[0] != loginChallengeVersion {
		return nil, errNotLoginChallenge
	}
	n := 1 + a.NonceSize()
	plain, err := a.Open(nil, raw[1:n], raw[n:], loginChallengeAD)
	if err != nil {
		return nil, errNotLoginChallenge
	}
	sum := sha256.Sum256(raw)
	return &loginChallenge{
		raw:       raw,
		expires:   time.Unix(0, int64(binary.BigEndian.Uint64(plain[16:24]))).UTC(),
		accountID: string(plain[24:]),
		hash:      sum[:],
	}, nil
}
