package sqlstore

import (
	"github.com/passkeydesk/passkeydesk/account"
)

const signInCols = `id, token_hash, secret_hash, code_hash, computer, address, state, reason, failures, challenge,
	account_id, passkey_id, restricted, created_at, expires_at`

var (
	qInsertPhoneSignIn = q(`INSERT INTO phone_signins (` + signInCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdatePhoneSignIn = q(`UPDATE phone_signins SET state = ?, reason = ?, failures = ?, challenge = ?, account_id = ?,
		passkey_id = ?, restricted = ? WHERE id = ?`)
	qPhoneSignInByID        = q(`SELECT ` + signInCols + ` FROM phone_signins WHERE id = ?`)
	qPhoneSignInByTokenHash = q(`SELECT ` + signInCols + ` FROM phone_signins WHERE token_hash = ?`)
	qDeleteOldPhoneSignIns  = q(`DELETE FROM phone_signins WHERE expires_at <= ?`)
)

// InsertPhoneSignIn implements account.Tx.
func (t *txn) InsertPhoneSignIn(r *account.PhoneSignInRecord) error {
	return t.exec(qInsertPhoneSignIn, r.ID, r.TokenHash, r.SecretHash, blob(r.CodeHash), r.Computer, r.Address, string(r.State),
		r.Reason, r.Failures, r.Challenge, r.AccountID, r.PasskeyID, r.Restricted, nanos(r.CreatedAt), nanos(r.ExpiresAt))
}

// UpdatePhoneSignIn implements account.Tx.
func (t *txn) UpdatePhoneSignIn(r *account.PhoneSignInRecord) error {
	return t.exec(qUpdatePhoneSignIn, string(r.State), r.Reason, r.Failures, r.Challenge, r.AccountID, r.PasskeyID, r.Restricted, r.ID)
}

// PhoneSignInByID implements account.Tx.
func (t *txn) PhoneSignInByID(id string) (*account.PhoneSignInRecord, error) {
	return scanPhoneSignIn(t.queryRow(qPhoneSignInByID, id))
}

// PhoneSignInByTokenHash implements account.Tx.
func (t *txn) PhoneSignInByTokenHash(hash []byte) (*account.PhoneSignInRecord, error) {
	return scanPhoneSignIn(t.queryRow(qPhoneSignInByTokenHash, hash))
}

func scanPhoneSignIn(row scanner) (*account.PhoneSignInRecord, error) {
	var r account.PhoneSignInRecord
	var state string
	var created, expires int64
	err := row.Scan(&r.ID, &r.TokenHash, &r.SecretHash, &r.CodeHash, &r.Computer, &r.Address, &state, &r.Reason, &r.Failures,
		&r.Challenge, &r.AccountID, &r.PasskeyID, &r.Restricted, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	r.State, r.CreatedAt, r.ExpiresAt = account.PhoneSignInState(state), fromNanos(created), fromNanos(expires)
	return &r, nil
}
