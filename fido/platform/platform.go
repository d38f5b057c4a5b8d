package platform

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Errors of this authenticator, besides those of package fido. Each is
// returned wrapped, with the detail; test with errors.Is.
var (
	// ErrKeyringUnavailable: the OS keyring cannot be used (no Secret
	// Service, locked, access denied). It wraps the keyring's own error.
	ErrKeyringUnavailable = errors.New("platform: the OS keyring is not available")
	// ErrMasterKeyMismatch: the keyring's master key is missing or is not
	// the one the store was sealed with. The store is kept as it is.
	ErrMasterKeyMismatch = errors.New("platform: the keyring's master key does not open this computer's passkeys")
	// ErrStoreCorrupt: the store does not parse, or a record does not
	// open (edited, swapped). The file is kept as it is.
	ErrStoreCorrupt = errors.New("platform: this computer's passkey store is damaged")
)

// Path is the path an Authenticator reports.
const Path = "platform://this-computer"

// Options configure New.
type Options struct {
	// Dir is the data directory that holds the store (FileName).
	Dir string
	// AAGUID goes into attested credential data: pass
	// assets.ThisComputerAAGUID, parsed.
	AAGUID fido.AAGUID
	// Keyring holds the master key; nil means SystemKeyring.
	Keyring Keyring
	// KeyringUser names the master key's entry under KeyringService;
	// "" means KeyringUser. Tests use names of their own.
	KeyringUser string
	// CacheMasterKey keeps the master key for the Authenticator's life
	// after the first fetch, instead of fetching it for every operation.
	// The wrong-PIN count beside it is still read whenever a PIN is asked.
	CacheMasterKey bool
	// Now is the clock for the PIN backoff; nil means time.Now.
	Now func() time.Time
}

// Authenticator is this computer's platform authenticator. It implements
// fido.Device; its methods may be called from several goroutines (they
// run one at a time).
type Authenticator struct {
	path    string
	aaguid  fido.AAGUID
	keyring Keyring
	user    string
	cache   bool
	now     func() time.Time

	mu     sync.Mutex
	cached *keys
	pin    *sessionPIN
}

var _ fido.Device = (*Authenticator)(nil)

