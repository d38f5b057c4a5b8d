package libfido2

import (
	"fmt"

	"github.com/passkeydesk/passkeydesk/fido"
)

// libfido2 return codes, as in <fido/err.h> (libfido2 1.12). Codes 0x00 to
// 0xdf are CTAP status bytes (CTAP 2.1 §8.2) passed through from the key;
// negative codes are libfido2's own. errors_test.go checks this list
// against the installed header.
const (
	codeOK                   = 0x00
	codeInvalidCommand       = 0x01
	codeInvalidParameter     = 0x02
	codeInvalidLength        = 0x03
	codeInvalidSeq           = 0x04
	codeTimeout              = 0x05
	codeChannelBusy          = 0x06
	codeLockRequired         = 0x0a
	codeInvalidChannel       = 0x0b
	codeCBORUnexpectedType   = 0x11
	codeInvalidCBOR          = 0x12
	codeMissingParameter     = 0x14
	codeLimitExceeded        = 0x15
	codeUnsupportedExtension = 0x16
	codeFPDatabaseFull       = 0x17
	codeLargeBlobFull        = 0x18
	codeCredentialExcluded   = 0x19
	codeProcessing           = 0x21
	codeInvalidCredential    = 0x22
	codeUserActionPending    = 0x23
	codeOperationPending     = 0x24
	codeNoOperations         = 0x25
	codeUnsupportedAlgorithm = 0x26
	codeOperationDenied      = 0x27
	codeKeyStoreFull         = 0x28
	codeNotBusy              = 0x29
	codeNoOperationPending   = 0x2a
	codeUnsupportedOption    = 0x2b
	codeInvalidOption        = 0x2c
	codeKeepaliveCancel      = 0x2d
	codeNoCredentials        = 0x2e
	codeUserActionTimeout    = 0x2f
	codeNotAllowed           = 0x30
	codePINInvalid           = 0x31
	codePINBlocked           = 0x32
	codePINAuthInvalid       = 0x33
	codePINAuthBlocked       = 0x34
	codePINNotSet            = 0x35
	codePINRequired          = 0x36
	codePINPolicyViolation   = 0x37
	codePINTokenExpired      = 0x38
	codeRequestTooLarge      = 0x39
	codeActionTimeout        = 0x3a
	codeUPRequired           = 0x3b
	codeUVBlocked            = 0x3c
	codeUVInvalid            = 0x3f
	codeUnauthorizedPerm     = 0x40
	codeErrOther             = 0x7f
	codeSpecLast             = 0xdf

	codeTX                   = -1
	codeRX                   = -2
	codeRXNotCBOR            = -3
	codeRXInvalidCBOR        = -4
	codeInvalidParam         = -5
	codeInvalidSig           = -6
	codeInvalidArgument      = -7
	codeUserPresenceRequired = -8
	codeInternal             = -9
	codeNotFound             = -10
	codeCompress             = -11
)

// Error is a failure inside libfido2 itself (a negative return code) that
// no fido sentinel describes: a malformed answer from the key, a bad
// argument, an internal error. It unwraps to nothing; package ui shows it
// as an unexpected error and logs the text.
type Error struct {
	Op   string // what the binding was doing
	Code int    // the FIDO_ERR_* value
	Name string // the FIDO_ERR_* name
}

func (e *Error) Error() string {
	return fmt.Sprintf("libfido2: %s: %s (%d)", e.Op, e.Name, e.Code)
}

// errorKind says how a code becomes an error.
type errorKind int

const (
	kindOK       errorKind = iota
	kindSentinel           // a fido sentinel
	kindPIN                // *fido.PINError, retries filled in by the caller
	kindDevice             // *fido.DeviceError with the status byte
	kindInternal           // *Error
)

type errorEntry struct {
	name     string
	kind     errorKind
	sentinel error
}

