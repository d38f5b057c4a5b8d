package pgstore

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

func (t *txn) EmailState(accountID string) (account.EmailState, error) {
	var st account.EmailState
	var expires, since int64
	err := t.row(`SELECT verified, pending, code_hash, code_expires_at, failures, sends, sends_since
		FROM email_states WHERE account_id = $1`, accountID).
		Scan(&st.Verified, &st.Pending, &st.CodeHash, &expires, &st.Failures, &st.Sends, &since)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.EmailState{}, nil
	}
	st.CodeExpiresAt, st.SendsSince = fromNanos(expires), fromNanos(since)
	return st, err
}

func (t *txn) PutEmailState(accountID string, st account.EmailState) error {
	return t.exec(`INSERT INTO email_states (account_id, verified, pending, code_hash, code_expires_at, failures, sends, sends_since)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (account_id) DO UPDATE SET verified = excluded.verified, pending = excluded.pending,
		code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at, failures = excluded.failures,
		sends = excluded.sends, sends_since = excluded.sends_since`,
		accountID, st.Verified, st.Pending, st.CodeHash, nanos(st.CodeExpiresAt), st.Failures, st.Sends, nanos(st.SendsSince))
}

func (t *txn) SeeDevice(accountID string, deviceHash []byte, at time.Time) (bool, error) {
	tag, err := t.execTag(`INSERT INTO known_devices (account_id, device_hash, first_seen_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, device_hash) DO NOTHING`, accountID, deviceHash, nanos(at))
	return tag.RowsAffected() > 0, err
}
