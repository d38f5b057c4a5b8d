package pgstore

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

// ReplaceRecoveryCodes implements account.Tx.
func (t *txn) ReplaceRecoveryCodes(accountID string, hashes [][]byte, createdAt time.Time) error {
	if err := t.exec(`DELETE FROM recovery_codes WHERE account_id = $1`, accountID); err != nil {
		return err
	}
	if len(hashes) == 0 {
		return nil
	}
	return t.exec(`INSERT INTO recovery_codes (account_id, hash, created_at, used_at)
		SELECT $1, h, $3, 0 FROM unnest($2::bytea[]) AS h`, accountID, hashes, nanos(createdAt))
}

func scanRecoveryCode(row pgx.Row) (*account.RecoveryCodeRecord, error) {
	var c account.RecoveryCodeRecord
	var created, used int64
	if err := row.Scan(&c.Hash, &created, &used); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UsedAt = fromNanos(created), fromNanos(used)
	return &c, nil
}

// RecoveryCodes implements account.Tx.
func (t *txn) RecoveryCodes(accountID string) ([]account.RecoveryCodeRecord, error) {
	return collect(t, scanRecoveryCode, `SELECT hash, created_at, used_at FROM recovery_codes WHERE account_id = $1`, accountID)
}

// UseRecoveryCode implements account.Tx.
func (t *txn) UseRecoveryCode(accountID string, hash []byte, at time.Time) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 AND hash = $3 AND used_at = 0`,
		nanos(at), accountID, hash)
	t.note(err)
	if err == nil && tag.RowsAffected() == 0 {
		err = account.ErrNotFound
	}
	return err
}

// DeleteOtherSessions implements account.Tx.
func (t *txn) DeleteOtherSessions(accountID string, keep []byte) (int, error) {
	if keep == nil {
		keep = []byte{}
	}
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM sessions WHERE account_id = $1 AND hash <> $2`, accountID, keep)
	if t.note(err) != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
