package fido

import (
	"context"
	"time"
)

// Device is an opened authenticator. Methods are safe to call from one
// goroutine at a time, except Cancel, which may be called from any.
//
// Errors: see the package doc. An operation on a key that was pulled out
// returns ErrKeyRemoved; a cancelled context or Cancel gives ErrCanceled;
// no touch in time gives ErrTimeout.
type Device interface {
	// Path is where the device was opened.
	Path() string
	// Info is authenticatorGetInfo.
	Info(ctx context.Context) (*Info, error)
	// MakeCredential creates a credential. When user verification is asked
	// for and the key has a PIN, the PIN comes from p.PIN; a wrong PIN is
	// asked again with the retries left, until the key blocks it.
	MakeCredential(ctx context.Context, req *MakeCredentialRequest, p Prompt) (*Attestation, error)
	// GetAssertion returns every assertion the key gives for req (several
	// for a discoverable request when the key holds several accounts).
	GetAssertion(ctx context.Context, req *GetAssertionRequest, p Prompt) ([]Assertion, error)
	// PINState reports whether a PIN is set and the retries left.
	PINState(ctx context.Context) (PINState, error)
	// SetPIN sets the first PIN. ErrPINPolicy when it breaks the key's
	// rules (too short).
	SetPIN(ctx context.Context, pin []byte) error
	// ChangePIN changes the PIN; *PINError when old is wrong.
	ChangePIN(ctx context.Context, old, new []byte) error
	// Cancel cancels the operation in flight, if any.
	Cancel() error
	// Close closes the device.
	Close() error
}

// Prompt is how a device asks its user for something. A nil field means
// the caller cannot answer that request: a PIN needed then gives
// ErrPINRequired.
type Prompt struct {
	// PIN returns the key's PIN. The device zeroes the returned slice
	// when done with it.
	PIN func(ctx context.Context, req PINRequest) ([]byte, error)
	// Touch is called when the key starts waiting for a touch.
	Touch func()
	// Fingerprint, when set, is called as the key starts waiting for a
	// finger on its sensor to verify the user (instead of a PIN), with
	// the fingerprint tries left (-1 when unknown) and whether the last
	// finger did not match. It stands in for Touch while it does.
	Fingerprint func(retries int, missed bool)
}

// PINRequest says why a PIN is asked.
type PINRequest struct {
	Retries   int  // retries left, -1 when unknown
	Wrong     bool // the previous PIN was wrong
	MinLength int  // the key's minimum PIN length
}

// Provider finds devices.
type Provider interface {
	// Devices lists the devices present now.
	Devices(ctx context.Context) ([]DeviceInfo, error)
	// Open opens the device at path.
	Open(ctx context.Context, path string) (Device, error)
	// Watch sends the device list whenever it changes (and once at the
	// start), checking at least every interval, until ctx ends.
	Watch(ctx context.Context, interval time.Duration) <-chan []DeviceInfo
}

// HIDDevice is an in-process device that speaks CTAPHID (CTAP 2.1 §11.2)
// in 64-byte reports, such as a fido/softkey key. fido/libfido2 routes the
// path sim://NAME to the HIDDevice registered under NAME.
type HIDDevice interface {
	// HIDInfo describes the device as a USB listing would.
	HIDInfo() DeviceInfo
	// OpenHID opens a connection; a device that has been unplugged
	// returns ErrKeyRemoved.
	OpenHID() (HIDConn, error)
}

// HIDConn is an open connection to a HIDDevice.
type HIDConn interface {
	// WriteReport sends one 64-byte output report.
	WriteReport(report []byte) error
	// ReadReport returns the next 64-byte input report, waiting at most
	// timeout (negative: no limit). ErrTimeout when none came in time,
	// ErrKeyRemoved once the device is unplugged.
	ReadReport(timeout time.Duration) ([]byte, error)
	// Close closes the connection.
	Close() error
}
