// Package fido holds what Passkey Desk knows about authenticators, in pure
// Go: the types of CTAP 2.1 (device info, relying party, user, credential,
// attestation, assertion), the Device and Provider interfaces, the optional
// Manager interface of a device-management screen (passkeys stored on a
// key, key policy, reset; assert it on a Device), the Prompt
// through which a device asks for a PIN or a touch, the errors every
// implementation returns, and the size of a request as a CTAP message
// (size.go), by which a client fits a long allow or exclude list to what
// a key takes.
//
// # Implementations
//
//   - fido/libfido2 drives USB security keys through libfido2 (the only cgo
//     package), and routes paths of the form sim://NAME to an in-process
//     HIDDevice through libfido2's I/O hook, so a simulated key goes through
//     exactly the same C code as a real one.
//   - fido/softkey is such a simulated key: a CTAP 2.1 authenticator in Go
//     that speaks 64-byte CTAPHID reports (HIDDevice).
//   - fido/platform is "this computer": a platform authenticator whose
//     master key is kept in the OS keyring and whose passkeys are unlocked
//     by a local PIN.
//   - fido/client plays the WebAuthn client (the browser's part) on top of
//     any Device.
//
// # Interaction
//
// A device never shows anything. When it needs a PIN it calls Prompt.PIN,
// with the retries the key reports; when the key starts waiting for a
// touch it calls Prompt.Touch. Every operation takes a context: cancelling
// it cancels the operation on the key (CTAPHID_CANCEL), and Device.Cancel
// does the same from another goroutine.
//
// # Errors
//
// Every method returns nil, one of the sentinels in errors.go (test with
// errors.Is), a *PINError (errors.As; it also matches ErrPINInvalid), a
// *PINBackoffError when a platform authenticator makes the user wait
// before the next PIN, or a *DeviceError for a CTAP status with no
// sentinel of its own.
package fido
