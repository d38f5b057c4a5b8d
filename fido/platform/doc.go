// Package platform is "this computer": a platform authenticator
// (WebAuthn §6.2.1, attachment "platform", transport "internal") whose
// secrets are protected by the operating system's keyring and a local PIN.
// It implements fido.Device, so fido/client drives it exactly as it drives
// a security key.
//
// # Credentials
//
// Every credential is ES256 (ECDSA P-256 with SHA-256), discoverable, and
// device-bound: the authenticator data always carries UP and UV, never BE
// or BS (WebAuthn §6.1). Registration returns attestation "none" (§8.7):
// format "none", no statement, and the AAGUID given in Options (Passkey
// Desk's own, assets.ThisComputerAAGUID, which the catalog names "Passkey
// Desk — this computer"). Each credential has its own signature counter,
// 0 at creation and one more with each assertion.
//
// # Keys
//
// A 32-byte master key is made on first use from crypto/rand and kept in
// the OS keyring (the Secret Service over D-Bus on Linux, the Keychain on
// macOS, the Credential Manager on Windows, through go-keyring) under the
// service "io.passkeydesk.app" and the user "platform-master-key", in
// standard base64. It never touches the disk. From it HKDF-SHA-256
// (RFC 5869) derives
//
//   - the sealing key, AES-256-GCM, info "passkeydesk platform v1 seal";
//   - the key ID, 16 bytes, info "passkeydesk platform v1 key id", written
//     in the clear in the store so that a missing or replaced master key is
//     told apart from a damaged record.
//
// Without a working keyring (no Secret Service, a locked collection that
// cannot be unlocked, access denied) every operation returns an error
// matching ErrKeyringUnavailable, wrapping the keyring's own. There is no
// fallback to a key in a file.
//
// # The store
//
// One JSON file, FileName in the data directory, mode 0600, replaced
// atomically (a temporary file in the same directory, fsync, rename,
// fsync of the directory). Every operation reads it, and writes it back
// when something changed, under an exclusive flock of the data directory
// (on Unix), so two instances of the app never lose each other's counters
// or wrong PINs:
//
//	{
//	  "format":  "passkeydesk-platform-v1",
//	  "keyId":   base64(16 bytes),
//	  "state":   base64(nonce ‖ AES-GCM(state JSON)),
//	  "records": [{
//	    "id":         base64(credential ID, 32 random bytes),
//	    "rpIdHash":   base64(SHA-256(RP ID)),
//	    "userHandle": base64(user.id as the RP gave it),
//	    "sealed":     base64(nonce ‖ AES-GCM(record JSON))
//	  }, …]
//	}
//
// A record's plaintext holds the RP ID, the user handle, user name and
// display name, the PKCS #8 private key, the counter and the creation
// time. Its associated data is the record's identity — the key ID, the
// credential ID, the RP ID hash and the user handle — so a record edited,
// moved under another credential ID, or swapped with another credential's
// fails to open. The state's plaintext holds the PIN's argon2id hash and
// the count and deadline of wrong PINs; its associated data is the key ID.
// The RP ID hash and user handle stay in the clear so that a request is
// matched to records without opening the others; the RP ID and the names
// do not.
//
// # Errors about the store
//
//   - ErrMasterKeyMismatch: a store exists but the keyring has no master
//     key, or one whose key ID differs. This computer's passkeys are
//     unusable; the file is left exactly as it was, and no new master key
//     is made over it.
//   - ErrStoreCorrupt: the file does not parse (truncated, garbled), or a
//     record or the state does not open under the right key (edited,
//     swapped). The file is left as it was.
//
// Nothing is ever deleted because it failed to open; the only records
// removed are those a new discoverable credential for the same RP and user
// replaces (CTAP 2.1 §6.1.2 step 17). When the user chooses to, StartOver
// renames an unusable store aside (still whole, still openable with its
// old master key) so that this computer can make passkeys again.
//
// # User verification: the local PIN
//
// Every operation verifies the user with a PIN for this computer's
// passkeys: at least MinPINLength digits, set once with SetPIN (the UI asks
// for it twice; MakeCredential and GetAssertion return fido.ErrPINNotSet
// until then) and asked through Prompt.PIN. Only its argon2id hash is kept,
// inside the sealed state. Five wrong PINs in a row make the next try wait
// 30 s, and each further wrong PIN doubles the wait: a try too early, and
// the wrong PIN that starts a wait, return *fido.PINBackoffError with the
// time. The count survives restarts because it lives in the store.
//
// argon2id (RFC 9106) runs with 19 MiB, 2 passes, 1 lane (OWASP's
// minimum), about 30 ms on a shared 2-core machine; that is too slow to pay on every
// sign-in within the 10 ms budget. So an Authenticator remembers, for its
// lifetime (the app's session), an HMAC-SHA-256 of the last PIN that
// verified, under a random key that exists only in memory, together with
// the stored hash it verified against. A later PIN is still asked for
// every operation and compared with that HMAC; only when it differs (or
// the stored hash changed) does argon2id run again. Whoever can read that
// memory can already read the master key, so the HMAC adds no exposure.
//
// # Master key caching
//
// With Options.CacheMasterKey the master key is fetched from the keyring
// once and kept, with the keys derived from it, until Close. Without it,
// every operation fetches it again, so a keyring locked or an entry
// removed is noticed at once.
package platform
