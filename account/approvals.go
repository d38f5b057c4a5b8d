package account

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Approval lifetimes.
const (
	// ApprovalLifetime is how long a request waits for a decision unless
	// it asks for less.
	ApprovalLifetime = 5 * time.Minute
	// MaxApprovalLifetime is the longest a request may ask for.
	MaxApprovalLifetime = time.Hour
	// RemovalHold is how long withdrawals and C2C trades are held after a
	// security change that no other passkey approved (a passkey removed or
	// added, "Passkey required" turned off), and how long a passkey added
	// so is itself held.
	RemovalHold = 24 * time.Hour
)

// OperationKind names a sensitive operation.
type OperationKind string

// The operation kinds.
const (
	OperationWithdrawal      OperationKind = "withdrawal"
	OperationDeposit         OperationKind = "deposit"
	OperationC2CTrade        OperationKind = "c2c-trade"
	OperationSignInElsewhere OperationKind = "sign-in-elsewhere"
)

// Held reports whether a removal hold applies to operations of kind k.
func (k OperationKind) Held() bool { return k == OperationWithdrawal || k == OperationC2CTrade }

// Operation is what an approval is asked for, exactly as the requester
// sent it. Every field is signed over (see ChallengeFor).
type Operation struct {
	Kind         OperationKind
	Asset        string // "BTC", "USDT"
	Amount       string // a decimal string, "0.015"
	Network      string // "Bitcoin", "TRC20"
	Destination  string // an address (withdrawals, deposits)
	Counterparty string // the other side (C2C trades)
	Fee          string // a decimal string, "" when none
	Reference    string // the requester's own reference
}

// ApprovalRequest is a requester's call: the operation and, optionally, a
// shorter or longer life than ApprovalLifetime (at most
// MaxApprovalLifetime).
type ApprovalRequest struct {
	// Account names the account asked, by ID or email. A service key
	// must name it; an account's API key may leave it empty (its own
	// account) and may not name another.
	Account   string
	Operation Operation
	Lifetime  time.Duration
}

// ApprovalState is where an approval stands.
type ApprovalState string

// The approval states. Pending moves once, to one of the others.
const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalDenied   ApprovalState = "denied"
	ApprovalExpired  ApprovalState = "expired"
	// ApprovalRefused ends an approval whose answer showed foul play: the
	// signed challenge did not match the stored details, or the passkey
	// looked cloned. The requester must ask again.
	ApprovalRefused ApprovalState = "refused"
)

// Assertion is the WebAuthn assertion that approved an operation, with
// the public key to check it: the signature is over AuthenticatorData ‖
// SHA-256(ClientDataJSON) (WebAuthn §7.2 step 20), and ClientDataJSON's
// challenge is the approval's Challenge.
type Assertion struct {
	CredentialID      []byte
	PublicKey         []byte // COSE_Key
	AuthenticatorData []byte
	ClientDataJSON    []byte
	Signature         []byte
}

// Approval is an approval as the app and requesters see it.
type Approval struct {
	ID        string
	Operation Operation
	State     ApprovalState
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt time.Time // zero while pending
	// Nonce and Challenge let a requester recompute and check what the
	// passkey signed: Challenge = ChallengeFor(Nonce, ID, Operation).
	Nonce     []byte
	Challenge []byte
	// PasskeyID and PasskeyName name the approving passkey.
	PasskeyID   string
	PasskeyName string
	Assertion   *Assertion // set when approved
	// Reason says why the approval was refused; "" in other states.
	Reason string
	// HeldUntil is the end of a hold on this operation's kind, or zero.
	HeldUntil time.Time
}

// approvalTag opens the canonical encoding; a new encoding gets a new tag.
const approvalTag = "passkeydesk approval v1"

