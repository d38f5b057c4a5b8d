package platform

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
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
	_, _, _, unlock, err := a.open()
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

// open takes the locks (see lock) and loads the store (see load); unlock
// releases the locks, and on an error they are already released.
func (a *Authenticator) open() (s *storeFile, k *keys, st *state, unlock func(), err error) {
	if unlock, err = a.lock(); err != nil {
		return nil, nil, nil, nil, err
	}
	if s, k, st, err = a.load(); err != nil {
		unlock()
		return nil, nil, nil, nil, err
	}
	return s, k, st, unlock, nil
}

// load returns the store (made on first use), its keys and its state.
// Called with a.mu held.
func (a *Authenticator) load() (*storeFile, *keys, *state, error) {
	s, err := readStore(a.path)
	if err != nil {
		return nil, nil, nil, err
	}
	k, err := a.masterKeys(s)
	if err != nil {
		return nil, nil, nil, err
	}
	if s == nil {
		s = &storeFile{Format: storeFormat, KeyID: k.id}
		st := &state{}
		if err := k.sealState(s, st); err != nil {
			return nil, nil, nil, err
		}
		if err := writeStore(a.path, s); err != nil {
			return nil, nil, nil, err
		}
		return s, k, st, nil
	}
	st, err := k.openState(s)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("platform: %s: %w", a.path, err)
	}
	return s, k, st, nil
}

// masterKeys fetches (or, with no store, makes) the master key and checks
// it against the store s (nil when there is none).
func (a *Authenticator) masterKeys(s *storeFile) (*keys, error) {
	k := a.cached
	if k == nil {
		secret, err := a.keyring.Get(KeyringService, a.user)
		switch {
		case isNotFound(err) && s != nil:
			return nil, fmt.Errorf("%w: the keyring has no entry %q for %s, but %s holds sealed passkeys (kept)",
				ErrMasterKeyMismatch, a.user, KeyringService, a.path)
		case isNotFound(err):
			return a.newMasterKey()
		case err != nil:
			return nil, keyringError("reading", err)
		default:
			master, err := base64.StdEncoding.DecodeString(secret)
			if (err != nil || len(master) != 32) && s == nil {
				// Nothing is sealed under this entry: replace it.
				return a.newMasterKey()
			}
			if err != nil || len(master) != 32 {
				return nil, fmt.Errorf("%w: the keyring entry %q is not a 32-byte key", ErrMasterKeyMismatch, a.user)
			}
			k, err = deriveKeys(master)
			clear(master)
			if err != nil {
				return nil, err
			}
		}
	}
	if s != nil && !bytes.Equal(s.KeyID, k.id) {
		return nil, fmt.Errorf("%w: the store %s was sealed under another master key (kept)", ErrMasterKeyMismatch, a.path)
	}
	if a.cache {
		a.cached = k
	}
	return k, nil
}

// newMasterKey makes a master key and stores it in the keyring. Called
// only when there is no store, so nothing sealed is lost.
func (a *Authenticator) newMasterKey() (*keys, error) {
	master := make([]byte, 32)
	rand.Read(master)
	defer clear(master)
	if err := a.keyring.Set(KeyringService, a.user, base64.StdEncoding.EncodeToString(master)); err != nil {
		return nil, keyringError("storing", err)
	}
	k, err := deriveKeys(master)
	if err != nil {
		return nil, err
	}
	if a.cache {
		a.cached = k
	}
	return k, nil
}

