package softkey

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Defaults for Options fields left zero.
const (
	DefaultSlots        = 25
	DefaultTouchTimeout = 30 * time.Second
	DefaultResetWindow  = 10 * time.Second
)

// DefaultAAGUID is the simulated key's AAGUID, used when Options.AAGUID is
// zero; the assets catalog names it (assets.SimulatedKeyAAGUID).
var DefaultAAGUID = fido.AAGUID{0x4c, 0xdf, 0x30, 0x3c, 0x61, 0x19, 0x4e, 0xe6, 0x84, 0xf0, 0xe2, 0xb8, 0x95, 0xdc, 0x9b, 0x5b}

// Options configure a new Key.
type Options struct {
	// Name is the key's name; it is listed at sim://NAME. Required.
	Name string
	// AAGUID is the model's AAGUID, written into credentials and the
	// attestation certificate (DefaultAAGUID if zero). Ignored when Open
	// loads a saved state.
	AAGUID fido.AAGUID
	// Slots is how many discoverable credentials fit (DefaultSlots if 0).
	Slots int
	// TouchTimeout is how long the key waits for a touch before answering
	// USER_ACTION_TIMEOUT (DefaultTouchTimeout if 0).
	TouchTimeout time.Duration
	// ResetWindow is how long after power-up authenticatorReset is allowed
	// (DefaultResetWindow if 0).
	ResetWindow time.Duration
	// BuiltInUV gives the key built-in user verification (as a fingerprint
	// reader would): getInfo lists uv true, getUVRetries and
	// getPinUvAuthTokenUsingUvWithPermissions work, and the "uv" option is
	// taken. Verification succeeds unless FailUV says otherwise.
	BuiltInUV bool
	// Fingerprint gives the key a simulated fingerprint sensor:
	// authenticatorBioEnrollment (under 0x09 and the preview 0x40), getInfo
	// bioEnroll and userVerificationMgmtPreview, and built-in user
	// verification by fingerprint once one is enrolled (uv true; false
	// before). Each touch of the sensor gives the next queued Sample
	// (QueueSamples). Fingerprint managing needs the PIN. Off by default.
	Fingerprint bool
}

// TouchMode is how the simulated user answers a request for a touch. A
// makeCredential that finds a credential of its exclude list answers
// CREDENTIAL_EXCLUDED whichever the answer: a touch, a timeout or a
// denial (CTAP 2.1 §6.1.2 step 12.1.4).
type TouchMode int

const (
	// TouchAtOnce touches the key as soon as it asks (the default).
	TouchAtOnce TouchMode = iota
	// TouchAfterDelay touches the key after the delay given to SetTouch.
	TouchAfterDelay
	// TouchNever leaves the key waiting: it answers USER_ACTION_TIMEOUT
	// after Options.TouchTimeout unless Press is called first.
	TouchNever
	// TouchDenied declines: the key answers OPERATION_DENIED.
	TouchDenied
)

// Key is a simulated security key. It is safe for concurrent use.
type Key struct {
	opts Options

	mu        sync.Mutex
	st        state  // what survives a power cycle
	path      string // where Open keeps st; "" for none
	plugged   bool
	removed   chan struct{} // closed when unplugged; one per power-on
	poweredAt time.Time
	channels  map[uint32]bool
	nextCID   uint32
	busy      *transaction // the one CTAPHID transaction under way
	pin       pinSession
	next      *assertionQueue // for authenticatorGetNextAssertion
	touch     TouchMode
	delay     time.Duration
	pressed   chan struct{} // closed (and replaced) by Press
	denied    chan struct{} // closed (and replaced) by Deny
	selfAtt   bool
	noConfig  bool // authenticatorConfig left out (SetConfigSupport)
	winks     int
	cm        *cmQueue    // for the credential management GetNext subcommands
	failUV    int         // built-in verifications still to fail
	samples   []Sample    // what the finger gives the sensor next
	enroll    *enrollment // the fingerprint enrollment under way
	waiting   bool        // a request waits for a touch now
	stall     *stall      // the request to hold until unplugged (StallNext)
	stalled   bool        // a request is held now
	commands  [256]int    // CTAP commands answered, by command byte
}

