// Package libfido2 is Passkey Desk's own binding to libfido2 (Yubico's C
// library for FIDO2 security keys), and the project's only cgo package.
//
// # Shape
//
// One file, cgo.go, imports "C". It wraps a fido_dev_t in a private
// handle whose methods take and return Go types and libfido2 codes. The
// rest is pure Go: device.go makes the decisions of a client (which
// algorithm, PIN or built-in verification, asking the PIN again with the
// retries left, cancelling), errors.go turns every FIDO_ERR_* code into a
// fido error in one table, registry.go and simconn.go are the simulated-key
// transport. hook.c
// holds the C side: the I/O trampolines and the buffers PINs travel in.
//
// # Keys
//
// Provider lists USB keys with fido_dev_info_manifest and the simulated
// keys registered with Register. A simulated key's path is sim://NAME;
// opening it installs custom I/O with fido_dev_set_io_functions, whose
// open, close, read and write call into Go and move 64-byte CTAPHID
// reports to the registered fido.HIDDevice. libfido2 does everything else
// (CTAPHID framing, CBOR, the PIN protocols' cryptography, parsing), so a
// simulated key goes through the same C code as a USB key.
//
// # Managing a key
//
// The device is also a fido.Manager (manage.go): credential management
// through fido_credman_* (metadata, sites, passkeys by site, delete, and
// updateUserInformation through fido_credman_set_dev_rk), authenticatorConfig
// through fido_dev_toggle_always_uv, fido_dev_set_pin_minlen and
// fido_dev_force_pin_change, and fido_dev_reset. libfido2 1.12 sends
// credential management as the CTAP 2.1 preview command 0x41 to every key
// (1.15 and later send 0x0A to keys listing credMgmt) and gets the
// pinUvAuthToken itself: from the PIN, or from built-in UV when no PIN is
// given. Each call asks the PIN through Prompt.PIN as Device does (a
// minimum PIN length together with a forced change may ask twice: libfido2
// sends them as two requests). A site with no passkeys lists as empty, and
// a reset outside the key's window is fido.ErrResetTooLate.
//
// # Fingerprints
//
// The device is also a fido.BioManager (bio.go): fingerprints through
// fido_bio_*: the sensor's info, enrollment (fido_bio_dev_enroll_begin,
// then fido_bio_dev_enroll_continue per sample, with the key's judgement of
// each sample and the samples still needed; fido_bio_dev_enroll_cancel),
// the list, renaming and removal. libfido2 1.12 sends them as the preview
// command 0x40 with a token from the PIN (keys give fingerprint management
// no token from the finger); the token enrollBegin got serves the later
// samples, kept in libfido2's fido_bio_enroll_t until the enrollment ends.
// An enrollment's Cancel sends CTAPHID_CANCEL to a sample awaited and
// then cancelCurrentEnrollment. A key with no fingerprint lists none
// (it answers INVALID_OPTION); an unknown ID is fido.ErrNoFingerprint.
//
// A makeCredential or getAssertion that verifies the user on a key with a
// PIN and an enabled built-in verification (uv true, UV retries left)
// tries the finger first, as browsers do, with no PIN asked; a finger
// that does not match is tried again, and when the key says built-in
// verification is blocked the PIN is asked. libfido2 reads the uv option
// when it opens a key: a key opened before its first fingerprint was
// enrolled is asked with the PIN until it is opened again.
//
// # Touch
//
// For a simulated key, Prompt.Touch runs when the I/O hook reads the
// first CTAPHID_KEEPALIVE with status UPNEEDED of an operation. libfido2
// 1.12 reads a USB key's keepalives internally and tells nobody, so for a
// USB key Prompt.Touch runs when the request that needs a touch is sent
// (after the PIN, if any). Touch is called on the operation's goroutine
// and must not block; it may call Device.Cancel, not Device.Close (Close
// waits for the operation). Prompt.PIN must return when its context ends:
// Cancel and Close end it.
//
// # Cancel and timeouts
//
// An operation ends early when its context ends or Device.Cancel is
// called from another goroutine: CTAPHID_CANCEL (fido_dev_cancel) is sent
// every 100 ms until the key answers. Cancel gives fido.ErrCanceled, a
// context deadline fido.ErrTimeout. Cancel and Close may race with
// anything; Cancel after Close does nothing.
//
// # Long requests
//
// A request no longer fits a key when its allow or exclude list is long.
// One longer than CTAPHID can frame (7609 bytes) is refused before it is
// sent, and one the key refuses as longer than its maxMsgSize (a USB key
// answers CTAPHID ERR_INVALID_LEN, which libfido2 reports as a transport
// failure) ends as fido.ErrRequestTooLarge rather than
// fido.ErrKeyRemoved. fido/client sends long lists in batches, so it does
// not meet these.
//
// # Secrets
//
// A PIN goes to C in memory from malloc that is zeroed (explicit_bzero)
// and freed right after the call; it never becomes a Go string. PIN slices
// returned by Prompt.PIN are zeroed after use. Every C string and every
// libfido2 object is freed before the function that made it returns.
//
// # Without cgo
//
// A build without cgo compiles, and its Provider returns ErrNoCgo.
package libfido2

import "errors"

// ErrNoCgo is returned by the Provider of a build without cgo.
var ErrNoCgo = errors.New("libfido2: built without cgo; security keys are unavailable")