// CanonicalOperation is the canonical encoding of an approval's operation
// (see the package doc, "Approvals"): ten fields in a fixed order, each
// as its UTF-8 length (4 bytes, big-endian) then its bytes.
func CanonicalOperation(id string, op Operation) []byte {
	fields := []string{approvalTag, id, string(op.Kind), op.Asset, op.Amount, op.Network,
		op.Destination, op.Counterparty, op.Fee, op.Reference}
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	out := make([]byte, 0, n)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// ChallengeFor is the WebAuthn challenge of an approval:
// SHA-256(nonce ‖ CanonicalOperation(id, op)).
func ChallengeFor(nonce []byte, id string, op Operation) []byte {
	h := sha256.New()
	h.Write(nonce)
	h.Write(CanonicalOperation(id, op))
	return h.Sum(nil)
}

// validate checks op and returns an *InputError naming the first bad
// field.
func (op *Operation) validate() error {
	bad := func(field, reason string) error { return &InputError{Field: field, Reason: reason} }
	switch op.Kind {
	case OperationWithdrawal, OperationDeposit, OperationC2CTrade, OperationSignInElsewhere:
	case "":
		return bad("kind", "name the operation: withdrawal, deposit, c2c-trade or sign-in-elsewhere")
	default:
		return bad("kind", "unknown operation; use withdrawal, deposit, c2c-trade or sign-in-elsewhere")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"asset", op.Asset, 16}, {"amount", op.Amount, 40}, {"network", op.Network, 32},
		{"destination", op.Destination, 128}, {"counterparty", op.Counterparty, 64},
		{"fee", op.Fee, 40}, {"reference", op.Reference, 128},
	} {
		if !utf8.ValidString(f.value) || utf8.RuneCountInString(f.value) > f.max {
			return bad(f.name, fmt.Sprintf("use at most %d characters", f.max))
		}
		if strings.TrimSpace(f.value) != f.value {
			return bad(f.name, "no spaces at the start or end")
		}
		for _, r := range f.value {
			if !unicode.IsPrint(r) {
				return bad(f.name, "only printable characters")
			}
		}
	}
	money := op.Kind != OperationSignInElsewhere
	switch {
	case money && op.Asset == "":
		return bad("asset", "name the asset, such as BTC")
	case op.Asset != "" && strings.Trim(op.Asset, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != "":
		return bad("asset", "use upper-case letters, digits, '.', '-' or '_'")
	case money && op.Amount == "":
		return bad("amount", "give the amount as a decimal number, such as 0.015")
	case op.Amount != "" && !decimal(op.Amount, false):
		return bad("amount", "give a decimal number above zero, such as 0.015 (digits and one '.', no sign or exponent)")
	case op.Fee != "" && !decimal(op.Fee, true):
		return bad("fee", "give a decimal number, such as 0.0001")
	case op.Kind == OperationWithdrawal && op.Network == "":
		return bad("network", "name the network the withdrawal goes over")
	case (op.Kind == OperationWithdrawal || op.Kind == OperationDeposit) && op.Destination == "":
		return bad("destination", "give the destination address")
	case op.Destination != "" && strings.ContainsFunc(op.Destination, unicode.IsSpace):
		return bad("destination", "an address has no spaces")
	case op.Kind == OperationC2CTrade && op.Counterparty == "":
		return bad("counterparty", "name the other side of the trade")
	case !money && (op.Asset != "" || op.Amount != "" || op.Fee != ""):
		return bad("amount", "a sign-in has no asset, amount or fee")
	case !money && op.Reference == "":
		return bad("reference", "say where the sign-in comes from (device, place)")
	}
	return nil
}

// decimal reports whether s is digits with at most one '.', without
// superfluous leading zeros, and (unless zeroOK) above zero.
func decimal(s string, zeroOK bool) bool {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && frac == "") || len(frac) > 18 {
		return false
	}
	if len(whole) > 1 && whole[0] == '0' {
		return false
	}
	nonzero := false
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return false
		}
		nonzero = nonzero || r != '0'
	}
	return nonzero || zeroOK
}

// --- requester side ----------------------------------------------------------

