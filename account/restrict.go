package account

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrSessionRestricted: the session signed in with a passkey whose sign
// counter did not advance, so the passkey may have been copied. The
// session may read (passkeys, activity, approvals waiting) but makes no
// security change (API keys, approving or denying, identity checks for a
// change, adding, removing or marking passkeys, the policy) until another
// factor confirms it: a verification for PurposeUnlockSession, by
// password and codes or by another passkey. Account.Restricted says so
// beforehand.
var ErrSessionRestricted = errors.New("this sign-in used a passkey that may have been copied: confirm it is you with your password and code, or another passkey, before making changes")

// session resolves a session token to its session and active account:
// ErrUnauthenticated when the token is unknown or expired or the account
// is not active.
func (s *Service) session(tx Tx, token string) (*SessionRecord, *AccountRecord, error) {
	if token == "" {
		return nil, nil, ErrUnauthenticated
	}
	sr, rec, err := tx.SessionAccount(hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.now().Before(sr.ExpiresAt) {
		return nil, nil, ErrUnauthenticated
	}
	if !rec.Active {
		// Only an invited account's first sign-in makes a session of an
		// inactive account (stationenroll.go).
		return nil, nil, ErrSetupRequired
	}
	return sr, rec, nil
}

// authenticateSensitive is authenticate for a call a restricted session
// may not make: ErrSessionRestricted for one.
func (s *Service) authenticateSensitive(tx Tx, token string) (*AccountRecord, error) {
	sr, rec, err := s.session(tx, token)
	if err != nil {
		return nil, err
	}
	if sr.Restricted {
		return nil, ErrSessionRestricted
	}
	return rec, nil
}

// authenticateFor is authenticate for an identity check for purpose: a
// restricted session may check only to lift its restriction.
func (s *Service) authenticateFor(tx Tx, token string, purpose Purpose) (*AccountRecord, error) {
	if purpose == PurposeUnlockSession {
		return s.authenticate(tx, token)
	}
	return s.authenticateSensitive(tx, token)
}

// checkVerification says whether the session of token may complete v: a
// restricted session only one that lifts its restriction
// (ErrSessionRestricted), and such a verification only by the session
// that began it (ErrVerificationExpired otherwise).
func (s *Service) checkVerification(tx Tx, token string, v *VerificationRecord) error {
	if v.Purpose == PurposeUnlockSession {
		if !bytes.Equal(v.SessionHash, hashToken(token)) {
			return ErrVerificationExpired
		}
		return nil
	}
	_, err := s.authenticateSensitive(tx, token)
	return err
}

// restrictSession marks the new session sess restricted, in the store
// and in what the caller gets back.
func (s *Service) restrictSession(tx Tx, sess *Session) error {
	if err := tx.SetSessionRestricted(hashToken(sess.Token), true); err != nil {
		return err
	}
	sess.Account.Restricted = true
	return nil
}

// unlockSession lifts the restriction of the session of token after a
// verification for PurposeUnlockSession passed (how says by what), and
// logs it. The grant it returns has no token: the session itself is what
// the check was for.
func (s *Service) unlockSession(tx Tx, accountID, token, how string) (*Grant, error) {
	err := tx.SetSessionRestricted(hashToken(token), false)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthenticated // signed out meanwhile
	}
	if err != nil {
		return nil, err
	}
	if err := tx.AppendEvent(accountID, s.event(EventVerificationPassed, fmt.Sprintf("%s: %s", PurposeUnlockSession, how))); err != nil {
		return nil, err
	}
	return &Grant{Purpose: PurposeUnlockSession, ExpiresAt: s.now().UTC()}, nil
}

// staleCounter reports whether an assertion's sign counter failed to
// advance past the stored one (WebAuthn §6.1.1): the passkey may have
// been copied. A passkey that always reports 0 keeps no counter.
func staleCounter(got, stored uint32) bool {
	return got <= stored && (got != 0 || stored != 0)
}
