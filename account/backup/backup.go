// Package backup is the file format of a Passkey Desk backup: the embedded
// account service's database and the key that seals its TOTP secrets,
// encrypted under a passphrase.
//
// A file is a header followed by one AES-256-GCM ciphertext:
//
//	magic    8 bytes  "PKDBACKP"
//	version  1 byte   1
//	time     4 bytes  argon2id passes, big-endian
//	memory   4 bytes  argon2id memory in KiB, big-endian
//	threads  1 byte   argon2id lanes
//	salt     16 bytes
//	check    16 bytes tells a wrong passphrase from a damaged file
//	nonce    12 bytes
//	crc      4 bytes  CRC-32 (IEEE) of the header's bytes before it
//	sealed   the rest: AES-256-GCM of the contents, the header as associated data
//
// argon2id of the passphrase and salt gives 64 bytes: the first 32 are the
// AES key, the other 32 hash to the check value. The header is
// authenticated as associated data, so a changed parameter, salt or
// version fails like a changed ciphertext; its CRC only lets a damaged
// header be called damaged rather than a wrong passphrase (it is no
// protection: the associated data is). The contents are a JSON
// manifest, the sealing key and the SQLite database, each after its length
// (4 bytes, big-endian); nothing of them is in the file in the clear.
package backup

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Version is the format version this package writes.
const Version = 1

const (
	magic      = "PKDBACKP"
	saltLen    = 16
	checkLen   = 16
	nonceLen   = 12
	headerLen  = len(magic) + 1 + 4 + 4 + 1 + saltLen + checkLen + nonceLen + 4
	keyLen     = 32
	maxFile    = 1 << 30 // a database this large is not an account database
	MinPassLen = 12      // in characters
)

// Params are the argon2id parameters a file is sealed with.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams are RFC 9106's second recommended option: 3 passes over
// 64 MiB, 4 lanes.
var DefaultParams = Params{Time: 3, Memory: 64 * 1024, Threads: 4}

// Bounds on what a file may ask for: a damaged or crafted header must not
// make opening it take gigabytes or hours.
const (
	maxTime    = 16
	minMemory  = 8 * 1024
	maxMemory  = 1024 * 1024
	maxThreads = 16
)

func (p Params) check() error {
	if p.Time < 1 || p.Time > maxTime || p.Memory < minMemory || p.Memory > maxMemory || p.Threads < 1 || p.Threads > maxThreads {
		return fmt.Errorf("%w: its key parameters are out of range", ErrDamaged)
	}
	return nil
}

// Passkey names a passkey the backup does not carry because it is bound
// to the computer it was made on.
type Passkey struct {
	Account   string    `json:"account"` // the account's email
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Manifest says what a backup holds, in words a restore can show.
type Manifest struct {
	CreatedAt time.Time `json:"createdAt"`
	// Accounts lists the emails of the database's accounts.
	Accounts []string `json:"accounts"`
	// LeftBehind lists the "this computer" passkeys: their private keys
	// stay sealed on the computer the backup was made on.
	LeftBehind []Passkey `json:"leftBehind"`
}

// Contents is what a backup carries.
type Contents struct {
	Manifest   Manifest
	SealingKey []byte // the 32-byte key that seals the database's TOTP secrets
	Database   []byte // a consistent SQLite snapshot (VACUUM INTO)
}

// The refusals of Open. Each says what is wrong in words a person can act on.
var (
	ErrNotBackup          = errors.New("this file is not a Passkey Desk backup")
	ErrUnsupportedVersion = errors.New("this backup was made by a newer version of Passkey Desk; update the app to restore it")
	ErrWrongPassphrase    = errors.New("the passphrase does not open this backup")
	ErrDamaged            = errors.New("the backup file is damaged or incomplete")
	ErrWeakPassphrase     = fmt.Errorf("a backup passphrase needs at least %d characters", MinPassLen)
)

// CheckPassphrase applies the strength rule: at least MinPassLen
// characters.
func CheckPassphrase(p []byte) error {
	if utf8.RuneCount(p) < MinPassLen {
		return ErrWeakPassphrase
	}
	return nil
}

// derive returns the AES key and the check value of passphrase under salt.
func derive(passphrase, salt []byte, p Params) (key, check []byte) {
	out := argon2.IDKey(passphrase, salt, p.Time, p.Memory, p.Threads, 2*keyLen)
	sum := sha256.Sum256(append([]byte("passkeydesk backup check v1\x00"), out[keyLen:]...))
	return out[:keyLen], sum[:checkLen]
}

// Write seals c under passphrase with the parameters p and writes the file
// to w.
func Write(w io.Writer, passphrase []byte, p Params, c Contents) error {
	if err := CheckPassphrase(passphrase); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return errors.New("backup: argon2id parameters out of range")
	}
	if len(c.SealingKey) != keyLen {
		return errors.New("backup: the sealing key must be 32 bytes")
	}
	manifest, err := json.Marshal(c.Manifest)
	if err != nil {
		return err
	}
	salt, nonce := make([]byte, saltLen), make([]byte, nonceLen)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	key, check := derive(passphrase, salt, p)
	header := make([]byte, 0, headerLen)
	header = append(header, magic...)
	header = append(header, Version)
	header = binary.BigEndian.AppendUint32(header, p.Time)
	header = binary.BigEndian.AppendUint32(header, p.Memory)
	header = append(header, p.Threads)
	header = append(header, salt...)
	header = append(header, check...)
	header = append(header, nonce...)
	header = binary.BigEndian.AppendUint32(header, crc32.ChecksumIEEE(header))

	plain := make([]byte, 0, 12+len(manifest)+len(c.SealingKey)+len(c.Database))
	for _, part := range [][]byte{manifest, c.SealingKey, c.Database} {
		plain = binary.BigEndian.AppendUint32(plain, uint32(len(part)))
		plain = append(plain, part...)
	}
	aead, err := gcm(key)
	if err != nil {
		return err
	}
	sealed := aead.Seal(header, nonce, plain, header)
	clear(plain)
	if len(sealed) > maxFile {
		return errors.New("backup: the database is too large to back up")
	}
	_, err = w.Write(sealed)
	return err
}