// RequestApproval implements API: the account gets a pending approval of
// req.Operation. apiKey is the account's own API key, or a service key
// ("pdks_…") with req.Account naming the account; an account's key that
// names another account gets an *InputError. The activity names the key.
// A withdrawal or C2C trade during a removal hold is refused with a
// *PolicyError (RuleHold) saying until when; an account with no passkey
// gets RuleNoPasskey, and one whose passkeys are all marked as possible
// clones ErrPasskeyCloned. A key (an account's or a service key) with
// MaxPendingApprovals waiting gets ErrTooManyPending.
func (s *Service) RequestApproval(ctx context.Context, apiKey string, req ApprovalRequest) (*Approval, error) {
	op := req.Operation
	if err := op.validate(); err != nil {
		return nil, err
	}
	life := req.Lifetime
	switch {
	case life == 0:
		life = ApprovalLifetime
	case life < 30*time.Second || life > MaxApprovalLifetime:
		return nil, &InputError{Field: "lifetime", Reason: "ask for 30 seconds to 1 hour"}
	}
	now := s.now().UTC()
	a := &ApprovalRecord{
		ID:        randomID(),
		Operation: op,
		Nonce:     randomBytes(32),
		State:     ApprovalPending,
		CreatedAt: now,
		ExpiresAt: now.Add(life),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		k, err := s.authenticateRequester(tx, apiKey)
		if err != nil {
			return err
		}
		accountID, err := k.target(tx, req.Account)
		if err != nil {
			return err
		}
		a.AccountID, a.APIKeyID = accountID, k.id()
		if err := s.checkPendingCap(tx, k.id(), now); err != nil {
			return err
		}
		if err := s.checkHold(tx, accountID, op.Kind); err != nil {
			return err
		}
		// An account without a passkey that may approve could never
		// answer: the requester hears so now, not after the expiry.
		rec, err := tx.AccountByID(accountID)
		if err != nil {
			return err
		}
		if _, err := s.approvalUser(tx, rec); err != nil {
			return err
		}
		if err := k.used(tx, now); err != nil {
			return err
		}
		if err := tx.InsertApproval(a); err != nil {
			return err
		}
		return tx.AppendEvent(accountID, s.eventFrom(SourceAPI, EventApprovalRequested, summary(&op)+" ("+k.label()+")"))
	})
	if err != nil {
		return nil, err
	}
	return s.approvalOf(a, nil, time.Time{}), nil
}

// GetApproval implements API: the requester's view, by any valid API key
// of the approval's account, or by the service key that requested it.
func (s *Service) GetApproval(ctx context.Context, apiKey, id string) (*Approval, error) {
	var out *Approval
	err := s.store.View(ctx, func(tx Tx) error {
		k, err := s.authenticateRequester(tx, apiKey)
		if err != nil {
			return err
		}
		a, err := tx.ApprovalByID(id)
		mine := err == nil && ((k.account != nil && a.AccountID == k.account.AccountID) ||
			(k.service != nil && a.APIKeyID == k.service.ID))
		if errors.Is(err, ErrNotFound) || (err == nil && !mine) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		out, err = s.loadApproval(tx, a)
		return err
	})
	return out, err
}

// loadApproval is a's public view, with its passkey's name and any hold.
func (s *Service) loadApproval(tx Tx, a *ApprovalRecord) (*Approval, error) {
	var pk *Passkey
	if a.PasskeyID != "" {
		pks, err := tx.Passkeys(a.AccountID)
		if err != nil {
			return nil, err
		}
		for i := range pks {
			if pks[i].ID == a.PasskeyID {
				pk = &pks[i]
			}
		}
	}
	var hold time.Time
	if a.Operation.Kind.Held() {
		p, err := tx.Policy(a.AccountID)
		if err != nil {
			return nil, err
		}
		if s.now().Before(p.HoldUntil) {
			hold = p.HoldUntil
		}
	}
	return s.approvalOf(a, pk, hold), nil
}

func (s *Service) approvalOf(a *ApprovalRecord, pk *Passkey, hold time.Time) *Approval {
	out := &Approval{
		ID:        a.ID,
		Operation: a.Operation,
		State:     a.State,
		CreatedAt: a.CreatedAt,
		ExpiresAt: a.ExpiresAt,
		DecidedAt: a.DecidedAt,
		Nonce:     a.Nonce,
		Challenge: ChallengeFor(a.Nonce, a.ID, a.Operation),
		PasskeyID: a.PasskeyID,
		Assertion: a.Assertion,
		HeldUntil: hold,
		Reason:    a.Reason,
	}
	if out.State == ApprovalPending && !s.now().Before(a.ExpiresAt) {
		out.State = ApprovalExpired
	}
	if pk != nil {
		out.PasskeyName = pk.Name
	}
	return out
}

