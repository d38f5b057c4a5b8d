package account

import (
	"context"
	"encoding/json"
	"time"
)

// API is what a client of the account service (the desktop UI, later an
// HTTP client) sees. The in-process *Service implements it.
//
// Errors: every method returns one of the sentinels in errors.go (test with
// errors.Is) or a *LockedError / *InputError (test with errors.As); anything
// else is an internal failure whose text is safe to log but not meant for the
// user. No error text ever contains a password, code or secret.
type API interface {
	// SignUp creates an inactive account and its TOTP secret. The account
	// becomes usable after ConfirmSignUp with one valid code.
	SignUp(ctx context.Context, req SignUpRequest) (*TOTPEnrollment, error)
	// ConfirmSignUp activates the account with a first valid TOTP code and
	// signs it in.
	ConfirmSignUp(ctx context.Context, enrollmentID, code string) (*Session, error)
	// SignIn checks email, password and TOTP code. Every failure (an
	// unknown email, a wrong password or code, a locked account) gives
	// ErrInvalidCredentials.
	SignIn(ctx context.Context, email, password, code string) (*Session, error)
	// SignOut ends the session; an unknown token is not an error.
	SignOut(ctx context.Context, token string) error
	// Me returns the session's account; ErrUnauthenticated when the session
	// is unknown or expired. Restricted says whether the session may make
	// security changes (see ErrSessionRestricted).
	Me(ctx context.Context, token string) (*Account, error)

	// BeginVerification starts an identity check for one purpose and says
	// which factors it needs. When an email code is needed it has been sent.
	// A restricted session may start one only for PurposeUnlockSession.
	BeginVerification(ctx context.Context, token string, purpose Purpose) (*Verification, error)
	// CompleteVerification checks the factors and returns a grant for the
	// verification's purpose, valid for GrantLifetime. For
	// PurposeUnlockSession it lifts the session's restriction instead, and
	// the grant has no token.
	CompleteVerification(ctx context.Context, token, verificationID string, proof Proof) (*Grant, error)

	// BeginRegistration returns PublicKeyCredentialCreationOptions JSON (the
	// object a browser passes to navigator.credentials.create, wrapped as
	// {"publicKey": …}). It needs a grant for PurposeAddPasskey.
	BeginRegistration(ctx context.Context, token, grant string, kind Kind) (json.RawMessage, error)
	// FinishRegistration verifies the credential JSON a browser would send
	// and stores the passkey under name (a default is chosen when empty).
	FinishRegistration(ctx context.Context, token, grant string, credential json.RawMessage, name string) (*Passkey, error)
	// BeginLogin returns PublicKeyCredentialRequestOptions JSON. With an
	// email the allow list holds that account's passkeys; without one (or
	// for an unknown email) it is a discoverable-credential request.
	BeginLogin(ctx context.Context, email string) (json.RawMessage, error)
	// FinishLogin verifies the assertion JSON and signs its account in.
	FinishLogin(ctx context.Context, assertion json.RawMessage) (*Session, error)

	// Passkeys lists the account's passkeys, oldest first.
	Passkeys(ctx context.Context, token string) ([]Passkey, error)
	// RenamePasskey sets a passkey's user-visible name.
	RenamePasskey(ctx context.Context, token, passkeyID, name string) (*Passkey, error)
	// MarkPasskeysLost records that the authenticator of each of these
	// passkeys no longer holds it (a security key was reset, or the
	// passkey was deleted from it), with why in words. All or nothing:
	// ErrNotFound, and nothing marked, when one is not the account's.
	// The passkeys stay listed, marked, until removed. Marking the last
	// passkey that is not lost while "Passkey required" is on needs a
	// remove-passkey grant (ErrGrantRequired without one), used up, and
	// holds withdrawals and C2C trades; otherwise grant is not read.
	MarkPasskeysLost(ctx context.Context, token, grant string, passkeyIDs []string, why string) error

	// Activity returns the account's security events, newest first.
	Activity(ctx context.Context, token string, limit int) ([]Event, error)

	// BeginPhoneEnrollment starts a phone enrollment: a one-time link (for
	// a QR code), bound to the session and to an add-passkey grant, living
	// EnrollmentLifetime. The match code is made when a phone opens the
	// link, and shown there.
	BeginPhoneEnrollment(ctx context.Context, token, grant string) (*PhoneEnrollment, error)
	// PhoneEnrollmentStatus returns where the session's enrollment id
	// stands; ErrNotFound when it is not the account's.
	PhoneEnrollmentStatus(ctx context.Context, token, id string) (*EnrollmentStatus, error)
	// WatchPhoneEnrollment streams the enrollment's status: the current
	// one at once, then each change; the channel closes after a final
	// state or when ctx ends.
	WatchPhoneEnrollment(ctx context.Context, token, id string) (<-chan EnrollmentStatus, error)
	// CancelPhoneEnrollment ends the enrollment; the link stops working.
	CancelPhoneEnrollment(ctx context.Context, token, id string) error
	// ConfirmPhoneEnrollmentCode checks the match code the phone shows,
	// as the user typed it on the desktop (spaces and dashes are
	// ignored), and returns the new status; only then may the phone ask
	// for creation options. Only the session the enrollment is bound to
	// may confirm: for any other it is ErrNotFound. Errors also:
	// ErrInvalidCode (the MaxFailures-th cancels the enrollment: an
	// *EnrollmentEndedError), ErrEnrollmentStep (no phone has opened the
	// link, or the code is confirmed already), ErrEnrollmentEnded,
	// *InputError (not 6 digits; not counted), ErrUnauthenticated.
	ConfirmPhoneEnrollmentCode(ctx context.Context, token, id, code string) (*EnrollmentStatus, error)
	// HandOverPhoneEnrollment lets the device that last tried to open a
	// link another device holds (EnrollmentStatus.Contender) take it
	// over: the enrollment starts again at opened with that device, which
	// shows a new match code to type; the first device is refused from
	// then on. Only the session the enrollment is bound to may (for any
	// other, ErrNotFound), while the grant is valid. Errors also:
	// ErrEnrollmentStep (no other device tried, or the phone already sent
	// its passkey), ErrEnrollmentEnded (an *EnrollmentEndedError),
	// ErrUnauthenticated.
	HandOverPhoneEnrollment(ctx context.Context, token, id string) (*EnrollmentStatus, error)

	// The phone page's calls, authorised by the link's token (link) and
	// by the key of the device that opened it first (device). Errors:
	// ErrEnrollmentEnded (an *EnrollmentEndedError when the link is
	// known), ErrEnrollmentInUse, ErrEnrollmentStep, ErrInvalidCode,
	// ErrCredentialRejected, *InputError.

	// OpenPhoneEnrollment claims the link for device and says what the
	// page may show: a masked email and, until it is confirmed, a new
	// match code for the user to type on the desktop.
	OpenPhoneEnrollment(ctx context.Context, link, device, userAgent string) (*PhonePage, error)
	// WaitPhoneEnrollmentPage is the page's long poll: it returns once
	// the enrollment's state is no longer seen (the code was confirmed
	// on the desktop, say), or, when ctx ends first, the page as it
	// stands. A newer wait on the same enrollment ends an older one.
	WaitPhoneEnrollmentPage(ctx context.Context, link, device string, seen EnrollmentState) (*PhonePage, error)
	// PhoneEnrollmentOptions returns creation options JSON for the phone
	// once the code is confirmed on the desktop.
	PhoneEnrollmentOptions(ctx context.Context, link, device string) (json.RawMessage, error)
	// FinishPhoneEnrollment verifies and binds the phone's credential.
	FinishPhoneEnrollment(ctx context.Context, link, device string, credential json.RawMessage) (*Passkey, error)

	// Sign in with your phone. Errors: ErrPhoneSignInEnded,
	// ErrPhoneSignInStep, ErrInvalidCode, ErrCredentialRejected,
	// ErrCeremonyExpired, ErrNotFound, *InputError.

	// BeginPhoneSignIn starts a phone sign-in for a desktop that names
	// itself computer: a one-time link (for a QR code) living
	// PhoneSignInLifetime, the code to show, and the secret that alone
	// opens the watch the session arrives on.
	BeginPhoneSignIn(ctx context.Context, computer string) (*PhoneSignIn, error)
	// WatchPhoneSignIn streams the sign-in's status to the holder of its
	// secret (ErrNotFound for any other): the current one at once, then
	// each change; the done status carries the new session. The channel
	// closes after a final state or when ctx ends.
	WatchPhoneSignIn(ctx context.Context, id, secret string) (<-chan PhoneSignInStatus, error)
	// OpenPhoneSignIn is the phone page's first call: which computer asks.
	OpenPhoneSignIn(ctx context.Context, link string) (*PhoneSignInPage, error)
	// PhoneSignInOptions checks the code the desktop shows, as typed on
	// the phone, and returns request options JSON for a discoverable
	// passkey.
	PhoneSignInOptions(ctx context.Context, link, code string) (json.RawMessage, error)
	// FinishPhoneSignIn checks the phone's assertion and approves the
	// sign-in; the session goes to the desktop's watch only.
	FinishPhoneSignIn(ctx context.Context, link string, assertion json.RawMessage) (*PhoneSignInPage, error)

	// Passkey verification and removal. Errors: ErrGrantRequired,
	// ErrNotFound, ErrPasskeyCloned, ErrCredentialRejected,
	// ErrCeremonyExpired, *PolicyError.

	// BeginPasskeyVerification starts an identity check by a passkey
	// for purpose: request options JSON.
	BeginPasskeyVerification(ctx context.Context, token string, purpose Purpose) (json.RawMessage, error)
	// BeginPasskeyVerificationExcept is BeginPasskeyVerification with
	// the passkey whose credential ID is except left out of the allow
	// list, so that no authenticator answers with it: a change to a
	// passkey is confirmed by another one. With no other passkey to ask:
	// *PolicyError (RuleNoPasskey).
	BeginPasskeyVerificationExcept(ctx context.Context, token string, purpose Purpose, except []byte) (json.RawMessage, error)
	// FinishPasskeyVerification checks the assertion and returns a grant
	// for the purpose, which remembers the passkey.
	FinishPasskeyVerification(ctx context.Context, token string, assertion json.RawMessage) (*Grant, error)
	// RemovePasskey removes a passkey with a remove-passkey grant.
	RemovePasskey(ctx context.Context, token, grant, passkeyID string) error
	// Policy returns the account's security policy and any hold.
	Policy(ctx context.Context, token string) (*Policy, error)
	// SetPasskeyRequired turns "Passkey required" on (needs a passkey;
	// grant is not read) or off (needs a change-policy grant, used up).
	SetPasskeyRequired(ctx context.Context, token, grant string, on bool) error

	// Service API keys, for requesters of approvals.

	// CreateAPIKey makes a key; its secret is returned only here. It
	// needs a grant for PurposeCreateAPIKey (ErrGrantRequired without
	// one), good for more keys until it expires: whoever holds a key can
	// ask the account's owner to approve operations, so making one takes
	// an identity check.
	CreateAPIKey(ctx context.Context, token, grant, name string) (*NewAPIKey, error)
	// ListAPIKeys lists the account's keys, oldest first.
	ListAPIKeys(ctx context.Context, token string) ([]APIKey, error)
	// RevokeAPIKey stops a key at once.
	RevokeAPIKey(ctx context.Context, token, id string) error

	// Approvals. Errors: ErrInvalidAPIKey and ErrTooManyPending
	// (requesters), ErrNotFound,
	// ErrApprovalExpired, ErrApprovalDecided, ErrPasskeyCloned,
	// ErrCredentialRejected, *PolicyError, *InputError.

	// RequestApproval asks an account to approve an operation: the API
	// key's own account, or the one a service key names in req.Account.
	RequestApproval(ctx context.Context, apiKey string, req ApprovalRequest) (*Approval, error)
	// GetApproval is the requester's read of an approval.
	GetApproval(ctx context.Context, apiKey, id string) (*Approval, error)
	// PendingApprovals lists the session's pending approvals, oldest
	// first.
	PendingApprovals(ctx context.Context, token string) ([]Approval, error)
	// BeginApproval returns request options JSON whose challenge commits
	// to the operation (ChallengeFor).
	BeginApproval(ctx context.Context, token, id string) (json.RawMessage, error)
	// FinishApproval approves with the assertion JSON.
	FinishApproval(ctx context.Context, token, id string, assertion json.RawMessage) (*Approval, error)
	// DenyApproval records a denial.
	DenyApproval(ctx context.Context, token, id string) (*Approval, error)
	// WatchApprovals streams the session's pending approvals: the list at
	// once, then the new list whenever it changes; the channel closes
	// when ctx or the session ends.
	WatchApprovals(ctx context.Context, token string) (<-chan []Approval, error)
	// ReadApproval is the session's read of one of its account's
	// approvals, in any state: how a decision made elsewhere (on the
	// phone) turned out.
	ReadApproval(ctx context.Context, token, id string) (*Approval, error)

	// Approve on your phone. BeginPhoneApproval makes a one-time link
	// (for a QR code) to the phone page for the session's pending
	// approval id, bound to the session, living ApprovalLinkLifetime or
	// until the approval expires. The page's calls are authorised by the
	// link's token (link) and the key of the device that opened it first
	// (device). Errors, beyond the approvals' own: ErrApprovalLinkEnded,
	// ErrApprovalLinkUsed, *InputError.
	BeginPhoneApproval(ctx context.Context, token, id string) (*ApprovalLink, error)
	// CancelPhoneApproval ends the link whose ApprovalLink.ID is id: the
	// desktop hid its QR code.
	CancelPhoneApproval(ctx context.Context, token, id string) error
	// OpenPhoneApproval claims the link for device and returns what the
	// page shows.
	OpenPhoneApproval(ctx context.Context, link, device string) (*ApprovalPage, error)
	// PhoneApprovalOptions returns request options JSON whose challenge
	// commits to the operation, as BeginApproval does.
	PhoneApprovalOptions(ctx context.Context, link, device string) (json.RawMessage, error)
	// FinishPhoneApproval approves with the phone's assertion JSON.
	FinishPhoneApproval(ctx context.Context, link, device string, assertion json.RawMessage) (*Approval, error)
	// DenyPhoneApproval records a denial from the phone.
	DenyPhoneApproval(ctx context.Context, link, device string) (*Approval, error)

	// ExportActivity returns the activity log, filtered, as "csv" or
	// "json".
	ExportActivity(ctx context.Context, token, format string, filter ActivityFilter) ([]byte, error)

	// Recovery codes (recovery.go). A recovery code may stand in for the
	// authenticator code at SignIn and in CompleteVerification (in
	// Proof.TOTPCode); using one holds withdrawals and C2C trades.

	// RecoveryCodeStatus says how many of the account's recovery codes
	// are left.
	RecoveryCodeStatus(ctx context.Context, token string) (*RecoveryCodeStatus, error)
	// NewRecoveryCodes makes a new set of RecoveryCodeCount codes with a
	// recovery-codes grant (used up); the old set stops working. The codes
	// are returned only here.
	NewRecoveryCodes(ctx context.Context, token, grant string) (*RecoveryCodes, error)

	// ChangePassword sets a new password (the sign-up rules apply) with a
	// change-password grant (used up) and ends every other session of the
	// account.
	ChangePassword(ctx context.Context, token, grant, newPassword string) error

	// The enrollment station (station.go).
	StationAPI
	// The verified email (email.go). Errors: ErrMailNotConfigured,
	// ErrNoEmailCode, ErrTooManyEmails, ErrInvalidCode, ErrEmailTaken.

	// EmailStatus says whether the account's email is proven and where
	// a code waits.
	EmailStatus(ctx context.Context, token string) (*EmailStatus, error)
	// SendEmailCode sends a new code ("Send again") to the address
	// waiting for one: a change's new address, else the account's own
	// while it is unproven.
	SendEmailCode(ctx context.Context, token string) (*EmailStatus, error)
	// ConfirmEmail checks the code sent last; it proves its address (and
	// makes a change's new address the account's).
	ConfirmEmail(ctx context.Context, token, code string) (*EmailStatus, error)
	// ChangeEmail sends a code to newEmail with a change-email grant
	// (used up); the email changes when ConfirmEmail gets the code.
	ChangeEmail(ctx context.Context, token, grant, newEmail string) (*EmailStatus, error)
}

