package pgstore

import (
	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

const approvalLinkCols = `id, token_hash, approval_id, account_id, session_hash, device_hash, failures, used_at, created_at, expires_at`

func (t *txn) InsertApprovalLink(l *account.ApprovalLinkRecord) error {
	return t.exec(`INSERT INTO approval_links (`+approvalLinkCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		l.ID, l.TokenHash, l.ApprovalID, l.AccountID, l.SessionHash, l.DeviceHash, l.Failures, nanos(l.UsedAt), nanos(l.CreatedAt), nanos(l.ExpiresAt))
}

func (t *txn) UpdateApprovalLink(l *account.ApprovalLinkRecord) error {
	return t.exec(`UPDATE approval_links SET device_hash = $1, failures = $2, used_at = $3 WHERE id = $4`, l.DeviceHash, l.Failures, nanos(l.UsedAt), l.ID)
}

func (t *txn) ApprovalLinkByTokenHash(hash []byte) (*account.ApprovalLinkRecord, error) {
	return scanApprovalLink(t.row(`SELECT `+approvalLinkCols+` FROM approval_links WHERE token_hash = $1`, hash))
}

func (t *txn) ApprovalLinkByID(id string) (*account.ApprovalLinkRecord, error) {
	return scanApprovalLink(t.row(`SELECT `+approvalLinkCols+` FROM approval_links WHERE id = $1`, id))
}

func scanApprovalLink(row pgx.Row) (*account.ApprovalLinkRecord, error) {
	var l account.ApprovalLinkRecord
	var used, created, expires int64
	err := row.Scan(&l.ID, &l.TokenHash,
		&l.ApprovalID, &l.AccountID, &l.SessionHash, &l.DeviceHash, &l.Failures, &used, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	l.UsedAt, l.CreatedAt, l.ExpiresAt = fromNanos(used), fromNanos(created), fromNanos(expires)
	return &l, nil
}