// --- the account owner's side --------------------------------------------------

// PendingApprovals implements API: the pending, unexpired approvals,
// oldest first.
func (s *Service) PendingApprovals(ctx context.Context, token string) ([]Approval, error) {
	var out []Approval
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		as, err := tx.Approvals(rec.ID, ApprovalPending)
		if err != nil {
			return err
		}
		for i := range as {
			if !s.now().Before(as[i].ExpiresAt) {
				continue
			}
			a, err := s.loadApproval(tx, &as[i])
			if err != nil {
				return err
			}
			out = append(out, *a)
		}
		return nil
	})
	return out, err
}

// openApproval returns the session's pending approval id, or an error:
// ErrNotFound, ErrApprovalDecided, ErrApprovalExpired (after marking it
// expired when write is set), or a *PolicyError for a hold.
func (s *Service) openApproval(tx Tx, rec *AccountRecord, id string, write bool) (*ApprovalRecord, error) {
	a, err := tx.ApprovalByID(id)
	if errors.Is(err, ErrNotFound) || (err == nil && a.AccountID != rec.ID) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if a.State != ApprovalPending {
		if a.State == ApprovalExpired {
			return nil, ErrApprovalExpired
		}
		return nil, ErrApprovalDecided
	}
	if !s.now().Before(a.ExpiresAt) {
		if write {
			a.State = ApprovalExpired
			if err := tx.UpdateApproval(a); err != nil {
				return nil, err
			}
		}
		return nil, ErrApprovalExpired
	}
	return a, nil
}

// BeginApproval implements API: request options whose challenge is the
// approval's ChallengeFor, allowing the account's passkeys that have no
// clone warning. Nothing is written: the challenge is recomputed from the
// stored approval when the answer comes. For a withdrawal or C2C trade
// when every such passkey is on its own hold: *PolicyError
// (RulePasskeyHeld).
func (s *Service) BeginApproval(ctx context.Context, token, id string) (json.RawMessage, error) {
	var out json.RawMessage
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		a, err := s.openApproval(tx, rec, id, false)
		if err != nil {
			return err
		}
		out, err = s.approvalOptions(tx, rec, a)
		return err
	})
	return out, err
}

// approvalOptions are the request options JSON of pending approval a of
// rec, after the hold and passkey rules (see BeginApproval).
func (s *Service) approvalOptions(tx Tx, rec *AccountRecord, a *ApprovalRecord) (json.RawMessage, error) {
	if err := s.checkHold(tx, rec.ID, a.Operation.Kind); err != nil {
		return nil, err
	}
	user, err := s.approvalUser(tx, rec)
	if err != nil {
		return nil, err
	}
	if err := s.checkPasskeysHeld(user.passkeys, a.Operation.Kind); err != nil {
		return nil, err
	}
	assertion, _, err := s.approvalCeremony(user, a)
	if err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

func (s *Service) approvalCeremony(user *webauthnUser, a *ApprovalRecord) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	return s.rp.BeginLogin(user,
		webauthn.WithChallenge(ChallengeFor(a.Nonce, a.ID, a.Operation)),
		webauthn.WithUserVerification(protocol.VerificationRequired))
}

// signedBy reports whether parsed carries a valid signature by pk over its
// own authenticator data and client data, for this relying party: a
// genuine answer from that passkey, whatever challenge it signed. pk may
// be nil (not one of the account's passkeys).
func (s *Service) signedBy(pk *Passkey, parsed *protocol.ParsedCredentialAssertionData) bool {
	rpIDHash := sha256.Sum256([]byte(s.rp.Config.RPID))
	if pk == nil || !bytes.Equal(parsed.Response.AuthenticatorData.RPIDHash, rpIDHash[:]) {
		return false
	}
	key, err := webauthncose.ParsePublicKey(pk.PublicKey)
	if err != nil {
		return false
	}
	raw := parsed.Raw.AssertionResponse
	clientData := sha256.Sum256(raw.ClientDataJSON)
	ok, err := webauthncose.VerifySignature(key, slices.Concat([]byte(raw.AuthenticatorData), clientData[:]), raw.Signature)
	return err == nil && ok
}

