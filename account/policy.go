package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Policy is an account's security policy.
type Policy struct {
	// PasskeyRequired makes a passkey mandatory for sign-in once one is
	// bound, and keeps the last passkey from being removed.
	PasskeyRequired bool
	// HoldUntil ends the hold on withdrawals and C2C trades that a
	// security change made without another passkey's word started; zero
	// (or past) when there is none.
	HoldUntil time.Time
	// HoldCause is the change that last started the hold; "" with no
	// hold (or one started before causes were kept).
	HoldCause HoldCause
}

// HoldCause names the security change that started a hold on withdrawals
// and C2C trades.
type HoldCause string

// The causes of a hold. Each is a change made without the word of another
// passkey whose own hold is over.
const (
	HoldPasskeyAdded   HoldCause = "passkey-added"
	HoldPasskeyRemoved HoldCause = "passkey-removed"
	// HoldPasskeyRequiredOff: "Passkey required" was turned off.
	HoldPasskeyRequiredOff HoldCause = "passkey-required-off"
	// HoldPasskeyLost: the last passkey that was not lost was marked lost
	// while "Passkey required" is on.
	HoldPasskeyLost HoldCause = "passkey-lost"
	// HoldPasswordSignIn: password and code signed in while "Passkey
	// required" is on, because no passkey that is not lost is left.
	HoldPasswordSignIn HoldCause = "password-sign-in"
	// HoldRecoveryCodeUsed: a recovery code stood in for the
	// authenticator code, at sign-in or in an identity check.
	HoldRecoveryCodeUsed HoldCause = "recovery-code-used"
	// HoldPasswordChanged: the password was changed without a passkey's
	// word.
	HoldPasswordChanged HoldCause = "password-changed"
)

// words is the cause for the activity log and error texts.
func (c HoldCause) words() string {
	switch c {
	case HoldPasskeyAdded:
		return "a passkey added without another passkey's word"
	case HoldPasskeyRemoved:
		return "a passkey removed without another passkey's word"
	case HoldPasskeyRequiredOff:
		return "\"Passkey required\" turned off without a passkey's word"
	case HoldPasskeyLost:
		return "the last usable passkey marked lost"
	case HoldPasswordSignIn:
		return "a sign-in with password and code while \"Passkey required\" is on and no passkey is usable"
	case HoldRecoveryCodeUsed:
		return "a recovery code used instead of the authenticator code"
	case HoldPasswordChanged:
		return "the password changed without a passkey's word"
	}
	return string(c)
}

// startHold holds withdrawals and C2C trades until until (RemovalHold
// from now; see holdEnd) for cause, writes the account's policy p with it,
// and logs the hold with source.
func (s *Service) startHold(tx Tx, accountID string, p *Policy, until time.Time, cause HoldCause, source string) error {
	p.HoldUntil, p.HoldCause = until, cause
	if err := tx.PutPolicy(accountID, *p); err != nil {
		return err
	}
	return tx.AppendEvent(accountID, s.eventFrom(source, EventHoldStarted,
		"withdrawals and C2C trades held until "+p.HoldUntil.Format(time.RFC3339)+", after "+cause.words()))
}

// holdEnd is the end of a hold that starts now.
func (s *Service) holdEnd() time.Time { return s.now().UTC().Add(RemovalHold) }

// grantPasskey is the passkey among pks (the account's passkeys, read
// when nil) whose assertion gave grant g; nil when the grant came from
// password and codes, or its passkey is gone.
func (s *Service) grantPasskey(tx Tx, g *GrantRecord, pks []Passkey) (*Passkey, error) {
	if g.PasskeyID == "" {
		return nil, nil
	}
	if pks == nil {
		var err error
		if pks, err = tx.Passkeys(g.AccountID); err != nil {
			return nil, err
		}
	}
	for i := range pks {
		if pks[i].ID == g.PasskeyID {
			return &pks[i], nil
		}
	}
	return nil, nil
}

// vouches reports whether pk, the passkey a grant came from (nil for
// password and codes), spares a change the hold: it is not the passkey
// the change is about (about; "" for none), and its own hold is over.
func (s *Service) vouches(pk *Passkey, about string) bool {
	return pk != nil && pk.ID != about && !pk.Held(s.now())
}

