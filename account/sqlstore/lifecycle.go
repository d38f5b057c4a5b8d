package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

var (
	qDeleteRecoveryCodes = q(`DELETE FROM recovery_codes WHERE account_id = ?`)
	qInsertRecoveryCode  = q(`INSERT INTO recovery_codes (account_id, hash, created_at, used_at) VALUES (?, ?, ?, 0)`)
	qRecoveryCodes       = q(`SELECT hash, created_at, used_at FROM recovery_codes WHERE account_id = ?`)
	qUseRecoveryCode     = q(`UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND hash = ? AND used_at = 0`)
)

// ReplaceRecoveryCodes implements account.Tx.
func (t *txn) ReplaceRecoveryCodes(accountID string, hashes [][]byte, createdAt time.Time) error {
	if err := t.exec(qDeleteRecoveryCodes, accountID); err != nil {
		return err
	}
	for _, h := range hashes {
		if err := t.exec(qInsertRecoveryCode, accountID, h, nanos(createdAt)); err != nil {
			return err
		}
	}
	return nil
}

// RecoveryCodes implements account.Tx.
func (t *txn) RecoveryCodes(accountID string) ([]account.RecoveryCodeRecord, error) {
	rows, err := t.query(qRecoveryCodes, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.RecoveryCodeRecord
	for rows.Next() {
		var c account.RecoveryCodeRecord
		var created, used int64
		if err := rows.Scan(&c.Hash, &created, &used); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UsedAt = fromNanos(created), fromNanos(used)
		out = append(out, c)
	}
	return out, rows.Err()
}

// UseRecoveryCode implements account.Tx.
func (t *txn) UseRecoveryCode(accountID string, hash []byte, at time.Time) error {
	res, err := t.execResult(qUseRecoveryCode, nanos(at), accountID, hash)
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

var qDeleteOtherSessions = q(`DELETE FROM sessions WHERE account_id = ? AND hash != ?`)

// DeleteOtherSessions implements account.Tx.
func (t *txn) DeleteOtherSessions(accountID string, keep []byte) (int, error) {
	if keep == nil {
		keep = []byte{}
	}
	res, err := t.execResult(qDeleteOtherSessions, accountID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