// SignUpRequest carries what a new user types on the first-run screen.
type SignUpRequest struct {
	Email       string
	DisplayName string
	Password    string
}

// TOTPEnrollment is the authenticator-app secret of a new account. The UI
// shows URI as a QR code and Secret as text.
type TOTPEnrollment struct {
	ID     string // pass to ConfirmSignUp
	Email  string
	Secret string // base32, no padding
	URI    string // otpauth://totp/…
}

// Session is a signed-in session. Token is secret: keep it in the OS
// keyring, never in a log or a plain file.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Account   Account
	// RecoveryCodes is set only by ConfirmSignUp: the account's first
	// recovery codes, shown to the person once. Secret, as Token is.
	RecoveryCodes []string `json:",omitempty"`
}

// Account is the public view of an account.
type Account struct {
	ID          string
	Email       string
	DisplayName string
	Role        Role
	CreatedAt   time.Time
	// Factors lists the identity factors the account has (password, totp,
	// and email when mail delivery is configured).
	Factors []Factor
	// EmailUnconfirmed is set when the service sends email and no code
	// has proved Email yet: the email code is then no factor and no
	// alert is mailed. Without mail it is never set (the address is
	// taken as given).
	EmailUnconfirmed bool `json:",omitempty"`
	// PasskeyCount is the number of bound passkeys.
	PasskeyCount int
	// Restricted is set when this session signed in with a passkey that
	// may be cloned: until a verification for PurposeUnlockSession passes,
	// security changes give ErrSessionRestricted.
	Restricted bool
	// UserHandle is the WebAuthn user.id that every passkey of the account
	// carries (32 random bytes, fixed for the account's life). It is not a
	// secret: a key shows it to anyone who lists its passkeys. A client
	// tells by it which passkeys on a key are this account's.
	UserHandle []byte
	// RPID is the relying party ID the account's passkeys are bound to
	// (the service's, the same for every account). A client tells by it,
	// with UserHandle, which passkeys on a key are for this service.
	RPID string
	// SetupRequired is set for an invited account signed in with its
	// enrolled key: it must choose a password and an authenticator app
	// (SetUpPassword, ConfirmSetUp) before anything else.
	SetupRequired bool `json:",omitempty"`
	// SignedInWithPasskey says the session was made by passkey sign-in,
	// which the enrollment station requires of operators.
	SignedInWithPasskey bool `json:",omitempty"`
}

