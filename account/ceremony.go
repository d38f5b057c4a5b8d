package account

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// webauthnUser adapts an account and its passkeys to go-webauthn's User.
type webauthnUser struct {
	rec      *AccountRecord
	passkeys []Passkey
}

func (u *webauthnUser) WebAuthnID() []byte          { return u.rec.UserHandle }
func (u *webauthnUser) WebAuthnName() string        { return u.rec.Email }
func (u *webauthnUser) WebAuthnDisplayName() string { return u.rec.DisplayName }

func (u *webauthnUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(u.passkeys))
	for i, p := range u.passkeys {
		out[i] = credentialOf(&p)
	}
	return out
}

// passkey returns the user's passkey with credential ID id, or nil.
func (u *webauthnUser) passkey(id []byte) *Passkey {
	for i := range u.passkeys {
		if bytes.Equal(u.passkeys[i].CredentialID, id) {
			return &u.passkeys[i]
		}
	}
	return nil
}

func credentialOf(p *Passkey) webauthn.Credential {
	ts := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		ts[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:        p.CredentialID,
		PublicKey: p.PublicKey,
		Transport: ts,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			UserVerified:   true, // registration requires user verification
			BackupEligible: p.BackupEligible,
			BackupState:    p.BackedUp,
		},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount, CloneWarning: p.CloneWarning},
	}
}

func (s *Service) loadUser(tx Tx, rec *AccountRecord) (*webauthnUser, error) {
	pks, err := tx.Passkeys(rec.ID)
	if err != nil {
		return nil, err
	}
	return &webauthnUser{rec: rec, passkeys: pks}, nil
}

// BeginRegistration implements API (WebAuthn §7.1 is run by
// FinishRegistration). The options require a discoverable credential and
// user verification, exclude the account's existing passkeys, and ask for
// direct attestation so the authenticator's model can be named.
func (s *Service) BeginRegistration(ctx context.Context, token, grant string, kind Kind) (json.RawMessage, error) {
	switch kind {
	case KindSecurityKey, KindPhone, KindThisComputer:
	default:
		return nil, &InputError{Field: "kind", Reason: "unknown passkey kind"}
	}
	var out json.RawMessage
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		if _, err := s.useGrant(tx, rec.ID, grant, PurposeAddPasskey); err != nil {
			return err
		}
		out, _, err = s.creationOptions(tx, rec, kind)
		return err
	})
	return out, err
}

// creationOptions makes registration options for rec and stores their
// ceremony; it returns the options JSON and the challenge.
func (s *Service) creationOptions(tx Tx, rec *AccountRecord, kind Kind) (json.RawMessage, string, error) {
	user, err := s.loadUser(tx, rec)
	if err != nil {
		return nil, "", err
	}
	exclude := make([]protocol.CredentialDescriptor, len(user.passkeys))
	for i := range user.passkeys {
		c := credentialOf(&user.passkeys[i])
		exclude[i] = c.Descriptor()
	}
	creation, session, err := s.rp.BeginRegistration(user,
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		}),
		webauthn.WithConveyancePreference(protocol.PreferDirectAttestation),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
	)
	if err != nil {
		return nil, "", err
	}
	out, err := json.Marshal(creation)
	if err != nil {
		return nil, "", err
	}
	return out, session.Challenge, s.putCeremony(tx, rec.ID, CeremonyRegistration, kind, session)
}

// FinishRegistration implements API: WebAuthn §7.1 through go-webauthn,
// then the passkey, its event and the used grant are written together. The
// challenge is used up whether or not the credential verifies. Unless the
// grant came from a passkey past its own hold, the new passkey is held
// (Passkey.HeldUntil) and so are withdrawals and C2C trades (HoldPasskeyAdded).
func (s *Service) FinishRegistration(ctx context.Context, token, grant string, credential json.RawMessage, name string) (*Passkey, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 64 {
		return nil, &InputError{Field: "name", Reason: "use at most 64 characters"}
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, rejected(err)
	}
	var pk *Passkey
	var verr error
	err = s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		c, err := s.takeCeremony(tx, parsed.Response.CollectedClientData.Challenge, CeremonyRegistration, rec.ID)
		if err != nil {
			verr = err
			return nil // commit: the challenge is used up
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeAddPasskey)
		if err != nil {
			verr = err
			return nil
		}
		pk, verr, err = s.addPasskey(tx, rec, g, c, parsed, func(p *Passkey) string { return name }, SourceApp)
		return err
	})
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	return pk, nil
}

