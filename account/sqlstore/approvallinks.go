package sqlstore

import "github.com/passkeydesk/passkeydesk/account"

const approvalLinkCols = `id, token_hash, approval_id, account_id, session_hash, device_hash, failures, used_at, created_at, expires_at`

var (
	qInsertApprovalLink      = q(`INSERT INTO approval_links (` + approvalLinkCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateApprovalLink      = q(`UPDATE approval_links SET device_hash = ?, failures = ?, used_at = ? WHERE id = ?`)
	qApprovalLinkByTokenHash = q(`SELECT ` + approvalLinkCols + ` FROM approval_links WHERE token_hash = ?`)
	qApprovalLinkByID        = q(`SELECT ` + approvalLinkCols + ` FROM approval_links WHERE id = ?`)
	qDeleteOldApprovalLinks  = q(`DELETE FROM approval_links WHERE expires_at <= ?`)
)

func (t *txn) InsertApprovalLink(l *account.ApprovalLinkRecord) error {
	return t.exec(qInsertApprovalLink, l.ID, l.TokenHash, l.ApprovalID, l.AccountID, l.SessionHash, l.DeviceHash,
		l.Failures, nanos(l.UsedAt), nanos(l.CreatedAt), nanos(l.ExpiresAt))
}

func (t *txn) UpdateApprovalLink(l *account.ApprovalLinkRecord) error {
	return t.exec(qUpdateApprovalLink, l.DeviceHash, l.Failures, nanos(l.UsedAt), l.ID)
}

func (t *txn) ApprovalLinkByTokenHash(hash []byte) (*account.ApprovalLinkRecord, error) {
	return scanApprovalLink(t.queryRow(qApprovalLinkByTokenHash, hash))
}

func (t *txn) ApprovalLinkByID(id string) (*account.ApprovalLinkRecord, error) {
	return scanApprovalLink(t.queryRow(qApprovalLinkByID, id))
}

func scanApprovalLink(row scanner) (*account.ApprovalLinkRecord, error) {
	var l account.ApprovalLinkRecord
	var used, created, expires int64
	err := row.Scan(&l.ID, &l.TokenHash, &l.ApprovalID, &l.AccountID, &l.SessionHash,
		&l.DeviceHash, &l.Failures, &used, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	l.UsedAt, l.CreatedAt, l.ExpiresAt = fromNanos(used), fromNanos(created), fromNanos(expires)
	return &l, nil
}