// Role is an account's role.
type Role string

// The roles.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// Factor names an identity factor.
type Factor string

// The factors.
const (
	FactorPassword  Factor = "password"
	FactorTOTP      Factor = "totp"
	FactorEmailCode Factor = "email"
	FactorPasskey   Factor = "passkey"
)

// Purpose names what an identity verification is for; a grant is good for
// its one purpose only.
type Purpose string

// The purposes.
const (
	PurposeAddPasskey    Purpose = "add-passkey"
	PurposeRemovePasskey Purpose = "remove-passkey"
	// PurposeChangePolicy loosens the security policy: turning
	// "Passkey required" off.
	PurposeChangePolicy Purpose = "change-policy"
	// PurposeCreateAPIKey makes a service API key (CreateAPIKey).
	PurposeCreateAPIKey Purpose = "create-api-key"
	// PurposeUnlockSession confirms a restricted session (one signed in
	// with a passkey that may be cloned); its completion lifts the
	// restriction of the session that began it and gives no grant.
	PurposeUnlockSession Purpose = "unlock-session"
	// PurposeRecoveryCodes makes a new set of recovery codes.
	PurposeRecoveryCodes Purpose = "recovery-codes"
	// PurposeChangePassword sets a new password.
	PurposeChangePassword Purpose = "change-password"
	// PurposeChangeEmail sends a code to a new address (ChangeEmail).
	PurposeChangeEmail Purpose = "change-email"
)

