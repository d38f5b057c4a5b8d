package account

import "context"

// enrollmentStatus is PhoneEnrollmentStatus: it reads in a read
// transaction, and writes only to end an enrollment whose time is up but
// that is not yet marked expired.
func (s *Service) enrollmentStatus(ctx context.Context, token, id string) (*EnrollmentStatus, error) {
	var st *EnrollmentStatus
	due := false
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		e, err := tx.PhoneEnrollmentByID(id)
		if err == nil && e.AccountID != rec.ID {
			err = ErrNotFound
		}
		if err != nil {
			return err
		}
		if due = !e.State.Ended() && !s.now().Before(e.ExpiresAt); due {
			return nil
		}
		st, err = s.statusOf(tx, e)
		return err
	})
	if err != nil || !due {
		return st, err
	}
	err = s.desktopUpdate(ctx, token, id, func(tx Tx, e *PhoneEnrollmentRecord) error {
		var err error
		st, err = s.statusOf(tx, e)
		return err
	})
	return st, err
}

// expiryDue reports whether enrollment id's time is up on the service's
// clock while it is not yet ended, from a read transaction.
func (s *Service) expiryDue(ctx context.Context, id string) (bool, error) {
	due := false
	err := s.store.View(ctx, func(tx Tx) error {
		e, err := tx.PhoneEnrollmentByID(id)
		if err != nil {
			return err
		}
		due = !e.State.Ended() && !s.now().Before(e.ExpiresAt)
		return nil
	})
	return due, err
}