// errorTable maps every FIDO_ERR_* code of libfido2 1.12 to a fido error.
// It is the one place where codes are translated.
var errorTable = map[int]errorEntry{
	codeOK:                   {"FIDO_OK", kindOK, nil},
	codeInvalidCommand:       {"FIDO_ERR_INVALID_COMMAND", kindSentinel, fido.ErrUnsupported},
	codeInvalidParameter:     {"FIDO_ERR_INVALID_PARAMETER", kindDevice, nil},
	codeInvalidLength:        {"FIDO_ERR_INVALID_LENGTH", kindDevice, nil},
	codeInvalidSeq:           {"FIDO_ERR_INVALID_SEQ", kindDevice, nil},
	codeTimeout:              {"FIDO_ERR_TIMEOUT", kindDevice, nil}, // CTAPHID message timeout, not a touch
	codeChannelBusy:          {"FIDO_ERR_CHANNEL_BUSY", kindSentinel, fido.ErrBusy},
	codeLockRequired:         {"FIDO_ERR_LOCK_REQUIRED", kindSentinel, fido.ErrBusy},
	codeInvalidChannel:       {"FIDO_ERR_INVALID_CHANNEL", kindDevice, nil},
	codeCBORUnexpectedType:   {"FIDO_ERR_CBOR_UNEXPECTED_TYPE", kindDevice, nil},
	codeInvalidCBOR:          {"FIDO_ERR_INVALID_CBOR", kindDevice, nil},
	codeMissingParameter:     {"FIDO_ERR_MISSING_PARAMETER", kindDevice, nil},
	codeLimitExceeded:        {"FIDO_ERR_LIMIT_EXCEEDED", kindDevice, nil},
	codeUnsupportedExtension: {"FIDO_ERR_UNSUPPORTED_EXTENSION", kindSentinel, fido.ErrUnsupported},
	codeFPDatabaseFull:       {"FIDO_ERR_FP_DATABASE_FULL", kindSentinel, fido.ErrFingerprintsFull}, // fingerprints, not passkeys
	codeLargeBlobFull:        {"FIDO_ERR_LARGEBLOB_STORAGE_FULL", kindDevice, nil},
	codeCredentialExcluded:   {"FIDO_ERR_CREDENTIAL_EXCLUDED", kindSentinel, fido.ErrCredentialExcluded},
	codeProcessing:           {"FIDO_ERR_PROCESSING", kindDevice, nil},
	codeInvalidCredential:    {"FIDO_ERR_INVALID_CREDENTIAL", kindDevice, nil},
	codeUserActionPending:    {"FIDO_ERR_USER_ACTION_PENDING", kindSentinel, fido.ErrBusy},
	codeOperationPending:     {"FIDO_ERR_OPERATION_PENDING", kindSentinel, fido.ErrBusy},
	codeNoOperations:         {"FIDO_ERR_NO_OPERATIONS", kindDevice, nil},
	codeUnsupportedAlgorithm: {"FIDO_ERR_UNSUPPORTED_ALGORITHM", kindSentinel, fido.ErrUnsupported},
	codeOperationDenied:      {"FIDO_ERR_OPERATION_DENIED", kindSentinel, fido.ErrDenied},
	codeKeyStoreFull:         {"FIDO_ERR_KEY_STORE_FULL", kindSentinel, fido.ErrKeyStoreFull},
	codeNotBusy:              {"FIDO_ERR_NOT_BUSY", kindDevice, nil},
	codeNoOperationPending:   {"FIDO_ERR_NO_OPERATION_PENDING", kindDevice, nil},
	codeUnsupportedOption:    {"FIDO_ERR_UNSUPPORTED_OPTION", kindSentinel, fido.ErrUnsupported},
	codeInvalidOption:        {"FIDO_ERR_INVALID_OPTION", kindDevice, nil},
	codeKeepaliveCancel:      {"FIDO_ERR_KEEPALIVE_CANCEL", kindSentinel, fido.ErrCanceled},
	codeNoCredentials:        {"FIDO_ERR_NO_CREDENTIALS", kindSentinel, fido.ErrNoCredentials},
	codeUserActionTimeout:    {"FIDO_ERR_USER_ACTION_TIMEOUT", kindSentinel, fido.ErrTimeout},
	codeNotAllowed:           {"FIDO_ERR_NOT_ALLOWED", kindDevice, nil},
	codePINInvalid:           {"FIDO_ERR_PIN_INVALID", kindPIN, fido.ErrPINInvalid},
	codePINBlocked:           {"FIDO_ERR_PIN_BLOCKED", kindSentinel, fido.ErrPINBlocked},
	codePINAuthInvalid:       {"FIDO_ERR_PIN_AUTH_INVALID", kindDevice, nil}, // a bad pinUvAuthParam, not a wrong PIN
	codePINAuthBlocked:       {"FIDO_ERR_PIN_AUTH_BLOCKED", kindSentinel, fido.ErrPINAuthBlocked},
	codePINNotSet:            {"FIDO_ERR_PIN_NOT_SET", kindSentinel, fido.ErrPINNotSet},
	codePINRequired:          {"FIDO_ERR_PIN_REQUIRED", kindSentinel, fido.ErrPINRequired},
	codePINPolicyViolation:   {"FIDO_ERR_PIN_POLICY_VIOLATION", kindSentinel, fido.ErrPINPolicy},
	codePINTokenExpired:      {"FIDO_ERR_PIN_TOKEN_EXPIRED", kindDevice, nil},
	codeRequestTooLarge:      {"FIDO_ERR_REQUEST_TOO_LARGE", kindSentinel, fido.ErrRequestTooLarge},
	codeActionTimeout:        {"FIDO_ERR_ACTION_TIMEOUT", kindSentinel, fido.ErrTimeout},
	codeUPRequired:           {"FIDO_ERR_UP_REQUIRED", kindDevice, nil},
	codeUVBlocked:            {"FIDO_ERR_UV_BLOCKED", kindSentinel, fido.ErrUVBlocked},
	codeUVInvalid:            {"FIDO_ERR_UV_INVALID", kindDevice, nil},
	codeUnauthorizedPerm:     {"FIDO_ERR_UNAUTHORIZED_PERM", kindDevice, nil},
	codeErrOther:             {"FIDO_ERR_ERR_OTHER", kindDevice, nil},
	codeSpecLast:             {"FIDO_ERR_SPEC_LAST", kindDevice, nil},

	codeTX:                   {"FIDO_ERR_TX", kindSentinel, fido.ErrKeyRemoved},
	codeRX:                   {"FIDO_ERR_RX", kindSentinel, fido.ErrKeyRemoved},
	codeRXNotCBOR:            {"FIDO_ERR_RX_NOT_CBOR", kindInternal, nil},
	codeRXInvalidCBOR:        {"FIDO_ERR_RX_INVALID_CBOR", kindInternal, nil},
	codeInvalidParam:         {"FIDO_ERR_INVALID_PARAM", kindInternal, nil},
	codeInvalidSig:           {"FIDO_ERR_INVALID_SIG", kindInternal, nil},
	codeInvalidArgument:      {"FIDO_ERR_INVALID_ARGUMENT", kindInternal, nil},
	codeUserPresenceRequired: {"FIDO_ERR_USER_PRESENCE_REQUIRED", kindInternal, nil},
	codeInternal:             {"FIDO_ERR_INTERNAL", kindInternal, nil},
	codeNotFound:             {"FIDO_ERR_NOTFOUND", kindInternal, nil},
	codeCompress:             {"FIDO_ERR_COMPRESS", kindInternal, nil},
}

// codeError turns a libfido2 return code into a fido error, nil for
// FIDO_OK. A wrong PIN becomes a *fido.PINError with Retries -1; callers
// that can ask the key fill the retries in. A code outside the table (a
// newer libfido2, a vendor status) becomes a *fido.DeviceError when it
// fits a status byte and an *Error otherwise.
func codeError(op string, code int) error {
	e, ok := errorTable[code]
	if !ok {
		if code > 0 && code <= 0xff {
			return &fido.DeviceError{Op: op, Status: byte(code)}
		}
		return &Error{Op: op, Code: code, Name: "unknown error"}
	}
	switch e.kind {
	case kindOK:
		return nil
	case kindSentinel:
		return fmt.Errorf("%s: %w", op, e.sentinel)
	case kindPIN:
		return &fido.PINError{Retries: -1}
	case kindDevice:
		return &fido.DeviceError{Op: op, Status: byte(code)}
	default:
		return &Error{Op: op, Code: code, Name: e.name}
	}
}
