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
// # What the PIN protects, and what it does not
//
// A passkey's private key is sealed under a key derived from both the
// keyring's master key and the local PIN (see Keys), so no signature is
// made without the PIN. This protects against
//
//   - a copy of the data folder (a backup, a stolen disk) without the
//     keyring: nothing in it opens;
//   - a process, or a person at the computer, that does not know the PIN
//     and goes through the app: it gets no signature, and five wrong PINs
//     make it wait 30 s, doubling with each further one. The count lives
//     in the keyring entry, so putting back an old copy of the store does
//     not reset it.
//
// It does not protect against
//
//   - malware running as the user while the PIN is typed: it can read the
//     PIN, or the PIN key the app holds for the session;
//   - the keyring entry and the store taken together (which any program
//     running as the user can read): the PIN can then be guessed offline,
//     with no count of wrong ones, slowed only by argon2id (pinCost: 3
//     passes over 64 MiB, 4 lanes, about 70 ms a guess on a 2-core
//     machine, so the million 6-digit PINs take about a day of such a
//     machine, less with more of them). A longer PIN helps.
//
// # Keys
//
// A 32-byte master key is made on first use from crypto/rand and kept in
// the OS keyring (the Secret Service over D-Bus on Linux, the Keychain on
// macOS, the Credential Manager on Windows, through go-keyring) under the
// service "io.passkeydesk.app" and the user "platform-master-key". It
// never touches the disk. The entry is versioned: version 1, written by
// earlier releases, is the master key alone in standard base64 and is
// still read; version 2 is JSON,
//
//	{"v": 2, "key": base64(master key), "wrongPins": n, "backoffUntil": time}
//
// holding the count and deadline of wrong PINs beside the key. An entry of
// a newer version is refused (ErrMasterKeyMismatch), never overwritten.
//
// From the master key HKDF-SHA-256 (RFC 5869) derives
//
//   - the sealing key, AES-256-GCM, info "passkeydesk platform v1 seal";
//   - the key ID, 16 bytes, info "passkeydesk platform v1 key id", written
//     in the clear in the store so that a missing or replaced master key is
//     told apart from a damaged record;
//   - the PIN secret, 32 bytes, info "passkeydesk platform v2 pin secret".
//
// The PIN key, AES-256-GCM, is HKDF-SHA-256 of argon2id(PIN, salt) (RFC
// 9106) with the PIN secret as salt, info "passkeydesk platform v2 pin
// key": HMAC(PIN secret, argon2id(PIN)) expanded. The salt, 16 random
// bytes, is made with each new PIN. A PIN is right when its key opens the
// store's PIN verifier (an AES-GCM seal of nothing), not by a comparison
// in the process.
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
// (on Unix), so two instances of the app never lose each other's
// counters; the wrong-PIN count in the keyring entry is read and written
// under the same lock.
//
//	{
//	  "format":  "passkeydesk-platform-v2",
//	  "keyId":   base64(16 bytes),
//	  "pin":     base64(nonce ‖ AES-GCM(PIN part JSON)),   // once a PIN is set
//	  "records": [{
//	    "id":         base64(credential ID, 32 random bytes),
//	    "rpIdHash":   base64(SHA-256(RP ID)),
//	    "userHandle": base64(user.id as the RP gave it),
//	    "sealed":     base64(nonce ‖ AES-GCM(record JSON))
//	  }, …]
//	}
//
// The PIN part, sealed under the sealing key with the key ID as associated
// data, holds the argon2id salt and cost and the verifier (sealed under
// the PIN key; associated data the key ID and those parameters). A record
// is sealed under the sealing key; its plaintext holds the RP ID, the user
// handle, user name and display name, the counter, the creation time and
// the PKCS #8 private key sealed again under the PIN key with the
// credential ID as associated data. The record's associated data is its
// identity — the key ID, the credential ID, the RP ID hash and the user
// handle — so a record edited, moved under another credential ID, or
// swapped with another credential's fails to open. The RP ID hash and user
// handle stay in the clear so that a request is matched to records without
// opening the others; the RP ID and the names do not.
//
// Changing the PIN seals every private key again under the new PIN's key
// and writes the store once. Starting over (StartOver) on a usable store
// deletes every private key and the PIN and replaces the master key, so
// that no copy of the old store opens again.
//
// Format 1 ("passkeydesk-platform-v1", earlier releases) had a sealed
// "state" instead of "pin" — the PIN's argon2id hash, checked in the
// process, and the wrong-PIN count — and each record held its private key
// under the sealing key alone. Such a store is read as it is (a wrong PIN
// is counted in the keyring entry, carrying over the store's own count)
// and rewritten in format 2 on the first right PIN, in one write.
//
// # Errors about the store
//
//   - ErrMasterKeyMismatch: a store exists but the keyring has no master
//     key, or one whose key ID differs. This computer's passkeys are
//     unusable; the file is left exactly as it was, and no new master key
//     is made over it.
//   - ErrStoreCorrupt: the file does not parse (truncated, garbled), or a
//     record or the PIN part does not open under the right key (edited,
//     swapped). The file is left as it was.
//
// Nothing is ever deleted because it failed to open; the only records
// removed are those a new discoverable credential for the same RP and user
// replaces (CTAP 2.1 §6.1.2 step 17), those DeleteCredential is asked to
// delete, and all of them when the user starts over. StartOver renames an
// unusable store aside (still whole, still openable with its old master
// key) so that this computer can make passkeys again.
//
// # User verification: the local PIN
//
// Every operation verifies the user with a PIN for this computer's
// passkeys: at least MinPINLength digits, set once with SetPIN (the UI asks
// for it twice; MakeCredential and GetAssertion return fido.ErrPINNotSet
// until then) and asked through Prompt.PIN. Five wrong PINs in a row make
// the next try wait 30 s, and each further wrong PIN doubles the wait: a
// try too early, and the wrong PIN that starts a wait, return
// *fido.PINBackoffError with the time. The count is written to the keyring
// entry before a wrong PIN is answered.
//
// argon2id at pinCost takes tens to hundreds of milliseconds, too slow to
// pay on every sign-in. So an Authenticator remembers, for its lifetime
// (the app's session), the PIN key of the last PIN that opened the store,
// with an HMAC-SHA-256 of that PIN under a random key that exists only in
// memory and the verifier it opened. A later PIN is still asked for every
// operation and compared with that HMAC; only when it differs (or the
// store's PIN changed) does argon2id run again. Whoever can read that
// memory is malware running as the user, which the PIN does not stop (see
// above).
//
// # Master key caching
//
// With Options.CacheMasterKey the master key is fetched from the keyring
// once and kept, with the keys derived from it, until Close; the entry is
// still read once by each operation that asks for the PIN or reports the
// retries, for its wrong-PIN count. Without it, every operation fetches
// the entry again, so a keyring locked or an entry removed is noticed at
// once.
package platform