// Verification is a started identity check.
type Verification struct {
	ID      string
	Purpose Purpose
	// Factors are those CompleteVerification will check, in order.
	Factors []Factor
	// EmailSentTo is the masked address an email code went to, or "".
	EmailSentTo string
	// EmailConfigured reports whether email codes can be sent at all; when
	// false the email factor is not required and the UI says so.
	EmailConfigured bool
	ExpiresAt       time.Time
}

// Proof carries the answers to a verification's factors. Only the fields
// the verification asked for are read.
type Proof struct {
	Password  string
	TOTPCode  string
	EmailCode string
}

// Grant allows one security change of Purpose until ExpiresAt. Token is
// secret.
type Grant struct {
	Token     string
	Purpose   Purpose
	ExpiresAt time.Time
}

// Kind is how a passkey is held.
type Kind string

// The passkey kinds.
const (
	KindSecurityKey  Kind = "security-key"
	KindPhone        Kind = "phone"
	KindThisComputer Kind = "this-computer"
)

// Label is the kind as the user reads it.
func (k Kind) Label() string {
	switch k {
	case KindSecurityKey:
		return "Security key"
	case KindPhone:
		return "Phone or tablet"
	case KindThisComputer:
		return "This computer"
	}
	return "Passkey"
}

// Passkey is a bound WebAuthn credential.
type Passkey struct {
	ID             string // stable, URL-safe; the credential ID in base64url
	CredentialID   []byte
	PublicKey      []byte // COSE key
	AAGUID         []byte
	Model          string // from the AAGUID catalog, "" when unknown
	Kind           Kind
	Name           string
	Transports     []string
	BackupEligible bool
	BackedUp       bool
	SignCount      uint32
	CloneWarning   bool
	CreatedAt      time.Time
	LastUsedAt     time.Time // zero when never used
	LastUsedFor    string
	// LostAt is when the passkey was marked lost: its authenticator no
	// longer holds it. Zero while it is not.
	LostAt time.Time
	// LostReason says why, in words ("the security key was reset").
	LostReason string
	// HeldUntil ends the passkey's own hold. A passkey added without the
	// word of another passkey (with password and codes) cannot approve
	// withdrawals or C2C trades until then, and its word spares no change
	// the hold. Zero when it was added with another passkey's word.
	HeldUntil time.Time
	// Issued is set for a passkey enrolled on its owner's behalf (at an
	// enrollment station) until its owner first signs in with it: until
	// then it cannot approve operations or verify identity.
	Issued bool `json:",omitempty"`
	// EnrolledBy says who enrolled it on the owner's behalf, where and
	// when; nil for a passkey its owner added.
	EnrolledBy *Provenance `json:",omitempty"`
}

