package account

import (
	"bytes"
	"context"
	"errors"
	"time"
)

// Changing the authenticator app: a new TOTP secret, shown as sign-up
// shows one, that replaces the old only once a code from it is typed.
// Until then the old secret stays the account's, so a person who never
// finishes keeps the app that works.

// PurposeChangeAuthenticator replaces the authenticator app's secret
// (BeginAuthenticatorChange, ConfirmAuthenticatorChange).
const PurposeChangeAuthenticator Purpose = "change-authenticator"

// HoldAuthenticatorChanged: the authenticator app was changed without a
// passkey's word.
const HoldAuthenticatorChanged HoldCause = "authenticator-changed"

// AuthenticatorChanger is the part of API that changes the
// authenticator app.
type AuthenticatorChanger interface {
	// BeginAuthenticatorChange makes a new authenticator secret with a
	// change-authenticator grant (read, not used up) and returns it for
	// the app to scan. The old secret stays in force; a second begin
	// replaces the first's secret.
	BeginAuthenticatorChange(ctx context.Context, token, grant string) (*TOTPEnrollment, error)
	// ConfirmAuthenticatorChange makes the new secret the account's with
	// a first valid code from it and the same grant, now used up.
	// ErrInvalidCode for a wrong code (counted against the authenticator
	// factor's lock; the grant stays usable), ErrNotFound when no change
	// was begun with this grant.
	ConfirmAuthenticatorChange(ctx context.Context, token, grant, code string) error
}

// PendingTOTPRecord is a new authenticator secret waiting for its first
// code: sealed as AccountRecord.TOTPSecret is, bound to the grant that
// began it, and no longer usable once that grant has expired.
type PendingTOTPRecord struct {
	AccountID string
	Secret    []byte
	GrantHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// BeginAuthenticatorChange implements API.
func (s *Service) BeginAuthenticatorChange(ctx context.Context, token, grant string) (*TOTPEnrollment, error) {
	secret, err := newTOTPSecret()
	if err != nil {
		return nil, err
	}
	var out *TOTPEnrollment
	err = s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeChangeAuthenticator)
		if err != nil {
			return err
		}
		p := &PendingTOTPRecord{AccountID: rec.ID, Secret: s.seal(rec.ID, []byte(secret)), GrantHash: g.Hash,
			CreatedAt: s.now().UTC(), ExpiresAt: g.ExpiresAt}
		if err := tx.PutPendingTOTP(p); err != nil {
			return err
		}
		out = &TOTPEnrollment{ID: rec.ID, Email: rec.Email, Secret: secret, URI: totpURI(s.rpName, rec.Email, secret)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ConfirmAuthenticatorChange implements API. The code's attempt counts at
// the authenticator factor, as a sign-in's does. Unless the grant came
// from a passkey past its own hold, withdrawals and C2C trades are held
// for RemovalHold (HoldAuthenticatorChanged).
func (s *Service) ConfirmAuthenticatorChange(ctx context.Context, token, grant, code string) error {
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		verr = nil
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeChangeAuthenticator)
		if err != nil {
			return err
		}
		p, err := tx.PendingTOTP(rec.ID)
		if err == nil && (!bytes.Equal(p.GrantHash, g.Hash) || !s.now().Before(p.ExpiresAt)) {
			err = ErrNotFound
		}
		if err != nil {
			return err
		}
		verr = s.checkPendingTOTP(tx, rec, p, code)
		if _, locked := errors.AsType[*LockedError](verr); locked || errors.Is(verr, ErrInvalidCode) {
			return nil // keep the failure count
		}
		if verr != nil {
			return verr
		}
		rec.TOTPSecret = p.Secret
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		if err := tx.DeletePendingTOTP(rec.ID); err != nil {
			return err
		}
		if err := tx.DeleteGrant(g.Hash); err != nil {
			return err
		}
		by, err := s.grantPasskey(tx, g, nil)
		if err != nil {
			return err
		}
		detail := s.grantWords(g, by, "") + "; codes from the old app no longer work"
		if err := tx.AppendEvent(rec.ID, s.event(EventAuthenticatorChanged, detail)); err != nil {
			return err
		}
		if s.vouches(by, "") {
			return nil
		}
		pol, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		return s.startHold(tx, rec.ID, &pol, s.holdEnd(), HoldAuthenticatorChanged, SourceApp)
	})
	if err != nil {
		return err
	}
	return verr
}

// checkPendingTOTP checks a code from the new app against p's secret,
// counting the attempt at rec's authenticator factor as checkTOTP does:
// nil when it matches (its time step is then the factor's last used),
// a *LockedError when the factor is (or now becomes) locked,
// ErrInvalidCode otherwise.
func (s *Service) checkPendingTOTP(tx Tx, rec *AccountRecord, p *PendingTOTPRecord, code string) error {
	l := limiter{accountID: rec.ID, factor: FactorTOTP}
	if err := s.reserve(tx, l); err != nil {
		return err
	}
	secret, err := s.open(rec.ID, p.Secret)
	if err != nil {
		return err
	}
	key, err := decodeTOTPSecret(string(secret))
	if err != nil {
		return err
	}
	// The new secret's steps are its own: a step the old app's code used
	// a moment ago (the identity check) does not stop the new app's code
	// of the same step.
	step, ok := matchTOTP(key, code, s.now(), 0)
	if !ok {
		locked, err := s.settle(tx, l, wrongAnswer)
		switch {
		case err != nil:
			return err
		case locked != nil:
			return locked
		}
		return ErrInvalidCode
	}
	if _, err := s.settle(tx, l, rightAnswer); err != nil {
		return err
	}
	st, err := tx.FactorState(rec.ID, FactorTOTP)
	if err != nil {
		return err
	}
	st.LastStep = max(st.LastStep, step)
	return tx.PutFactorState(rec.ID, FactorTOTP, st)
}