// addPasskey binds the credential of a registration (bindCredential)
// with add-passkey grant g, uses the grant up and logs the addition with
// source. Unless the grant came from another passkey past its own hold,
// the new passkey is on hold for RemovalHold and so are withdrawals and
// C2C trades. verr and err are as bindCredential's; nothing but the used
// challenge is to be kept when verr is set.
func (s *Service) addPasskey(tx Tx, rec *AccountRecord, g *GrantRecord, c *CeremonyRecord, parsed *protocol.ParsedCredentialCreationData, name func(*Passkey) string, source string) (pk *Passkey, verr, err error) {
	by, err := s.grantPasskey(tx, g, nil)
	if err != nil {
		return nil, nil, err
	}
	var held time.Time
	if !s.vouches(by, "") {
		held = s.holdEnd()
	}
	if pk, verr, err = s.bindCredential(tx, rec, c, parsed, held, name); err != nil || verr != nil {
		return nil, verr, err
	}
	if err := tx.DeleteGrant(g.Hash); err != nil {
		return nil, nil, err
	}
	if err := tx.AppendEvent(rec.ID, s.eventFrom(source, EventPasskeyAdded, pk.Kind.Label()+": "+pk.Name+", "+s.grantWords(g, by, ""))); err != nil {
		return nil, nil, err
	}
	if held.IsZero() {
		return pk, nil, nil
	}
	p, err := tx.Policy(rec.ID)
	if err != nil {
		return nil, nil, err
	}
	return pk, nil, s.startHold(tx, rec.ID, &p, held, HoldPasskeyAdded, source)
}

// bindCredential verifies a parsed registration response against its
// ceremony c (WebAuthn §7.1, through go-webauthn) and stores the passkey,
// on hold until heldUntil (zero for none). name gives the passkey's name
// ("" for the default). A response that
// does not verify, or a credential ID already registered, is returned as
// verr with err nil: the caller commits, so the challenge stays used up.
func (s *Service) bindCredential(tx Tx, rec *AccountRecord, c *CeremonyRecord, parsed *protocol.ParsedCredentialCreationData, heldUntil time.Time, name func(*Passkey) string) (pk *Passkey, verr, err error) {
	var session webauthn.SessionData
	if err := decodeSession(c.Session, &session); err != nil {
		return nil, nil, err
	}
	session.Expires = time.Time{} // the ceremony's own expiry, on the service clock, has been checked
	// CreateCredential reads only the user's handle; the exclusion of
	// existing passkeys is the authenticator's job, and a credential ID
	// already stored is refused by InsertPasskey.
	cred, err := s.rp.CreateCredential(&webauthnUser{rec: rec}, session, parsed)
	if err != nil {
		return nil, rejected(err), nil
	}
	pk = &Passkey{
		ID:             passkeyID(cred.ID),
		CredentialID:   cred.ID,
		PublicKey:      cred.PublicKey,
		AAGUID:         cred.Authenticator.AAGUID,
		Model:          s.model(cred.Authenticator.AAGUID),
		Kind:           c.Kind,
		BackupEligible: cred.Flags.BackupEligible,
		BackedUp:       cred.Flags.BackupState,
		SignCount:      cred.Authenticator.SignCount,
		CreatedAt:      s.now().UTC(),
		HeldUntil:      heldUntil,
	}
	for _, t := range cred.Transport {
		pk.Transports = append(pk.Transports, string(t))
	}
	if pk.Name = name(pk); pk.Name == "" {
		pk.Name = defaultPasskeyName(pk)
	}
	if err := tx.InsertPasskey(rec.ID, pk); err != nil {
		if errors.Is(err, ErrCredentialRejected) {
			return nil, err, nil
		}
		return nil, nil, err
	}
	return pk, nil, nil
}

