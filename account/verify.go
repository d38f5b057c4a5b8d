package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// BeginVerification implements API. The factors are the password and the
// authenticator code, plus an email code when mail is configured; the
// email code is sent before this returns.
func (s *Service) BeginVerification(ctx context.Context, token string, purpose Purpose) (*Verification, error) {
	switch purpose {
	case PurposeAddPasskey, PurposeRemovePasskey, PurposeChangePolicy, PurposeUnlockSession, PurposeRecoveryCodes, PurposeChangePassword, PurposeCreateAPIKey, PurposeChangeEmail:
	default:
		return nil, &InputError{Field: "purpose", Reason: fmt.Sprintf("unknown purpose %q", purpose)}
	}
	now := s.now().UTC()
	v := &VerificationRecord{
		ID:          randomID(),
		SessionHash: hashToken(token),
		Purpose:     purpose,
		Factors:     s.factors(),
		ExpiresAt:   now.Add(VerificationLifetime),
	}
	var code, email string
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateFor(tx, token, purpose)
		if err != nil {
			return err
		}
		v.AccountID, email = rec.ID, ""
		// The email code is a factor only once the address is proven.
		v.Factors, v.EmailCodeHash = s.factors(), nil
		if proven, err := s.emailProven(tx, rec); err != nil {
			return err
		} else if proven {
			code, email = randomDigits(6), rec.Email
			v.Factors = append(v.Factors, FactorEmailCode)
			v.EmailCodeHash = s.codeMAC(macEmailCode, v.ID, code)
		}
		if err := s.sweepExpired(tx, now); err != nil {
			return err
		}
		return tx.InsertVerification(v)
	})
	if err != nil {
		return nil, err
	}
	out := &Verification{ID: v.ID, Purpose: purpose, Factors: v.Factors, EmailConfigured: s.mailer != nil, ExpiresAt: v.ExpiresAt}
	if email != "" {
		body := fmt.Sprintf("Your %s verification code is %s.\n\nIt is valid for %d minutes. "+
			"If you did not ask for it, someone may know your password: change it.\n",
			s.rpName, code, int(VerificationLifetime.Minutes()))
		if err := s.mailer.Send(ctx, email, s.rpName+" verification code", body); err != nil {
			s.store.Update(ctx, func(tx Tx) error { return tx.DeleteVerification(v.ID) })
			return nil, fmt.Errorf("sending the email code: %w", err)
		}
		out.EmailSentTo = maskEmail(email)
	}
	return out, nil
}