// refusalReason is the requester's short account of why an approval was
// refused for good.
func refusalReason(why error) string {
	if errors.Is(why, ErrPasskeyCloned) {
		return "the passkey looks cloned: its signature counter went backwards"
	}
	return errDetailsMismatch.Error()
}

// errDetailsMismatch: an approval's answer signed another challenge than
// the one its stored details give.
var errDetailsMismatch = errors.New("the signed challenge does not match the operation's details")

// FinishApproval implements API. The challenge is recomputed from the
// stored approval, and the assertion must answer exactly it (WebAuthn
// §7.2 through go-webauthn, user verification required). A passkey with a
// clone warning, or whose counter now goes backwards (it is then marked),
// is refused with ErrPasskeyCloned; one on its own hold, for a withdrawal
// or C2C trade, with a *PolicyError (RulePasskeyHeld), the approval left
// pending. A challenge that does not match, or a
// cloned-looking passkey, refuses the approval for good (state refused,
// ErrApprovalRefused wrapping the cause); other failures
// (ErrCredentialRejected) leave it pending. On success the decision, the
// passkey, the time and the assertion's parts are stored with the new
// sign count, in one transaction.
func (s *Service) FinishApproval(ctx context.Context, token, id string, assertion json.RawMessage) (*Approval, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return nil, rejected(err)
	}
	var out *Approval
	var verr error
	err = s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		a, err := s.openApproval(tx, rec, id, true)
		if errors.Is(err, ErrApprovalExpired) {
			verr = err
			return nil // commit the expired state
		}
		if err != nil {
			return err
		}
		out, verr, err = s.approveWith(tx, rec, a, parsed, SourceApp)
		return err
	})
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	return out, nil
}

// approveWith checks parsed as the answer to approval a of rec and records
// the outcome, as FinishApproval describes, with events from source. It
// returns the approved approval, or the caller's error verr (committed,
// so a refusal or a clone mark stays), or a storage failure err (rolled
// back).
func (s *Service) approveWith(tx Tx, rec *AccountRecord, a *ApprovalRecord, parsed *protocol.ParsedCredentialAssertionData, source string) (out *Approval, verr, err error) {
	if err := s.checkHold(tx, rec.ID, a.Operation.Kind); err != nil {
		return nil, nil, err
	}
	user, err := s.loadUser(tx, rec)
	if err != nil {
		return nil, nil, err
	}
	// An answer refused for a benign reason (an unknown passkey, no
	// user verification, a signature that does not check) leaves the
	// approval pending, to try again. One genuinely signed by one of
	// the account's passkeys over other details than those stored, or
	// by a passkey that looks cloned, ends it for good: state refused,
	// which the requester reads. An answer whose signature does not
	// check proves nothing, so it cannot end the approval.
	refuse := func(why error) (*Approval, error, error) {
		detail := summary(&a.Operation) + ": " + why.Error()
		final := errors.Is(why, ErrPasskeyCloned) || errors.Is(why, errDetailsMismatch)
		if final && !s.signedBy(user.passkey(parsed.RawID), parsed) {
			final = false
			why = rejected(errors.New("the answer's signature does not check"))
			detail = summary(&a.Operation) + ": " + why.Error()
		}
		if final {
			a.State, a.DecidedAt, a.Reason = ApprovalRefused, s.now().UTC(), refusalReason(why)
			if err := tx.UpdateApproval(a); err != nil {
				return nil, nil, err
			}
			why = fmt.Errorf("%w: %w", ErrApprovalRefused, why)
			detail += "; refused for good"
		}
		return nil, why, tx.AppendEvent(rec.ID, s.eventFrom(source, EventApprovalRefused, detail))
	}
	want := base64.RawURLEncoding.EncodeToString(ChallengeFor(a.Nonce, a.ID, a.Operation))
	if parsed.Response.CollectedClientData.Challenge != want {
		return refuse(fmt.Errorf("%w: %w", ErrCredentialRejected, errDetailsMismatch))
	}
	if p := user.passkey(parsed.RawID); p != nil && a.Operation.Kind.Held() && p.Held(s.now()) {
		// Refused before its signature is checked: nothing of the
		// passkey is written, and the approval stays pending for
		// another passkey.
		return refuse(&PolicyError{Rule: RulePasskeyHeld, Until: p.HeldUntil})
	}
	pk, why, err := s.checkAssertion(tx, user, parsed, func(session *webauthn.SessionData) error {
		_, sd, err := s.approvalCeremony(user, a)
		if err == nil {
			*session = *sd
		}
		return err
	}, "approval: "+string(a.Operation.Kind))
	if err != nil {
		return nil, nil, err
	}
	if why != nil {
		return refuse(why)
	}
	raw := parsed.Raw.AssertionResponse
	a.State, a.DecidedAt, a.PasskeyID = ApprovalApproved, s.now().UTC(), pk.ID
	a.Assertion = &Assertion{
		CredentialID:      pk.CredentialID,
		PublicKey:         pk.PublicKey,
		AuthenticatorData: raw.AuthenticatorData,
		ClientDataJSON:    raw.ClientDataJSON,
		Signature:         raw.Signature,
	}
	if err := tx.UpdateApproval(a); err != nil {
		return nil, nil, err
	}
	if err := tx.AppendEvent(rec.ID, s.eventFrom(source, EventApprovalApproved, summary(&a.Operation)+" with passkey "+pk.Name)); err != nil {
		return nil, nil, err
	}
	return s.approvalOf(a, pk, time.Time{}), nil, nil
}

