package sqlstore

import (
	"github.com/passkeydesk/passkeydesk/account"
)

const apiKeyCols = `id, hash, account_id, name, hint, created_at, last_used_at, revoked_at`

const approvalCols = `id, account_id, api_key_id, kind, asset, amount, network, destination, counterparty, fee, reference,
	nonce, state, created_at, expires_at, decided_at, passkey_id, credential_id, public_key, authenticator_data,
	client_data_json, signature, reason`

var (
	qInsertAPIKey   = q(`INSERT INTO api_keys (` + apiKeyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateAPIKey   = q(`UPDATE api_keys SET last_used_at = ?, revoked_at = ? WHERE id = ?`)
	qAPIKeyByHash   = q(`SELECT ` + apiKeyCols + ` FROM api_keys WHERE hash = ?`)
	qAPIKeys        = q(`SELECT ` + apiKeyCols + ` FROM api_keys WHERE account_id = ? ORDER BY created_at, id`)
	qInsertApproval = q(`INSERT INTO approvals (` + approvalCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateApproval = q(`UPDATE approvals SET state = ?, decided_at = ?, passkey_id = ?, credential_id = ?, public_key = ?,
		authenticator_data = ?, client_data_json = ?, signature = ?, reason = ? WHERE id = ?`)
	qApprovalByID = q(`SELECT ` + approvalCols + ` FROM approvals WHERE id = ?`)
	qApprovals    = q(`SELECT ` + approvalCols + ` FROM approvals WHERE account_id = ? AND state = ? ORDER BY created_at, id`)
	qSelectPolicy = q(`SELECT passkey_required, hold_until, hold_cause FROM account_policies WHERE account_id = ?`)
	qPutPolicy    = q(`INSERT INTO account_policies (account_id, passkey_required, hold_until, hold_cause) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET passkey_required = excluded.passkey_required, hold_until = excluded.hold_until,
		hold_cause = excluded.hold_cause`)
	qDeletePasskey = q(`DELETE FROM passkeys WHERE credential_id = ? AND account_id = ?`)
)

// --- API keys ----------------------------------------------------------------------

func (t *txn) InsertAPIKey(k *account.APIKeyRecord) error {
	return t.exec(qInsertAPIKey, k.ID, k.Hash, k.AccountID, k.Name, k.Hint, nanos(k.CreatedAt), nanos(k.LastUsedAt), nanos(k.RevokedAt))
}

func (t *txn) UpdateAPIKey(k *account.APIKeyRecord) error {
	return t.exec(qUpdateAPIKey, nanos(k.LastUsedAt), nanos(k.RevokedAt), k.ID)
}

func scanAPIKey(row scanner) (*account.APIKeyRecord, error) {
	var k account.APIKeyRecord
	var created, used, revoked int64
	if err := row.Scan(&k.ID, &k.Hash, &k.AccountID, &k.Name, &k.Hint, &created, &used, &revoked); err != nil {
		return nil, notFound(err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromNanos(created), fromNanos(used), fromNanos(revoked)
	return &k, nil
}

func (t *txn) APIKeyByHash(hash []byte) (*account.APIKeyRecord, error) {
	return scanAPIKey(t.queryRow(qAPIKeyByHash, hash))
}

func (t *txn) APIKeys(accountID string) ([]account.APIKeyRecord, error) {
	rows, err := t.query(qAPIKeys, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.APIKeyRecord
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// --- approvals ---------------------------------------------------------------------

func (t *txn) InsertApproval(a *account.ApprovalRecord) error {
	op := &a.Operation
	var as account.Assertion
	if a.Assertion != nil {
		as = *a.Assertion
	}
	return t.exec(qInsertApproval, a.ID, a.AccountID, a.APIKeyID, string(op.Kind), op.Asset, op.Amount, op.Network,
		op.Destination, op.Counterparty, op.Fee, op.Reference, a.Nonce, string(a.State), nanos(a.CreatedAt),
		nanos(a.ExpiresAt), nanos(a.DecidedAt), a.PasskeyID, as.CredentialID, as.PublicKey, as.AuthenticatorData,
		as.ClientDataJSON, as.Signature, a.Reason)
}

func (t *txn) UpdateApproval(a *account.ApprovalRecord) error {
	var as account.Assertion
	if a.Assertion != nil {
		as = *a.Assertion
	}
	return t.exec(qUpdateApproval, string(a.State), nanos(a.DecidedAt), a.PasskeyID, as.CredentialID, as.PublicKey,
		as.AuthenticatorData, as.ClientDataJSON, as.Signature, a.Reason, a.ID)
}

func scanApproval(row scanner) (*account.ApprovalRecord, error) {
	var a account.ApprovalRecord
	var as account.Assertion
	var kind, state string
	var created, expires, decided int64
	op := &a.Operation
	err := row.Scan(&a.ID, &a.AccountID, &a.APIKeyID, &kind, &op.Asset, &op.Amount, &op.Network, &op.Destination,
		&op.Counterparty, &op.Fee, &op.Reference, &a.Nonce, &state, &created, &expires, &decided, &a.PasskeyID,
		&as.CredentialID, &as.PublicKey, &as.AuthenticatorData, &as.ClientDataJSON, &as.Signature, &a.Reason)
	if err != nil {
		return nil, notFound(err)
	}
	op.Kind, a.State = account.OperationKind(kind), account.ApprovalState(state)
	a.CreatedAt, a.ExpiresAt, a.DecidedAt = fromNanos(created), fromNanos(expires), fromNanos(decided)
	if len(as.Signature) > 0 {
		a.Assertion = &as
	}
	return &a, nil
}

func (t *txn) ApprovalByID(id string) (*account.ApprovalRecord, error) {
	return scanApproval(t.queryRow(qApprovalByID, id))
}

func (t *txn) Approvals(accountID string, state account.ApprovalState) ([]account.ApprovalRecord, error) {
	rows, err := t.query(qApprovals, accountID, string(state))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.ApprovalRecord
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// --- policy and passkey removal ----------------------------------------------------

func (t *txn) Policy(accountID string) (account.Policy, error) {
	var p account.Policy
	var hold int64
	var cause string
	err := t.queryRow(qSelectPolicy, accountID).Scan(&p.PasskeyRequired, &hold, &cause)
	if err != nil {
		if err = notFound(err); err == account.ErrNotFound {
			return account.Policy{}, nil
		}
		return p, err
	}
	p.HoldUntil, p.HoldCause = fromNanos(hold), account.HoldCause(cause)
	return p, nil
}

func (t *txn) PutPolicy(accountID string, p account.Policy) error {
	return t.exec(qPutPolicy, accountID, p.PasskeyRequired, nanos(p.HoldUntil), string(p.HoldCause))
}

func (t *txn) DeletePasskey(accountID string, credentialID []byte) error {
	res, err := t.execResult(qDeletePasskey, credentialID, accountID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = account.ErrNotFound
		}
		return err
	}
	return nil
}
