package account

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// The enrollment station's part of the account service: operators,
// invited accounts, passkeys enrolled on someone's behalf (this file and
// stationenroll.go) and batches (batch.go). No PIN passes through any of
// it: the station hands a key's PIN to its owner on paper, and the
// service has no field that could hold one.

// RoleOperator may run the enrollment station. It is granted and revoked
// only where the service's database is (SetOperator, from the server's or
// the desktop's command line), never through the API. Its stored value is
// "admin", the one the schema has allowed since version 1.
const RoleOperator Role = RoleAdmin

// Errors of the enrollment station.
var (
	// ErrNotOperator: the call is the enrollment station's, and the
	// session's account is not an operator.
	ErrNotOperator = errors.New("only an operator may use the enrollment station")
	// ErrPasskeySessionRequired: an operator's station call from a
	// session not made by passkey sign-in.
	ErrPasskeySessionRequired = errors.New("the enrollment station needs a session signed in with your own passkey, not a password")
	// ErrSetupRequired: the session's account was invited and has not yet
	// set its password and authenticator app (SetUpPassword,
	// ConfirmSetUp); nothing else is allowed until it has.
	ErrSetupRequired = errors.New("finish setting up the account first: choose a password and add an authenticator app")
	// ErrPasskeyIssued: the passkey was enrolled on its owner's behalf
	// and its owner has not yet signed in with it, so it cannot approve
	// operations or verify identity.
	ErrPasskeyIssued = errors.New("this passkey has not been used by its owner yet: sign in with it once first")
	// ErrEntryClaimed: another station is working on this batch entry.
	ErrEntryClaimed = errors.New("another station is enrolling this person")
	// ErrEntryDone: the batch entry is enrolled or skipped already.
	ErrEntryDone = errors.New("this person's entry is finished already")
)

// Events of the enrollment station.
const (
	EventOperatorGranted  EventType = "operator-granted"
	EventOperatorRevoked  EventType = "operator-revoked"
	EventAccountInvited   EventType = "account-invited"
	EventStationEnrolled  EventType = "station-enrolled"
	EventPasskeyFirstUsed EventType = "passkey-first-used"
	EventBatchCreated     EventType = "batch-created"
	EventBatchEntry       EventType = "batch-entry"
	// SourceStation is the source of events of the station's calls.
	SourceStation = "station"
	// SourceCommandLine is that of the operator command.
	SourceCommandLine = "command line"
)

// Limits of the enrollment station.
const (
	// StationCeremonyLifetime is how long a station's registration may be
	// finished, or finished again: a key pulled out or a failed finish is
	// retried within it.
	StationCeremonyLifetime = 30 * time.Minute
	// ClaimLifetime is how long a station's claim on a batch entry lasts
	// without news from it; a crashed station's entries are free again
	// after it.
	ClaimLifetime = 2 * time.Minute
	// MaxBatchEntries is the most people one batch holds.
	MaxBatchEntries = 1000
)

// StationAPI is the enrollment station's part of API. Every method but
// SetUpPassword and ConfirmSetUp needs an operator's session made by
// passkey sign-in: ErrNotOperator, ErrPasskeySessionRequired,
// ErrUnauthenticated otherwise. A batch is its operator's only: another
// operator's is ErrNotFound.
type StationAPI interface {
	// SetUpPassword sets the password of an invited account's session
	// (ErrSetupRequired's way out, step one) and returns a new
	// authenticator-app secret to confirm with ConfirmSetUp. It may be
	// called again (a new secret each time) until confirmed.
	SetUpPassword(ctx context.Context, token, password string) (*TOTPEnrollment, error)
	// ConfirmSetUp checks a first code of that secret and activates the
	// account; the session goes on, and its first recovery codes come
	// with it (Session.RecoveryCodes).
	ConfirmSetUp(ctx context.Context, token, code string) (*Session, error)

	// StationAccount finds the account with req.Email or, when there is
	// none, invites one with req.DisplayName: inactive until its owner
	// first signs in with a passkey enrolled for it.
	StationAccount(ctx context.Context, token string, req StationAccountRequest) (*StationAccount, error)
	// BeginStationEnrollment returns creation options for a passkey of
	// the target account (its user handle, the service's RP), for a
	// security key on the station req.Station. The target is
	// req.AccountID or the account of a batch entry (found or invited by
	// its email), which the station then holds.
	BeginStationEnrollment(ctx context.Context, token string, req StationEnrollmentRequest) (json.RawMessage, error)
	// FinishStationEnrollment binds the key's credential to the target
	// account, "issued" until its owner first signs in with it, and marks
	// the batch entry enrolled. A failed finish may be retried with the
	// same credential within StationCeremonyLifetime; a finish of a
	// credential already finished by the same operator returns its
	// passkey again.
	FinishStationEnrollment(ctx context.Context, token string, credential json.RawMessage, name string) (*Passkey, error)

	// CheckBatchRows validates rows for a batch without storing anything:
	// the good rows, normalised, and the bad ones with why.
	CheckBatchRows(ctx context.Context, token string, rows []BatchRow) (*BatchCheck, error)
	// CreateBatch stores a batch of rows, all good (an *InputError and
	// nothing stored otherwise), each a pending entry.
	CreateBatch(ctx context.Context, token, name string, rows []BatchRow) (*Batch, error)
	// AddBatchEntry adds one person to a batch.
	AddBatchEntry(ctx context.Context, token, batchID string, row BatchRow) (*BatchEntry, error)
	// Batches lists the operator's batches, newest first, without their
	// entries (with their counts).
	Batches(ctx context.Context, token string) ([]Batch, error)
	// Batch returns one of the operator's batches with its entries.
	Batch(ctx context.Context, token, batchID string) (*Batch, error)
	// ClaimBatchEntry gives station the entry entryID (one it holds
	// already, one free, or one whose claim lapsed: how a station goes on
	// after a crash) or, when entryID is "", the first pending (or
	// key-detected) entry no station holds, itself included, so a station
	// with several keys takes several people: ErrNotFound when none is
	// left. The claim lasts ClaimLifetime
	// and is renewed by each call of the station on the entry; of two
	// stations claiming at once, one gets it (ErrEntryClaimed for the
	// other when it named it).
	ClaimBatchEntry(ctx context.Context, token, batchID, entryID, station string) (*BatchEntry, error)
	// UpdateBatchEntry records a step of the station holding the entry
	// (or claiming it now): key detected, failed with a reason, skipped,
	// or pending again (the claim is released). Enrolled is set only by
	// FinishStationEnrollment.
	UpdateBatchEntry(ctx context.Context, token, batchID, entryID string, u BatchEntryUpdate) (*BatchEntry, error)
	// ExportBatch returns the batch log as "csv" or "json": person,
	// email, result (the entry's state), reason, key label, model, AAGUID, credential short
	// ID, time, operator, station. There is no PIN in it.
	ExportBatch(ctx context.Context, token, batchID, format string) ([]byte, error)
}