// DenyApproval implements API: the decision is recorded; the requester
// sees state denied.
func (s *Service) DenyApproval(ctx context.Context, token, id string) (*Approval, error) {
	var out *Approval
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		a, err := s.openApproval(tx, rec, id, true)
		if errors.Is(err, ErrApprovalExpired) {
			verr = err
			return nil
		}
		if err != nil {
			return err
		}
		out, err = s.deny(tx, rec, a, SourceApp)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, verr
}

// deny records the denial of pending approval a of rec, with its event
// from source.
func (s *Service) deny(tx Tx, rec *AccountRecord, a *ApprovalRecord, source string) (*Approval, error) {
	a.State, a.DecidedAt = ApprovalDenied, s.now().UTC()
	if err := tx.UpdateApproval(a); err != nil {
		return nil, err
	}
	return s.approvalOf(a, nil, time.Time{}), tx.AppendEvent(rec.ID, s.eventFrom(source, EventApprovalDenied, summary(&a.Operation)))
}

// checkHold returns a *PolicyError (RuleHold, with its cause) while a hold
// covers operations of kind.
func (s *Service) checkHold(tx Tx, accountID string, kind OperationKind) error {
	if !kind.Held() {
		return nil
	}
	p, err := tx.Policy(accountID)
	if err != nil {
		return err
	}
	if s.now().Before(p.HoldUntil) {
		return &PolicyError{Rule: RuleHold, Until: p.HoldUntil, Cause: p.HoldCause}
	}
	return nil
}

// checkPasskeysHeld returns a *PolicyError (RulePasskeyHeld, until the
// first of them ends) when operations of kind are held for passkeys on
// their own hold and every one of pks is.
func (s *Service) checkPasskeysHeld(pks []Passkey, kind OperationKind) error {
	if !kind.Held() || len(pks) == 0 {
		return nil
	}
	first := pks[0].HeldUntil
	for _, p := range pks {
		if !p.Held(s.now()) {
			return nil
		}
		if p.HeldUntil.Before(first) {
			first = p.HeldUntil
		}
	}
	return &PolicyError{Rule: RulePasskeyHeld, Until: first}
}

// summary is an operation in a few words, for the activity log.
func summary(op *Operation) string {
	var b strings.Builder
	b.WriteString(string(op.Kind))
	if op.Amount != "" {
		b.WriteString(" " + op.Amount + " " + op.Asset)
	}
	if op.Destination != "" {
		b.WriteString(" to " + op.Destination)
	}
	if op.Counterparty != "" {
		b.WriteString(" with " + op.Counterparty)
	}
	if op.Reference != "" {
		b.WriteString(" (" + op.Reference + ")")
	}
	return b.String()
}
