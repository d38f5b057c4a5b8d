package enroll

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"unicode/utf8"
)

// MinPINDigits is the shortest PIN a station gives a key.
const MinPINDigits = 6

// maxPINBytes is the longest PIN CTAP 2.1 takes (§6.5.5.5: 63 bytes).
const maxPINBytes = 63

// Policy is how a station sets PINs.
type Policy struct {
	// PINLength is how many digits a random PIN has: at least
	// MinPINDigits and MinPINLength (0: MinPINDigits).
	PINLength int
	// MinPINLength is the minimum PIN length set on keys that support it
	// (0: MinPINDigits). The owner's own PIN must be at least this long.
	MinPINLength int
}

func (p Policy) minLength() int {
	if p.MinPINLength <= 0 {
		return MinPINDigits
	}
	return p.MinPINLength
}

func (p Policy) pinLength() int { return max(p.PINLength, MinPINDigits, p.minLength()) }

// check refuses a policy that cannot work.
func (p Policy) check() error {
	switch {
	case p.MinPINLength != 0 && p.MinPINLength < 4:
		return fmt.Errorf("enroll: minimum PIN length %d: CTAP keys take no less than 4", p.MinPINLength)
	case p.minLength() > maxPINBytes:
		return fmt.Errorf("enroll: minimum PIN length %d is more than a key takes (%d)", p.MinPINLength, maxPINBytes)
	case p.PINLength > maxPINBytes:
		return fmt.Errorf("enroll: PIN length %d is more than a key takes (%d)", p.PINLength, maxPINBytes)
	}
	return nil
}

// RandomPIN returns n decimal digits, each drawn uniformly from
// crypto/rand. n below MinPINDigits is raised to it.
func RandomPIN(n int) ([]byte, error) {
	n = max(n, MinPINDigits)
	pin := make([]byte, n)
	ten := big.NewInt(10)
	for i := range pin {
		d, err := rand.Int(rand.Reader, ten)
		if err != nil {
			clear(pin)
			return nil, fmt.Errorf("enroll: drawing a PIN: %w", err)
		}
		pin[i] = '0' + byte(d.Int64())
	}
	return pin, nil
}

// Job is one person's key being readied: what to do, and how far it got.
// Its PIN lives here only. A Job is run by one Run at a time (a second
// one at once fails with ErrJobRunning); between runs the station may
// change the Allow fields and CurrentPIN, to answer one of the errors.
type Job struct {
	// Person names the person in events and logs (a display name or an
	// email); it is not sent to the key.
	Person    string
	Registrar Registrar
	// Reset resets the key first (guided replug and touch).
	Reset bool
	// CurrentPIN is the PIN a key already has, when it is not reset; the
	// job's PIN replaces it. Zeroed by Forget.
	CurrentPIN []byte
	// AllowNoPIN goes on with a key that cannot have a PIN.
	AllowNoPIN bool
	// AllowNoForceChange goes on with a key that cannot force a PIN change.
	AllowNoForceChange bool

	running  sync.Mutex
	mu       sync.Mutex // guards what follows
	policy   Policy
	pin      []byte
	random   bool   // pin was drawn here, not typed by the operator
	reset    bool   // the reset step is done
	pinSet   bool   // the key was given pin
	response []byte // the credential made, until finished
	finished bool
	result   Result
}

// ErrJobRunning is a Job run again while a run is under way.
var ErrJobRunning = errors.New("enroll: this person's key is being readied already")

// NewJob makes a job for person. pin is the PIN the operator typed (the
// job keeps a copy; the caller may zero its own), nil for a random one of
// policy.PINLength digits. A PIN shorter than the policy's minimum, longer
// than 63 bytes, or not UTF-8 is refused.
func NewJob(person string, reg Registrar, policy Policy, pin []byte) (*Job, error) {
	if reg == nil {
		return nil, errors.New("enroll: a job needs a Registrar")
	}
	if err := policy.check(); err != nil {
		return nil, err
	}
	j := &Job{Person: person, Registrar: reg, policy: policy}
	if pin == nil {
		var err error
		if j.pin, err = RandomPIN(policy.pinLength()); err != nil {
			return nil, err
		}
		j.random = true
		return j, nil
	}
	switch {
	case utf8.RuneCount(pin) < policy.minLength():
		return nil, fmt.Errorf("enroll: the PIN must have at least %d characters", policy.minLength())
	case len(pin) > maxPINBytes:
		return nil, fmt.Errorf("enroll: the PIN must have at most %d bytes", maxPINBytes)
	case !utf8.Valid(pin) || bytes.IndexByte(pin, 0) >= 0:
		return nil, errors.New("enroll: the PIN must be text without NUL characters")
	}
	j.pin = bytes.Clone(pin)
	return j, nil
}

// PIN returns a copy of the job's PIN, for the PIN slip; the caller zeroes
// it when done. Nil after Forget.
func (j *Job) PIN() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	return bytes.Clone(j.pin)
}

// Result is what the last run got to; complete once Done says so.
func (j *Job) Result() Result {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.result
	r.CredentialID = bytes.Clone(r.CredentialID)
	return r
}

// Done reports whether the key is ready and the passkey finished.
func (j *Job) Done() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.finished && j.result.Label != ""
}

// Forget zeroes the PINs the job holds. The job can no longer give its
// PIN to a key.
func (j *Job) Forget() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.pin)
	clear(j.CurrentPIN)
	j.pin, j.CurrentPIN = nil, nil
}

// pinCopy is the job's PIN for one use by a device (which zeroes it).
func (j *Job) pinCopy() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	return bytes.Clone(j.pin)
}

// update changes the job's state under its lock.
func (j *Job) update(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
}

// fitPIN lengthens a random PIN that a key with a higher minimum than the
// policy's would refuse; a typed one is the operator's to change. It is
// called before the PIN is set on any key (a slip is made once the key
// is ready).
func (j *Job) fitPIN(min int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.random || j.pinSet || len(j.pin) >= min || min > maxPINBytes {
		return nil
	}
	pin, err := RandomPIN(min)
	if err != nil {
		return err
	}
	clear(j.pin)
	j.pin = pin
	return nil
}
