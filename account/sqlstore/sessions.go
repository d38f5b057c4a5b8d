package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// sessionMoreCols are the sessions' columns added in version 21, in
// SessionRecord's order.
const sessionMoreCols = `client, address, last_seen_at, passkey_id`

var (
	qSessionsOf = q(`SELECT hash, created_at, expires_at, restricted, ` + sessionMoreCols + `
		FROM sessions WHERE account_id = ? ORDER BY created_at, hash`)
	qTouchSession         = q(`UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE hash = ?`)
	qDeleteSessionsSigned = q(`DELETE FROM sessions WHERE account_id = ? AND passkey_id = ? AND hash != ?`)
	qPutPendingTOTP       = q(`INSERT INTO pending_totp (account_id, secret, grant_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, grant_hash = excluded.grant_hash,
		created_at = excluded.created_at, expires_at = excluded.expires_at`)
	qPendingTOTP       = q(`SELECT secret, grant_hash, created_at, expires_at FROM pending_totp WHERE account_id = ?`)
	qDeletePendingTOTP = q(`DELETE FROM pending_totp WHERE account_id = ?`)
)

// Sessions implements account.Tx.
func (t *txn) Sessions(accountID string) ([]account.SessionRecord, error) {
	rows, err := t.query(qSessionsOf, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.SessionRecord
	for rows.Next() {
		s := account.SessionRecord{AccountID: accountID}
		var created, expires, seen int64
		if err := rows.Scan(&s.Hash, &created, &expires, &s.Restricted, (*string)(&s.Client), &s.Address, &seen, &s.PasskeyID); err != nil {
			return nil, err
		}
		s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromNanos(created), fromNanos(expires), fromNanos(seen)
		out = append(out, s)
	}
	return out, rows.Err()
}

// TouchSession implements account.Tx.
func (t *txn) TouchSession(hash []byte, lastSeenAt, expiresAt time.Time) error {
	return t.exec(qTouchSession, nanos(lastSeenAt), nanos(expiresAt), hash)
}

// DeleteSessionsSignedInWith implements account.Tx.
func (t *txn) DeleteSessionsSignedInWith(accountID, passkeyID string, keep []byte) (int, error) {
	if keep == nil {
		keep = []byte{}
	}
	res, err := t.execResult(qDeleteSessionsSigned, accountID, passkeyID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PutPendingTOTP implements account.Tx.
func (t *txn) PutPendingTOTP(p *account.PendingTOTPRecord) error {
	return t.exec(qPutPendingTOTP, p.AccountID, p.Secret, p.GrantHash, nanos(p.CreatedAt), nanos(p.ExpiresAt))
}

// PendingTOTP implements account.Tx.
func (t *txn) PendingTOTP(accountID string) (*account.PendingTOTPRecord, error) {
	p := account.PendingTOTPRecord{AccountID: accountID}
	var created, expires int64
	if err := t.queryRow(qPendingTOTP, accountID).Scan(&p.Secret, &p.GrantHash, &created, &expires); err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt, p.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &p, nil
}

// DeletePendingTOTP implements account.Tx.
func (t *txn) DeletePendingTOTP(accountID string) error {
	return t.exec(qDeletePendingTOTP, accountID)
}
