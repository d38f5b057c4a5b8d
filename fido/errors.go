package fido

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Their texts are for logs; package ui puts them into
// words for people.
var (
	ErrPINInvalid         = errors.New("fido: wrong PIN")                                           // see PINError for retries
	ErrPINBlocked         = errors.New("fido: PIN blocked; only a reset helps")                     // CTAP2_ERR_PIN_BLOCKED
	ErrPINAuthBlocked     = errors.New("fido: too many wrong PINs; remove and reinsert the key")    // CTAP2_ERR_PIN_AUTH_BLOCKED
	ErrPINRequired        = errors.New("fido: the key needs a PIN for this")                        // CTAP2_ERR_PIN_REQUIRED
	ErrPINNotSet          = errors.New("fido: the key has no PIN")                                  // CTAP2_ERR_PIN_NOT_SET
	ErrPINPolicy          = errors.New("fido: the PIN does not meet the key's rules")               // CTAP2_ERR_PIN_POLICY_VIOLATION
	ErrUVBlocked          = errors.New("fido: built-in verification blocked; use the PIN")          // CTAP2_ERR_UV_BLOCKED
	ErrCredentialExcluded = errors.New("fido: the key already holds a passkey for this account")    // CTAP2_ERR_CREDENTIAL_EXCLUDED
	ErrKeyStoreFull       = errors.New("fido: no room left on the key for passkeys")                // CTAP2_ERR_KEY_STORE_FULL
	ErrNoCredentials      = errors.New("fido: the key holds no matching passkey")                   // CTAP2_ERR_NO_CREDENTIALS
	ErrTimeout            = errors.New("fido: the key was not touched in time")                     // CTAP2_ERR_USER_ACTION_TIMEOUT
	ErrDenied             = errors.New("fido: the request was denied on the key")                   // CTAP2_ERR_OPERATION_DENIED
	ErrCanceled           = errors.New("fido: canceled")                                            // CTAP2_ERR_KEEPALIVE_CANCEL, context canceled
	ErrKeyRemoved         = errors.New("fido: the key was removed")                                 // I/O failure on an open key
	ErrNotFIDO2           = errors.New("fido: not a FIDO2 security key")                            // U2F-only or not a FIDO device
	ErrUnsupported        = errors.New("fido: the key does not support this")                       // CTAP1_ERR_INVALID_COMMAND, CTAP2_ERR_UNSUPPORTED_OPTION …
	ErrBusy               = errors.New("fido: the key is busy with another request")                // CTAP1_ERR_CHANNEL_BUSY
	ErrRequestTooLarge    = errors.New("fido: the request is too large for this key")               // CTAP2_ERR_REQUEST_TOO_LARGE, a request longer than maxMsgSize refused
	ErrResetTooLate       = errors.New("fido: a key can be reset only just after it is plugged in") // CTAP2_ERR_NOT_ALLOWED to authenticatorReset
)

// PINError is a wrong PIN, with the retries the key has left (-1 when it
// did not say).
type PINError struct{ Retries int }

func (e *PINError) Error() string {
	if e.Retries < 0 {
		return ErrPINInvalid.Error()
	}
	return fmt.Sprintf("%v (%d retries left)", ErrPINInvalid, e.Retries)
}

// Is makes errors.Is(err, ErrPINInvalid) true for a *PINError.
func (e *PINError) Is(target error) bool { return target == ErrPINInvalid }

// DeviceError is a CTAP status byte (CTAP 2.1 §8.2) that no sentinel
// covers, with the operation it answered.
type DeviceError struct {
	Op     string
	Status byte
}

func (e *DeviceError) Error() string {
	return fmt.Sprintf("fido: %s: CTAP status 0x%02x", e.Op, e.Status)
}

// PINBackoffError is a PIN that may not be tried again before Until, after
// too many wrong ones. A platform authenticator (fido/platform) backs off
// like this where a security key would block its PIN; the wait doubles
// with each further wrong PIN. It matches no sentinel: the PIN is not
// blocked and a wrong PIN is not what the user must hear about.
type PINBackoffError struct{ Until time.Time }

func (e *PINBackoffError) Error() string {
	return fmt.Sprintf("fido: too many wrong PINs; try again after %s", e.Until.Format(time.TimeOnly))
}
