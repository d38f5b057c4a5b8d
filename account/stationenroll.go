package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// SetOperator grants (on) or revokes the operator role of the account
// with email, in st, and logs it in the account's activity. It is the
// server operator's (its command line), not a part of API: no session may
// make an operator. Granting it to an operator, or revoking it from one
// who is not, changes nothing and is not an error; changed says whether
// it did.
func SetOperator(ctx context.Context, st Store, email string, on bool, now time.Time) (changed bool, err error) {
	email, err = normalizeEmail(email)
	if err != nil {
		return false, err
	}
	err = st.Update(ctx, func(tx Tx) error {
		changed = false
		rec, err := tx.AccountByEmail(email)
		if err != nil {
			return err
		}
		role, t, words := RoleUser, EventOperatorRevoked, "the operator role was revoked"
		if on {
			role, t, words = RoleOperator, EventOperatorGranted, "the operator role was granted"
		}
		if rec.Role == role {
			return nil
		}
		rec.Role, changed = role, true
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		return tx.AppendEvent(rec.ID, &Event{At: now.UTC(), Type: t, Detail: words, Source: SourceCommandLine})
	})
	return changed, err
}

// operator resolves token to an operator's account: the session must be
// an operator's, made by passkey sign-in and not restricted.
func (s *Service) operator(tx Tx, token string) (*AccountRecord, error) {
	sr, rec, err := s.session(tx, token)
	if err != nil {
		return nil, err
	}
	if rec.Role != RoleOperator {
		return nil, ErrNotOperator
	}
	if sr.PasskeyID == "" { // made by password and code
		return nil, ErrPasskeySessionRequired
	}
	if sr.Restricted {
		return nil, ErrSessionRestricted
	}
	return rec, nil
}

// stationEvent logs an operator's action in the operator's activity and,
// when there is one, the target account's.
func (s *Service) stationEvent(tx Tx, op *AccountRecord, targetID string, t EventType, detail string) error {
	if err := tx.AppendEvent(op.ID, s.eventFrom(SourceStation, t, detail)); err != nil {
		return err
	}
	if targetID == "" || targetID == op.ID {
		return nil
	}
	return tx.AppendEvent(targetID, s.eventFrom(SourceStation, t, detail+" (by operator "+op.Email+")"))
}

// StationAccount implements StationAPI.
func (s *Service) StationAccount(ctx context.Context, token string, req StationAccountRequest) (*StationAccount, error) {
	station, err := stationName(req.Station)
	if err != nil {
		return nil, err
	}
	email, err := normalizeEmail(req.Email)
	if err != nil {
		return nil, err
	}
	var out *StationAccount
	err = s.store.Update(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		out, err = s.findOrInvite(tx, op, email, req.DisplayName, station)
		return err
	})
	return out, err
}

