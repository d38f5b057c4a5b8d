package platform

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"time"

	"golang.org/x/crypto/argon2"
)

// MinPINLength is the shortest local PIN, in digits.
const MinPINLength = 6

const maxPINLength = 63 // CTAP 2.1 §6.5.5.7's limit for a PIN, in bytes

// Backoff: after maxWrongPINs wrong PINs in a row the next try waits
// firstBackoff, doubling with each further wrong PIN, up to maxBackoff.
const (
	maxWrongPINs = 5
	firstBackoff = 30 * time.Second
	maxBackoff   = 24 * time.Hour
)

// pinParams are the argon2id (RFC 9106) salt and cost of the PIN key.
type pinParams struct {
	Salt      []byte `json:"salt"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memoryKiB"`
	Threads   uint8  `json:"threads"`
}

// pinCost is the argon2id cost of a new PIN key: RFC 9106 §4's second
// recommended option (3 passes, 64 MiB, 4 lanes), about 70 ms on an idle
// 2-core machine and a few hundred under load. Each store keeps its own
// parameters, so a higher cost later needs no migration.
var pinCost = pinParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// check bounds parameters read from a file: enough to be a real hash, not
// so much that a doctored file makes an unlock take all memory.
func (p *pinParams) check() error {
	if len(p.Salt) < 16 || len(p.Salt) > 64 || p.Time < 1 || p.Time > 16 || p.MemoryKiB < 8 || p.MemoryKiB > 1<<18 || p.Threads < 1 || p.Threads > 16 {
		return errors.New("PIN parameters out of range")
	}
	return nil
}

func newPINParams() *pinParams {
	p := pinCost
	p.Salt = make([]byte, 16)
	rand.Read(p.Salt)
	return &p
}

// hash is argon2id(pin) under p.
func (p *pinParams) hash(pin []byte) []byte {
	return argon2.IDKey(pin, p.Salt, p.Time, p.MemoryKiB, p.Threads, 32)
}

// encode is p as associated data.
func (p *pinParams) encode(b []byte) []byte {
	b = append(b, byte(len(p.Salt)))
	b = append(b, p.Salt...)
	b = binary.BigEndian.AppendUint32(b, p.Time)
	b = binary.BigEndian.AppendUint32(b, p.MemoryKiB)
	return append(b, p.Threads)
}

// pinKey is the key that seals the passkeys' private keys: HKDF-SHA-256
// (RFC 5869) with the master key's PIN secret as salt over argon2id of the
// PIN, so that it needs both the keyring and the PIN.
type pinKey struct{ aead cipher.AEAD }

func derivePINKey(k *keys, p *pinParams, pin []byte) (*pinKey, error) {
	h := p.hash(pin)
	defer clear(h)
	kek, err := hkdf.Key(sha256.New, h, k.pinSecret, "passkeydesk platform v2 pin key", 32)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &pinKey{aead: aead}, nil
}

// pinHash is a version 1 store's PIN: an argon2id hash with its
// parameters, checked in the process. Only the upgrade reads it.
type pinHash struct {
	Salt      []byte `json:"salt"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memoryKiB"`
	Threads   uint8  `json:"threads"`
	Hash      []byte `json:"hash"`
}

func (h *pinHash) check() error {
	p := pinParams{Salt: h.Salt, Time: h.Time, MemoryKiB: h.MemoryKiB, Threads: h.Threads}
	if len(h.Hash) != 32 || p.check() != nil {
		return errors.New("PIN hash parameters out of range")
	}
	return nil
}

func (h *pinHash) matches(pin []byte) bool {
	got := argon2.IDKey(pin, h.Salt, h.Time, h.MemoryKiB, h.Threads, 32)
	return subtle.ConstantTimeCompare(got, h.Hash) == 1
}

// validPIN applies the local PIN policy: MinPINLength to 63 ASCII digits.
func validPIN(pin []byte) bool {
	if len(pin) < MinPINLength || len(pin) > maxPINLength {
		return false
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// backoff is how long to wait after wrong wrong PINs in a row.
func backoff(wrong int) time.Duration {
	if wrong < maxWrongPINs {
		return 0
	}
	d := firstBackoff
	for i := maxWrongPINs; i < wrong && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// sessionPIN remembers, for the session, the PIN key of the last PIN that
// opened the store: an HMAC of that PIN under a key only this process
// holds, the PIN verifier it opened, and the key. See the package doc.
type sessionPIN struct {
	key      [32]byte
	mac      []byte
	verifier []byte
	kek      *pinKey
}

func newSessionPIN() *sessionPIN {
	s := &sessionPIN{}
	rand.Read(s.key[:])
	return s
}

func (s *sessionPIN) sum(pin []byte) []byte {
	m := hmac.New(sha256.New, s.key[:])
	m.Write(pin)
	return m.Sum(nil)
}

// known returns the PIN key when pin is the one that last opened the
// verifier v, else nil.
func (s *sessionPIN) known(v []byte, pin []byte) *pinKey {
	if s.mac != nil && subtle.ConstantTimeCompare(s.verifier, v) == 1 && hmac.Equal(s.sum(pin), s.mac) {
		return s.kek
	}
	return nil
}

func (s *sessionPIN) remember(v []byte, pin []byte, kek *pinKey) {
	s.mac = s.sum(pin)
	s.verifier = append([]byte(nil), v...)
	s.kek = kek
}

func (s *sessionPIN) forget() { s.mac, s.verifier, s.kek = nil, nil, nil }
