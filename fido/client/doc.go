// Package client plays the WebAuthn client, the part a browser plays
// between a relying party and an authenticator (WebAuthn Level 3 §5.1.3
// and §5.1.4), on top of any fido.Device.
//
// A relying party (the account service) hands out options JSON, the
// object a web page passes to navigator.credentials.create or .get. A
// Client takes that JSON as is, checks it as a browser would (the RP ID
// must be the origin's host or a registrable suffix of it), builds the
// client data (§5.8.1) byte for byte as browsers serialize it, hashes it,
// turns the options into a CTAP 2.1 request (§6.1 authenticatorMakeCredential,
// §6.2 authenticatorGetAssertion), and returns the JSON a browser would
// send back (RegistrationResponseJSON, AuthenticationResponseJSON, §5.1).
// So one relying-party endpoint serves browsers, phones and the desktop app
// alike.
//
//	c, err := client.New("https://passkeydesk.example")
//	cred, err := c.Create(ctx, dev, optionsJSON, prompt) // → FinishRegistration
//	cands, err := c.Get(ctx, dev, requestJSON, prompt)  // pick one → FinishLogin
//
// # Errors
//
// Options that a browser would refuse give an *OptionsError naming the
// field. What the key cannot do (a discoverable credential on a key that
// cannot store one, user verification on a key with neither PIN nor built-in
// verification, none of the RP's algorithms) gives an error matching
// fido.ErrUnsupported. The device's own errors (fido.ErrCredentialExcluded,
// *fido.PINError, fido.ErrTimeout, fido.ErrCanceled, …) come back wrapped
// with context; errors.Is and errors.As see through the wrapping.
// fido.ErrRequestTooLarge comes only from a key that takes less than its
// getInfo says, since long lists go in batches (below). When the relying
// party's timeout (clamped to 10 s … 10 min, as browsers do) runs out
// first, the error also matches fido.ErrTimeout.
//
// # Long allow and exclude lists
//
// A key takes requests up to its maxMsgSize and lists up to its
// maxCredentialCountInList (getInfo, CTAP 2.1 §6.4); an account with many
// passkeys has a longer list. The client does what browsers do: it drops
// the credential IDs longer than the key's maxCredentialIdLength, and
// when the rest does not fit one request it probes the key batch by batch
// with silent getAssertions (up=false, a random client data hash, no
// touch), then sends the request with the one credential the key holds:
// the assertion the user touches for, or the makeCredential the key
// answers CREDENTIAL_EXCLUDED. A key that holds none of an allow list
// gives fido.ErrNoCredentials; of an exclude list, the credential is made
// without one. Probes verify the user when the request does and the key
// has a PIN, and the PIN is asked once for the whole ceremony. A platform
// authenticator ("internal") gets its lists whole.
//
// # Dependencies
//
// The project's package rules let fido/client import only fido (and the
// standard library). Two deliberate exceptions:
// github.com/fxamacker/cbor/v2 (already a module requirement) encodes the
// attestation object in CTAP2 canonical CBOR, and
// golang.org/x/net/publicsuffix supplies the Public Suffix List without
// which "registrable domain suffix" cannot be checked as browsers check it.
package client
