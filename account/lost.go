package account

import (
	"context"
	"strings"
	"unicode/utf8"
)

// maxLostReason bounds the words kept for why a passkey was lost.
const maxLostReason = 200

// MarkPasskeysLost implements API. A passkey already marked keeps its
// first mark; each newly marked one gets an EventPasskeyLost. Marking the
// last passkey that is not lost while "Passkey required" is on would let
// password and codes sign in again (see SignIn), so it is a security
// change like a removal: it needs a remove-passkey grant (ErrGrantRequired
// without one), uses it up, and holds withdrawals and C2C trades
// (HoldPasskeyLost). No passkey can vouch for it: every usable one is
// being marked.
func (s *Service) MarkPasskeysLost(ctx context.Context, token, grant string, passkeyIDs []string, why string) error {
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
		marking := make(map[string]bool, len(passkeyIDs))
		for _, id := range passkeyIDs {
			if byID[id] == nil {
				return ErrNotFound
			}
			if !byID[id].Lost() {
				marking[id] = true
			}
		}
		p, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		lastGoes := p.PasskeyRequired && len(marking) > 0 && usablePasskeys(pks) == len(marking)
		if lastGoes {
			g, err := s.useGrant(tx, rec.ID, grant, PurposeRemovePasskey)
			if err != nil {
				return err
			}
			if err := tx.DeleteGrant(g.Hash); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		for _, id := range passkeyIDs {
			if !marking[id] {
				continue
			}
			delete(marking, id) // an ID named twice is marked once
			if err := tx.MarkPasskeyLost(rec.ID, id, now, why); err != nil {
				return err
			}
			if err := tx.AppendEvent(rec.ID, s.event(EventPasskeyLost, byID[id].Name+": "+why)); err != nil {
				return err
			}
		}
		if lastGoes {
			return s.startHold(tx, rec.ID, &p, s.holdEnd(), HoldPasskeyLost, SourceApp)
		}
		return nil
	})
}
