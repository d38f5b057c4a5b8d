package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Recovery codes: the way back for a person who lost the authenticator
// app. An account gets RecoveryCodeCount codes when it is activated
// (ConfirmSignUp) and a new set, replacing the old, with a grant
// (NewRecoveryCodes). Each is RecoveryCodeLength characters of Crockford's
// base32 (80 random bits), shown in groups of four; the store keeps only
// a codeMAC of each. A code stands in for the authenticator code, once:
// its wrong guesses count against the authenticator factor's lock, and
// its use is logged and holds withdrawals and C2C trades for RemovalHold.
const (
	RecoveryCodeCount  = 10
	RecoveryCodeLength = 16
)

// RecoveryCodeStatus is what is left of an account's recovery codes.
type RecoveryCodeStatus struct {
	// Total is the size of the set; 0 when the account has none (it was
	// made before recovery codes existed).
	Total int
	// Left counts the codes not yet used.
	Left int
	// CreatedAt is when the set was made; LastUsedAt when one of it was
	// last used, zero when none was.
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// RecoveryCodes is a new set of recovery codes. Codes are secret: shown
// once, never logged or kept.
type RecoveryCodes struct {
	Codes     []string
	CreatedAt time.Time
}

// macRecoveryCode is the codeMAC kind of a recovery code; its id is the
// account's.
const macRecoveryCode = "recovery-code"

// recoveryAlphabet is Crockford's base32: no I, L, O or U, which are
// read as 1, 1, 0 and V.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRecoveryCode returns a random code, grouped: "7K3M-QX9P-…".
func newRecoveryCode() string {
	raw := randomBytes(RecoveryCodeLength)
	var b strings.Builder
	for i, r := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		// 256 is a multiple of 32: every character is equally likely.
		b.WriteByte(recoveryAlphabet[int(r)%len(recoveryAlphabet)])
	}
	return b.String()
}

// recoveryCodeForm reads a code as typed: spaces and dashes dropped,
// upper case, the letters Crockford's base32 leaves out read as the
// digits they look like. ok is false when the result cannot be a
// recovery code (an authenticator code, for one).
func recoveryCodeForm(typed string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range typed {
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
			continue
		case r == 'o' || r == 'O':
			r = '0'
		case r == 'i' || r == 'I' || r == 'l' || r == 'L':
			r = '1'
		case r == 'u' || r == 'U':
			r = 'V'
		}
		r = unicode.ToUpper(r)
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != RecoveryCodeLength {
		return "", false
	}
	return b.String(), true
}

// IsRecoveryCode reports whether typed has the form of a recovery code
// (spaces and dashes aside), not whether it is a good one. Clients use
// it to tell a recovery code from an authenticator code before sending.
func IsRecoveryCode(typed string) bool {
	_, ok := recoveryCodeForm(typed)
	return ok
}

// makeRecoveryCodes replaces the account's recovery codes with a new set
// and returns it.
func (s *Service) makeRecoveryCodes(tx Tx, accountID string) (*RecoveryCodes, error) {
	now := s.now().UTC()
	out := &RecoveryCodes{Codes: make([]string, RecoveryCodeCount), CreatedAt: now}
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range out.Codes {
		out.Codes[i] = newRecoveryCode()
		code, _ := recoveryCodeForm(out.Codes[i])
		hashes[i] = s.codeMAC(macRecoveryCode, accountID, code)
	}
	if err := tx.ReplaceRecoveryCodes(accountID, hashes, now); err != nil {
		return nil, err
	}
	return out, nil
}

// useSecondFactor checks the code given for the authenticator factor: an
// authenticator code (useTOTP) or, when it has the form of one, a
// recovery code, which is then used up. recovered says a recovery code
// was used. It counts nothing: callers reserve and settle the attempt at
// the authenticator factor, and call recoveryCodeUsed on success.
func (s *Service) useSecondFactor(tx Tx, rec *AccountRecord, code string) (ok, recovered bool, err error) {
	rc, isRecovery := recoveryCodeForm(code)
	if !isRecovery {
		ok, err = s.useTOTP(tx, rec, code)
		return ok, false, err
	}
	err = tx.UseRecoveryCode(rec.ID, s.codeMAC(macRecoveryCode, rec.ID, rc), s.now().UTC())
	switch {
	case errors.Is(err, ErrNotFound):
		return false, false, nil
	case err != nil:
		return false, false, err
	}
	return true, true, nil
}

// recoveryCodeUsed records that a recovery code stood in for the
// authenticator code (where: "to sign in", or the verification's
// purpose) and starts the hold.
func (s *Service) recoveryCodeUsed(tx Tx, accountID, where string) error {
	codes, err := tx.RecoveryCodes(accountID)
	if err != nil {
		return err
	}
	left := 0
	for _, c := range codes {
		if c.UsedAt.IsZero() {
			left++
		}
	}
	if err := tx.AppendEvent(accountID, s.event(EventRecoveryCodeUsed, fmt.Sprintf("%s; %d left", where, left))); err != nil {
		return err
	}
	p, err := tx.Policy(accountID)
	if err != nil {
		return err
	}
	return s.startHold(tx, accountID, &p, s.holdEnd(), HoldRecoveryCodeUsed, SourceApp)
}

// RecoveryCodeStatus implements API.
func (s *Service) RecoveryCodeStatus(ctx context.Context, token string) (*RecoveryCodeStatus, error) {
	var out RecoveryCodeStatus
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		codes, err := tx.RecoveryCodes(rec.ID)
		if err != nil {
			return err
		}
		out.Total = len(codes)
		for _, c := range codes {
			out.CreatedAt = c.CreatedAt
			if c.UsedAt.IsZero() {
				out.Left++
			} else if c.UsedAt.After(out.LastUsedAt) {
				out.LastUsedAt = c.UsedAt
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// NewRecoveryCodes implements API. A restricted session may not make
// them (ErrSessionRestricted).
func (s *Service) NewRecoveryCodes(ctx context.Context, token, grant string) (*RecoveryCodes, error) {
	var out *RecoveryCodes
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeRecoveryCodes)
		if err != nil {
			return err
		}
		if err := tx.DeleteGrant(g.Hash); err != nil {
			return err
		}
		if out, err = s.makeRecoveryCodes(tx, rec.ID); err != nil {
			return err
		}
		return tx.AppendEvent(rec.ID, s.event(EventRecoveryCodesMade,
			fmt.Sprintf("a new set of %d; the old set no longer works", RecoveryCodeCount)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// firstRecoveryCodes makes an account's first set, as it is activated.
func (s *Service) firstRecoveryCodes(tx Tx, accountID string) ([]string, error) {
	codes, err := s.makeRecoveryCodes(tx, accountID)
	if err != nil {
		return nil, err
	}
	if err := tx.AppendEvent(accountID, s.event(EventRecoveryCodesMade, fmt.Sprintf("the first set of %d", RecoveryCodeCount))); err != nil {
		return nil, err
	}
	return codes.Codes, nil
}

// wrongCodeWords is the sign-in-failed detail of a wrong code.
func wrongCodeWords(code string) string {
	if _, ok := recoveryCodeForm(code); ok {
		return "wrong recovery code"
	}
	return "wrong authenticator code"
}
