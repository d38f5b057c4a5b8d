package platform

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
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

// pinHash is an argon2id hash (RFC 9106) with its parameters.
type pinHash struct {
	Salt      []byte `json:"salt"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memoryKiB"`
	Threads   uint8  `json:"threads"`
	Hash      []byte `json:"hash"`
}

// pinCost is the argon2id cost of new PIN hashes: OWASP's minimum
// (19 MiB, 2 passes, 1 lane). Each hash keeps its own parameters, so a
// higher cost later needs no migration.
var pinCost = pinHash{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

func (h *pinHash) check() error {
	if len(h.Salt) < 16 || len(h.Hash) != 32 || h.Time < 1 || h.Time > 16 || h.MemoryKiB < 8 || h.MemoryKiB > 1<<20 || h.Threads < 1 {
		return errors.New("PIN hash parameters out of range")
	}
	return nil
}

func hashPIN(pin []byte) *pinHash {
	h := pinCost
	h.Salt = make([]byte, 16)
	rand.Read(h.Salt)
	h.Hash = argon2.IDKey(pin, h.Salt, h.Time, h.MemoryKiB, h.Threads, 32)
	return &h
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

// sessionPIN remembers the last PIN that verified, for the session: an
// HMAC under a key that only this process holds, and the stored hash it
// was checked against. See the package doc.
type sessionPIN struct {
	key    [32]byte
	mac    []byte
	hashed []byte // pinHash.Hash the PIN verified against
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

// known reports whether pin is the one that last verified against h.
func (s *sessionPIN) known(h *pinHash, pin []byte) bool {
	return s.mac != nil && subtle.ConstantTimeCompare(s.hashed, h.Hash) == 1 && hmac.Equal(s.sum(pin), s.mac)
}

func (s *sessionPIN) remember(h *pinHash, pin []byte) {
	s.mac = s.sum(pin)
	s.hashed = append([]byte(nil), h.Hash...)
}

func (s *sessionPIN) forget() { s.mac, s.hashed = nil, nil }
