package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeletionGrace is how long an account whose owner asked for its deletion
// stays, so that signing in can still cancel it.
const DeletionGrace = 7 * 24 * time.Hour

// deletionsPerSweep bounds the accounts one sweep deletes; the rest wait
// for the next sweep.
const deletionsPerSweep = 16

// RequestAccountDeletion implements API. confirm must be the account's
// email (case and surrounding spaces aside: *InputError otherwise, and
// nothing changes); the grant is a delete-account grant, used up
// (ErrGrantRequired without one), from a session that is not restricted
// (ErrSessionRestricted). Every session of the account ends, this one
// too: the next sign-in, before DeletesAt, cancels the deletion.
func (s *Service) RequestAccountDeletion(ctx context.Context, token, grant, confirm string) (*AccountDeletion, error) {
	var out *AccountDeletion
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeDeleteAccount)
		if err != nil {
			return err
		}
		if strings.ToLower(strings.TrimSpace(confirm)) != rec.Email {
			return &InputError{Field: "confirmation", Reason: "type the account's email exactly as it is"}
		}
		if err := tx.DeleteGrant(g.Hash); err != nil {
			return err
		}
		now := s.now().UTC()
		d := &DeletionRecord{AccountID: rec.ID, RequestedAt: now, DeletesAt: now.Add(DeletionGrace)}
		if err := tx.PutAccountDeletion(d); err != nil {
			return err
		}
		ended, err := tx.DeleteOtherSessions(rec.ID, nil)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("deletes on %s unless you sign in before; %d sessions ended", d.DeletesAt.Format(time.RFC3339), ended)
		if err := tx.AppendEvent(rec.ID, s.event(EventDeletionRequested, detail)); err != nil {
			return err
		}
		out = &AccountDeletion{RequestedAt: d.RequestedAt, DeletesAt: d.DeletesAt}
		return nil
	})
	return out, err
}

// signInDeletion is what a sign-in does to rec's pending deletion, in the
// sign-in's transaction: before it is due, it is cancelled (and the
// sign-in says so); once due, the account is as good as gone and the
// sign-in fails as for an unknown account, the sweep deleting it.
func (s *Service) signInDeletion(tx Tx, rec *AccountRecord) (canceled bool, err error) {
	d, err := tx.AccountDeletion(rec.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case !s.now().Before(d.DeletesAt):
		return false, ErrInvalidCredentials
	}
	if _, err := tx.CancelAccountDeletion(rec.ID); err != nil {
		return false, err
	}
	return true, tx.AppendEvent(rec.ID, s.event(EventDeletionCanceled, "signed in before "+d.DeletesAt.Format(time.RFC3339)))
}

// deletionDue says whether the account's deletion is due.
func (s *Service) deletionDue(tx Tx, accountID string) (bool, error) {
	d, err := tx.AccountDeletion(accountID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && !s.now().Before(d.DeletesAt), err
}

// deleteDueAccounts deletes, with all their data, the accounts whose
// deletion is due at now.
func (s *Service) deleteDueAccounts(tx Tx, now time.Time) error {
	ids, err := tx.DueAccountDeletions(now, deletionsPerSweep)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.DeleteAccount(id); err != nil {
			return err
		}
	}
	return nil
}

// Sweep deletes expired rows and the accounts whose deletion is due, now,
// rather than with the next ceremony or identity check. An app that may
// sit idle (the embedded service) sweeps when it starts.
func (s *Service) Sweep(ctx context.Context) error {
	return s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		if err := tx.DeleteExpired(now); err != nil {
			return err
		}
		return s.deleteDueAccounts(tx, now)
	})
}
