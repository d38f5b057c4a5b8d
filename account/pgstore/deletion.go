package pgstore

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

// PutAccountDeletion implements account.Tx.
func (t *txn) PutAccountDeletion(d *account.DeletionRecord) error {
	return t.exec(`INSERT INTO account_deletions (account_id, requested_at, deletes_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET requested_at = excluded.requested_at, deletes_at = excluded.deletes_at`,
		d.AccountID, nanos(d.RequestedAt), nanos(d.DeletesAt))
}

// AccountDeletion implements account.Tx.
func (t *txn) AccountDeletion(accountID string) (*account.DeletionRecord, error) {
	var requested, deletes int64
	err := t.row(`SELECT requested_at, deletes_at FROM account_deletions WHERE account_id = $1`, accountID).Scan(&requested, &deletes)
	if err != nil {
		return nil, notFound(err)
	}
	return &account.DeletionRecord{AccountID: accountID, RequestedAt: fromNanos(requested), DeletesAt: fromNanos(deletes)}, nil
}

// CancelAccountDeletion implements account.Tx.
func (t *txn) CancelAccountDeletion(accountID string) (bool, error) {
	tag, err := t.execTag(`DELETE FROM account_deletions WHERE account_id = $1`, accountID)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// DueAccountDeletions implements account.Tx.
func (t *txn) DueAccountDeletions(now time.Time, limit int) ([]string, error) {
	return collect(t, func(row pgx.Row) (*string, error) {
		var id string
		return &id, row.Scan(&id)
	}, `SELECT account_id FROM account_deletions WHERE deletes_at <= $1 ORDER BY deletes_at, account_id LIMIT $2`, nanos(now), limit)
}
