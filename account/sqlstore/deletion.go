package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

var (
	qPutAccountDeletion = q(`INSERT INTO account_deletions (account_id, requested_at, deletes_at) VALUES (?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET requested_at = excluded.requested_at, deletes_at = excluded.deletes_at`)
	qAccountDeletion       = q(`SELECT requested_at, deletes_at FROM account_deletions WHERE account_id = ?`)
	qCancelAccountDeletion = q(`DELETE FROM account_deletions WHERE account_id = ?`)
	qDueAccountDeletions   = q(`SELECT account_id FROM account_deletions WHERE deletes_at <= ? ORDER BY deletes_at, account_id LIMIT ?`)
)

// PutAccountDeletion implements account.Tx.
func (t *txn) PutAccountDeletion(d *account.DeletionRecord) error {
	return t.exec(qPutAccountDeletion, d.AccountID, nanos(d.RequestedAt), nanos(d.DeletesAt))
}

// AccountDeletion implements account.Tx.
func (t *txn) AccountDeletion(accountID string) (*account.DeletionRecord, error) {
	var requested, deletes int64
	if err := t.queryRow(qAccountDeletion, accountID).Scan(&requested, &deletes); err != nil {
		return nil, notFound(err)
	}
	return &account.DeletionRecord{AccountID: accountID, RequestedAt: fromNanos(requested), DeletesAt: fromNanos(deletes)}, nil
}

// CancelAccountDeletion implements account.Tx.
func (t *txn) CancelAccountDeletion(accountID string) (bool, error) {
	res, err := t.execResult(qCancelAccountDeletion, accountID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DueAccountDeletions implements account.Tx.
func (t *txn) DueAccountDeletions(now time.Time, limit int) ([]string, error) {
	rows, err := t.query(qDueAccountDeletions, nanos(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