// New returns a plugged-in key with a fresh state: no PIN, no
// credentials, a new attestation key and certificate. It panics if
// opts.Name is empty.
func New(opts Options) *Key {
	opts = opts.withDefaults()
	st, err := newState(opts.AAGUID)
	if err != nil {
		panic(fmt.Sprintf("softkey: %v", err))
	}
	return newKey(opts, st, "")
}

// Open returns a plugged-in key whose state is kept in the file at path:
// loaded from it when it exists, created otherwise, and written back after
// every change (mode 0600). See the package doc on what the file holds.
// Like New, it panics if opts.Name is empty.
//
// If writing the file fails, the command that changed the state answers
// CTAP1_ERR_OTHER; the change stays in memory.
func Open(path string, opts Options) (*Key, error) {
	opts = opts.withDefaults()
	st, err := loadState(path)
	if err != nil {
		return nil, err
	}
	if st == nil {
		if st, err = newState(opts.AAGUID); err != nil {
			return nil, fmt.Errorf("softkey: %w", err)
		}
		if err := st.save(path); err != nil {
			return nil, err
		}
	}
	return newKey(opts, st, path), nil
}

// withDefaults fills the zero fields. It panics if Name is empty.
func (opts Options) withDefaults() Options {
	if opts.Name == "" {
		panic("softkey: Options.Name is empty")
	}
	if opts.AAGUID == (fido.AAGUID{}) {
		opts.AAGUID = DefaultAAGUID
	}
	if opts.Slots <= 0 {
		opts.Slots = DefaultSlots
	}
	if opts.TouchTimeout <= 0 {
		opts.TouchTimeout = DefaultTouchTimeout
	}
	if opts.ResetWindow <= 0 {
		opts.ResetWindow = DefaultResetWindow
	}
	return opts
}

func newKey(opts Options, st *state, path string) *Key {
	k := &Key{opts: opts, st: *st, path: path, pressed: make(chan struct{}), denied: make(chan struct{})}
	k.mu.Lock()
	k.powerUp()
	k.mu.Unlock()
	return k
}

// HIDInfo describes the key as a USB listing would. Its vendor and
// product IDs are zero: it is never on a USB bus, and takes no one's IDs.
func (k *Key) HIDInfo() fido.DeviceInfo {
	return fido.DeviceInfo{
		Path:         "sim://" + k.opts.Name,
		Manufacturer: "Passkey Desk",
		Product:      "Simulated security key",
		Simulated:    true,
	}
}

// OpenHID opens a connection to the key; fido.ErrKeyRemoved when it is
// unplugged.
func (k *Key) OpenHID() (fido.HIDConn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.plugged {
		return nil, fido.ErrKeyRemoved
	}
	return &conn{key: k, removed: k.removed, ready: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// SetTouch sets how the simulated user answers the next requests for a
// touch; delay is used by TouchAfterDelay.
func (k *Key) SetTouch(mode TouchMode, delay time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch, k.delay = mode, delay
}

// Press touches the key now: a request waiting for a touch goes on,
// whatever the TouchMode. With no request waiting it does nothing.
func (k *Key) Press() {
	k.mu.Lock()
	defer k.mu.Unlock()
	close(k.pressed)
	k.pressed = make(chan struct{})
}

// Deny declines the request waiting for a touch now, as a key whose
// user refuses it does: it answers OPERATION_DENIED, whatever the
// TouchMode. With no request waiting it does nothing.
func (k *Key) Deny() {
	k.mu.Lock()
	defer k.mu.Unlock()
	close(k.denied)
	k.denied = make(chan struct{})
}

// Unplug pulls the key out: open connections fail with
// fido.ErrKeyRemoved, OpenHID too, and a request under way is dropped.
func (k *Key) Unplug() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.plugged {
		return
	}
	k.plugged = false
	close(k.removed)
	k.abort()
}

// Plug puts the key back in. It powers up: new channels, the PIN
// soft lock (PIN_AUTH_BLOCKED) cleared, the reset window open again.
// Connections opened before stay dead.
func (k *Key) Plug() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.plugged {
		k.powerUp()
	}
}