// StartOver sets aside a store that cannot be used — its master key
// missing or replaced (ErrMasterKeyMismatch) or the file damaged
// (ErrStoreCorrupt) — so that this computer can make passkeys again with
// a new PIN. The old file is renamed, never deleted: putting the old
// master key back into the keyring and the file back in place makes its
// passkeys usable again. It returns the name the file was moved to, or ""
// and an error when the store is usable (nothing to start over) or the
// keyring is unavailable (starting over would not help).
func (a *Authenticator) StartOver(ctx context.Context) (string, error) {
	unlock, err := a.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	_, _, _, err = a.load()
	if err == nil {
		return "", errors.New("platform: the store is usable; nothing to start over")
	}
	if !errors.Is(err, ErrMasterKeyMismatch) && !errors.Is(err, ErrStoreCorrupt) {
		return "", err
	}
	aside := fmt.Sprintf("%s.unusable-%s", a.path, a.now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(a.path, aside); err != nil {
		return "", fmt.Errorf("platform: setting the store aside: %w", err)
	}
	a.cached = nil
	a.pin.forget()
	return aside, nil
}

// Path implements fido.Device.
func (a *Authenticator) Path() string { return Path }

// Info implements fido.Device: FIDO 2.0 and 2.1, ES256 only, transport
// "internal" (so fido/client calls it a platform authenticator), options
// rk, up, plat and uv (true once the local PIN is set: the PIN is this
// authenticator's built-in verification, CTAP 2.1 §6.4).
func (a *Authenticator) Info(ctx context.Context) (*fido.Info, error) {
	_, _, st, unlock, err := a.open()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &fido.Info{
		Versions:              []string{"FIDO_2_0", "FIDO_2_1"},
		AAGUID:                a.aaguid,
		Options:               map[string]bool{"rk": true, "up": true, "plat": true, "uv": st.PIN != nil},
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
// "none".
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
	s, k, st, unlock, err := a.open()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rpHash := sha256.Sum256([]byte(req.RP.ID))
	for _, ex := range req.Exclude {
		for _, r := range s.Records {
			if bytes.Equal(r.ID, ex.ID) && bytes.Equal(r.RPIDHash, rpHash[:]) {
				if err := a.verify(ctx, s, k, st, p); err != nil { // §6.1.2 step 4: after verification
					return nil, err
				}
				return nil, fido.ErrCredentialExcluded
			}
		}
	}
	if err := a.verify(ctx, s, k, st, p); err != nil {
		return nil, err
	}

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
		PrivateKey:  der,
		Created:     a.now().UTC(),
	}
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
// always asked; with an allow list, the first listed credential this
// computer holds for the RP; without, every credential for the RP, users
// filled in. Each assertion counts up its credential's counter.
func (a *Authenticator) GetAssertion(ctx context.Context, req *fido.GetAssertionRequest, p fido.Prompt) ([]fido.Assertion, error) {
	if len(req.ClientDataHash) != sha256.Size {
		return nil, errors.New("platform: client data hash must be 32 bytes")
	}
	s, k, st, unlock, err := a.open()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rpHash := sha256.Sum256([]byte(req.RPID))
	var found []int
	for i, r := range s.Records {
		if !bytes.Equal(r.RPIDHash, rpHash[:]) {
			continue
		}
		if len(req.Allow) == 0 || slices.ContainsFunc(req.Allow, func(d fido.CredentialDescriptor) bool { return bytes.Equal(d.ID, r.ID) }) {
			found = append(found, i)
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
	recs := make([]*record, len(found))
	for j, i := range found {
		if recs[j], err = k.openRecord(&s.Records[i]); err != nil {
			return nil, fmt.Errorf("platform: %s: %w", a.path, err)
		}
	}
	defer func() {
		for _, rec := range recs {
			clear(rec.PrivateKey)
		}
	}()
	if err := a.verify(ctx, s, k, st, p); err != nil {
		return nil, err
	}
	out := make([]fido.Assertion, 0, len(found))
	for j, i := range found {
		rec := recs[j]
		key, err := x509.ParsePKCS8PrivateKey(rec.PrivateKey)
		priv, ok := key.(*ecdsa.PrivateKey)
		if err != nil || !ok {
			return nil, fmt.Errorf("platform: %s: %w: passkey %x…: private key does not parse", a.path, ErrStoreCorrupt, s.Records[i].ID[:4])
		}
		rec.Counter++
		if err := k.sealRecord(&s.Records[i], rec); err != nil {
			return nil, err
		}
		authData := binary.BigEndian.AppendUint32(append(rpHash[:], flagUP|flagUV), rec.Counter)
		digest := sha256.Sum256(append(bytes.Clone(authData), req.ClientDataHash...))
		sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
		if err != nil {
			return nil, err
		}
		out = append(out, fido.Assertion{
			CredentialID: bytes.Clone(s.Records[i].ID),
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

// verify asks for the local PIN until one is right, counting wrong ones
// into the store and backing off (see the package doc).
func (a *Authenticator) verify(ctx context.Context, s *storeFile, k *keys, st *state, p fido.Prompt) error {
	if st.PIN == nil {
		return fido.ErrPINNotSet
	}
	if p.PIN == nil {
		return fido.ErrPINRequired
	}
	wrong := false
	for {
		if err := a.backingOff(st); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", fido.ErrCanceled, err)
		}
		pin, err := p.PIN(ctx, fido.PINRequest{Retries: retriesLeft(st), Wrong: wrong, MinLength: MinPINLength})
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, fido.ErrCanceled) {
				return fmt.Errorf("%w: %w", fido.ErrCanceled, err)
			}
			return err
		}
		ok, err := a.checkPIN(s, k, st, pin)
		clear(pin)
		if err != nil || ok {
			return err
		}
		wrong = true
	}
}

func (a *Authenticator) backingOff(st *state) error {
	if a.now().Before(st.BackoffUntil) {
		return &fido.PINBackoffError{Until: st.BackoffUntil}
	}
	return nil
}

// retriesLeft is how many wrong PINs may follow before the next wait.
func retriesLeft(st *state) int {
	if st.WrongPINs < maxWrongPINs {
		return maxWrongPINs - st.WrongPINs
	}
	return 1
}

// checkPIN checks pin against the state, writing the count of wrong PINs
// when it changes. A wrong PIN that starts a wait gives
// *fido.PINBackoffError.
func (a *Authenticator) checkPIN(s *storeFile, k *keys, st *state, pin []byte) (bool, error) {
	if a.pin.known(st.PIN, pin) || st.PIN.matches(pin) {
		a.pin.remember(st.PIN, pin)
		if st.WrongPINs == 0 && st.BackoffUntil.IsZero() {
			return true, nil
		}
		st.WrongPINs, st.BackoffUntil = 0, time.Time{}
		return true, a.saveState(s, k, st)
	}
	st.WrongPINs++
	if d := backoff(st.WrongPINs); d > 0 {
		st.BackoffUntil = a.now().Add(d)
	}
	if err := a.saveState(s, k, st); err != nil {
		return false, err
	}
	return false, a.backingOff(st)
}

func (a *Authenticator) saveState(s *storeFile, k *keys, st *state) error {
	if err := k.sealState(s, st); err != nil {
		return err
	}
	return writeStore(a.path, s)
}

// PINState implements fido.Device. Retries is how many wrong PINs may
// follow before the next wait; UVRetries is -1.
func (a *Authenticator) PINState(ctx context.Context) (fido.PINState, error) {
	_, _, st, unlock, err := a.open()
	if err != nil {
		return fido.PINState{}, err
	}
	defer unlock()
	return fido.PINState{Set: st.PIN != nil, Retries: retriesLeft(st), UVRetries: -1}, nil
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
	s, k, st, unlock, err := a.open()
	if err != nil {
		return err
	}
	defer unlock()
	if st.PIN != nil {
		return fmt.Errorf("platform: a PIN is already set; change it instead: %w", fido.ErrUnsupported)
	}
	st.PIN = hashPIN(pin)
	if err := a.saveState(s, k, st); err != nil {
		return err
	}
	a.pin.remember(st.PIN, pin)
	return nil
}

// ChangePIN implements fido.Device. A wrong old PIN counts as a wrong PIN:
// *fido.PINError with the retries before the next wait, or
// *fido.PINBackoffError.
func (a *Authenticator) ChangePIN(ctx context.Context, old, new []byte) error {
	if !validPIN(new) {
		return errPINPolicy
	}
	s, k, st, unlock, err := a.open()
	if err != nil {
		return err
	}
	defer unlock()
	if st.PIN == nil {
		return fido.ErrPINNotSet
	}
	if err := a.backingOff(st); err != nil {
		return err
	}
	ok, err := a.checkPIN(s, k, st, old)
	if err != nil {
		return err
	}
	if !ok {
		return &fido.PINError{Retries: retriesLeft(st)}
	}
	st.PIN = hashPIN(new)
	if err := a.saveState(s, k, st); err != nil {
		return err
	}
	a.pin.remember(st.PIN, new)
	return nil
}

// Cancel implements fido.Device. The authenticator never waits on its
// own: a PIN prompt ends with its context.
func (a *Authenticator) Cancel() error { return nil }

// Close forgets the cached master key and the session's PIN.
func (a *Authenticator) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cached = nil
	a.pin.forget()
	return nil
}
