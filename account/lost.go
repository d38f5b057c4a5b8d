package account

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// LostMark is a passkey marked lost, as the store keeps it.
type LostMark struct {
	PasskeyID string
	At        time.Time
	Reason    string
}

// maxLostReason bounds the words kept for why a passkey was lost.
const maxLostReason = 200

// MarkPasskeysLost implements API. A passkey already marked keeps its
// first mark; each newly marked one gets an EventPasskeyLost.
func (s *Service) MarkPasskeysLost(ctx context.Context, token string, passkeyIDs []string, why string) error {
	why = strings.TrimSpace(why)
	switch {
	case len(passkeyIDs) == 0:
		return &InputError{Field: "passkeys", Reason: "name at least one passkey"}
	case why == "" || utf8.RuneCountInString(why) > maxLostReason:
		return &InputError{Field: "why", Reason: "say why in 1 to 200 characters"}
	}
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		lost, err := lostByID(tx, rec.ID)
		if err != nil {
			return err
		}
		byID := make(map[string]*Passkey, len(pks))
		for i := range pks {
			byID[pks[i].ID] = &pks[i]
		}
		// Check them all before writing any, so another account's ID
		// leaves this one's passkeys unmarked too.
		for _, id := range passkeyIDs {
			if byID[id] == nil {
				return ErrNotFound
			}
		}
		now := s.now().UTC()
		for _, id := range passkeyIDs {
			if _, done := lost[id]; done {
				continue
			}
			if err := tx.MarkPasskeyLost(rec.ID, id, now, why); err != nil {
				return err
			}
			lost[id] = LostMark{PasskeyID: id, At: now, Reason: why}
			if err := tx.AppendEvent(rec.ID, s.event(EventPasskeyLost, byID[id].Name+": "+why)); err != nil {
				return err
			}
		}
		return nil
	})
}

// lostByID reads the account's lost marks by passkey ID.
func lostByID(tx Tx, accountID string) (map[string]LostMark, error) {
	marks, err := tx.LostPasskeys(accountID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]LostMark, len(marks))
	for _, m := range marks {
		out[m.PasskeyID] = m
	}
	return out, nil
}

// withLost fills the lost marks of the account's passkeys in pks.
func withLost(tx Tx, accountID string, pks []Passkey) error {
	lost, err := lostByID(tx, accountID)
	if err != nil {
		return err
	}
	for i := range pks {
		if m, ok := lost[pks[i].ID]; ok {
			pks[i].LostAt, pks[i].LostReason = m.At, m.Reason
		}
	}
	return nil
}
