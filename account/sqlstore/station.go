package sqlstore

import (
	"github.com/passkeydesk/passkeydesk/account"
)

// The enrollment station's rows (migrations 24 and 25).

const (
	stationCeremonyCols = `challenge, operator_id, account_id, station, batch_id, entry_id, session, created_at, expires_at,
	credential_id, passkey_id, finished_at`
	batchEntryCols = `id, batch_id, position, email, display_name, account_id, state, reason, key_label, aaguid,
	credential_short_id, passkey_id, station, at, claimed_by, claimed_until`
)

var (
	qInsertInvitation = q(`INSERT INTO invitations (account_id, operator_id, station, created_at, signed_in_at, done_at) VALUES (?, ?, ?, ?, ?, ?)`)
	qUpdateInvitation = q(`UPDATE invitations SET signed_in_at = ?, done_at = ? WHERE account_id = ?`)
	qInvitation       = q(`SELECT operator_id, station, created_at, signed_in_at, done_at FROM invitations WHERE account_id = ?`)
	qInsertStationCer = q(`INSERT INTO station_ceremonies (` + stationCeremonyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateStationCer = q(`UPDATE station_ceremonies SET credential_id = ?, passkey_id = ?, finished_at = ? WHERE challenge = ?`)
	qStationCeremony  = q(`SELECT ` + stationCeremonyCols + ` FROM station_ceremonies WHERE challenge = ?`)
	qInsertBatch      = q(`INSERT INTO batches (id, operator_id, name, created_at) VALUES (?, ?, ?, ?)`)
	qBatchByID        = q(`SELECT id, operator_id, name, created_at FROM batches WHERE id = ?`)
	qBatches          = q(`SELECT id, operator_id, name, created_at FROM batches WHERE operator_id = ? ORDER BY created_at DESC, id`)
	qInsertBatchEntry = q(`INSERT INTO batch_entries (` + batchEntryCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateBatchEntry = q(`UPDATE batch_entries SET account_id = ?, state = ?, reason = ?, key_label = ?, aaguid = ?, credential_short_id = ?,
		passkey_id = ?, station = ?, at = ?, claimed_by = ?, claimed_until = ? WHERE id = ?`)
	qBatchEntries = q(`SELECT ` + batchEntryCols + ` FROM batch_entries WHERE batch_id = ? ORDER BY position`)

	qDeleteOldStationCeremonies = q(`DELETE FROM station_ceremonies WHERE expires_at <= ?`)
)

// provenanceCols are the columns of a passkey's provenance.
func provenanceCols(p *account.Passkey) (opID, opEmail, station string) {
	if p.EnrolledBy == nil {
		return "", "", ""
	}
	return p.EnrolledBy.OperatorID, p.EnrolledBy.Operator, p.EnrolledBy.Station
}

// InsertInvitation implements account.Tx.
func (t *txn) InsertInvitation(r *account.InvitationRecord) error {
	return t.exec(qInsertInvitation, r.AccountID, r.OperatorID, r.Station, nanos(r.CreatedAt), nanos(r.SignedInAt), nanos(r.DoneAt))
}

// UpdateInvitation implements account.Tx.
func (t *txn) UpdateInvitation(r *account.InvitationRecord) error {
	return t.exec(qUpdateInvitation, nanos(r.SignedInAt), nanos(r.DoneAt), r.AccountID)
}

// Invitation implements account.Tx.
func (t *txn) Invitation(accountID string) (*account.InvitationRecord, error) {
	r := account.InvitationRecord{AccountID: accountID}
	var created, signedIn, done int64
	if err := t.queryRow(qInvitation, accountID).Scan(&r.OperatorID, &r.Station, &created, &signedIn, &done); err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.SignedInAt, r.DoneAt = fromNanos(created), fromNanos(signedIn), fromNanos(done)
	return &r, nil
}

// InsertStationCeremony implements account.Tx.
func (t *txn) InsertStationCeremony(c *account.StationCeremonyRecord) error {
	return t.exec(qInsertStationCer, c.Challenge, c.OperatorID, c.AccountID, c.Station, c.BatchID, c.EntryID, c.Session,
		nanos(c.CreatedAt), nanos(c.ExpiresAt), c.CredentialID, c.PasskeyID, nanos(c.FinishedAt))
}

// UpdateStationCeremony implements account.Tx.
func (t *txn) UpdateStationCeremony(c *account.StationCeremonyRecord) error {
	return t.exec(qUpdateStationCer, c.CredentialID, c.PasskeyID, nanos(c.FinishedAt), c.Challenge)
}

// StationCeremony implements account.Tx.
func (t *txn) StationCeremony(challenge string) (*account.StationCeremonyRecord, error) {
	var c account.StationCeremonyRecord
	var created, expires, finished int64
	err := t.queryRow(qStationCeremony, challenge).Scan(&c.Challenge, &c.OperatorID, &c.AccountID, &c.Station, &c.BatchID, &c.EntryID,
		&c.Session, &created, &expires, &c.CredentialID, &c.PasskeyID, &finished)
	if err != nil {
		return nil, notFound(err)
	}
	c.CreatedAt, c.ExpiresAt, c.FinishedAt = fromNanos(created), fromNanos(expires), fromNanos(finished)
	return &c, nil
}

// InsertBatch implements account.Tx.
func (t *txn) InsertBatch(b *account.BatchRecord) error {
	return t.exec(qInsertBatch, b.ID, b.OperatorID, b.Name, nanos(b.CreatedAt))
}

func scanBatch(row scanner) (*account.BatchRecord, error) {
	var b account.BatchRecord
	var created int64
	if err := row.Scan(&b.ID, &b.OperatorID, &b.Name, &created); err != nil {
		return nil, err
	}
	b.CreatedAt = fromNanos(created)
	return &b, nil
}

// BatchByID implements account.Tx.
func (t *txn) BatchByID(id string) (*account.BatchRecord, error) {
	b, err := scanBatch(t.queryRow(qBatchByID, id))
	return b, notFound(err)
}

// Batches implements account.Tx.
func (t *txn) Batches(operatorID string) ([]account.BatchRecord, error) {
	rows, err := t.query(qBatches, operatorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.BatchRecord
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// InsertBatchEntry implements account.Tx.
func (t *txn) InsertBatchEntry(e *account.BatchEntry) error {
	return t.exec(qInsertBatchEntry, e.ID, e.BatchID, e.Position, e.Email, e.DisplayName, e.AccountID, string(e.State), e.Reason,
		e.KeyLabel, e.AAGUID, e.CredentialShortID, e.PasskeyID, e.Station, nanos(e.At), e.ClaimedBy, nanos(e.ClaimedUntil))
}

// UpdateBatchEntry implements account.Tx.
func (t *txn) UpdateBatchEntry(e *account.BatchEntry) error {
	return t.exec(qUpdateBatchEntry, e.AccountID, string(e.State), e.Reason, e.KeyLabel, e.AAGUID, e.CredentialShortID,
		e.PasskeyID, e.Station, nanos(e.At), e.ClaimedBy, nanos(e.ClaimedUntil), e.ID)
}

// BatchEntries implements account.Tx.
func (t *txn) BatchEntries(batchID string) ([]account.BatchEntry, error) {
	rows, err := t.query(qBatchEntries, batchID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []account.BatchEntry{}
	for rows.Next() {
		var e account.BatchEntry
		var state string
		var at, until int64
		if err := rows.Scan(&e.ID, &e.BatchID, &e.Position, &e.Email, &e.DisplayName, &e.AccountID, &state, &e.Reason, &e.KeyLabel,
			&e.AAGUID, &e.CredentialShortID, &e.PasskeyID, &e.Station, &at, &e.ClaimedBy, &until); err != nil {
			return nil, err
		}
		e.State, e.At, e.ClaimedUntil = account.BatchEntryState(state), fromNanos(at), fromNanos(until)
		out = append(out, e)
	}
	return out, rows.Err()
}