// New returns the authenticator for the store in opts.Dir. It touches
// neither the keyring nor the disk: the first operation does.
func New(opts Options) (*Authenticator, error) {
	if opts.Dir == "" {
		return nil, errors.New("platform: no data directory")
	}
	if opts.AAGUID == (fido.AAGUID{}) {
		return nil, errors.New("platform: no AAGUID")
	}
	a := &Authenticator{
		path:    filepath.Join(opts.Dir, FileName),
		aaguid:  opts.AAGUID,
		keyring: opts.Keyring,
		user:    opts.KeyringUser,
		cache:   opts.CacheMasterKey,
		now:     opts.Now,
		pin:     newSessionPIN(),
	}
	if a.keyring == nil {
		a.keyring = SystemKeyring{}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.user == "" {
		a.user = KeyringUser
	}
	return a, nil
}

// Check opens the keyring and the store and reports why this computer's
// passkeys cannot be used, or nil. The UI shows the method disabled with
// the reason when it is not nil.
func (a *Authenticator) Check(ctx context.Context) error {
	_, unlock, err := a.open()
	if err != nil {
		return err
	}
	unlock()
	return nil
}

// lock takes the in-process mutex and the data directory's lock.
func (a *Authenticator) lock() (func(), error) {
	a.mu.Lock()
	unlock, err := lockDir(filepath.Dir(a.path))
	if err != nil {
		a.mu.Unlock()
		return nil, err
	}
	return func() { unlock(); a.mu.Unlock() }, nil
}

// opened is the store an operation holds, under the locks.
type opened struct {
	s *storeFile
	k *keys
	// item is the keyring entry as read in this operation; nil when the
	// master key came from the cache and no PIN was needed yet.
	item *keyringItem
	// pin is a format 2 store's PIN part, nil until a PIN is set.
	pin *pinFile
	// legacy is a format 1 store's state, nil for format 2.
	legacy *state
}

// pinSet reports whether the store has a PIN.
func (o *opened) pinSet() bool {
	if o.legacy != nil {
		return o.legacy.PIN != nil
	}
	return o.pin != nil
}

// open takes the locks (see lock) and loads the store (see load); unlock
// releases the locks, and on an error they are already released.
func (a *Authenticator) open() (o *opened, unlock func(), err error) {
	if unlock, err = a.lock(); err != nil {
		return nil, nil, err
	}
	if o, err = a.load(); err != nil {
		unlock()
		return nil, nil, err
	}
	return o, unlock, nil
}

// load returns the store (made on first use) and its keys. Called with
// the locks held.
func (a *Authenticator) load() (*opened, error) {
	s, err := readStore(a.path)
	if err != nil {
		return nil, err
	}
	k, item, err := a.masterKeys(s)
	if err != nil {
		return nil, err
	}
	o := &opened{s: s, k: k, item: item}
	if s == nil {
		o.s = &storeFile{Format: storeFormat, KeyID: k.id, Records: []recordFile{}}
		if err := writeStore(a.path, o.s); err != nil {
			return nil, err
		}
		return o, nil
	}
	switch {
	case s.v1():
		o.legacy, err = k.openState(s)
	case s.PIN != nil:
		o.pin, err = k.openPINFile(s)
	}
	if err != nil {
		return nil, fmt.Errorf("platform: %s: %w", a.path, err)
	}
	return o, nil
}

// masterKeys fetches (or, with no store, makes) the master key and checks
// it against the store s (nil when there is none). The keyring entry is
// returned when it was read.
func (a *Authenticator) masterKeys(s *storeFile) (*keys, *keyringItem, error) {
	if k := a.cached; k != nil {
		if s == nil || bytes.Equal(s.KeyID, k.id) {
			return k, nil, nil
		}
		a.cached = nil // another instance may have started over: read again
	}
	secret, err := a.keyring.Get(KeyringService, a.user)
	switch {
	case isNotFound(err) && s != nil:
		return nil, nil, fmt.Errorf("%w: the keyring has no entry %q for %s, but %s holds sealed passkeys (kept)",
			ErrMasterKeyMismatch, a.user, KeyringService, a.path)
	case isNotFound(err):
		return a.newMasterKey()
	case err != nil:
		return nil, nil, keyringError("reading", err)
	}
	item, err := parseItem(secret)
	if err != nil && s == nil {
		// Nothing is sealed under this entry: replace it.
		return a.newMasterKey()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the keyring entry %q: %w", ErrMasterKeyMismatch, a.user, err)
	}
	k, err := deriveKeys(item.Key)
	if err != nil {
		return nil, nil, err
	}
	if s != nil && !bytes.Equal(s.KeyID, k.id) {
		return nil, nil, fmt.Errorf("%w: the store %s was sealed under another master key (kept)", ErrMasterKeyMismatch, a.path)
	}
	if a.cache {
		a.cached = k
	}
	return k, item, nil
}

// newMasterKey makes a master key and stores it in the keyring, with no
// wrong PINs. Called only when nothing is sealed under the current one.
func (a *Authenticator) newMasterKey() (*keys, *keyringItem, error) {
	item := &keyringItem{V: itemVersion, Key: make([]byte, 32)}
	rand.Read(item.Key)
	if err := a.keyring.Set(KeyringService, a.user, item.encode()); err != nil {
		return nil, nil, keyringError("storing", err)
	}
	k, err := deriveKeys(item.Key)
	if err != nil {
		return nil, nil, err
	}
	if a.cache {
		a.cached = k
	}
	return k, item, nil
}

// tries returns the keyring entry with the wrong-PIN count, reading it
// when this operation has not yet. A format 1 store's own count is taken
// when higher, so an upgrade loses no wrong PIN.
func (a *Authenticator) tries(o *opened) (*keyringItem, error) {
	if o.item == nil {
		secret, err := a.keyring.Get(KeyringService, a.user)
		switch {
		case isNotFound(err):
			return nil, fmt.Errorf("%w: the keyring entry %q is gone", ErrMasterKeyMismatch, a.user)
		case err != nil:
			return nil, keyringError("reading", err)
		}
		item, err := parseItem(secret)
		if err != nil {
			return nil, fmt.Errorf("%w: the keyring entry %q: %w", ErrMasterKeyMismatch, a.user, err)
		}
		k, err := deriveKeys(item.Key)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(k.id, o.k.id) {
			a.cached = nil
			return nil, fmt.Errorf("%w: the keyring entry %q changed", ErrMasterKeyMismatch, a.user)
		}
		o.item = item
	}
	if st := o.legacy; st != nil {
		o.item.WrongPINs = max(o.item.WrongPINs, st.WrongPINs)
		if st.BackoffUntil.After(o.item.BackoffUntil) {
			o.item.BackoffUntil = st.BackoffUntil
		}
	}
	return o.item, nil
}

// saveTries writes the keyring entry with its wrong-PIN count.
func (a *Authenticator) saveTries(item *keyringItem) error {
	if err := a.keyring.Set(KeyringService, a.user, item.encode()); err != nil {
		return keyringError("storing the wrong-PIN count beside", err)
	}
	item.V = itemVersion
	return nil
}

// StartOver makes this computer's passkey store new and empty, with no
// PIN, so that the local PIN can be set again.
//
// When the store is usable it deletes every passkey's private key and the
// PIN, and replaces the master key in the keyring, so that no copy of the
// old store opens again; the passkeys made here stop working. It returns
// "".
//
// When the store cannot be used — its master key missing or replaced
// (ErrMasterKeyMismatch) or the file damaged (ErrStoreCorrupt) — the old
// file is renamed aside, never deleted: putting the old master key back
// into the keyring and the file back in place makes its passkeys usable
// again. It returns the name the file was moved to.
//
// An unavailable keyring is an error (starting over would not help).
func (a *Authenticator) StartOver(ctx context.Context) (string, error) {
	unlock, err := a.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	a.pin.forget()
	o, err := a.load()
	if err == nil {
		item := &keyringItem{V: itemVersion, Key: make([]byte, 32)}
		rand.Read(item.Key)
		k, err := deriveKeys(item.Key)
		if err != nil {
			return "", err
		}
		if err := a.keyring.Set(KeyringService, a.user, item.encode()); err != nil {
			return "", keyringError("replacing", err)
		}
		a.cached = nil
		if a.cache {
			a.cached = k
		}
		o.s = &storeFile{Format: storeFormat, KeyID: k.id, Records: []recordFile{}}
		return "", writeStore(a.path, o.s)
	}
	if !errors.Is(err, ErrMasterKeyMismatch) && !errors.Is(err, ErrStoreCorrupt) {
		return "", err
	}
	aside := fmt.Sprintf("%s.unusable-%s", a.path, a.now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(a.path, aside); err != nil {
		return "", fmt.Errorf("platform: setting the store aside: %w", err)
	}
	a.cached = nil
	return aside, nil
}

// DeleteCredential deletes the passkey with credential ID id from the
// store: its private key is gone for good. It needs neither the PIN nor
// the keyring, since the credential IDs are in the clear. A passkey this
// computer does not hold gives fido.ErrNoCredentials.
func (a *Authenticator) DeleteCredential(ctx context.Context, id []byte) error {
	unlock, err := a.lock()
	if err != nil {
		return err
	}
	defer unlock()
	s, err := readStore(a.path)
	if err != nil {
		return err
	}
	if s == nil {
		return fido.ErrNoCredentials
	}
	n := len(s.Records)
	s.Records = slices.DeleteFunc(s.Records, func(r recordFile) bool { return bytes.Equal(r.ID, id) })
	if len(s.Records) == n {
		return fido.ErrNoCredentials
	}
	return writeStore(a.path, s)
}

// Path implements fido.Device.
func (a *Authenticator) Path() string { return Path }

// Info implements fido.Device: FIDO 2.0 and 2.1, ES256 only, transport
// "internal" (so fido/client calls it a platform authenticator), options
// rk, up, plat and uv (true once the local PIN is set: the PIN is this
// authenticator's built-in verification, CTAP 2.1 §6.4).
func (a *Authenticator) Info(ctx context.Context) (*fido.Info, error) {
	o, unlock, err := a.open()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &fido.Info{
		Versions:              []string{"FIDO_2_0", "FIDO_2_1"},
		AAGUID:                a.aaguid,
		Options:               map[string]bool{"rk": true, "up": true, "plat": true, "uv": o.pinSet()},
		MaxCredIDLength:       credIDLen,
		Transports:            []string{"internal"},
		Algorithms:            []int{fido.ES256},
		MinPINLength:          MinPINLength,
		RemainingDiscoverable: -1,
	}, nil
}

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

// MakeCredential implements fido.Device (CTAP 2.1 §6.1.2): the local PIN
// is always asked, the credential is ES256 and discoverable, attestation
// "none". Its private key is sealed under the PIN key.
func (a *Authenticator) MakeCredential(ctx context.Context, req *fido.MakeCredentialRequest, p fido.Prompt) (*fido.Attestation, error) {
	if len(req.ClientDataHash) != sha256.Size {
		return nil, errors.New("platform: client data hash must be 32 bytes")
	}
	if req.RP.ID == "" || len(req.User.ID) == 0 || len(req.User.ID) > maxUserLen {
		return nil, errors.New("platform: the request needs an RP ID and a user handle of 1 to 64 bytes")
	}
	if !slices.Contains(req.Algorithms, fido.ES256) {
		return nil, &fido.DeviceError{Op: "make credential", Status: 0x26} // CTAP2_ERR_UNSUPPORTED_ALGORITHM
	}
	o, unlock, err := a.open()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rpHash := sha256.Sum256([]byte(req.RP.ID))
	for _, ex := range req.Exclude {
		for _, r := range o.s.Records {
			if bytes.Equal(r.ID, ex.ID) && bytes.Equal(r.RPIDHash, rpHash[:]) {
				if _, err := a.verify(ctx, o, p); err != nil { // §6.1.2 step 4: after verification
					return nil, err
				}
				return nil, fido.ErrCredentialExcluded
			}
		}
	}
	kek, err := a.verify(ctx, o, p)
	if err != nil {
		return nil, err
	}
	s, k := o.s, o.k

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	rf := recordFile{ID: make([]byte, credIDLen), RPIDHash: rpHash[:], UserHandle: bytes.Clone(req.User.ID)}
	rand.Read(rf.ID)
	rec := &record{
		RPID:        req.RP.ID,
		UserHandle:  rf.UserHandle,
		UserName:    req.User.Name,
		DisplayName: req.User.DisplayName,
		Created:     a.now().UTC(),
	}
	kek.sealKey(rf.ID, rec, der)
	if err := k.sealRecord(&rf, rec); err != nil {
		return nil, err
	}
	// One discoverable credential per RP and user (§6.1.2 step 17).
	s.Records = slices.DeleteFunc(s.Records, func(r recordFile) bool {
		return bytes.Equal(r.RPIDHash, rf.RPIDHash) && bytes.Equal(r.UserHandle, rf.UserHandle)
	})
	s.Records = append(s.Records, rf)

	authData := binary.BigEndian.AppendUint32(append(rpHash[:], flagUP|flagUV|flagAT), 0)
	authData = append(authData, a.aaguid[:]...)
	authData = binary.BigEndian.AppendUint16(authData, credIDLen)
	authData = append(authData, rf.ID...)
	coseKey, err := coseKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	authData = append(authData, coseKey...)
	if err := writeStore(a.path, s); err != nil {
		return nil, err
	}
	return &fido.Attestation{Format: "none", AuthData: authData, CredentialID: bytes.Clone(rf.ID)}, nil
}

// coseKey encodes an EC2 P-256 public key as a COSE_Key (RFC 9053 §7.1).
func coseKey(pub *ecdsa.PublicKey) ([]byte, error) {
	point, err := pub.Bytes() // 0x04 ‖ x ‖ y
	if err != nil {
		return nil, err
	}
	return cbor.Marshal(map[int]any{1: 2, 3: fido.ES256, -1: 1, -2: point[1:33], -3: point[33:65]})
}

// GetAssertion implements fido.Device (CTAP 2.1 §6.2.2): the local PIN is
// always asked, and its key opens the private keys; with an allow list,
// the first listed credential this computer holds for the RP; without,
// every credential for the RP, users filled in. Each assertion counts up
// its credential's counter.
func (a *Authenticator) GetAssertion(ctx context.Context, req *fido.GetAssertionRequest, p fido.Prompt) ([]fido.Assertion, error) {
	if len(req.ClientDataHash) != sha256.Size {
		return nil, errors.New("platform: client data hash must be 32 bytes")
	}
	o, unlock, err := a.open()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rpHash := sha256.Sum256([]byte(req.RPID))
	var found [][]byte
	for _, r := range o.s.Records {
		if !bytes.Equal(r.RPIDHash, rpHash[:]) {
			continue
		}
		if len(req.Allow) == 0 || slices.ContainsFunc(req.Allow, func(d fido.CredentialDescriptor) bool { return bytes.Equal(d.ID, r.ID) }) {
			found = append(found, r.ID)
		}
	}
	if len(found) == 0 {
		return nil, fido.ErrNoCredentials
	}
	if len(req.Allow) > 0 {
		found = found[:1]
	}
	// Open every record before asking for the PIN, so a damaged one is
	// reported before the user types anything, and before anything is
	// written.
	for _, id := range found {
		rec, err := o.k.openRecord(o.record(id), o.s.v1())
		if err != nil {
			return nil, fmt.Errorf("platform: %s: %w", a.path, err)
		}
		clear(rec.PrivateKey)
	}
	kek, err := a.verify(ctx, o, p)
	if err != nil {
		return nil, err
	}
	// The right PIN may have upgraded a format 1 store: open the records
	// again, as they are now.
	s, k := o.s, o.k
	out := make([]fido.Assertion, 0, len(found))
	for _, id := range found {
		rf := o.record(id)
		rec, err := k.openRecord(rf, false)
		if err != nil {
			return nil, fmt.Errorf("platform: %s: %w", a.path, err)
		}
		der, err := kek.openKey(rf.ID, rec)
		if err != nil {
			return nil, fmt.Errorf("platform: %s: %w", a.path, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(der)
		clear(der)
		priv, ok := key.(*ecdsa.PrivateKey)
		if err != nil || !ok {
			return nil, fmt.Errorf("platform: %s: %w: passkey %x…: private key does not parse", a.path, ErrStoreCorrupt, rf.ID[:4])
		}
		rec.Counter++
		if err := k.sealRecord(rf, rec); err != nil {
			return nil, err
		}
		authData := binary.BigEndian.AppendUint32(append(rpHash[:], flagUP|flagUV), rec.Counter)
		digest := sha256.Sum256(append(bytes.Clone(authData), req.ClientDataHash...))
		sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
		if err != nil {
			return nil, err
		}
		out = append(out, fido.Assertion{
			CredentialID: bytes.Clone(rf.ID),
			AuthData:     authData,
			Signature:    sig,
			User:         fido.User{ID: bytes.Clone(rec.UserHandle), Name: rec.UserName, DisplayName: rec.DisplayName},
		})
	}
	if err := writeStore(a.path, s); err != nil {
		return nil, err
	}
	return out, nil
}

// record is the store's record with credential ID id.
func (o *opened) record(id []byte) *recordFile {
	for i := range o.s.Records {
		if bytes.Equal(o.s.Records[i].ID, id) {
			return &o.s.Records[i]
		}
	}
	panic("platform: a record vanished under the lock")
}

// verify asks for the local PIN until one opens the store, counting wrong
// ones in the keyring entry and backing off (see the package doc). It
// returns the PIN key; a format 1 store is upgraded on the way.
func (a *Authenticator) verify(ctx context.Context, o *opened, p fido.Prompt) (*pinKey, error) {
	if !o.pinSet() {
		return nil, fido.ErrPINNotSet
	}
	if p.PIN == nil {
		return nil, fido.ErrPINRequired
	}
	item, err := a.tries(o)
	if err != nil {
		return nil, err
	}
	wrong := false
	for {
		if err := a.backingOff(item); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", fido.ErrCanceled, err)
		}
		pin, err := p.PIN(ctx, fido.PINRequest{Retries: retriesLeft(item), Wrong: wrong, MinLength: MinPINLength})
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, fido.ErrCanceled) {
				return nil, fmt.Errorf("%w: %w", fido.ErrCanceled, err)
			}
			return nil, err
		}
		kek, err := a.checkPIN(o, item, pin)
		clear(pin)
		if err != nil || kek != nil {
			return kek, err
		}
		wrong = true
	}
}

func (a *Authenticator) backingOff(item *keyringItem) error {
	if a.now().Before(item.BackoffUntil) {
		return &fido.PINBackoffError{Until: item.BackoffUntil}
	}
	return nil
}

// retriesLeft is how many wrong PINs may follow before the next wait.
func retriesLeft(item *keyringItem) int {
	if item.WrongPINs < maxWrongPINs {
		return maxWrongPINs - item.WrongPINs
	}
	return 1
}

// checkPIN tries pin on the store: the PIN key when it opens the store
// (upgrading a format 1 store), nil when it does not. Either way the
// wrong-PIN count in item is brought up to date in the keyring before the
// answer is given. A wrong PIN that starts a wait gives
// *fido.PINBackoffError.
func (a *Authenticator) checkPIN(o *opened, item *keyringItem, pin []byte) (*pinKey, error) {
	var kek *pinKey
	var err error
	if o.legacy != nil {
		if o.legacy.PIN.matches(pin) {
			if kek, err = a.upgrade(o, pin); err != nil {
				return nil, err
			}
		}
	} else if kek = a.pin.known(o.pin.Verifier, pin); kek == nil {
		if kek, err = o.k.openPIN(o.pin, pin); err != nil {
			return nil, err
		}
	}
	if kek != nil {
		a.pin.remember(o.pin.Verifier, pin, kek)
		if item.V == itemVersion && item.WrongPINs == 0 && item.BackoffUntil.IsZero() {
			return kek, nil
		}
		item.WrongPINs, item.BackoffUntil = 0, time.Time{}
		return kek, a.saveTries(item)
	}
	item.WrongPINs++
	if d := backoff(item.WrongPINs); d > 0 {
		item.BackoffUntil = a.now().Add(d)
	}
	if err := a.saveTries(item); err != nil {
		return nil, err
	}
	return nil, a.backingOff(item)
}

// upgrade rewrites a format 1 store in format 2 once pin has matched its
// PIN hash: a PIN key from pin, and every private key sealed under it, in
// one atomic write. A record that does not open is carried over as it is
// (it stays unusable, and is not deleted).
func (a *Authenticator) upgrade(o *opened, pin []byte) (*pinKey, error) {
	pf, kek, err := o.k.newPIN(pin)
	if err != nil {
		return nil, err
	}
	s := *o.s
	s.Format, s.State = storeFormat, nil
	if err := o.k.sealPINFile(&s, pf); err != nil {
		return nil, err
	}
	s.Records = slices.Clone(o.s.Records)
	for i := range s.Records {
		rf := &s.Records[i]
		rec, err := o.k.openRecord(rf, true)
		if err != nil {
			continue
		}
		kek.sealKey(rf.ID, rec, rec.PrivateKey)
		if err := o.k.sealRecord(rf, rec); err != nil {
			return nil, err
		}
	}
	if err := writeStore(a.path, &s); err != nil {
		return nil, err
	}
	o.s, o.pin, o.legacy = &s, pf, nil
	return kek, nil
}

// PINState implements fido.Device. Retries is how many wrong PINs may
// follow before the next wait; UVRetries is -1.
func (a *Authenticator) PINState(ctx context.Context) (fido.PINState, error) {
	o, unlock, err := a.open()
	if err != nil {
		return fido.PINState{}, err
	}
	defer unlock()
	item, err := a.tries(o)
	if err != nil {
		return fido.PINState{}, err
	}
	return fido.PINState{Set: o.pinSet(), Retries: retriesLeft(item), UVRetries: -1}, nil
}

// errPINPolicy refuses a PIN that validPIN does not accept.
var errPINPolicy = fmt.Errorf("%w: the PIN for this computer must be %d to %d digits", fido.ErrPINPolicy, MinPINLength, maxPINLength)

// SetPIN implements fido.Device: the first local PIN, MinPINLength digits
// or more (else fido.ErrPINPolicy). Once one is set, ChangePIN changes it;
// SetPIN then gives fido.ErrUnsupported.
func (a *Authenticator) SetPIN(ctx context.Context, pin []byte) error {
	if !validPIN(pin) {
		return errPINPolicy
	}
	o, unlock, err := a.open()
	if err != nil {
		return err
	}
	defer unlock()
	if o.pinSet() {
		return fmt.Errorf("platform: a PIN is already set; change it instead: %w", fido.ErrUnsupported)
	}
	if len(o.s.Records) > 0 {
		return fmt.Errorf("platform: %s: %w: passkeys without a PIN", a.path, ErrStoreCorrupt)
	}
	pf, kek, err := o.k.newPIN(pin)
	if err != nil {
		return err
	}
	s := &storeFile{Format: storeFormat, KeyID: o.s.KeyID, Records: []recordFile{}}
	if err := o.k.sealPINFile(s, pf); err != nil {
		return err
	}
	if err := writeStore(a.path, s); err != nil {
		return err
	}
	a.pin.remember(pf.Verifier, pin, kek)
	return nil
}

// ChangePIN implements fido.Device: every private key is sealed again
// under the new PIN's key, in one atomic write of the store. A wrong old
// PIN counts as a wrong PIN: *fido.PINError with the retries before the
// next wait, or *fido.PINBackoffError. A record that does not open is
// carried over as it is (it stays unusable, and is not deleted).
func (a *Authenticator) ChangePIN(ctx context.Context, old, new []byte) error {
	if !validPIN(new) {
		return errPINPolicy
	}
	o, unlock, err := a.open()
	if err != nil {
		return err
	}
	defer unlock()
	if !o.pinSet() {
		return fido.ErrPINNotSet
	}
	item, err := a.tries(o)
	if err != nil {
		return err
	}
	if err := a.backingOff(item); err != nil {
		return err
	}
	oldKey, err := a.checkPIN(o, item, old)
	if err != nil {
		return err
	}
	if oldKey == nil {
		return &fido.PINError{Retries: retriesLeft(item)}
	}
	pf, kek, err := o.k.newPIN(new)
	if err != nil {
		return err
	}
	s := *o.s
	if err := o.k.sealPINFile(&s, pf); err != nil {
		return err
	}
	s.Records = slices.Clone(o.s.Records)
	for i := range s.Records {
		rf := &s.Records[i]
		rec, err := o.k.openRecord(rf, false)
		if err != nil {
			continue
		}
		der, err := oldKey.openKey(rf.ID, rec)
		if err != nil {
			continue
		}
		kek.sealKey(rf.ID, rec, der)
		clear(der)
		if err := o.k.sealRecord(rf, rec); err != nil {
			return err
		}
	}
	if err := writeStore(a.path, &s); err != nil {
		return err
	}
	a.pin.remember(pf.Verifier, new, kek)
	return nil
}

// Cancel implements fido.Device. The authenticator never waits on its
// own: a PIN prompt ends with its context.
func (a *Authenticator) Cancel() error { return nil }

// Close forgets the cached master key and the session's PIN key.
func (a *Authenticator) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cached = nil
	a.pin.forget()
	return nil
}
