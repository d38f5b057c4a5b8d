package platform

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FileName is the store's name in the data directory.
const FileName = "platform-passkeys.json"

const (
	storeFormat   = "passkeydesk-platform-v2"
	storeFormatV1 = "passkeydesk-platform-v1" // read, and upgraded on the first right PIN
	keyIDLen      = 16
	credIDLen     = 32
	maxUserLen    = 64 // WebAuthn §5.4.3: a user handle is at most 64 bytes
	nonceLen      = 12
	tagLen        = 16
	maxStore      = 16 << 20 // a store this big is not ours
)

// storeFile is the store as it is on disk; see the package doc.
type storeFile struct {
	Format string `json:"format"`
	KeyID  []byte `json:"keyId"`
	// PIN is the sealed pinFile; nil until a PIN is set (format 2).
	PIN []byte `json:"pin,omitempty"`
	// State is the sealed PIN hash and wrong-PIN count (format 1 only).
	State   []byte       `json:"state,omitempty"`
	Records []recordFile `json:"records"`
}

// pinFile is the PIN part of the store: what the PIN key is derived with,
// and a verifier only the right PIN key opens.
type pinFile struct {
	pinParams
	Verifier []byte `json:"verifier"`
}

type recordFile struct {
	ID         []byte `json:"id"`
	RPIDHash   []byte `json:"rpIdHash"`
	UserHandle []byte `json:"userHandle"`
	Sealed     []byte `json:"sealed"`
}

