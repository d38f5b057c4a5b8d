package account

import (
	"context"
	"time"
)

// Store keeps the service's state. Every change the service makes runs
// inside one Update, so a multi-row change lands whole or not at all.
//
// Errors: lookups return ErrNotFound for a missing row; InsertAccount
// returns ErrEmailTaken for a duplicate email; InsertPasskey returns
// ErrCredentialRejected for a credential ID already registered. Anything
// else is a storage failure.
type Store interface {
	// Update runs fn in one write transaction, committed when fn returns
	// nil and rolled back otherwise.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is the set of operations inside one transaction.
type Tx interface {
	InsertAccount(a *AccountRecord) error
	UpdateAccount(a *AccountRecord) error
	DeleteAccount(id string) error
	AccountByID(id string) (*AccountRecord, error)
	AccountByEmail(email string) (*AccountRecord, error)
	AccountByUserHandle(handle []byte) (*AccountRecord, error)
	// AccountAndPasskeys returns the account by (exactly one of its
	// fields set) and its passkeys, as Passkeys lists them, in one lookup;
	// ErrNotFound when there is no such account.
	AccountAndPasskeys(by AccountKey) (*AccountRecord, []Passkey, error)

	// FactorState returns the zero state when none is stored.
	FactorState(accountID string, f Factor) (FactorState, error)
	PutFactorState(accountID string, f Factor, s FactorState) error
	// UnknownEmailState is the password's abuse state of an email that
	// belongs to no active account, keyed by a MAC of the address (never
	// the address itself); the zero state when none is stored.
	UnknownEmailState(emailMAC []byte) (FactorState, error)
	PutUnknownEmailState(emailMAC []byte, s FactorState) error

	InsertSession(s *SessionRecord) error
	SessionByHash(hash []byte) (*SessionRecord, error)
	// SessionAccount returns a session and its account in one lookup.
	SessionAccount(hash []byte) (*SessionRecord, *AccountRecord, error)
	DeleteSession(hash []byte) error
	// DeleteOtherSessions ends every session of the account but the one
	// with hash keep (nil: all of them) and says how many it ended.
	DeleteOtherSessions(accountID string, keep []byte) (int, error)
	// SetSessionRestricted sets or clears a session's restriction;
	// ErrNotFound when there is no such session.
	SetSessionRestricted(hash []byte, restricted bool) error

	InsertVerification(v *VerificationRecord) error
	VerificationByID(id string) (*VerificationRecord, error)
	DeleteVerification(id string) error

	InsertGrant(g *GrantRecord) error
	GrantByHash(hash []byte) (*GrantRecord, error)
	DeleteGrant(hash []byte) error

	InsertCeremony(c *CeremonyRecord) error
	// TakeCeremony deletes and returns the ceremony, so a challenge is
	// answered at most once.
	TakeCeremony(challenge string) (*CeremonyRecord, error)
	// UseChallenge records that the challenge whose hash is given has
	// been answered, keeping the record until expiresAt (DeleteExpired
	// removes it after). A challenge carries its expiry, so its hash
	// always comes with the same expiresAt; a store may key the record by
	// both. A hash is recorded once: when it already is,
	// the transaction cannot commit and ends with ErrCeremonyExpired,
	// returned by UseChallenge or, on a store that sends writes later,
	// by a later call or by Update itself. Of concurrent uses of one
	// hash, in any number of processes, exactly one commits.
	UseChallenge(hash []byte, expiresAt time.Time) error

	InsertPasskey(accountID string, p *Passkey) error
	UpdatePasskey(accountID string, p *Passkey) error
	Passkeys(accountID string) ([]Passkey, error)
	PasskeyByCredentialID(credentialID []byte) (accountID string, p *Passkey, err error)

	AppendEvent(accountID string, e *Event) error
	Events(accountID string, limit int) ([]Event, error)

	InsertPhoneEnrollment(e *PhoneEnrollmentRecord) error
	UpdatePhoneEnrollment(e *PhoneEnrollmentRecord) error
	PhoneEnrollmentByID(id string) (*PhoneEnrollmentRecord, error)
	PhoneEnrollmentByTokenHash(hash []byte) (*PhoneEnrollmentRecord, error)

	InsertPhoneSignIn(r *PhoneSignInRecord) error
	// UpdatePhoneSignIn writes a sign-in's state, reason, failures,
	// challenge and outcome; the rest never changes.
	UpdatePhoneSignIn(r *PhoneSignInRecord) error
	PhoneSignInByID(id string) (*PhoneSignInRecord, error)
	PhoneSignInByTokenHash(hash []byte) (*PhoneSignInRecord, error)

	InsertAPIKey(k *APIKeyRecord) error
	// UpdateAPIKey writes a key's last use and revocation.
	UpdateAPIKey(k *APIKeyRecord) error
	APIKeyByHash(hash []byte) (*APIKeyRecord, error)
	// APIKeys lists an account's keys, oldest first, revoked ones too.
	APIKeys(accountID string) ([]APIKeyRecord, error)

	InsertServiceKey(k *ServiceKeyRecord) error
	// UpdateServiceKey writes a service key's last use and revocation.
	UpdateServiceKey(k *ServiceKeyRecord) error
	ServiceKeyByHash(hash []byte) (*ServiceKeyRecord, error)
	// ServiceKeys lists the server's service keys, oldest first, revoked
	// ones too.
	ServiceKeys() ([]ServiceKeyRecord, error)

	InsertApproval(a *ApprovalRecord) error
	// UpdateApproval writes an approval's state, decision and assertion;
	// the operation's details and nonce never change.
	UpdateApproval(a *ApprovalRecord) error
	ApprovalByID(id string) (*ApprovalRecord, error)
	// Approvals lists an account's approvals in state, oldest first.
	Approvals(accountID string, state ApprovalState) ([]ApprovalRecord, error)
	// CountPendingApprovals counts the approvals an API key asked for
	// that are pending and not yet expired at now.
	CountPendingApprovals(apiKeyID string, now time.Time) (int, error)

	InsertApprovalLink(l *ApprovalLinkRecord) error
	// UpdateApprovalLink writes a link's device, failures and use.
	UpdateApprovalLink(l *ApprovalLinkRecord) error
	ApprovalLinkByTokenHash(hash []byte) (*ApprovalLinkRecord, error)
	ApprovalLinkByID(id string) (*ApprovalLinkRecord, error)

	// Policy returns the zero Policy when none is stored.
	Policy(accountID string) (Policy, error)
	PutPolicy(accountID string, p Policy) error

	// DeletePasskey removes one of the account's passkeys; ErrNotFound
	// when it has no such passkey.
	DeletePasskey(accountID string, credentialID []byte) error

	// MarkPasskeyLost records that the authenticator of one of the
	// account's passkeys no longer holds it; ErrNotFound when the account
	// has no passkey with that ID.
	MarkPasskeyLost(accountID, passkeyID string, at time.Time, reason string) error

	// ReplaceRecoveryCodes deletes the account's recovery codes, used or
	// not, and keeps hashes as its new set, made at createdAt.
	ReplaceRecoveryCodes(accountID string, hashes [][]byte, createdAt time.Time) error
	// RecoveryCodes lists the account's recovery codes, used ones too, in
	// no particular order; none when it has no set.
	RecoveryCodes(accountID string) ([]RecoveryCodeRecord, error)
	// UseRecoveryCode marks the account's unused recovery code with hash
	// used at at; ErrNotFound when the account has no such unused code,
	// so of two transactions using one code only one succeeds.
	UseRecoveryCode(accountID string, hash []byte, at time.Time) error

	// EmailState returns the account's email confirmation state, the
	// zero state when none is stored.
	EmailState(accountID string) (EmailState, error)
	PutEmailState(accountID string, st EmailState) error
	// SeeDevice records that the account signed in from the device whose
	// hash is given, first at at; isNew says it had not been recorded
	// before. Of concurrent first sightings only one is new.
	SeeDevice(accountID string, deviceHash []byte, at time.Time) (isNew bool, err error)

	// PutPendingTOTP keeps an account's new authenticator secret until
	// its first code, replacing any the account had; PendingTOTP returns
	// it (ErrNotFound when there is none) and DeletePendingTOTP drops it.
	PutPendingTOTP(p *PendingTOTPRecord) error
	PendingTOTP(accountID string) (*PendingTOTPRecord, error)
	DeletePendingTOTP(accountID string) error

	// Sessions lists the account's sessions, expired ones too, oldest
	// first.
	Sessions(accountID string) ([]SessionRecord, error)
	// TouchSession writes a session's last-seen time and its new expiry;
	// a session that has gone meanwhile is not an error.
	TouchSession(hash []byte, lastSeenAt, expiresAt time.Time) error
	// DeleteSessionsSignedInWith ends the account's sessions signed in
	// with passkeyID but the one with hash keep (nil: all of them) and
	// says how many it ended.
	DeleteSessionsSignedInWith(accountID, passkeyID string, keep []byte) (int, error)

	// Setting returns a deployment-wide setting; ErrNotFound when unset.
	Setting(name string) (string, error)
	// PutSetting writes a deployment-wide setting.
	PutSetting(name, value string) error

	// PutAccountDeletion records (or replaces) an owner's request to
	// delete the account.
	PutAccountDeletion(d *DeletionRecord) error
	// AccountDeletion returns the account's pending deletion; ErrNotFound
	// when none is pending.
	AccountDeletion(accountID string) (*DeletionRecord, error)
	// CancelAccountDeletion removes the account's pending deletion,
	// reporting whether there was one.
	CancelAccountDeletion(accountID string) (bool, error)
	// DueAccountDeletions lists the accounts whose deletion is due at now
	// (DeletesAt not after now), oldest first, at most limit of them.
	DueAccountDeletions(now time.Time, limit int) ([]string, error)

	// DeleteExpired removes sessions, verifications, grants, ceremonies
	// and used-challenge records that expired before now, phone
	// enrollments, phone sign-ins and approval links that expired more
	// than a day before now, and unknown-email states unlocked and
	// untouched for FailureMemory.
	DeleteExpired(now time.Time) error

	StationTx
}

// DeletionRecord is an owner's request to delete an account: it is
// deleted, with all its data, once DeletesAt has passed, unless its owner
// signs in before.
type DeletionRecord struct {
	AccountID   string
	RequestedAt time.Time
	DeletesAt   time.Time
}

// AccountRecord is an account as stored.
type AccountRecord struct {
	ID           string
	Email        string // normalised: trimmed, lower case
	DisplayName  string
	Role         Role
	PasswordHash string
	// TOTPSecret is sealed with the service's secret key (AES-256-GCM, the
	// account ID as associated data); it is never stored in the clear.
	TOTPSecret []byte
	UserHandle []byte // the WebAuthn user.id: 32 random bytes
	Active     bool
	CreatedAt  time.Time
}

// AccountKey names an account by its ID, its email or its user handle:
// exactly one of them.
type AccountKey struct {
	ID         string
	Email      string
	UserHandle []byte
}

// RecoveryCodeRecord is one recovery code as stored: only its MAC (see
// Service.codeMAC), never the code.
type RecoveryCodeRecord struct {
	Hash      []byte
	CreatedAt time.Time // when its set was made
	UsedAt    time.Time // zero while unused
}

// EmailState is an account's email confirmation as stored: the address a
// code proved and the one a code was last sent to, the code only as a MAC.
type EmailState struct {
	// Verified is the address a code proved, "" when none. It counts
	// only while it is the account's email.
	Verified string
	// Pending is the address the last code went to, "" when no code is
	// waiting: the account's own unproven email, or a new one it is to
	// change to.
	Pending string
	// CodeHash is the codeMAC of that code.
	CodeHash      []byte
	CodeExpiresAt time.Time
	// Failures counts wrong answers to the code.
	Failures int
	// Sends counts the codes sent since SendsSince (the send window).
	Sends      int
	SendsSince time.Time
}

// FactorState is the abuse state of one factor of one account (or of the
// password of an unknown email).
type FactorState struct {
	// Failures counts wrong answers since the last success, the last lock
	// or FailureMemory of quiet.
	Failures int
	// LockedUntil is when the lock ends; zero when not locked.
	LockedUntil time.Time
	// Locks counts the locks since the last success (or FailureMemory of
	// quiet): the next lock lasts lockDuration(Locks).
	Locks int
	// InFlight counts the attempts reserved (allowed to be checked) and
	// not yet settled; InFlightAt is when the last was reserved. They
	// count as failures until settled, or until attemptLifetime after
	// InFlightAt (the process checking them stopped).
	InFlight   int
	InFlightAt time.Time
	// LastFailure is when the last wrong answer was counted.
	LastFailure time.Time
	// LastStep is the last TOTP time step accepted (TOTP only).
	LastStep int64
}

// SessionRecord is a session as stored: only the token's hash.
type SessionRecord struct {
	Hash      []byte
	AccountID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// Restricted is set for a session signed in with a passkey that may
	// be cloned: it may not make security changes until another factor
	// confirms it (see ErrSessionRestricted).
	Restricted bool
	// Client and Address say which app made it and from where ("" when
	// not known or in-process); LastSeenAt is when it was last used, to
	// within SeenResolution; PasskeyID the passkey that signed it in, ""
	// for none.
	Client     ClientKind
	Address    string
	LastSeenAt time.Time
	PasskeyID  string
}

// VerificationRecord is an identity verification in progress.
type VerificationRecord struct {
	ID            string
	AccountID     string
	SessionHash   []byte
	Purpose       Purpose
	Factors       []Factor
	EmailCodeHash []byte // nil when no email code was sent
	ExpiresAt     time.Time
}

// GrantRecord is a grant as stored: only the token's hash.
type GrantRecord struct {
	Hash      []byte
	AccountID string
	Purpose   Purpose
	ExpiresAt time.Time
	// PasskeyID is the passkey whose assertion verified the user, "" when
	// the grant came from password and codes.
	PasskeyID string
}

// APIKeyRecord is a service API key as stored: only the secret's hash.
type APIKeyRecord struct {
	ID         string
	Hash       []byte
	AccountID  string
	Name       string
	Hint       string // "pdk_" and the secret's first characters
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// ServiceKeyRecord is a server-wide service key as stored: only the
// secret's hash. It belongs to no account.
type ServiceKeyRecord struct {
	ID         string
	Hash       []byte
	Name       string
	Scope      ServiceKeyScope
	Hint       string // "pdks_" and the secret's first characters
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// ApprovalRecord is an approval as stored. Operation and Nonce are
// written once; the challenge is always recomputed from them.
type ApprovalRecord struct {
	ID        string
	AccountID string
	// APIKeyID is the requesting key's ID: an account's API key or a
	// service key.
	APIKeyID  string
	Operation Operation
	Nonce     []byte
	State     ApprovalState // as stored: a pending row may have expired
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt time.Time // zero while pending
	PasskeyID string    // the approving passkey, "" otherwise
	Assertion *Assertion
	Reason    string // why it was refused, "" otherwise
}

// ApprovalLinkRecord is an "approve on your phone" link as stored: only
// its token's hash. It lets the phone page decide one approval.
type ApprovalLinkRecord struct {
	ID          string
	TokenHash   []byte
	ApprovalID  string
	AccountID   string
	SessionHash []byte    // the desktop session that made it
	DeviceHash  []byte    // the key of the page that opened it first; nil before
	Failures    int       // answers refused through it
	UsedAt      time.Time // when it decided the approval; zero before
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// CeremonyRecord is a WebAuthn ceremony awaiting its answer.
type CeremonyRecord struct {
	Challenge string // base64url, as in clientDataJSON
	AccountID string // "" for a discoverable login
	Type      CeremonyType
	Kind      Kind   // registrations: the kind of passkey being bound
	Session   []byte // go-webauthn's SessionData, MessagePack (JSON when stored by earlier builds)
	ExpiresAt time.Time
}

// CeremonyType tells a registration from a login.
type CeremonyType string

// The ceremony types.
const (
	CeremonyRegistration CeremonyType = "registration"
	CeremonyLogin        CeremonyType = "login"
)

// PhoneEnrollmentRecord is a phone enrollment session as stored: the
// link's token and the phone's device key only as hashes, the match code
// only as a MAC.
type PhoneEnrollmentRecord struct {
	ID          string
	TokenHash   []byte
	AccountID   string
	SessionHash []byte // the desktop session it is bound to
	GrantHash   []byte // the add-passkey grant it is bound to
	// CodeHash is the MAC of the match code the phone shows (empty until a
	// phone opens the link): HMAC-SHA-256 of ID ‖ 0 ‖ code under a key
	// derived from Config.SecretKey.
	CodeHash []byte
	State    EnrollmentState
	// Reason says why an enrollment ended when State is canceled.
	Reason string
	// Failures counts wrong match codes and rejected results.
	Failures int
	// DeviceHash is the hash of the device key of the phone that opened
	// the link first; nil until opened.
	DeviceHash []byte
	UserAgent  string
	// ContenderHash is the hash of the device key of the last other
	// device that tried to open the link while DeviceHash held it, nil
	// when none has since the last handover; ContenderAgent is its
	// User-Agent.
	ContenderHash  []byte
	ContenderAgent string
	// Tries counts the other devices that tried to open the link, and
	// Handovers the times one was let take it over; they order the
	// statuses a watch sees (EnrollmentStatus.newer).
	Tries     int
	Handovers int
	// Challenge is that of the creation options last issued, "" before.
	Challenge string
	PasskeyID string // set when done
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PhoneSignInRecord is a phone sign-in as stored: the link's token and
// the desktop's secret only as hashes, the code only as a MAC.
type PhoneSignInRecord struct {
	ID         string
	TokenHash  []byte
	SecretHash []byte
	// CodeHash is the codeMAC of the code the desktop shows.
	CodeHash []byte
	// Computer and Address are the desktop's name of itself and its
	// address as the service saw it ("" when not known).
	Computer string
	Address  string
	State    PhoneSignInState
	Reason   string // why it was canceled, or ""
	// Failures counts wrong codes typed on the phone.
	Failures int
	// Challenge is that of the request options given, "" before.
	Challenge string
	// AccountID and PasskeyID say who signed in, once approved;
	// Restricted that the session is to be restricted (the passkey may
	// be a clone).
	AccountID  string
	PasskeyID  string
	Restricted bool
	CreatedAt  time.Time
	ExpiresAt  time.Time
}
