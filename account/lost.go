package account

import (
	"context"
	"strings"
	"unicode/utf8"
)

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
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
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
			if byID[id].Lost() {
				continue
			}
			if err := tx.MarkPasskeyLost(rec.ID, id, now, why); err != nil {
				return err
			}
			byID[id].LostAt, byID[id].LostReason = now, why
			if err := tx.AppendEvent(rec.ID, s.event(EventPasskeyLost, byID[id].Name+": "+why)); err != nil {
				return err
			}
		}
		return nil
	})
}
