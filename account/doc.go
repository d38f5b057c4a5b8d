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
// # Phone enrollment
//
// A phone (or tablet) gets a passkey through a one-time page of the
// service. BeginPhoneEnrollment, with the desktop session and an
// add-passkey grant, returns a link (Config.PublicURL + "/enroll#" + a
// 128-bit random token, shown as a QR code) and a 6-digit match code
// (shown on the desktop). Only the token's and the code's hashes are
// stored. The enrollment lives EnrollmentLifetime (5 minutes), or less
// when the grant expires sooner, and moves only forward:
//
//	waiting → opened → code-confirmed → passkey-created → done
//	         (any state before done) → expired | canceled
//
// The page's calls are authorised by the token and by a device key the
// page makes up when it first opens the link: the first device holds the
// enrollment and a second one gets ErrEnrollmentInUse. The page shows a
// masked email and asks for the match code; MaxFailures wrong codes
// cancel the enrollment. Only then are creation options issued (kind
// phone), and the credential the phone sends must answer that challenge.
// Every page call first checks that the desktop session and the grant are
// still good: a sign-out on the desktop or a grant used elsewhere cancels
// the enrollment. A rejected credential cancels it too; the desktop starts
// a new one. The bound passkey is named from its AAGUID (Config.Model) and
// the device in the User-Agent, "iPhone — iCloud Keychain", with its
// backup flags kept. Each step is one transaction and leaves an event in
// the activity log (source "phone page").
//
// WatchPhoneEnrollment streams the states to the desktop from an
// in-process notifier that publishes after each commit; a second process
// on the same database sees the state on its next read. The HTTP face is
// package httpapi.
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
// created and last used), phone_enrollments (token, match code and device
// key as hashes, the session and grant hashes it is bound to, state,
// failures, challenge; kept a day after they end) and events, the
// append-only activity log.
package account
