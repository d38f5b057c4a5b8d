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
// Security changes (adding or removing a passkey) need a fresh identity
// verification: BeginVerification names the factors (password and TOTP,
// plus an emailed code when a Mailer is configured), CompleteVerification
// checks them and returns a grant for that one purpose, valid for
// GrantLifetime; BeginPasskeyVerification and FinishPasskeyVerification
// do the same with one of the account's passkeys. BeginRegistration needs
// an add-passkey grant, RemovePasskey a remove-passkey one; the grant is
// used up by the change.
//
// Abuse rules: MaxFailures wrong answers at a factor lock that factor of
// that account, for LockDuration (15 minutes) the first time and four
// times as long at each further lock with no success in between (1 h,
// 4 h, 16 h), at most MaxLockDuration (24 h); a success clears the
// failures and the level, and so does FailureMemory (a week) with no
// wrong answer. Each attempt is reserved in a write transaction before
// it is checked and counts as a failure until it is settled, so a burst
// of concurrent guesses checks at most MaxFailures answers before the
// lock (a reservation a stopped process never settled lapses after a
// minute). Sign-in answers every failure (unknown email, wrong
// password, wrong code, locked) with the same ErrInvalidCredentials after
// the same work, an argon2id hash and a TOTP check; an email no active
// account has gets a password state of its own, keyed by an HMAC of the
// address and never the address, so it locks as a known one does. The
// owner learns of a lock from the factor-locked event. An identity
// verification (already signed in) says which factor was wrong and
// gives a *LockedError with the lock's end. A TOTP time step is accepted
// at most once per account; codes are compared in constant time; email
// codes live as long as their verification (VerificationLifetime) and
// are stored as an HMAC under a key derived from Config.SecretKey.
//
// Ceremonies: BeginRegistration and BeginLogin return the JSON a browser
// passes to navigator.credentials.create/get; FinishRegistration and
// FinishLogin take the JSON a browser sends back. User verification is
// required, registrations ask for a discoverable credential and direct
// attestation, and exclude the account's passkeys. Challenges live
// CeremonyLifetime and are used up by the first answer, right or wrong,
// so a restart or a second process can finish a ceremony and a replay
// cannot. A registration's (and every other ceremony's) is stored; a
// login's carries its ceremony sealed under a key derived from
// Config.SecretKey, so BeginLogin writes nothing, and FinishLogin records
// it as used (Tx.UseChallenge) in the transaction that signs in.
//
// # Phone enrollment
//
// A phone (or tablet) gets a passkey through a one-time page of the
// service. BeginPhoneEnrollment, with the desktop session and an
// add-passkey grant, returns a link (Config.PublicURL + "/enroll#" + a
// 128-bit random token, shown as a QR code); only the token's hash is
// stored. The enrollment lives EnrollmentLifetime (5 minutes), or less
// when the grant expires sooner, and moves only forward:
//
//	waiting → opened → code-confirmed → passkey-created → done
//	         (any state before done) → expired | canceled
//
// The page's calls are authorised by the token and by a device key the
// page makes up when it first opens the link: the first device holds the
// enrollment and a second one gets ErrEnrollmentInUse. Opening the link
// makes a 6-digit match code, which the page shows ("Type this code on
// your computer") and the service keeps only as a MAC (HMAC-SHA-256 under
// a key derived from Config.SecretKey, so a copy of the database cannot
// test codes); a reload on the holding phone makes a new one. The
// desktop's watch sees "opened" with the browser that opened the link
// ("Chrome on Android", from its User-Agent), and the user types the
// phone's code there: ConfirmPhoneEnrollmentCode, from the desktop
// session that began the enrollment and no other, spaces and dashes
// ignored. MaxFailures wrong codes cancel the enrollment. The code thus
// goes from the phone to the desktop, never the other way: someone who
// sees the desktop's screen (a screen share, a photo) and opens the link
// first shows their code on their own phone, where the user cannot read
// it, and the desktop names their browser. The page learns of the
// confirmation through WaitPhoneEnrollmentPage, a long poll. Only then
// are creation options issued (kind phone), and the credential the phone
// sends must answer that challenge. Every page call and the confirmation
// first check that the desktop session and the grant are still good: a
// sign-out on the desktop or a grant used elsewhere cancels the
// enrollment. A rejected credential cancels it too; the desktop starts a
// new one. The bound passkey is named from its AAGUID (Config.Model) and
// the device in the User-Agent, "iPhone — iCloud Keychain", with its
// backup flags kept. Each step is one transaction and leaves an event in
// the activity log (source "phone page", the confirmation "app").
//
// WatchPhoneEnrollment streams the states to the desktop from an
// in-process notifier that publishes after each commit; a second process
// on the same database sees the state on its next read. A session has at
// most MaxWatchesPerSession watches open in a process
// (ErrTooManyWatches). PhoneEnrollmentStatus, and a watch's start, read
// in a read transaction; only an enrollment whose time is up is written,
// once, to end it. The HTTP face is package httpapi.
//
// # Sign in with your phone
//
// A desktop with no session calls BeginPhoneSignIn with its name; the
// address the phone page shows is the one the HTTP face puts in the
// context (WithClientAddress). It gets a one-time link (a 128-bit token
// in the fragment of PublicURL/signin), a 6-digit code to show and a
// 256-bit secret; the store keeps the token's and the secret's SHA-256
// and the code's codeMAC. The link lives PhoneSignInLifetime. The page
// opens it (OpenPhoneSignIn: the computer's name and address, the time),
// sends the code typed on the phone (PhoneSignInOptions; spaces and
// dashes ignored, MaxFailures wrong ones cancel it) and gets request
// options for a discoverable passkey, once, under a ceremony of its own
// type (CeremonyPhoneSignIn) that FinishLogin does not take. The
// assertion (FinishPhoneSignIn) is checked as FinishLogin checks one
// (checkLogin) and approves the sign-in for the passkey's account; no
// session exists yet. WatchPhoneSignIn, opened only by the secret (any
// other is ErrNotFound), takes the session of an approved sign-in in one
// transaction that moves it to done, restricted when the passkey may be
// a clone, and hands it on in its done status: the session reaches only
// the holder of the secret, once. Watches on other instances hear of
// the changes through the ChangeFeed.
//
// # Approvals
//
// A requester (an exchange's backend) asks the account owner to approve
// a sensitive operation with RequestApproval, authenticated by a service
// API key: "pdk_" and 256 random bits (base64url), made by CreateAPIKey,
// shown once, stored only as its SHA-256, revocable with RevokeAPIKey.
// The operator's backend (an exchange itself) uses a service key
// instead: "pdks_" and 256 random bits, server-wide and in no account,
// made by CreateServiceKey on the Store (the server's "apikey" command,
// not API), listed and revoked the same way, stored only as its SHA-256.
// It names the account in ApprovalRequest.Account (ID or email), reads
// the answers to its own requests, and has its own MaxPendingApprovals;
// an account's API key that names another account gets an *InputError.
// The account's activity names the key behind every request ("key NAME",
// "key NAME (service)").
// The Operation names the kind (withdrawal, deposit, c2c-trade,
// sign-in-elsewhere) and its details: asset, amount (a decimal string,
// never a float), network, destination address or counterparty, fee,
// reference. Fields are checked (printable, bounded, decimals as
// digits with at most one '.' and 18 decimals; what each kind needs);
// a bad one is an *InputError naming it. The approval gets a random
// 32-byte nonce and lives ApprovalLifetime (5 minutes) unless the
// request asks for 30 s to 1 h; after that it is expired.
//
// Approving is a WebAuthn assertion (user verification required) whose
// challenge commits to the operation:
//
//	challenge = SHA-256(nonce ‖ CanonicalOperation(id, operation))
//
// The canonical encoding is ten fields in this fixed order, each as its
// byte length (uint32, big-endian) followed by its UTF-8 bytes, exactly
// as stored, with no normalisation:
//
//	"passkeydesk approval v1", id, kind, asset, amount, network,
//	destination, counterparty, fee, reference
//
// An empty field is its four zero length bytes. BeginApproval returns
// request options with that challenge (nothing is written); FinishApproval
// recomputes it from the stored row and refuses an assertion whose
// clientDataJSON names any other challenge before go-webauthn verifies
// the rest. When that assertion is genuinely signed by one of the
// account's passkeys, the details were tampered with: ErrApprovalRefused
// and ErrCredentialRejected, an "approval-refused" event, and the approval
// ends in state refused. A signature that does not check proves nothing
// and leaves the approval pending
// (WebAuthn §7.2). The decision, passkey, time and the assertion's parts
// (authenticatorData, clientDataJSON, signature, and the passkey's COSE
// public key) are stored with the new sign counter in one transaction.
// GetApproval gives a requester all of it plus the nonce, so a backend
// can recompute the challenge and check the signature over
// authenticatorData ‖ SHA-256(clientDataJSON), whatever the passkey's
// algorithm, without trusting this service's word. To trust not even the
// public key the answer carries, a requester keeps its own copy of the
// account's passkeys (PasskeyReader: RequesterPasskeys lists them with
// their COSE keys and algorithms, WatchRequesterPasskeys follows additions
// and removals, across instances, at most MaxPasskeyWatchesPerKey open
// per key) and checks each answer against that copy. DenyApproval records a denial. An API key may have
// MaxPendingApprovals approvals pending at once (ErrTooManyPending). A
// cloned-looking passkey refuses the approval for good too; a refused
// approval's Reason says which of the two it was. An answer that fails
// for a benign reason (an unknown passkey, no user verification) leaves
// it pending.
// Pending moves once: to approved, denied, refused or expired
// (ErrApprovalDecided, ErrApprovalExpired).
//
// Approve on your phone: BeginPhoneApproval gives the desktop session a
// one-time link (its token in the URL's fragment, only its hash stored)
// to the service's approval page for one pending approval, living
// ApprovalLinkLifetime or until the approval expires. The first phone to
// open it holds it (OpenPhoneApproval shows the operation and the masked
// email, nothing else); PhoneApprovalOptions and FinishPhoneApproval run
// FinishApproval's own checks (the detail-bound challenge, the holds,
// clone detection), and DenyPhoneApproval denies. A decision, a
// refusal for good, MaxFailures refused answers or the desktop hiding the
// QR code (CancelPhoneApproval) use the link up (ErrApprovalLinkUsed); an unknown or expired link, or one whose desktop
// session has ended, gives ErrApprovalLinkEnded. The desktop sees the
// approval leave WatchApprovals' list and reads how it ended with
// ReadApproval.
//
// # Policies
//
// A passkey whose sign counter does not advance (WebAuthn §6.1.1) when
// it approves or verifies is marked CloneWarning ("possible clone"), the
// event is logged, and it is refused for approvals and verification from
// then on (ErrPasskeyCloned). Sign-in with it (FinishLogin) marks it
// too (passkey-clone-suspected in the log) and gives a restricted
// session: one that may read but makes no security change (API keys,
// approving or denying, identity checks for a change, adding, removing or
// marking passkeys, the policy: ErrSessionRestricted) until another
// factor confirms it, a verification for PurposeUnlockSession by password
// and codes or by another passkey, begun and completed by that session.
// Account.Restricted (from Me) says so. A later sign-in with the marked
// passkey is restricted too.
//
// RemovePasskey needs a remove-passkey grant: password and codes
// (CompleteVerification) or another passkey (BeginPasskeyVerification,
// FinishPasskeyVerification; the grant remembers which passkey). After a
// removal, withdrawals and C2C trades are held for RemovalHold (24 h):
// RequestApproval, BeginApproval and FinishApproval of those kinds give a
// *PolicyError (RuleHold) with the end and the cause (HoldCause), which
// GetApproval and Policy show too. A removal verified by another passkey
// starts no hold.
//
// Adding a passkey is held the same way (HoldPasskeyAdded), by any route
// (FinishRegistration, FinishPhoneEnrollment), unless the add-passkey
// grant came from another passkey: someone with a session, the password
// and a code could otherwise add their own passkey and approve a
// withdrawal with it at once. The passkey added so is itself on hold for
// as long (Passkey.HeldUntil): it cannot approve withdrawals or C2C
// trades (*PolicyError, RulePasskeyHeld, with the end), and its word
// counts as password and codes, so a removal, "Passkey required" turned
// off or another addition that it verifies starts the hold again. Once
// its hold is over it is a passkey like any other.
//
// SetPasskeyRequired (turning it on needs a passkey: RuleNoPasskey;
// turning it off needs a change-policy grant, from password and codes or
// a passkey, as a removal does) makes
// sign-in with password and code give a *PolicyError (RulePasskeySignIn)
// while a passkey that is not lost is bound, and keeps the last such
// passkey from being removed (RuleLastPasskey). Lost passkeys do not
// count: with none usable left, password and code sign in, and each such
// sign-in holds withdrawals and C2C trades (HoldPasswordSignIn).
//
// # Lost passkeys
//
// A passkey whose authenticator no longer holds it (the security key was
// reset, or the passkey was deleted from it) can no longer sign in, but
// the service cannot see that by itself. MarkPasskeysLost records it,
// with when and why, for some of the caller's own passkeys: all or none
// (ErrNotFound when one is not the account's), one "passkey-lost" event
// per passkey newly marked, the first mark kept. A lost passkey stays
// listed, with LostAt and LostReason, until it is removed as any other.
// Marking the last passkey that is not lost while "Passkey required" is
// on lets password and codes sign in again, so, like a removal, it needs
// a remove-passkey grant (ErrGrantRequired without one) and holds
// withdrawals and C2C trades (HoldPasskeyLost).
//
// # Recovery codes
//
// ConfirmSignUp gives the account RecoveryCodeCount recovery codes
// (Session.RecoveryCodes, shown once); NewRecoveryCodes, with a
// recovery-codes grant (used up), makes a new set and the old one stops
// working; RecoveryCodeStatus counts what is left. Only a codeMAC of each
// code is stored. A recovery code stands in for the authenticator code,
// once, at SignIn and in CompleteVerification (Proof.TOTPCode): a wrong
// one counts against the authenticator factor's lock, a right one is
// logged (recovery-code-used) and holds withdrawals and C2C trades
// (HoldRecoveryCodeUsed). It is the way back from a lost authenticator
// and a reset key alike, so it signs in even while "Passkey required" is
// on and a passkey is still bound.
//
// # Changing the password
//
// ChangePassword, with a change-password grant (used up), sets a new
// password that follows the sign-up rules (CheckNewPassword; an
// *InputError changes nothing and leaves the grant), ends every other
// session of the account, logs password-changed and, unless the grant
// came from a passkey past its own hold, holds withdrawals and C2C trades
// (HoldPasswordChanged). A restricted session can do neither this nor
// NewRecoveryCodes.
//
// # Changing the authenticator app
//
// BeginAuthenticatorChange, with a change-authenticator grant (read, not
// used up), makes a new TOTP secret and returns it as SignUp does; it is
// kept sealed in pending_totp, bound to the grant, and the old secret
// stays in force. ConfirmAuthenticatorChange, with the same grant and a
// first code from the new app (counted against the authenticator
// factor's lock), makes it the account's, uses the grant up, logs
// authenticator-changed and, unless the grant came from a passkey past
// its own hold, holds withdrawals and C2C trades (HoldAuthenticatorChanged).
//
// # Sessions
//
// A session records which app made it (WithClientKind: the desktop app,
// the default, or a browser; the HTTP API tells them by a header of
// account/remote), from where (WithClientAddress) and, for a passkey
// sign-in, the passkey. It ends Config.SessionLifetime after it began or
// Config.SessionIdle after it was last seen (30 and 7 days by default):
// its stored expiry is the earlier of the two, moved on when its
// last-seen time is, which is at most once per SeenResolution (a View
// writes it after it ends, apart), so a busy session adds no write per
// call. Sessions lists them; EndSession ends one by its ID (a hash of
// the token's hash, never the token); EndOtherSessions ends the rest.
// ChangePassword ends every other session; a passkey whose counter fails
// to advance ends every session it signed in.
//
// # Deleting the account
//
// RequestAccountDeletion, with a delete-account grant (used up) and the
// account's email typed as confirmation (an *InputError changes nothing
// and leaves the grant), ends every session of the account and logs
// deletion-requested. The account stays for DeletionGrace (7 days): a
// sign-in before then, with the password or a passkey, cancels the
// deletion (the Session says DeletionCanceled; deletion-canceled is
// logged). Once due, a sign-in fails as for an unknown account, a sign-up
// may take the email, and the sweep of expired rows deletes the account
// with everything it holds.
//
// # The enrollment station
//
// An operator binds security keys to other people's accounts (station.go,
// stationenroll.go, batch.go; StationAPI). The role, RoleOperator, is
// given and taken only where the database is, by SetOperator (the
// "operator grant|revoke EMAIL" command of the server and of the desktop
// app), and every station call needs an operator's session made by
// passkey sign-in (the session records its passkey; a password
// session gets ErrPasskeySessionRequired, a restricted one
// ErrSessionRestricted, a user's ErrNotOperator).
//
// StationAccount finds a person by email or invites one: an inactive
// account with no password or authenticator, which nobody can take by
// signing up. Its owner's first passkey sign-in, with the enrolled key,
// gives a session whose Account.SetupRequired is set: every other call
// answers ErrSetupRequired until SetUpPassword and ConfirmSetUp (the
// sign-up rules, a first TOTP code, the first recovery codes) activate
// it.
//
// BeginStationEnrollment makes creation options for the target's user
// handle and the service's RP ID, excluding its passkeys, and keeps the
// ceremony (operator, target, station, batch entry) for
// StationCeremonyLifetime. FinishStationEnrollment binds the credential
// as the target's, Issued and with its Provenance (operator, station,
// time), and holds an active account's withdrawals as any passkey added
// without its owner's word does. A finish that fails keeps nothing and
// may be repeated with the same credential; one that succeeded answers a
// repeat by the same operator with its passkey. An issued passkey is left
// out of approval and verification allow lists and refused there
// (ErrPasskeyIssued) until its owner first signs in with it. Every
// operator action is an event in the operator's activity and the
// target's.
//
// A batch is its operator's (another operator's is ErrNotFound): people
// checked before anything is stored (CheckBatchRows; CreateBatch stores
// only good rows, at most MaxBatchEntries), each an entry a station
// claims for ClaimLifetime, renewed by its steps, so a crashed station's
// people are free again and two stations never hold one person. The
// batch log (ExportBatch, CSV or JSON) is made from the entries. The
// service has no field for a PIN: the station hands PINs out on paper
// only.
//
// # The verified email and alerts
//
// With a Mailer, ConfirmSignUp mails a code to the new account's address
// (EmailCodeLifetime; a failed send fails nothing); until ConfirmEmail
// gets it, the email code is no factor (Account.EmailUnconfirmed; the
// password and authenticator code stay) and no alert is mailed.
// SendEmailCode sends a new one (MaxEmailSends in EmailSendWindow,
// ErrTooManyEmails beyond); MaxEmailCodeFailures wrong answers drop a
// code. ChangeEmail, with a change-email grant (used up), mails a code to
// the new address, which becomes the account's when it is confirmed; the
// old address is alerted. Without a Mailer the address is taken as given
// (ErrMailNotConfigured). Only a codeMAC of a code is stored
// (email_states, migration 22).
//
// The events of security changes (see alerts.go) are mailed to the
// confirmed address after their transaction commits, in the background; a
// failed mail is logged and fails nothing. A session started from an app
// and address (WithClientAgent, WithClientAddress) the account had not
// used is such an event, new-device-sign-in (known_devices, migration 22).
//
// # Activity
//
// Every security event lands in the append-only log with its source:
// "app", "phone page" or "api" (approval requests). ExportActivity writes
// it, filtered by type and time, as CSV (time, type, detail, source;
// cells a spreadsheet would run as formulas start with ') or JSON.
//
// # Storage
//
// The service keeps no state of its own: everything is in a Store, and
// every change is one Store.Update, so it lands whole or not at all. The
// schema (see sqlstore/migrations) has accounts (the TOTP secret sealed
// with AES-256-GCM under Config.SecretKey, the account ID as associated
// data), factor_states (failures, lock and its level, attempts in
// flight, last failure, last TOTP step), unknown_email_states (the same
// for emails no account has, keyed by an HMAC; migration 9), sessions
// (restricted or not; migration 10),
// verifications and grants (hashes only), ceremonies (go-webauthn's
// SessionData as JSON), passkeys (credential ID, COSE public key, AAGUID,
// model, kind, name, transports, backup flags, sign count, clone warning,
// created and last used, lost at and why), phone_enrollments (token and
// device key as hashes, the match code as a MAC, the session and grant
// hashes it is bound to, state,
// failures, challenge; kept a day after they end), events, the
// append-only activity log, and (migration 3) api_keys (hashes only),
// approvals (the operation as requested, nonce, state, decision and the
// assertion's parts), account_policies (passkey required, hold end and,
// from migration 8, its cause), grants.passkey_id (the passkey that
// verified, if any) and (migration 8) passkeys.held_until. Migration 21
// adds sessions' client, address, last_seen_at and passkey_id, and
// pending_totp. Migration 24
// adds passkeys.issued and its provenance, invitations
// and station_ceremonies; migration 25 batches and batch_entries.
package account
