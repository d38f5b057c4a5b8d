// Package softkey is a simulated CTAP 2.1 USB security key, in Go, for
// demos and tests. It speaks 64-byte CTAPHID reports (CTAP 2.1 §11.2) as a
// fido.HIDDevice, so fido/libfido2 can open it through libfido2's I/O hook
// at sim://NAME and run exactly the code it runs for a USB key.
//
// # What it implements
//
//   - CTAPHID (§11.2.9): INIT (channel allocation, nonce echo, capabilities
//     WINK|CBOR|NMSG), PING, WINK, CBOR, CANCEL, KEEPALIVE (status UPNEEDED
//     every 100 ms while it waits for a touch), ERROR; fragmentation and
//     reassembly with sequence numbers; one transaction at a time, other
//     channels get ERR_CHANNEL_BUSY. A message longer than the key's
//     maxMsgSize (1200 bytes, as common keys report) is refused at its
//     first packet with ERR_INVALID_LEN, as a real key's buffer refuses
//     it; getInfo says so, with maxCredentialCountInList 8 and
//     maxCredentialIdLength 48, so a client sends a long allow or exclude
//     list in batches.
//   - authenticatorGetInfo (§6.4), authenticatorMakeCredential (§6.1) with
//     ES256 credentials and packed attestation (§8.2 of WebAuthn) by the
//     key's own attestation certificate, or self attestation,
//     authenticatorGetAssertion and authenticatorGetNextAssertion (§6.2,
//     §6.3), authenticatorClientPIN (§6.5) with PIN/UV auth protocols 1
//     and 2, authenticatorReset (§6.6), authenticatorSelection (§6.9), and
//     the credProtect extension (§12.1).
//   - authenticatorCredentialManagement (§6.8) under both 0x0A and the
//     CTAP 2.1 preview command 0x41 that libfido2 1.12–1.14 send:
//     getCredsMetadata, enumerateRPs, enumerateCredentials,
//     deleteCredential, updateUserInformation. 0x0A needs a token with the
//     cm permission; 0x41 also takes a getPinToken token, as keys of that
//     time did. A token bound to an RP ID may neither read the metadata
//     nor list the RPs.
//   - authenticatorConfig (§6.11): toggleAlwaysUv (alwaysUv then asks for
//     user verification on every makeCredential and getAssertion) and
//     setMinPINLength with forceChangePin (no minPinLengthRPIDs), with the
//     acfg permission, or without a token on a key with neither PIN nor
//     UV. While a change is forced, getInfo says forcePINChange and the
//     PIN gets no token (PIN_POLICY_VIOLATION; a wrong PIN is still
//     PIN_INVALID); the new PIN must differ and meet the minimum.
//   - Built-in user verification when Options.BuiltInUV is set: getInfo
//     lists uv, getUVRetries (5), getPinUvAuthTokenUsingUvWithPermissions
//     and the "uv" option work; FailUV makes verifications fail
//     (UV_INVALID, then UV_BLOCKED at zero retries); a correct PIN
//     restores the UV retries.
//   - CTAP 2.1's rules for the pinUvAuthToken and the options: a
//     makeCredential or getAssertion that collects user presence with a
//     token clears the token's permissions (§6.1.2 step 14.4, §6.2.2 step
//     9.4), so each such request needs a new token; with a
//     pinUvAuthParam the "uv" option is treated as false (step 5.2); "uv"
//     on a key without built-in UV is INVALID_OPTION (step 5.3); an
//     exclude list hit is CREDENTIAL_EXCLUDED whether or not a touch comes.
//   - A fingerprint sensor when Options.Fingerprint is set:
//     authenticatorBioEnrollment (§6.7) under 0x09 and the preview command
//     0x40 that libfido2 1.12 sends: getFingerprintSensorInfo (a touch
//     sensor, 5 samples), enrollBegin and enrollCaptureNextSample with
//     lastEnrollSampleStatus and remainingSamples, cancelCurrentEnrollment
//     (a CTAPHID cancel during a sample also ends the enrollment),
//     enumerateEnrollments, setFriendlyName (32 bytes at most) and
//     removeEnrollment, for 5 fingerprints at most (FP_DATABASE_FULL).
//     They need a token with the be permission, which only the PIN gives
//     (0x40 also takes a getPinToken token). getInfo lists bioEnroll and
//     userVerificationMgmtPreview, and uv, true once a fingerprint is
//     enrolled; then the finger verifies the user, and its touch serves as
//     the user's presence for the request it verified. A finger that
//     matches no fingerprint costs a UV retry; the fifth blocks built-in
//     UV (UV_BLOCKED) until the PIN is used.
//   - PIN rules: minimum 4 code points (or what setMinPINLength set), 8
//     retries, three wrong PINs in a row give PIN_AUTH_BLOCKED until a
//     power cycle, no retries left give PIN_BLOCKED until a reset. Reset
//     only within 10 s of power-up; it also clears the policy above.
//   - A fixed number of slots for discoverable credentials
//     (KEY_STORE_FULL). Non-discoverable credentials are stored in the key
//     as well, without limit: a credential ID is the key's 16-byte handle
//     followed by 32 random bytes, never a wrapped key.
//
// Not implemented: U2F (CTAPHID_MSG), large blobs, enterprise
// attestation, EdDSA and RS256.
//
// # Knobs
//
// A Key's exported methods play the user and the USB port: SetTouch (touch
// at once, after a delay, never, or deny), Press (touch now) and
// WaitingForTouch (whether a Press would land on a request), Unplug, Plug
// and PowerCycle, StallNext and Stalled (hold a request's answer until
// unplugged), SetSignCount, SetSelfAttestation, FailUV, SetConfigSupport
// (a key without authenticatorConfig), QueueSamples (what the finger
// gives the sensor next: a good sample, a bad one with its status, none
// before the timeout, a finger that matches nothing), Fingerprints and
// Enrolling; Commands
// counts the requests by command byte. They are safe to call
// from any goroutine while a client reads and writes reports.
//
// # State
//
// Open keeps the key's state in a JSON file (mode 0600) and writes it after
// every change; Save writes it on demand. The file holds the attestation
// private key, every credential private key, the PIN hash, the retries and
// the signature counter, in the clear: this is a simulated key, and its
// private keys are in that file by design. No real secret belongs there.
//
// # CBOR
//
// The project's package rules let fido/softkey import only fido (and the
// standard library). CBOR is the one deliberate
// exception: requests are decoded and responses encoded with
// github.com/fxamacker/cbor/v2 (already a module requirement) in its CTAP2
// canonical encoding mode (§8), rather than with a second CBOR codec
// written here.
package softkey