// Read reads a file from r and opens it with passphrase. Nothing is
// returned unless the whole file is intact and the passphrase is right.
func Read(r io.Reader, passphrase []byte) (Contents, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return Contents{}, err
	}
	if len(data) > maxFile {
		return Contents{}, ErrNotBackup
	}
	if len(data) < len(magic) || !bytes.Equal(data[:len(magic)], []byte(magic)) {
		return Contents{}, ErrNotBackup
	}
	if len(data) < len(magic)+1 {
		return Contents{}, ErrDamaged
	}
	if v := data[len(magic)]; v != Version {
		if v > Version {
			return Contents{}, ErrUnsupportedVersion
		}
		return Contents{}, fmt.Errorf("%w: it names format version %d, which never existed", ErrDamaged, v)
	}
	if len(data) < headerLen {
		return Contents{}, ErrDamaged
	}
	header, rest := data[:headerLen], data[headerLen:]
	if crc32.ChecksumIEEE(header[:headerLen-4]) != binary.BigEndian.Uint32(header[headerLen-4:]) {
		return Contents{}, ErrDamaged
	}
	h := header[len(magic)+1:]
	p := Params{Time: binary.BigEndian.Uint32(h[0:4]), Memory: binary.BigEndian.Uint32(h[4:8]), Threads: h[8]}
	if err := p.check(); err != nil {
		return Contents{}, err
	}
	salt := h[9 : 9+saltLen]
	check := h[9+saltLen : 9+saltLen+checkLen]
	nonce := h[9+saltLen+checkLen : 9+saltLen+checkLen+nonceLen]
	key, want := derive(passphrase, salt, p)
	if subtle.ConstantTimeCompare(check, want) != 1 {
		return Contents{}, ErrWrongPassphrase
	}
	aead, err := gcm(key)
	if err != nil {
		return Contents{}, err
	}
	plain, err := aead.Open(nil, nonce, rest, header)
	if err != nil {
		return Contents{}, ErrDamaged
	}
	var parts [3][]byte
	for i := range parts {
		if len(plain) < 4 {
			return Contents{}, ErrDamaged
		}
		n := binary.BigEndian.Uint32(plain)
		plain = plain[4:]
		if uint64(n) > uint64(len(plain)) {
			return Contents{}, ErrDamaged
		}
		parts[i], plain = plain[:n], plain[n:]
	}
	if len(plain) != 0 || len(parts[1]) != keyLen {
		return Contents{}, ErrDamaged
	}
	c := Contents{SealingKey: parts[1], Database: parts[2]}
	if err := json.Unmarshal(parts[0], &c.Manifest); err != nil {
		return Contents{}, ErrDamaged
	}
	return c, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