// StationAccountRequest names a person for the station.
type StationAccountRequest struct {
	Email       string
	DisplayName string // for an invited account; read only when inviting
	Station     string
}

// StationAccount is the station's view of a target account.
type StationAccount struct {
	ID          string
	Email       string
	DisplayName string
	// Invited is set while the account awaits its owner's first sign-in
	// and setup; Created when this call invited it.
	Invited bool
	Created bool
	// PasskeyCount is the number of its passkeys.
	PasskeyCount int
	UserHandle   []byte
	RPID         string
}

// StationEnrollmentRequest names the target of a station enrollment:
// AccountID, or a batch entry (BatchID and EntryID).
type StationEnrollmentRequest struct {
	AccountID string
	BatchID   string
	EntryID   string
	// Station names the station (its client), 1 to 64 characters.
	Station string
}

// Provenance says who enrolled a passkey on its owner's behalf.
type Provenance struct {
	OperatorID string
	Operator   string // the operator's email then
	Station    string
	At         time.Time
}

// InvitationRecord is an invited account's setup as stored.
type InvitationRecord struct {
	AccountID  string
	OperatorID string
	Station    string
	CreatedAt  time.Time
	SignedInAt time.Time // its owner's first sign-in; zero before
	DoneAt     time.Time // password and authenticator set; zero before
}

// StationCeremonyRecord is a station registration as stored, kept after
// it is finished (until it expires) so a repeated finish is recognised.
type StationCeremonyRecord struct {
	Challenge  string
	OperatorID string
	AccountID  string
	Station    string
	BatchID    string // "" when not for a batch entry
	EntryID    string
	Session    []byte // go-webauthn's SessionData, MessagePack
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// CredentialID and PasskeyID are set when it is finished.
	CredentialID []byte
	PasskeyID    string
	FinishedAt   time.Time
}

// StationTx is the store's part for the enrollment station (a part of
// Tx).
type StationTx interface {
	InsertInvitation(r *InvitationRecord) error
	// UpdateInvitation writes SignedInAt and DoneAt.
	UpdateInvitation(r *InvitationRecord) error
	Invitation(accountID string) (*InvitationRecord, error)

	InsertStationCeremony(c *StationCeremonyRecord) error
	// UpdateStationCeremony writes CredentialID, PasskeyID and
	// FinishedAt.
	UpdateStationCeremony(c *StationCeremonyRecord) error
	StationCeremony(challenge string) (*StationCeremonyRecord, error)

	InsertBatch(b *BatchRecord) error
	BatchByID(id string) (*BatchRecord, error)
	// Batches lists an operator's batches, newest first.
	Batches(operatorID string) ([]BatchRecord, error)
	InsertBatchEntry(e *BatchEntry) error
	// UpdateBatchEntry writes everything but ID, BatchID, Position,
	// Email and DisplayName.
	UpdateBatchEntry(e *BatchEntry) error
	// BatchEntries lists a batch's entries by position.
	BatchEntries(batchID string) ([]BatchEntry, error)
}
