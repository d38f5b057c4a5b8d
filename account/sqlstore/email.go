package sqlstore

import (
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

var (
	qEmailState = q(`SELECT verified, pending, code_hash, code_expires_at, failures, sends, sends_since
		FROM email_states WHERE account_id = ?`)
	qPutEmailState = q(`INSERT INTO email_states (account_id, verified, pending, code_hash, code_expires_at, failures, sends, sends_since)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET verified = excluded.verified, pending = excluded.pending,
		code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at, failures = excluded.failures,
		sends = excluded.sends, sends_since = excluded.sends_since`)
	qSeeDevice = q(`INSERT INTO known_devices (account_id, device_hash, first_seen_at) VALUES (?, ?, ?)
		ON CONFLICT (account_id, device_hash) DO NOTHING`)
)

// EmailState implements account.Tx.
func (t *txn) EmailState(accountID string) (account.EmailState, error) {
	var st account.EmailState
	var expires, since int64
	err := t.queryRow(qEmailState, accountID).Scan(&st.Verified, &st.Pending, &st.CodeHash, &expires, &st.Failures, &st.Sends, &since)
	if err != nil {
		if err = notFound(err); err == account.ErrNotFound {
			return account.EmailState{}, nil
		}
		return st, err
	}
	st.CodeExpiresAt, st.SendsSince = fromNanos(expires), fromNanos(since)
	return st, nil
}

// PutEmailState implements account.Tx.
func (t *txn) PutEmailState(accountID string, st account.EmailState) error {
	return t.exec(qPutEmailState, accountID, st.Verified, st.Pending, st.CodeHash, nanos(st.CodeExpiresAt),
		st.Failures, st.Sends, nanos(st.SendsSince))
}

// SeeDevice implements account.Tx.
func (t *txn) SeeDevice(accountID string, deviceHash []byte, at time.Time) (bool, error) {
	res, err := t.execResult(qSeeDevice, accountID, deviceHash, nanos(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
