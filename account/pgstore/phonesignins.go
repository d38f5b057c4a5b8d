package pgstore

import (
	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

const signInCols = `id, token_hash, secret_hash, code_hash, computer, address, state, reason, failures, challenge,
	account_id, passkey_id, restricted, created_at, expires_at`

// InsertPhoneSignIn implements account.Tx.
func (t *txn) InsertPhoneSignIn(r *account.PhoneSignInRecord) error {
	return t.exec(`INSERT INTO phone_signins (`+signInCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.TokenHash, r.SecretHash, r.CodeHash, r.Computer, r.Address, string(r.State), r.Reason, r.Failures, r.Challenge,
		r.AccountID, r.PasskeyID, r.Restricted, nanos(r.CreatedAt), nanos(r.ExpiresAt))
}

// UpdatePhoneSignIn implements account.Tx.
func (t *txn) UpdatePhoneSignIn(r *account.PhoneSignInRecord) error {
	return t.exec(`UPDATE phone_signins SET state = $1, reason = $2, failures = $3, challenge = $4, account_id = $5,
		passkey_id = $6, restricted = $7 WHERE id = $8`,
		string(r.State), r.Reason, r.Failures, r.Challenge, r.AccountID, r.PasskeyID, r.Restricted, r.ID)
}

// PhoneSignInByID implements account.Tx.
func (t *txn) PhoneSignInByID(id string) (*account.PhoneSignInRecord, error) {
	return scanPhoneSignIn(t.row(`SELECT `+signInCols+` FROM phone_signins WHERE id = $1`, id))
}

// PhoneSignInByTokenHash implements account.Tx.
func (t *txn) PhoneSignInByTokenHash(hash []byte) (*account.PhoneSignInRecord, error) {
	return scanPhoneSignIn(t.row(`SELECT `+signInCols+` FROM phone_signins WHERE token_hash = $1`, hash))
}

func scanPhoneSignIn(row pgx.Row) (*account.PhoneSignInRecord, error) {
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
