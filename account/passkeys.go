package account

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Passkeys implements API.
func (s *Service) Passkeys(ctx context.Context, token string) ([]Passkey, error) {
	var out []Passkey
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		out, err = tx.Passkeys(rec.ID)
		return err
	})
	return out, err
}

// RenamePasskey implements API. Renaming is not a security change, so it
// needs a session but no verification.
func (s *Service) RenamePasskey(ctx context.Context, token, passkeyID, name string) (*Passkey, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return nil, &InputError{Field: "name", Reason: "use 1 to 64 characters"}
	}
	var out *Passkey
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		for i := range pks {
			if pks[i].ID != passkeyID {
				continue
			}
			old := pks[i].Name
			if old == name {
				out = &pks[i]
				return nil
			}
			pks[i].Name = name
			if err := tx.UpdatePasskey(rec.ID, &pks[i]); err != nil {
				return err
			}
			out = &pks[i]
			return tx.AppendEvent(rec.ID, s.event(EventPasskeyRenamed, old+" → "+name))
		}
		return ErrNotFound
	})
	return out, err
}

// Activity implements API.
func (s *Service) Activity(ctx context.Context, token string, limit int) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []Event
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		out, err = tx.Events(rec.ID, limit)
		return err
	})
	return out, err
}