// findOrInvite returns the account with email, inviting one named name
// when there is none (an abandoned sign-up gives way to it).
func (s *Service) findOrInvite(tx Tx, op *AccountRecord, email, name, station string) (*StationAccount, error) {
	rec, pks, err := tx.AccountAndPasskeys(AccountKey{Email: email})
	switch {
	case err == nil:
		inv, err := s.invitation(tx, rec)
		if err != nil {
			return nil, err
		}
		if rec.Active || inv != nil {
			return s.stationAccount(rec, len(pks), inv != nil && inv.DoneAt.IsZero(), false), nil
		}
		// An abandoned sign-up (never confirmed) holds nothing.
		if err := tx.DeleteAccount(rec.ID); err != nil {
			return nil, err
		}
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 || !printable(name) {
		return nil, &InputError{Field: "display name", Reason: "use 1 to 64 printable characters"}
	}
	now := s.now().UTC()
	rec = &AccountRecord{
		ID:          randomID(),
		Email:       email,
		DisplayName: name,
		Role:        RoleUser,
		TOTPSecret:  []byte{},
		UserHandle:  randomBytes(32),
		CreatedAt:   now,
	}
	if err := tx.InsertAccount(rec); err != nil {
		return nil, err
	}
	if err := tx.InsertInvitation(&InvitationRecord{AccountID: rec.ID, OperatorID: op.ID, Station: station, CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := s.stationEvent(tx, op, rec.ID, EventAccountInvited, fmt.Sprintf("%s invited on station %s", email, station)); err != nil {
		return nil, err
	}
	return s.stationAccount(rec, 0, true, true), nil
}

func (s *Service) stationAccount(rec *AccountRecord, passkeys int, invited, created bool) *StationAccount {
	return &StationAccount{ID: rec.ID, Email: rec.Email, DisplayName: rec.DisplayName, Invited: invited, Created: created,
		PasskeyCount: passkeys, UserHandle: bytes.Clone(rec.UserHandle), RPID: s.rp.Config.RPID}
}

// invitation returns rec's invitation, or nil when it was not invited.
func (s *Service) invitation(tx Tx, rec *AccountRecord) (*InvitationRecord, error) {
	inv, err := tx.Invitation(rec.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return inv, err
}

// mayPasskeySignIn reports whether rec may sign in with a passkey: an
// active account, or an invited one (its first sign-in).
func (s *Service) mayPasskeySignIn(tx Tx, rec *AccountRecord) (bool, error) {
	if rec.Active {
		return true, nil
	}
	inv, err := s.invitation(tx, rec)
	return inv != nil, err
}

// BeginStationEnrollment implements StationAPI.
func (s *Service) BeginStationEnrollment(ctx context.Context, token string, req StationEnrollmentRequest) (json.RawMessage, error) {
	station, err := stationName(req.Station)
	if err != nil {
		return nil, err
	}
	if (req.AccountID == "") == (req.BatchID == "" || req.EntryID == "") {
		return nil, &InputError{Field: "target", Reason: "name an account, or a batch and its entry"}
	}
	var out json.RawMessage
	err = s.store.Update(ctx, func(tx Tx) error {
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		var target *AccountRecord
		if req.AccountID != "" {
			if target, err = tx.AccountByID(req.AccountID); err != nil {
				return err
			}
			if ok, err := s.mayPasskeySignIn(tx, target); err != nil {
				return err
			} else if !ok {
				return ErrNotFound // an abandoned sign-up
			}
		} else {
			_, entries, err := s.operatorBatch(tx, op, req.BatchID)
			if err != nil {
				return err
			}
			e := findEntry(entries, req.EntryID)
			if e == nil {
				return ErrNotFound
			}
			if err := claimable(e, station, now); err != nil {
				return err
			}
			acct, err := s.findOrInvite(tx, op, e.Email, e.DisplayName, station)
			if err != nil {
				return err
			}
			if target, err = tx.AccountByID(acct.ID); err != nil {
				return err
			}
			e.AccountID, e.ClaimedBy, e.ClaimedUntil = acct.ID, station, now.Add(ClaimLifetime)
			if err := tx.UpdateBatchEntry(e); err != nil {
				return err
			}
		}
		user, err := s.loadUser(tx, target)
		if err != nil {
			return err
		}
		exclude := make([]protocol.CredentialDescriptor, len(user.passkeys))
		for i := range user.passkeys {
			c := credentialOf(&user.passkeys[i])
			exclude[i] = c.Descriptor()
		}
		creation, session, err := s.rp.BeginRegistration(user,
			webauthn.WithExclusions(exclude),
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
				AuthenticatorAttachment: protocol.CrossPlatform,
				ResidentKey:             protocol.ResidentKeyRequirementRequired,
				UserVerification:        protocol.VerificationRequired,
			}),
			webauthn.WithConveyancePreference(protocol.PreferDirectAttestation),
			webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
		)
		if err != nil {
			return err
		}
		if out, err = json.Marshal(creation); err != nil {
			return err
		}
		raw, err := session.MarshalMsg(nil)
		if err != nil {
			return err
		}
		return tx.InsertStationCeremony(&StationCeremonyRecord{
			Challenge: session.Challenge, OperatorID: op.ID, AccountID: target.ID, Station: station,
			BatchID: req.BatchID, EntryID: req.EntryID, Session: raw, CreatedAt: now, ExpiresAt: now.Add(StationCeremonyLifetime),
		})
	})
	return out, err
}

// CredentialShortID is the short form of a credential ID that labels a
// key and a batch log line: its first 10 base64url characters.
func CredentialShortID(credentialID []byte) string {
	id := passkeyID(credentialID)
	if len(id) > 10 {
		id = id[:10]
	}
	return id
}

// FinishStationEnrollment implements StationAPI. A credential that does
// not verify leaves the ceremony open (until StationCeremonyLifetime), so
// the station may finish it again; a finished one answers a repeat of
// the same credential from the same operator with its passkey.
func (s *Service) FinishStationEnrollment(ctx context.Context, token string, credential json.RawMessage, name string) (*Passkey, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 64 || !printable(name) {
		return nil, &InputError{Field: "name", Reason: "use at most 64 printable characters"}
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, rejected(err)
	}
	var pk *Passkey
	err = s.store.Update(ctx, func(tx Tx) error {
		pk = nil
		op, err := s.operator(tx, token)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		c, err := tx.StationCeremony(parsed.Response.CollectedClientData.Challenge)
		if errors.Is(err, ErrNotFound) || (err == nil && !now.Before(c.ExpiresAt)) {
			return ErrCeremonyExpired
		}
		if err != nil {
			return err
		}
		if c.OperatorID != op.ID {
			return ErrNotFound
		}
		if !c.FinishedAt.IsZero() {
			if !bytes.Equal(c.CredentialID, parsed.RawID) {
				return ErrCeremonyExpired
			}
			_, p, err := tx.PasskeyByCredentialID(c.CredentialID)
			pk = p
			return err
		}
		target, err := tx.AccountByID(c.AccountID)
		if err != nil {
			return err
		}
		prov := &Provenance{OperatorID: op.ID, Operator: op.Email, Station: c.Station, At: now}
		var held time.Time
		if target.Active {
			held = s.holdEnd()
		}
		cr := &CeremonyRecord{Challenge: c.Challenge, AccountID: target.ID, Type: CeremonyRegistration, Kind: KindSecurityKey, Session: c.Session, ExpiresAt: c.ExpiresAt}
		p, verr, err := s.bindCredential(tx, target, cr, parsed, held, func(p *Passkey) string {
			// Called before the passkey is stored: it is issued, with its
			// provenance.
			p.Issued, p.EnrolledBy = true, prov
			return name
		})
		if err != nil {
			return err
		}
		if verr != nil {
			return verr // nothing is kept: the ceremony stays open for a retry
		}
		pk = p
		c.CredentialID, c.PasskeyID, c.FinishedAt = p.CredentialID, p.ID, now
		if err := tx.UpdateStationCeremony(c); err != nil {
			return err
		}
		if !held.IsZero() {
			pol, err := tx.Policy(target.ID)
			if err != nil {
				return err
			}
			if err := s.startHold(tx, target.ID, &pol, held, HoldPasskeyAdded, SourceStation); err != nil {
				return err
			}
		}
		if c.EntryID != "" {
			entries, err := tx.BatchEntries(c.BatchID)
			if err != nil {
				return err
			}
			// An entry enrolled already (a station that went on after
			// this one's claim lapsed) keeps its first passkey; this one
			// is bound all the same, never left an orphan on its key.
			if e := findEntry(entries, c.EntryID); e != nil && e.State != EntryEnrolled {
				e.AccountID, e.State, e.Reason, e.Station, e.At = target.ID, EntryEnrolled, "", c.Station, now
				e.AAGUID, e.PasskeyID, e.CredentialShortID = p.AAGUID, p.ID, CredentialShortID(p.CredentialID)
				if e.KeyLabel == "" {
					e.KeyLabel = p.Name
				}
				e.ClaimedBy, e.ClaimedUntil = "", time.Time{}
				if err := tx.UpdateBatchEntry(e); err != nil {
					return err
				}
			}
		}
		if err := tx.AppendEvent(target.ID, s.eventFrom(SourceStation, EventPasskeyAdded,
			fmt.Sprintf("%s: %s, enrolled by operator %s on station %s; issued until you first sign in with it", p.Kind.Label(), p.Name, op.Email, c.Station))); err != nil {
			return err
		}
		return tx.AppendEvent(op.ID, s.eventFrom(SourceStation, EventStationEnrolled,
			fmt.Sprintf("enrolled %s (%s) for %s on station %s", p.Name, CredentialShortID(p.CredentialID), target.Email, c.Station)))
	})
	if err != nil {
		return nil, err
	}
	return pk, nil
}

// firstUse records the owner's first sign-in with an issued passkey: it
// is in use from now on. The caller writes pk.
func (s *Service) firstUse(tx Tx, rec *AccountRecord, pk *Passkey) error {
	if !pk.Issued {
		return nil
	}
	pk.Issued = false
	return tx.AppendEvent(rec.ID, s.event(EventPasskeyFirstUsed, pk.Name+": first used by its owner; it may now approve operations"))
}

// invitedSignIn records an invited account's first sign-in; the session
// is then one of setup.
func (s *Service) invitedSignIn(tx Tx, rec *AccountRecord, sess *Session) error {
	if rec.Active {
		return nil
	}
	inv, err := tx.Invitation(rec.ID)
	if err != nil {
		return err
	}
	if inv.SignedInAt.IsZero() {
		inv.SignedInAt = s.now().UTC()
		if err := tx.UpdateInvitation(inv); err != nil {
			return err
		}
	}
	sess.Account.SetupRequired = true
	return nil
}

// setupSession resolves token to an invited account still to be set up.
func (s *Service) setupSession(tx Tx, token string) (*SessionRecord, *AccountRecord, *InvitationRecord, error) {
	if token == "" {
		return nil, nil, nil, ErrUnauthenticated
	}
	sr, rec, err := tx.SessionAccount(hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !s.now().Before(sr.ExpiresAt) {
		return nil, nil, nil, ErrUnauthenticated
	}
	if rec.Active {
		return nil, nil, nil, &InputError{Field: "account", Reason: "the account is set up already"}
	}
	inv, err := tx.Invitation(rec.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, ErrUnauthenticated
	}
	return sr, rec, inv, err
}

// SetUpPassword implements StationAPI.
func (s *Service) SetUpPassword(ctx context.Context, token, password string) (*TOTPEnrollment, error) {
	if err := validatePassword(password); err != nil {
		return nil, err
	}
	hash, err := hashPassword(password, s.pw)
	if err != nil {
		return nil, err
	}
	secret, err := newTOTPSecret()
	if err != nil {
		return nil, err
	}
	var out *TOTPEnrollment
	err = s.store.Update(ctx, func(tx Tx) error {
		_, rec, _, err := s.setupSession(tx, token)
		if err != nil {
			return err
		}
		rec.PasswordHash, rec.TOTPSecret = hash, s.seal(rec.ID, []byte(secret))
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		out = &TOTPEnrollment{ID: rec.ID, Email: rec.Email, Secret: secret, URI: totpURI(s.rpName, rec.Email, secret)}
		return nil
	})
	return out, err
}

// ConfirmSetUp implements StationAPI.
func (s *Service) ConfirmSetUp(ctx context.Context, token, code string) (*Session, error) {
	var sess *Session
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		sess, verr = nil, nil
		sr, rec, inv, err := s.setupSession(tx, token)
		if err != nil {
			return err
		}
		if rec.PasswordHash == "" || len(rec.TOTPSecret) == 0 {
			return &InputError{Field: "password", Reason: "choose a password first"}
		}
		verr = s.checkTOTP(tx, rec, code)
		if _, locked := errors.AsType[*LockedError](verr); locked || errors.Is(verr, ErrInvalidCode) {
			return nil // keep the failure count
		}
		if verr != nil {
			return verr
		}
		rec.Active = true
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		inv.DoneAt = s.now().UTC()
		if err := tx.UpdateInvitation(inv); err != nil {
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventAccountActivated, "password and authenticator app set after the first sign-in with an enrolled key")); err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		sess = &Session{Token: token, ExpiresAt: sr.ExpiresAt, Account: *s.publicAccount(rec, len(pks))}
		sess.Account.Restricted, sess.Account.SignedInWithPasskey = sr.Restricted, true
		sess.RecoveryCodes, err = s.firstRecoveryCodes(tx, rec.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, verr
}

// newPasskeySession is newSession for a passkey sign-in: the session
// records the passkey (SessionRecord.PasskeyID), which is how the
// station knows an operator signed in with one.
func (s *Service) newPasskeySession(tx Tx, rec *AccountRecord, passkeys int, from sessionOrigin) (*Session, error) {
	if from.passkeyID == "" {
		return nil, errors.New("account: a passkey session without its passkey")
	}
	sess, err := s.newSession(tx, rec, passkeys, from)
	if err != nil {
		return nil, err
	}
	sess.Account.SignedInWithPasskey = true // the session records from.passkeyID
	return sess, nil
}
