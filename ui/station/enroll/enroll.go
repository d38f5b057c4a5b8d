package enroll

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Step is one step of readying a key.
type Step int

// The steps, in the order they run.
const (
	StepDetected       Step = iota // the key is found and opened
	StepReset                      // optional: replug, touch, reset
	StepPIN                        // the PIN set (or changed from the key's current one)
	StepMinPINLength               // authenticatorConfig setMinPINLength
	StepPasskey                    // the passkey made and finished
	StepForcePINChange             // setMinPINLength with forceChangePin
	StepLabel                      // the key's label read
	StepDone                       // everything done
)

var stepNames = [...]string{"detected", "reset", "PIN", "minimum PIN length", "passkey", "force PIN change", "label", "done"}

func (s Step) String() string {
	if s < 0 || int(s) >= len(stepNames) {
		return fmt.Sprintf("step %d", int(s))
	}
	return stepNames[s]
}

// Need is what the person at the station must do now.
type Need int

// The needs.
const (
	NeedNothing Need = iota
	NeedReplug       // pull the key out and put it back
	NeedTouch        // touch the key
)

// Event is progress on one key. Started events have Done false and Err
// nil; a step that ended has Done true or Err set. Need asks something of
// the person while the step runs.
type Event struct {
	Path   string // the key's path as the Provider lists it
	Person string // Job.Person
	Step   Step
	Need   Need
	Done   bool
	Err    error
	At     time.Time
}

// Registrar begins and finishes the registration of one passkey for one
// person: Begin returns WebAuthn creation options (JSON, as a browser
// would get them), Finish takes the RegistrationResponseJSON the client
// made for them, with the key's label as far as it is known then (Label,
// Model, AAGUID, KeyID, CredentialID). The account service is plugged in
// here (StationRegistrar); each method runs off the UI goroutine and may
// be called again after a failure (Finish with the same response, so
// that a credential made on the key is never left without its account).
type Registrar interface {
	Begin(ctx context.Context) (optionsJSON []byte, err error)
	Finish(ctx context.Context, responseJSON []byte, key Result) error
}

// Errors the station has words and choices for. Each comes wrapped in a
// *StepError.
var (
	// ErrAlreadyEnrolled is an exclude-list hit: the key already holds a
	// passkey for this person (skip, or reset the key).
	ErrAlreadyEnrolled = errors.New("enroll: the key already holds a passkey for this person")
	// ErrKeyFull is a key with no room left for a passkey (reset it, or
	// use another key).
	ErrKeyFull = errors.New("enroll: the key has no room left for a passkey")
	// ErrNoPINSupport is a key that cannot have a PIN (use it anyway with
	// Job.AllowNoPIN, or another key).
	ErrNoPINSupport = errors.New("enroll: the key does not support a PIN")
	// ErrForceChangeRefused is a key that cannot force a PIN change at
	// first use (use it anyway with Job.AllowNoForceChange: the owner is
	// then not made to choose their own PIN).
	ErrForceChangeRefused = errors.New("enroll: the key cannot force a PIN change at first use")
	// ErrKeyHasPIN is a key that already has a PIN when the job neither
	// resets it nor knows the PIN (reset it, or give Job.CurrentPIN).
	ErrKeyHasPIN = errors.New("enroll: the key already has a PIN")
	// ErrReplugTimeout is a reset whose replug did not come in time.
	ErrReplugTimeout = errors.New("enroll: the key was not pulled out and put back in time")
)

// StepError is a step that failed. errors.Is and errors.As see through it
// to the cause: one of the errors above, or a fido error such as
// fido.ErrKeyRemoved (the key was pulled out), fido.ErrTimeout (no touch).
type StepError struct {
	Step Step
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("enroll: %v: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// Result is what readying a key gave.
type Result struct {
	Label        string      // Model and KeyID, as printed on the PIN slip
	Model        string      // the model's name from the AAGUID catalog, or a generic one
	AAGUID       fido.AAGUID // the key's AAGUID from getInfo
	KeyID        string      // a short identifier of this key (see keyID)
	CredentialID []byte
	// MinPINLength is the minimum PIN length the key now has (0 when it
	// cannot say); ForcedPINChange says the owner must change the PIN at
	// first use; PINSet says the key has the job's PIN.
	MinPINLength    int
	ForcedPINChange bool
	PINSet          bool
	Reset           bool // the key was reset
}