// grantWords says how a change's grant g was verified, for its event:
// "verified with password and code", "approved with another passkey",
// or with a passkey that does not vouch for it (see vouches). pk is the
// grant's passkey (grantPasskey).
func (s *Service) grantWords(g *GrantRecord, pk *Passkey, about string) string {
	switch {
	case pk == nil && g.PasskeyID != "":
		return "verified with a passkey since removed"
	case pk == nil:
		return "verified with password and code"
	case pk.ID == about:
		return "verified with the removed passkey itself"
	case pk.Held(s.now()):
		return "verified with passkey " + pk.Name + ", itself on hold until " + pk.HeldUntil.Format(time.RFC3339)
	}
	return "approved with another passkey"
}

// Policy implements API. HoldUntil and HoldCause are zero once the hold
// has passed.
func (s *Service) Policy(ctx context.Context, token string) (*Policy, error) {
	var out Policy
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		out, err = tx.Policy(rec.ID)
		return err
	})
	if !s.now().Before(out.HoldUntil) {
		out.HoldUntil, out.HoldCause = time.Time{}, ""
	}
	return &out, err
}

// SetPasskeyRequired implements API. Turning it on only tightens the
// policy: the session is enough, and it needs at least one passkey
// (*PolicyError, RuleNoPasskey). Turning it off loosens it: it needs a
// change-policy grant (ErrGrantRequired otherwise), from password and
// codes or from a passkey, as any security change does; the grant is used
// up. Turned off with password and codes, withdrawals and C2C trades are
// held for RemovalHold, as after a removal. Setting the state it already
// has changes nothing and uses no grant. A passkey still on its own hold
// (Passkey.HeldUntil) counts as password and codes here.
func (s *Service) SetPasskeyRequired(ctx context.Context, token, grant string, on bool) error {
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		p, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		if p.PasskeyRequired == on {
			return nil
		}
		detail, held := "passkey required: on", false
		if on {
			pks, err := tx.Passkeys(rec.ID)
			if err != nil {
				return err
			}
			if usablePasskeys(pks) == 0 {
				return &PolicyError{Rule: RuleNoPasskey}
			}
		} else {
			g, err := s.useGrant(tx, rec.ID, grant, PurposeChangePolicy)
			if err != nil {
				return err
			}
			if err := tx.DeleteGrant(g.Hash); err != nil {
				return err
			}
			by, err := s.grantPasskey(tx, g, nil)
			if err != nil {
				return err
			}
			detail = "passkey required: off, verified with a passkey"
			if !s.vouches(by, "") {
				// Without the word of a passkey past its own hold,
				// loosening the policy holds withdrawals and C2C trades
				// as a removal would.
				detail, held = "passkey required: off, "+s.grantWords(g, by, ""), true
			}
		}
		p.PasskeyRequired = on
		if err := tx.PutPolicy(rec.ID, p); err != nil {
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventPolicyChanged, detail)); err != nil {
			return err
		}
		if held {
			return s.startHold(tx, rec.ID, &p, s.holdEnd(), HoldPasskeyRequiredOff, SourceApp)
		}
		return nil
	})
}

// verifyCeremony is the ceremony type of a passkey verification for
// purpose.
func verifyCeremony(purpose Purpose) CeremonyType { return CeremonyType("verify:" + string(purpose)) }

// BeginPasskeyVerification implements API: an identity check by one of
// the account's passkeys (not one marked as a possible clone), for
// purpose. It returns request options JSON; FinishPasskeyVerification
// takes the answer.
func (s *Service) BeginPasskeyVerification(ctx context.Context, token string, purpose Purpose) (json.RawMessage, error) {
	return s.beginPasskeyVerification(ctx, token, purpose, nil)
}

// BeginPasskeyVerificationExcept implements API: the allow list leaves
// out the credential except, and the ceremony accepts only what it
// allows.
func (s *Service) BeginPasskeyVerificationExcept(ctx context.Context, token string, purpose Purpose, except []byte) (json.RawMessage, error) {
	if len(except) == 0 {
		return nil, &InputError{Field: "except", Reason: "no credential ID to leave out"}
	}
	return s.beginPasskeyVerification(ctx, token, purpose, except)
}

func (s *Service) beginPasskeyVerification(ctx context.Context, token string, purpose Purpose, except []byte) (json.RawMessage, error) {
	switch purpose {
	case PurposeAddPasskey, PurposeRemovePasskey, PurposeChangePolicy, PurposeUnlockSession, PurposeRecoveryCodes, PurposeChangePassword, PurposeCreateAPIKey,
		PurposeDeleteAccount:
	default:
		return nil, &InputError{Field: "purpose", Reason: fmt.Sprintf("unknown purpose %q", purpose)}
	}
	var out json.RawMessage
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateFor(tx, token, purpose)
		if err != nil {
			return err
		}
		user, err := s.approvalUser(tx, rec)
		if err != nil {
			return err
		}
		if except != nil {
			kept := user.passkeys[:0:0]
			for _, p := range user.passkeys {
				if !bytes.Equal(p.CredentialID, except) {
					kept = append(kept, p)
				}
			}
			if len(kept) == 0 {
				return &PolicyError{Rule: RuleNoPasskey}
			}
			user.passkeys = kept
		}
		assertion, session, err := s.rp.BeginLogin(user, webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return err
		}
		if out, err = json.Marshal(assertion); err != nil {
			return err
		}
		return s.putCeremony(tx, rec.ID, verifyCeremony(purpose), "", session)
	})
	return out, err
}