// BeginLogin implements API. It writes nothing: the ceremony is sealed
// into the challenge (loginchallenge.go).
func (s *Service) BeginLogin(ctx context.Context, email string) (json.RawMessage, error) {
	email, _ = normalizeEmail(email)
	var user *webauthnUser
	err := s.store.View(ctx, func(tx Tx) error {
		if email == "" {
			return nil // a discoverable login: nothing to look up
		}
		rec, pks, err := tx.AccountAndPasskeys(AccountKey{Email: email})
		switch {
		case err == nil && len(pks) > 0:
			if ok, err := s.mayPasskeySignIn(tx, rec); err != nil {
				return err
			} else if ok {
				user = &webauthnUser{rec: rec, passkeys: pks}
			}
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	accountID := ""
	if user != nil {
		accountID = user.rec.ID
	}
	assertion, _, err := s.loginSession(user, s.sealLoginChallenge(accountID, s.now().UTC().Add(CeremonyLifetime)))
	if err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// loginSession makes a login's options and go-webauthn session for
// challenge: for user's passkeys, or discoverable when user is nil.
// BeginLogin hands out the options; FinishLogin makes the session again
// from the challenge and the passkeys the account has then.
func (s *Service) loginSession(user *webauthnUser, challenge []byte) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	uv, ch := webauthn.WithUserVerification(protocol.VerificationRequired), webauthn.WithChallenge(challenge)
	if user == nil {
		return s.rp.BeginDiscoverableLogin(uv, ch)
	}
	return s.rp.BeginLogin(user, uv, ch)
}

// FinishLogin implements API: WebAuthn §7.2 through go-webauthn, then the
// used challenge, sign counter, last use, session and event are written
// together.
func (s *Service) FinishLogin(ctx context.Context, assertion json.RawMessage) (*Session, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return nil, rejected(err)
	}
	lc, err := s.openLoginChallenge(parsed.Response.CollectedClientData.Challenge)
	if err != nil || !s.now().Before(lc.expires) {
		return nil, ErrCeremonyExpired
	}
	// The session is made again from the challenge, for the passkeys the
	// account has now.
	sessionFor := func(user *webauthnUser) (*webauthn.SessionData, error) {
		_, session, err := s.loginSession(user, lc.raw)
		if err == nil {
			session.Expires = time.Time{} // the challenge's own expiry, on the service clock, has been checked
		}
		return session, err
	}
	var sess *Session
	var verr error
	err = s.store.Update(ctx, func(tx Tx) error {
		verr = nil
		// A challenge answered already fails the transaction with
		// ErrCeremonyExpired, here or when the writes are sent.
		if err := tx.UseChallenge(lc.hash, lc.expires.Add(usedChallengeMargin)); err != nil {
			return err
		}
		if err := s.sweepExpired(tx, s.now().UTC()); err != nil {
			return err
		}
		// From here on the challenge is used up, whether or not the
		// assertion verifies: a refusal commits.
		var user *webauthnUser
		var pk *Passkey
		var err error
		if user, pk, verr, err = s.verifyLogin(tx, lc.accountID, sessionFor, parsed); err != nil || verr != nil {
			return err
		}
		detail := "passkey: " + pk.Name
		if pk.CloneWarning {
			detail += " (possible clone: the session is restricted until confirmed)"
		}
		if err := tx.AppendEvent(user.rec.ID, s.event(EventSignedIn, detail)); err != nil {
			return err
		}
		if sess, err = s.newPasskeySession(tx, user.rec, len(user.passkeys)); err != nil {
			return err
		}
		if err := s.invitedSignIn(tx, user.rec, sess); err != nil || !pk.CloneWarning {
			return err
		}
		return s.restrictSession(tx, sess)
	})
	if errors.Is(err, ErrCeremonyExpired) {
		return nil, ErrCeremonyExpired // the store's words say nothing to the caller
	}
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	return sess, nil
}

// checkLogin verifies a login assertion against its stored ceremony c
// (verifyLogin).
func (s *Service) checkLogin(tx Tx, c *CeremonyRecord, parsed *protocol.ParsedCredentialAssertionData) (user *webauthnUser, pk *Passkey, verr, err error) {
	var session webauthn.SessionData
	if err := decodeSession(c.Session, &session); err != nil {
		return nil, nil, nil, err
	}
	session.Expires = time.Time{}
	return s.verifyLogin(tx, c.AccountID, func(*webauthnUser) (*webauthn.SessionData, error) { return &session, nil }, parsed)
}

// verifyLogin verifies a login assertion (WebAuthn §7.2 through
// go-webauthn) for the account accountID ("" for a discoverable login),
// against the session sessionFor gives for the account's passkeys (nil
// for a discoverable login), and records the passkey's use: its sign
// counter (a counter that did not advance marks it a possible clone, with
// an event), backup state and last use. It returns the account and the
// passkey; the caller signs in and restricts the session when
// pk.CloneWarning is set. An assertion that does not verify is verr, with
// err nil: the caller commits, so the challenge stays used up.
func (s *Service) verifyLogin(tx Tx, accountID string, sessionFor func(*webauthnUser) (*webauthn.SessionData, error), parsed *protocol.ParsedCredentialAssertionData) (user *webauthnUser, pk *Passkey, verr, err error) {
	var cred *webauthn.Credential
	if accountID != "" {
		rec, pks, err := tx.AccountAndPasskeys(AccountKey{ID: accountID})
		if err != nil {
			return nil, nil, nil, err
		}
		user = &webauthnUser{rec: rec, passkeys: pks}
		session, err := sessionFor(user)
		if err != nil {
			return nil, nil, rejected(err), nil // no passkey left
		}
		cred, err = s.rp.ValidateLogin(user, *session, parsed)
		if err != nil {
			return nil, nil, rejected(err), nil
		}
	} else {
		session, err := sessionFor(nil)
		if err != nil {
			return nil, nil, nil, err
		}
		var lookupErr error
		handler := func(rawID, userHandle []byte) (webauthn.User, error) {
			rec, pks, err := tx.AccountAndPasskeys(AccountKey{UserHandle: userHandle})
			if err == nil && !rec.Active {
				// An invited account signs in first with its enrolled key.
				if ok, ierr := s.mayPasskeySignIn(tx, rec); ierr != nil {
					err = ierr
				} else if !ok {
					err = ErrNotFound
				}
			}
			if err != nil {
				lookupErr = err
				return nil, err
			}
			user = &webauthnUser{rec: rec, passkeys: pks}
			return user, nil
		}
		cred, err = s.rp.ValidateDiscoverableLogin(handler, *session, parsed)
		if lookupErr != nil && !errors.Is(lookupErr, ErrNotFound) {
			return nil, nil, nil, lookupErr
		}
		if err != nil {
			return nil, nil, rejected(err), nil
		}
	}
	for i := range user.passkeys {
		if bytes.Equal(user.passkeys[i].CredentialID, cred.ID) {
			pk = &user.passkeys[i]
		}
	}
	if pk == nil {
		return nil, nil, rejected(errors.New("unknown credential")), nil
	}
	now := s.now().UTC()
	// A counter that did not advance marks the passkey a possible
	// clone; a session signed in with a marked passkey is restricted.
	counter, stored := parsed.Response.AuthenticatorData.Counter, pk.SignCount
	stale := staleCounter(counter, stored)
	if stale {
		pk.CloneWarning = true
	} else {
		pk.SignCount = counter
	}
	pk.BackedUp = parsed.Response.AuthenticatorData.Flags.HasBackupState()
	pk.LastUsedAt, pk.LastUsedFor = now, "sign-in"
	if err := s.firstUse(tx, user.rec, pk); err != nil {
		return nil, nil, nil, err
	}
	if err := tx.UpdatePasskey(user.rec.ID, pk); err != nil {
		return nil, nil, nil, err
	}
	if stale {
		detail := fmt.Sprintf("%s: sign counter went from %d to %d at sign-in", pk.Name, stored, counter)
		if err := tx.AppendEvent(user.rec.ID, s.event(EventPasskeyCloneSuspected, detail)); err != nil {
			return nil, nil, nil, err
		}
	}
	return user, pk, nil, nil
}

func (s *Service) putCeremony(tx Tx, accountID string, t CeremonyType, kind Kind, session *webauthn.SessionData) error {
	raw, err := session.MarshalMsg(nil)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if err := s.sweepExpired(tx, now); err != nil {
		return err
	}
	return tx.InsertCeremony(&CeremonyRecord{
		Challenge: session.Challenge,
		AccountID: accountID,
		Type:      t,
		Kind:      kind,
		Session:   raw,
		ExpiresAt: now.Add(CeremonyLifetime),
	})
}

// takeCeremony uses up the ceremony for challenge and checks it is of type
// t, for accountID when one is given, and not expired.
func (s *Service) takeCeremony(tx Tx, challenge string, t CeremonyType, accountID string) (*CeremonyRecord, error) {
	if challenge == "" {
		return nil, ErrCeremonyExpired
	}
	c, err := tx.TakeCeremony(challenge)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrCeremonyExpired
	}
	if err != nil {
		return nil, err
	}
	if c.Type != t || (accountID != "" && c.AccountID != accountID) || !s.now().Before(c.ExpiresAt) {
		return nil, ErrCeremonyExpired
	}
	return c, nil
}

// decodeSession reads a ceremony's stored session. Sessions are stored as
// MessagePack through go-webauthn's generated codec (putCeremony): JSON
// through reflection took 20-30 µs of a finish that the budget allows
// about 120. A session stored as JSON by an earlier version, still within
// its five minutes across an upgrade, is read as JSON: a MessagePack map
// never starts with '{'.
func decodeSession(raw []byte, session *webauthn.SessionData) error {
	if len(raw) > 0 && raw[0] == '{' {
		return json.Unmarshal(raw, session)
	}
	_, err := session.UnmarshalMsg(raw)
	return err
}

func passkeyID(credentialID []byte) string {
	return base64.RawURLEncoding.EncodeToString(credentialID)
}

func defaultPasskeyName(p *Passkey) string {
	if p.Model != "" {
		return p.Model
	}
	return p.Kind.Label()
}

// approvalUser is the account as a go-webauthn user whose credentials are
// the passkeys that may approve: those without a clone warning.
func (s *Service) approvalUser(tx Tx, rec *AccountRecord) (*webauthnUser, error) {
	user, err := s.loadUser(tx, rec)
	if err != nil {
		return nil, err
	}
	if len(user.passkeys) == 0 {
		return nil, &PolicyError{Rule: RuleNoPasskey}
	}
	ok := user.passkeys[:0:0]
	issued := 0
	for _, p := range user.passkeys {
		switch {
		case p.Issued:
			issued++
		case !p.CloneWarning:
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 && issued == len(user.passkeys) {
		return nil, ErrPasskeyIssued
	}
	if len(ok) == 0 {
		return nil, ErrPasskeyCloned
	}
	user.passkeys = ok
	return user, nil
}

// checkAssertion verifies parsed (WebAuthn §7.2 through go-webauthn) for
// one of user's passkeys against the session that sessionFor fills, and
// applies the clone rule: a passkey already marked, or whose counter does
// not advance (it is marked now and the event logged), gives why =
// ErrPasskeyCloned. Otherwise the passkey's counter and last use are
// written. A response that does not verify gives why under
// ErrCredentialRejected. err is a storage failure.
func (s *Service) checkAssertion(tx Tx, user *webauthnUser, parsed *protocol.ParsedCredentialAssertionData, sessionFor func(*webauthn.SessionData) error, usedFor string) (pk *Passkey, why, err error) {
	for i := range user.passkeys {
		if bytes.Equal(user.passkeys[i].CredentialID, parsed.RawID) {
			pk = &user.passkeys[i]
		}
	}
	if pk == nil {
		return nil, rejected(errors.New("not a passkey of this account")), nil
	}
	if pk.Issued {
		return nil, ErrPasskeyIssued, nil
	}
	if pk.CloneWarning {
		return nil, ErrPasskeyCloned, nil
	}
	var session webauthn.SessionData
	if err := sessionFor(&session); err != nil {
		return nil, nil, err
	}
	session.Expires = time.Time{}
	cred, verr := s.rp.ValidateLogin(user, session, parsed)
	if verr != nil {
		return nil, rejected(verr), nil
	}
	if cred.Authenticator.CloneWarning {
		pk.CloneWarning = true
		if err := tx.UpdatePasskey(user.rec.ID, pk); err != nil {
			return nil, nil, err
		}
		detail := fmt.Sprintf("%s: sign counter went from %d to %d", pk.Name, pk.SignCount, parsed.Response.AuthenticatorData.Counter)
		if err := tx.AppendEvent(user.rec.ID, s.event(EventPasskeyCloneSuspected, detail)); err != nil {
			return nil, nil, err
		}
		return nil, ErrPasskeyCloned, nil
	}
	pk.SignCount = cred.Authenticator.SignCount
	pk.BackedUp = parsed.Response.AuthenticatorData.Flags.HasBackupState()
	pk.LastUsedAt, pk.LastUsedFor = s.now().UTC(), usedFor
	return pk, nil, tx.UpdatePasskey(user.rec.ID, pk)
}