// CompleteVerification implements API. An attempt at each factor is
// reserved first (a locked factor gives its *LockedError), the password
// is hashed outside any transaction, and then each factor is checked in
// turn: the first wrong one is counted against that factor (MaxFailures
// wrong lock it, see LockDuration) and returned, the others are not
// counted. On success every factor's failures are cleared, the
// verification is used up and a grant for its purpose is returned.
func (s *Service) CompleteVerification(ctx context.Context, token, verificationID string, proof Proof) (*Grant, error) {
	var rec *AccountRecord
	var v *VerificationRecord
	var ls []limiter
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if rec, err = s.authenticate(tx, token); err != nil {
			return err
		}
		v, err = tx.VerificationByID(verificationID)
		if errors.Is(err, ErrNotFound) || (err == nil && v.AccountID != rec.ID) {
			return ErrVerificationExpired
		}
		if err != nil {
			return err
		}
		if !s.now().Before(v.ExpiresAt) {
			return ErrVerificationExpired
		}
		if err := s.checkVerification(tx, token, v); err != nil {
			return err
		}
		ls = make([]limiter, len(v.Factors))
		for i, f := range v.Factors {
			ls[i] = limiter{accountID: rec.ID, factor: f}
		}
		return s.reserve(tx, ls...)
	})
	if err != nil {
		return nil, err
	}
	pwOK, pwErr := checkPassword(proof.Password, rec.PasswordHash)
	var grant *Grant
	var verr error
	// The attempts are settled even when the caller has gone: they were
	// checked.
	err = s.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		grant, verr = nil, nil
		recovered := false // a recovery code stood in for the authenticator code
		if pwErr != nil {
			verr = pwErr
			return s.settleAll(tx, released, ls...)
		}
		// The verification must still be there: two racing completions
		// cannot both get a grant.
		if _, err := tx.VerificationByID(v.ID); err != nil {
			if errors.Is(err, ErrNotFound) {
				verr = ErrVerificationExpired
				return s.settleAll(tx, released, ls...)
			}
			return err
		}
		fail := func(f Factor, wrong error) error {
			for _, l := range ls {
				vd := released
				if l.factor == f {
					vd = wrongAnswer
				}
				locked, err := s.settle(tx, l, vd)
				if err != nil {
					return err
				}
				if locked != nil {
					wrong = locked
				}
			}
			verr = wrong
			return tx.AppendEvent(rec.ID, s.event(EventVerificationFailed, string(v.Purpose)+": wrong "+factorWords(f)))
		}
		// The authenticator code is checked last: a good code uses up its
		// time step, which must not be wasted on a wrong email code.
		for _, f := range append(without(v.Factors, FactorTOTP), FactorTOTP) {
			switch f {
			case FactorPassword:
				if !pwOK {
					return fail(f, ErrInvalidCredentials)
				}
			case FactorTOTP:
				if !slices.Contains(v.Factors, FactorTOTP) {
					continue
				}
				ok, used, err := s.useSecondFactor(tx, rec, proof.TOTPCode)
				if err != nil {
					return err
				}
				if !ok {
					return fail(f, ErrInvalidCode)
				}
				recovered = used
			case FactorEmailCode:
				got := s.codeMAC(macEmailCode, v.ID, strings.TrimSpace(proof.EmailCode))
				if !hmac.Equal(got, v.EmailCodeHash) {
					return fail(f, ErrInvalidCode)
				}
			}
		}
		if err := s.settleAll(tx, rightAnswer, ls...); err != nil {
			return err
		}
		if err := tx.DeleteVerification(v.ID); err != nil {
			return err
		}
		if recovered {
			if err := s.recoveryCodeUsed(tx, rec.ID, string(v.Purpose)); err != nil {
				return err
			}
		}
		if v.Purpose == PurposeUnlockSession {
			grant, err = s.unlockSession(tx, rec.ID, token, "password and codes")
			return err
		}
		token := randomToken()
		g := &GrantRecord{Hash: hashToken(token), AccountID: rec.ID, Purpose: v.Purpose, ExpiresAt: s.now().UTC().Add(GrantLifetime)}
		if err := tx.InsertGrant(g); err != nil {
			return err
		}
		grant = &Grant{Token: token, Purpose: g.Purpose, ExpiresAt: g.ExpiresAt}
		return tx.AppendEvent(rec.ID, s.event(EventVerificationPassed, string(v.Purpose)))
	})
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	return grant, nil
}

// useGrant checks that grant allows purpose for the account, without
// consuming it.
func (s *Service) useGrant(tx Tx, accountID, grant string, purpose Purpose) (*GrantRecord, error) {
	if grant == "" {
		return nil, ErrGrantRequired
	}
	g, err := tx.GrantByHash(hashToken(grant))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrGrantRequired
	}
	if err != nil {
		return nil, err
	}
	if g.AccountID != accountID || g.Purpose != purpose || !s.now().Before(g.ExpiresAt) {
		return nil, ErrGrantRequired
	}
	return g, nil
}

func factorWords(f Factor) string {
	switch f {
	case FactorPassword:
		return "password"
	case FactorTOTP:
		return "authenticator code"
	case FactorEmailCode:
		return "email code"
	}
	return string(f)
}

// macEmailCode is the codeMAC kind of an email code; its id is the
// verification's. Codes stored before they were MACs (plain SHA-256) no
// longer match: those verifications fail and are started again.
const macEmailCode = "email-code"

func randomDigits(n int) string {
	max := big.NewInt(10)
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

// maskEmail shows enough of an address to recognise it: "a•••@example.com".
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 1 {
		return "•••"
	}
	return email[:1] + "•••" + email[at:]
}

func without(fs []Factor, drop Factor) []Factor {
	out := make([]Factor, 0, len(fs))
	for _, f := range fs {
		if f != drop {
			out = append(out, f)
		}
	}
	return out
}