// record is a credential's plaintext under the master key.
type record struct {
	RPID        string `json:"rpId"`
	UserHandle  []byte `json:"userHandle"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	// Key is the PKCS #8 private key sealed under the PIN key (format 2).
	Key []byte `json:"key,omitempty"`
	// PrivateKey is the PKCS #8 private key itself (format 1 only).
	PrivateKey []byte    `json:"privateKey,omitempty"`
	Counter    uint32    `json:"counter"`
	Created    time.Time `json:"created"`
}

// state is a format 1 store's sealed state: the PIN and the wrong tries.
type state struct {
	PIN          *pinHash  `json:"pin,omitempty"`
	WrongPINs    int       `json:"wrongPins"`
	BackoffUntil time.Time `json:"backoffUntil,omitzero"`
}

// v1 reports whether s is in format 1, to be upgraded.
func (s *storeFile) v1() bool { return s.Format == storeFormatV1 }

// decodeStore parses and checks the store's outer shape. It never opens
// anything; every error matches ErrStoreCorrupt.
func decodeStore(data []byte) (*storeFile, error) {
	if len(data) > maxStore {
		return nil, fmt.Errorf("%w: %d bytes", ErrStoreCorrupt, len(data))
	}
	var s storeFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStoreCorrupt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the store", ErrStoreCorrupt)
	}
	switch s.Format {
	case storeFormat:
		if s.State != nil {
			return nil, fmt.Errorf("%w: a format 1 state in a format 2 store", ErrStoreCorrupt)
		}
		if s.PIN == nil && len(s.Records) > 0 {
			return nil, fmt.Errorf("%w: passkeys without a PIN", ErrStoreCorrupt)
		}
		if s.PIN != nil && len(s.PIN) < nonceLen+tagLen {
			return nil, fmt.Errorf("%w: sealed PIN of %d bytes", ErrStoreCorrupt, len(s.PIN))
		}
	case storeFormatV1:
		if s.PIN != nil {
			return nil, fmt.Errorf("%w: a format 2 PIN in a format 1 store", ErrStoreCorrupt)
		}
		if len(s.State) < nonceLen+tagLen {
			return nil, fmt.Errorf("%w: sealed state of %d bytes", ErrStoreCorrupt, len(s.State))
		}
	default:
		return nil, fmt.Errorf("%w: format %q, want %q", ErrStoreCorrupt, s.Format, storeFormat)
	}
	if len(s.KeyID) != keyIDLen {
		return nil, fmt.Errorf("%w: key ID of %d bytes", ErrStoreCorrupt, len(s.KeyID))
	}
	seen := make(map[string]bool, len(s.Records))
	for i, r := range s.Records {
		switch {
		case len(r.ID) != credIDLen:
			return nil, fmt.Errorf("%w: record %d: credential ID of %d bytes", ErrStoreCorrupt, i, len(r.ID))
		case len(r.RPIDHash) != sha256.Size:
			return nil, fmt.Errorf("%w: record %d: RP ID hash of %d bytes", ErrStoreCorrupt, i, len(r.RPIDHash))
		case len(r.UserHandle) == 0 || len(r.UserHandle) > maxUserLen:
			return nil, fmt.Errorf("%w: record %d: user handle of %d bytes", ErrStoreCorrupt, i, len(r.UserHandle))
		case len(r.Sealed) < nonceLen+tagLen:
			return nil, fmt.Errorf("%w: record %d: %d sealed bytes", ErrStoreCorrupt, i, len(r.Sealed))
		case seen[string(r.ID)]:
			return nil, fmt.Errorf("%w: record %d: credential ID twice", ErrStoreCorrupt, i)
		}
		seen[string(r.ID)] = true
	}
	return &s, nil
}

// keys are what the master key gives.
type keys struct {
	id        []byte
	aead      cipher.AEAD
	pinSecret []byte // the master key's part of the PIN key
}

func deriveKeys(master []byte) (*keys, error) {
	seal, err := hkdf.Key(sha256.New, master, nil, "passkeydesk platform v1 seal", 32)
	if err != nil {
		return nil, err
	}
	id, err := hkdf.Key(sha256.New, master, nil, "passkeydesk platform v1 key id", keyIDLen)
	if err != nil {
		return nil, err
	}
	pinSecret, err := hkdf.Key(sha256.New, master, nil, "passkeydesk platform v2 pin secret", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(seal)
	clear(seal)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &keys{id: id, aead: aead, pinSecret: pinSecret}, nil
}

func seal(aead cipher.AEAD, plaintext, ad []byte) []byte {
	out := make([]byte, nonceLen, nonceLen+len(plaintext)+tagLen)
	rand.Read(out)
	return aead.Seal(out, out[:nonceLen], plaintext, ad)
}

func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < nonceLen+tagLen {
		return nil, errors.New("too short")
	}
	return aead.Open(nil, sealed[:nonceLen], sealed[nonceLen:], ad)
}

func (k *keys) seal(plaintext, ad []byte) []byte { return seal(k.aead, plaintext, ad) }

func (k *keys) open(sealed, ad []byte) ([]byte, error) { return open(k.aead, sealed, ad) }

// stateAD and recordAD are the associated data that bind the state and a
// record to their place.
func (k *keys) stateAD() []byte {
	return append([]byte("passkeydesk/platform/state/v1\x00"), k.id...)
}

func (k *keys) recordAD(r *recordFile) []byte {
	ad := append([]byte("passkeydesk/platform/record/v1\x00"), k.id...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(r.ID)))
	ad = append(ad, r.ID...)
	ad = append(ad, r.RPIDHash...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(r.UserHandle)))
	return append(ad, r.UserHandle...)
}

// verifierAD binds the PIN verifier to the store's key ID and to the
// PIN parameters.
func (k *keys) verifierAD(p *pinParams) []byte {
	return p.encode(append([]byte("passkeydesk/platform/pin verifier/v2\x00"), k.id...))
}

// keyAD binds a sealed private key to its credential ID.
func keyAD(credID []byte) []byte {
	return append([]byte("passkeydesk/platform/key/v2\x00"), credID...)
}

// pinAD binds the sealed PIN part to the store's key ID.
func (k *keys) pinAD() []byte {
	return append([]byte("passkeydesk/platform/pin/v2\x00"), k.id...)
}

// openPINFile opens a format 2 store's PIN part.
func (k *keys) openPINFile(s *storeFile) (*pinFile, error) {
	plain, err := k.open(s.PIN, k.pinAD())
	if err != nil {
		return nil, fmt.Errorf("%w: the PIN part does not open", ErrStoreCorrupt)
	}
	var pf pinFile
	if err := json.Unmarshal(plain, &pf); err != nil {
		return nil, fmt.Errorf("%w: PIN part: %v", ErrStoreCorrupt, err)
	}
	if pf.check() != nil || len(pf.Verifier) < nonceLen+tagLen {
		return nil, fmt.Errorf("%w: PIN parameters out of range", ErrStoreCorrupt)
	}
	return &pf, nil
}

// sealPINFile seals pf into s.
func (k *keys) sealPINFile(s *storeFile, pf *pinFile) error {
	plain, err := json.Marshal(pf)
	if err != nil {
		return err
	}
	s.PIN = k.seal(plain, k.pinAD())
	return nil
}

// newPIN makes the PIN part of a store for pin, and its PIN key.
func (k *keys) newPIN(pin []byte) (*pinFile, *pinKey, error) {
	p := newPINParams()
	kek, err := derivePINKey(k, p, pin)
	if err != nil {
		return nil, nil, err
	}
	return &pinFile{pinParams: *p, Verifier: seal(kek.aead, nil, k.verifierAD(p))}, kek, nil
}

// openPIN returns the PIN key when pin opens the store's verifier, nil
// when it does not (a wrong PIN).
func (k *keys) openPIN(pf *pinFile, pin []byte) (*pinKey, error) {
	kek, err := derivePINKey(k, &pf.pinParams, pin)
	if err != nil {
		return nil, err
	}
	if _, err := open(kek.aead, pf.Verifier, k.verifierAD(&pf.pinParams)); err != nil {
		return nil, nil
	}
	return kek, nil
}

func (k *keys) openState(s *storeFile) (*state, error) {
	plain, err := k.open(s.State, k.stateAD())
	if err != nil {
		return nil, fmt.Errorf("%w: the PIN state does not open", ErrStoreCorrupt)
	}
	var st state
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, fmt.Errorf("%w: PIN state: %v", ErrStoreCorrupt, err)
	}
	if st.WrongPINs < 0 || (st.PIN != nil && st.PIN.check() != nil) {
		return nil, fmt.Errorf("%w: PIN state out of range", ErrStoreCorrupt)
	}
	return &st, nil
}

// openRecord opens r of a store in format 2 (v1 false) or 1 and checks
// that its plaintext names the same RP and user as its identity and holds
// its private key in the format's way.
func (k *keys) openRecord(r *recordFile, v1 bool) (*record, error) {
	plain, err := k.open(r.Sealed, k.recordAD(r))
	if err != nil {
		return nil, fmt.Errorf("%w: passkey %x… does not open (edited or swapped)", ErrStoreCorrupt, r.ID[:4])
	}
	defer clear(plain)
	var rec record
	if err := json.Unmarshal(plain, &rec); err != nil {
		return nil, fmt.Errorf("%w: passkey %x…: %v", ErrStoreCorrupt, r.ID[:4], err)
	}
	h := sha256.Sum256([]byte(rec.RPID))
	if !bytes.Equal(h[:], r.RPIDHash) || !bytes.Equal(rec.UserHandle, r.UserHandle) {
		return nil, fmt.Errorf("%w: passkey %x…: identity differs inside and out", ErrStoreCorrupt, r.ID[:4])
	}
	if v1 != (len(rec.PrivateKey) > 0) || v1 == (len(rec.Key) > 0) {
		clear(rec.PrivateKey)
		return nil, fmt.Errorf("%w: passkey %x…: private key not sealed as the store's format says", ErrStoreCorrupt, r.ID[:4])
	}
	return &rec, nil
}

func (k *keys) sealRecord(r *recordFile, rec *record) error {
	plain, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	r.Sealed = k.seal(plain, k.recordAD(r))
	clear(plain)
	return nil
}

// sealKey seals a PKCS #8 private key into rec under kek.
func (kek *pinKey) sealKey(credID []byte, rec *record, der []byte) {
	rec.Key = seal(kek.aead, der, keyAD(credID))
	clear(rec.PrivateKey)
	rec.PrivateKey = nil
}

// openKey opens rec's private key with kek; the caller clears it.
func (kek *pinKey) openKey(credID []byte, rec *record) ([]byte, error) {
	der, err := open(kek.aead, rec.Key, keyAD(credID))
	if err != nil {
		return nil, fmt.Errorf("%w: passkey %x…: its private key does not open with the PIN", ErrStoreCorrupt, credID[:4])
	}
	return der, nil
}

// readStore reads the store file; (nil, nil) when there is none.
func readStore(path string) (*storeFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("platform: reading the store: %w", err)
	}
	s, err := decodeStore(data)
	if err != nil {
		return nil, fmt.Errorf("platform: %s: %w", path, err)
	}
	return s, nil
}

// writeStore replaces the store file atomically: a temporary file in the
// same directory (mode 0600), fsync, rename, fsync of the directory.
func writeStore(path string, s *storeFile) (err error) {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("platform: making the data directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+FileName+".*")
	if err != nil {
		return fmt.Errorf("platform: writing the store: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("platform: writing the store: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("platform: writing the store: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("platform: writing the store: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("platform: writing the store: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("platform: writing the store: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