// PowerCycle unplugs the key and plugs it back in, as a user pulling it
// out and reinserting it: open connections fail with fido.ErrKeyRemoved
// and must be reopened; channels, the pinUvAuthToken and the PIN soft lock
// are gone; the reset window opens again.
func (k *Key) PowerCycle() {
	k.Unplug()
	k.Plug()
}

// stall is what StallNext armed.
type stall struct {
	cmd  byte
	skip int
}

// StallNext makes the key hold its answer to a CTAP request with command
// byte cmd, after letting skip such requests through, until it is
// unplugged: the client is then mid-request when the key goes. The
// client cancelling the request (CTAPHID_CANCEL) or closing its connection
// also ends the hold. Stalled reports when the request is held. Only the
// next one is held.
func (k *Key) StallNext(cmd byte, skip int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stall = &stall{cmd: cmd, skip: skip}
}

// Stalled reports whether a request is held by StallNext now.
func (k *Key) Stalled() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stalled
}

// WaitingForTouch reports whether a request waits for a touch now, so
// that Press lands on it (a Press with nothing waiting is not kept).
func (k *Key) WaitingForTouch() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.waiting
}

// Plugged reports whether the key is plugged in.
func (k *Key) Plugged() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.plugged
}

// SetSignCount sets the signature counter; the next signature carries n+1.
func (k *Key) SetSignCount(n uint32) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.st.SignCount = n
	return k.persist()
}

// SignCount returns the signature counter.
func (k *Key) SignCount() uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st.SignCount
}

// SetSelfAttestation makes MakeCredential return packed self attestation
// (signed by the new credential's own key, no certificate) instead of
// attestation by the key's certificate.
func (k *Key) SetSelfAttestation(on bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.selfAtt = on
}

// FailUV makes the next n built-in user verifications fail (a finger
// that does not match), each costing a UV retry; at zero retries the key
// answers UV_BLOCKED. For a key with Options.BuiltInUV or Fingerprint.
func (k *Key) FailUV(n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failUV = n
}

// UVRetries returns the built-in UV retries left.
func (k *Key) UVRetries() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st.uvRetries()
}

// Commands counts the CTAP (CBOR) requests with command byte cmd the key
// has answered, such as 0x0A and 0x41 for credential management.
func (k *Key) Commands(cmd byte) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.commands[cmd]
}

// Winks counts the CTAPHID_WINK requests the key has answered.
func (k *Key) Winks() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.winks
}

// AttestationCertificate returns the DER certificate of the key's
// attestation key.
func (k *Key) AttestationCertificate() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]byte(nil), k.st.AttestationCert...)
}

// Save writes the key's state to path (mode 0600).
func (k *Key) Save(path string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st.save(path)
}

// powerUp starts a power-on session. k.mu is held.
func (k *Key) powerUp() {
	k.plugged = true
	k.removed = make(chan struct{})
	k.poweredAt = time.Now()
	k.channels = make(map[uint32]bool)
	k.busy = nil
	k.next = nil
	k.cm = nil
	k.enroll = nil
	k.pin = pinSession{}
	k.pin.regenerate()
}

// hasUV reports whether the key has built-in user verification at all.
func (k *Key) hasUV() bool {
	return k.opts.BuiltInUV || k.opts.Fingerprint
}

// uvEnabled reports whether built-in user verification can be used now:
// a fingerprint key needs an enrolled fingerprint.
func (k *Key) uvEnabled() bool {
	return k.opts.BuiltInUV || k.opts.Fingerprint && len(k.st.Templates) > 0
}

// persist writes the state to the Open file, if any. k.mu is held.
func (k *Key) persist() error {
	if k.path == "" {
		return nil
	}
	return k.st.save(k.path)
}

// random fills a new slice of n random bytes.
func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// newAgreementKey makes a P-256 key agreement key (CTAP 2.1 §6.5.6).
func newAgreementKey() *ecdh.PrivateKey {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("softkey: %v", err)) // crypto/rand does not fail
	}
	return priv
}