// Lost reports whether the passkey is marked lost.
func (p Passkey) Lost() bool { return !p.LostAt.IsZero() }

// Held reports whether the passkey's own hold lasts at now (see
// HeldUntil).
func (p Passkey) Held(now time.Time) bool { return now.Before(p.HeldUntil) }

// Event is one entry of the activity log.
type Event struct {
	ID     int64
	At     time.Time
	Type   EventType
	Detail string
	// Source is where it happened: "app", "phone page", "api".
	Source string
}

// EventType names a security event.
type EventType string

// The event types recorded so far.
const (
	EventAccountCreated     EventType = "account-created"
	EventAccountActivated   EventType = "account-activated"
	EventSignedIn           EventType = "signed-in"
	EventSignInFailed       EventType = "sign-in-failed"
	EventSignedOut          EventType = "signed-out"
	EventVerificationPassed EventType = "verification-passed"
	EventVerificationFailed EventType = "verification-failed"
	EventFactorLocked       EventType = "factor-locked"
	EventPasskeyAdded       EventType = "passkey-added"
	EventPasskeyRenamed     EventType = "passkey-renamed"
	EventPasskeyLost        EventType = "passkey-lost"

	EventPhoneEnrollmentOpened    EventType = "phone-enrollment-opened"
	EventPhoneEnrollmentConfirmed EventType = "phone-enrollment-confirmed"
	EventPhoneEnrollmentCanceled  EventType = "phone-enrollment-canceled"
	EventPhoneEnrollmentExpired   EventType = "phone-enrollment-expired"
	// A second device tried to open a link another device holds.
	EventPhoneEnrollmentTried EventType = "phone-enrollment-second-device"
	// The desktop let that second device take the link over.
	EventPhoneEnrollmentHandedOver EventType = "phone-enrollment-handed-over"

	EventPasskeyRemoved        EventType = "passkey-removed"
	EventPasskeyCloneSuspected EventType = "passkey-clone-suspected"
	EventHoldStarted           EventType = "hold-started"
	EventPolicyChanged         EventType = "policy-changed"
	EventAPIKeyCreated         EventType = "api-key-created"
	EventAPIKeyRevoked         EventType = "api-key-revoked"
	EventApprovalRequested     EventType = "approval-requested"
	EventApprovalApproved      EventType = "approval-approved"
	EventApprovalDenied        EventType = "approval-denied"
	EventApprovalRefused       EventType = "approval-refused"

	EventRecoveryCodeUsed  EventType = "recovery-code-used"
	EventRecoveryCodesMade EventType = "recovery-codes-made"
	EventPasswordChanged   EventType = "password-changed"

	EventEmailConfirmed     EventType = "email-confirmed"
	EventEmailChangeStarted EventType = "email-change-started"
	EventEmailChanged       EventType = "email-changed"
	// A sign-in from an app or address the account had not signed in
	// from before.
	EventNewDeviceSignIn EventType = "new-device-sign-in"
	// The authenticator app (TOTP secret) was replaced.
	EventAuthenticatorChanged EventType = "authenticator-changed"
)

// The sources of events.
const (
	SourceApp       = "app"
	SourcePhonePage = "phone page"
	SourceAPI       = "api"
)
