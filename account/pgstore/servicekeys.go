package pgstore

import (
	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

const serviceKeyCols = `id, hash, name, scope, hint, created_at, last_used_at, revoked_at`

// InsertServiceKey implements account.Tx.
func (t *txn) InsertServiceKey(k *account.ServiceKeyRecord) error {
	return t.exec(`INSERT INTO service_keys (`+serviceKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Hash, k.Name, string(k.Scope), k.Hint, nanos(k.CreatedAt), nanos(k.LastUsedAt), nanos(k.RevokedAt))
}

// UpdateServiceKey implements account.Tx.
func (t *txn) UpdateServiceKey(k *account.ServiceKeyRecord) error {
	return t.exec(`UPDATE service_keys SET last_used_at = $1, revoked_at = $2 WHERE id = $3`, nanos(k.LastUsedAt), nanos(k.RevokedAt), k.ID)
}

func scanServiceKey(row pgx.Row) (*account.ServiceKeyRecord, error) {
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
	return scanServiceKey(t.row(`SELECT `+serviceKeyCols+` FROM service_keys WHERE hash = $1`, hash))
}

// ServiceKeys implements account.Tx.
func (t *txn) ServiceKeys() ([]account.ServiceKeyRecord, error) {
	return collect(t, scanServiceKey, `SELECT `+serviceKeyCols+` FROM service_keys ORDER BY created_at, id`)
}
