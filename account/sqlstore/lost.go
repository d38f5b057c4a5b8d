package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

var (
	qMarkPasskeyLost = q(`UPDATE passkeys SET lost_at = ?, lost_reason = ? WHERE id = ? AND account_id = ?`)
	qLostPasskeys    = q(`SELECT id, lost_at, lost_reason FROM passkeys WHERE account_id = ? AND lost_at != 0`)
)

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

// LostPasskeys implements account.Tx.
func (t *txn) LostPasskeys(accountID string) ([]account.LostMark, error) {
	rows, err := t.query(qLostPasskeys, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.LostMark
	for rows.Next() {
		var m account.LostMark
		var at int64
		if err := rows.Scan(&m.PasskeyID, &at, &m.Reason); err != nil {
			return nil, err
		}
		m.At = fromNanos(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
