// Package account is Passkey Desk's account service: a WebAuthn relying
// party (through github.com/go-webauthn/webauthn) with the accounts,
// identity checks and passkey registry around it.
//
// # The model
//
// An account has an email (unique, compared in lower case), a display
// name, a password (argon2id, per-user salt, parameters kept in the hash)
// and an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30 s). Sign-up
// makes the account and its TOTP secret; the account is active only after
// ConfirmSignUp sees one valid code. Sign-in takes email, password and code
// and returns a session: a random token of which only the SHA-256 is
// stored.
//
// Security changes (adding a passkey now; removing one later) need a
// fresh identity verification: BeginVerification names the factors
// (password and TOTP, plus an emailed code when a Mailer is configured),
// CompleteVerification checks them and returns a grant for that one
// purpose, valid for GrantLifetime. BeginRegistration needs an add-passkey
// grant; the grant is used up when a passkey is stored.
//
// Abuse rules: MaxFailures wrong answers at a factor lock that factor of
// that account for LockDuration (*LockedError says until when); a TOTP
// time step is accepted at most once per account; codes are compared in
// constant time; email codes live as long as their verification
// (VerificationLifetime). An unknown email and a wrong password give the
// same ErrInvalidCredentials, after the same argon2id work.
//
// Ceremonies: BeginRegistration and BeginLogin return the JSON a browser
// passes to navigator.credentials.create/get; FinishRegistration and
// FinishLogin take the JSON a browser sends back. User verification is
// required, registrations ask for a discoverable credential and direct
// attestation, and exclude the account's passkeys. Challenges are stored
// (not held in memory), live CeremonyLifetime, and are used up by the
// first answer, right or wrong, so a restart or a second process can
// finish a ceremony and a replay cannot.
//
// # Storage
//
// The service keeps no state of its own: everything is in a Store, and
// every change is one Store.Update, so it lands whole or not at all. The
// schema (see sqlstore/migrations) has accounts (the TOTP secret sealed
// with AES-256-GCM under Config.SecretKey, the account ID as associated
// data), factor_states (failures, lock, last TOTP step), sessions,
// verifications and grants (hashes only), ceremonies (go-webauthn's
// SessionData as JSON), passkeys (credential ID, COSE public key, AAGUID,
// model, kind, name, transports, backup flags, sign count, clone warning,
// created and last used) and events, the append-only activity log.
package account
