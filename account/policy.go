package account

import (
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
	// HoldUntil ends the hold on withdrawals and C2C trades that a passkey
	// removal started; zero (or past) when there is none.
	HoldUntil time.Time
}

// Policy implements API. HoldUntil is zero once the hold has passed.
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
		out.HoldUntil = time.Time{}
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
// has changes nothing and uses no grant.
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
			detail = "passkey required: off, verified with a passkey"
			if g.PasskeyID == "" {
				// Without a passkey's word, loosening the policy holds
				// withdrawals and C2C trades as a removal would.
				detail = "passkey required: off, verified with password and code"
				p.HoldUntil, held = s.now().UTC().Add(RemovalHold), true
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
			return tx.AppendEvent(rec.ID, s.event(EventHoldStarted, "withdrawals and C2C trades held until "+p.HoldUntil.Format(time.RFC3339)))
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
	switch purpose {
	case PurposeAddPasskey, PurposeRemovePasskey, PurposeChangePolicy, PurposeUnlockSession:
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
// lost stays (*PolicyError, RuleLastPasskey); a lost one can always go. Unless the grant came from another
// passkey's assertion, withdrawals and C2C trades are held for
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
		how := "verified with password and code"
		if g.PasskeyID != "" && g.PasskeyID != pk.ID {
			how = "approved with another passkey"
		} else {
			if g.PasskeyID != "" {
				how = "verified with the removed passkey itself"
			}
			p.HoldUntil = s.now().UTC().Add(RemovalHold)
			if err := tx.PutPolicy(rec.ID, p); err != nil {
				return err
			}
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventPasskeyRemoved, pk.Kind.Label()+": "+pk.Name+", "+how)); err != nil {
			return err
		}
		if !p.HoldUntil.IsZero() && how != "approved with another passkey" {
			return tx.AppendEvent(rec.ID, s.event(EventHoldStarted, "withdrawals and C2C trades held until "+p.HoldUntil.Format(time.RFC3339)))
		}
		return nil
	})
}
