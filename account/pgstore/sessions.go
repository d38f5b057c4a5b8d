package pgstore

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

// sessionMoreCols are the sessions' columns added in migration 0010, in
// SessionRecord's order.
const sessionMoreCols = `client, address, last_seen_at, passkey_id`

func scanSession(row pgx.Row) (*account.SessionRecord, error) {
	var s account.SessionRecord
	var created, expires, seen int64
	if err := row.Scan(&s.Hash, &s.AccountID, &created, &expires, &s.Restricted, (*string)(&s.Client), &s.Address, &seen, &s.PasskeyID); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromNanos(created), fromNanos(expires), fromNanos(seen)
	return &s, nil
}

// Sessions implements account.Tx.
func (t *txn) Sessions(accountID string) ([]account.SessionRecord, error) {
	return collect(t, scanSession, `SELECT hash, account_id, created_at, expires_at, restricted, `+sessionMoreCols+`
		FROM sessions WHERE account_id = $1 ORDER BY created_at, hash`, accountID)
}

// TouchSession implements account.Tx.
func (t *txn) TouchSession(hash []byte, lastSeenAt, expiresAt time.Time) error {
	return t.exec(`UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE hash = $3`, nanos(lastSeenAt), nanos(expiresAt), hash)
}

// DeleteSessionsSignedInWith implements account.Tx.
func (t *txn) DeleteSessionsSignedInWith(accountID, passkeyID string, keep []byte) (int, error) {
	if keep == nil {
		keep = []byte{}
	}
	tag, err := t.execTag(`DELETE FROM sessions WHERE account_id = $1 AND passkey_id = $2 AND hash <> $3`, accountID, passkeyID, keep)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// PutPendingTOTP implements account.Tx.
func (t *txn) PutPendingTOTP(p *account.PendingTOTPRecord) error {
	return t.exec(`INSERT INTO pending_totp (account_id, secret, grant_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, grant_hash = excluded.grant_hash,
		created_at = excluded.created_at, expires_at = excluded.expires_at`,
		p.AccountID, p.Secret, p.GrantHash, nanos(p.CreatedAt), nanos(p.ExpiresAt))
}

// PendingTOTP implements account.Tx.
func (t *txn) PendingTOTP(accountID string) (*account.PendingTOTPRecord, error) {
	p := account.PendingTOTPRecord{AccountID: accountID}
	var created, expires int64
	if err := t.row(`SELECT secret, grant_hash, created_at, expires_at FROM pending_totp WHERE account_id = $1`, accountID).
		Scan(&p.Secret, &p.GrantHash, &created, &expires); err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt, p.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &p, nil
}

// DeletePendingTOTP implements account.Tx.
func (t *txn) DeletePendingTOTP(accountID string) error {
	return t.exec(`DELETE FROM pending_totp WHERE account_id = $1`, accountID)
}