// FinishPasskeyVerification implements API: the assertion (WebAuthn §7.2,
// user verification required) gives a grant for the ceremony's purpose
// that remembers the passkey. A remove-passkey grant from one passkey
// lets another be removed without a hold.
func (s *Service) FinishPasskeyVerification(ctx context.Context, token string, assertion json.RawMessage) (*Grant, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return nil, rejected(err)
	}
	var grant *Grant
	var verr error
	err = s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		challenge := parsed.Response.CollectedClientData.Challenge
		c, err := tx.TakeCeremony(challenge)
		if challenge == "" || errors.Is(err, ErrNotFound) {
			verr = ErrCeremonyExpired
			return nil
		}
		if err != nil {
			return err
		}
		purpose, ok := strings.CutPrefix(string(c.Type), "verify:")
		if !ok || c.AccountID != rec.ID || !s.now().Before(c.ExpiresAt) {
			verr = ErrCeremonyExpired
			return nil
		}
		if _, verr = s.authenticateFor(tx, token, Purpose(purpose)); verr != nil {
			return nil
		}
		user, err := s.loadUser(tx, rec)
		if err != nil {
			return err
		}
		pk, why, err := s.checkAssertion(tx, user, parsed, func(sd *webauthn.SessionData) error {
			return decodeSession(c.Session, sd)
		}, "verification")
		if err != nil {
			return err
		}
		if why != nil {
			verr = why
			return tx.AppendEvent(rec.ID, s.event(EventVerificationFailed, purpose+": passkey refused"))
		}
		if Purpose(purpose) == PurposeUnlockSession {
			grant, err = s.unlockSession(tx, rec.ID, token, "passkey "+pk.Name)
			return err
		}
		token := randomToken()
		g := &GrantRecord{Hash: hashToken(token), AccountID: rec.ID, Purpose: Purpose(purpose),
			ExpiresAt: s.now().UTC().Add(GrantLifetime), PasskeyID: pk.ID}
		if err := tx.InsertGrant(g); err != nil {
			return err
		}
		grant = &Grant{Token: token, Purpose: g.Purpose, ExpiresAt: g.ExpiresAt}
		return tx.AppendEvent(rec.ID, s.event(EventVerificationPassed, purpose+": passkey "+pk.Name))
	})
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	return grant, nil
}

// usablePasskeys counts the passkeys in pks not marked lost.
func usablePasskeys(pks []Passkey) int {
	n := 0
	for i := range pks {
		if !pks[i].Lost() {
			n++
		}
	}
	return n
}

// RemovePasskey implements API. It needs a remove-passkey grant (used up
// here). While passkey sign-in is required the last passkey that is not
// lost stays (*PolicyError, RuleLastPasskey); a lost one can always go.
// Unless the grant came from another passkey's assertion, and that
// passkey's own hold is over, withdrawals and C2C trades are held for
// RemovalHold.
func (s *Service) RemovePasskey(ctx context.Context, token, grant, passkeyID string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeRemovePasskey)
		if err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		var pk *Passkey
		for i := range pks {
			if pks[i].ID == passkeyID {
				pk = &pks[i]
			}
		}
		if pk == nil {
			return ErrNotFound
		}
		p, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		if p.PasskeyRequired && !pk.Lost() && usablePasskeys(pks) == 1 {
			return &PolicyError{Rule: RuleLastPasskey}
		}
		if err := tx.DeletePasskey(rec.ID, pk.CredentialID); err != nil {
			return err
		}
		if err := tx.DeleteGrant(g.Hash); err != nil {
			return err
		}
		by, err := s.grantPasskey(tx, g, pks)
		if err != nil {
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventPasskeyRemoved, pk.Kind.Label()+": "+pk.Name+", "+s.grantWords(g, by, pk.ID))); err != nil {
			return err
		}
		if !s.vouches(by, pk.ID) {
			return s.startHold(tx, rec.ID, &p, s.holdEnd(), HoldPasskeyRemoved, SourceApp)
		}
		return nil
	})
}
