package sqlstore

import (
	"github.com/passkeydesk/passkeydesk/account"
)

const serviceKeyCols = `id, hash, name, scope, hint, created_at, last_used_at, revoked_at`

var (
	qInsertServiceKey = q(`INSERT INTO service_keys (` + serviceKeyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateServiceKey = q(`UPDATE service_keys SET last_used_at = ?, revoked_at = ? WHERE id = ?`)
	qServiceKeyByHash = q(`SELECT ` + serviceKeyCols + ` FROM service_keys WHERE hash = ?`)
	qServiceKeys      = q(`SELECT ` + serviceKeyCols + ` FROM service_keys ORDER BY created_at, id`)
)

// InsertServiceKey implements account.Tx.
func (t *txn) InsertServiceKey(k *account.ServiceKeyRecord) error {
	return t.exec(qInsertServiceKey, k.ID, k.Hash, k.Name, string(k.Scope), k.Hint, nanos(k.CreatedAt), nanos(k.LastUsedAt), nanos(k.RevokedAt))
}

// UpdateServiceKey implements account.Tx.
func (t *txn) UpdateServiceKey(k *account.ServiceKeyRecord) error {
	return t.exec(qUpdateServiceKey, nanos(k.LastUsedAt), nanos(k.RevokedAt), k.ID)
}

func scanServiceKey(row scanner) (*account.ServiceKeyRecord, error) {
	var k account.ServiceKeyRecord
	var scope string
	var created, used, revoked int64
	if err := row.Scan(&k.ID, &k.Hash, &k.Name, &scope, &k.Hint, &created, &used, &revoked); err != nil {
		return nil, notFound(err)
	}
	k.Scope = account.ServiceKeyScope(scope)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromNanos(created), fromNanos(used), fromNanos(revoked)
	return &k, nil
}

// ServiceKeyByHash implements account.Tx.
func (t *txn) ServiceKeyByHash(hash []byte) (*account.ServiceKeyRecord, error) {
	return scanServiceKey(t.queryRow(qServiceKeyByHash, hash))
}

// ServiceKeys implements account.Tx.
func (t *txn) ServiceKeys() ([]account.ServiceKeyRecord, error) {
	rows, err := t.query(qServiceKeys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.ServiceKeyRecord
	for rows.Next() {
		k, err := scanServiceKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}
