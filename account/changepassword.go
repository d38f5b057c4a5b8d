package account

import (
	"context"
	"fmt"
)

// ChangePassword implements API. The new password follows the sign-up
// rules (*InputError otherwise, and nothing changes). It needs a
// change-password grant, used up (ErrGrantRequired without one), and a
// session that is not restricted (ErrSessionRestricted). Every other
// session of the account ends. Unless the grant came from a passkey past
// its own hold, withdrawals and C2C trades are held for RemovalHold
// (HoldPasswordChanged), as after any security change made without a
// passkey's word.
func (s *Service) ChangePassword(ctx context.Context, token, grant, newPassword string) error {
	if err := validatePassword(newPassword); err != nil {
		return err
	}
	// The session and grant are checked before the slow hash, so no one
	// without them makes the service hash, and again, the grant used up,
	// with the change.
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		_, err = s.useGrant(tx, rec.ID, grant, PurposeChangePassword)
		return err
	})
	if err != nil {
		return err
	}
	hash, err := hashPassword(newPassword, s.pw)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeChangePassword)
		if err != nil {
			return err
		}
		if err := tx.DeleteGrant(g.Hash); err != nil {
			return err
		}
		rec.PasswordHash = hash
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		ended, err := tx.DeleteOtherSessions(rec.ID, hashToken(token))
		if err != nil {
			return err
		}
		by, err := s.grantPasskey(tx, g, nil)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%s; %d other sessions ended", s.grantWords(g, by, ""), ended)
		if err := tx.AppendEvent(rec.ID, s.event(EventPasswordChanged, detail)); err != nil {
			return err
		}
		if s.vouches(by, "") {
			return nil
		}
		p, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		return s.startHold(tx, rec.ID, &p, s.holdEnd(), HoldPasswordChanged, SourceApp)
	})
}

// CheckNewPassword says whether password follows the sign-up rules, with
// the service's *InputError when it does not: a client checks a new
// password with it before asking for an identity check.
func CheckNewPassword(password string) error { return validatePassword(password) }
