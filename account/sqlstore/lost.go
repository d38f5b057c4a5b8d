package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

var qMarkPasskeyLost = q(`UPDATE passkeys SET lost_at = ?, lost_reason = ? WHERE id = ? AND account_id = ?`)

// MarkPasskeyLost implements account.Tx.
func (t *txn) MarkPasskeyLost(accountID, passkeyID string, at time.Time, reason string) error {
	res, err := t.execResult(qMarkPasskeyLost, nanos(at), reason, passkeyID, accountID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return account.ErrNotFound
	}
	return nil
}
