package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

var (
	qSetSessionRestricted = q(`UPDATE sessions SET restricted = ? WHERE hash = ?`)
	qCountPending         = q(`SELECT COUNT(*) FROM approvals WHERE api_key_id = ? AND state = 'pending' AND expires_at > ?`)
)

// SetSessionRestricted implements account.Tx.
func (t *txn) SetSessionRestricted(hash []byte, restricted bool) error {
	res, err := t.execResult(qSetSessionRestricted, restricted, hash)
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

// CountPendingApprovals implements account.Tx.
func (t *txn) CountPendingApprovals(apiKeyID string, now time.Time) (int, error) {
	var n int
	err := t.queryRow(qCountPending, apiKeyID, nanos(now)).Scan(&n)
	return n, err
}
