package pgstore

import (
	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

// The enrollment station's rows (migrations 13 and 14).

const (
	stationCeremonyCols = `challenge, operator_id, account_id, station, batch_id, entry_id, session, created_at, expires_at,
	credential_id, passkey_id, finished_at`
	batchEntryCols = `id, batch_id, position, email, display_name, account_id, state, reason, key_label, aaguid,
	credential_short_id, passkey_id, station, at, claimed_by, claimed_until`
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
	return t.exec(`INSERT INTO invitations (account_id, operator_id, station, created_at, signed_in_at, done_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.AccountID, r.OperatorID, r.Station, nanos(r.CreatedAt), nanos(r.SignedInAt), nanos(r.DoneAt))
}

// UpdateInvitation implements account.Tx.
func (t *txn) UpdateInvitation(r *account.InvitationRecord) error {
	return t.exec(`UPDATE invitations SET signed_in_at = $1, done_at = $2 WHERE account_id = $3`,
		nanos(r.SignedInAt), nanos(r.DoneAt), r.AccountID)
}

// Invitation implements account.Tx.
func (t *txn) Invitation(accountID string) (*account.InvitationRecord, error) {
	r := account.InvitationRecord{AccountID: accountID}
	var created, signedIn, done int64
	err := t.row(`SELECT operator_id, station, created_at, signed_in_at, done_at FROM invitations WHERE account_id = $1`, accountID).
		Scan(&r.OperatorID, &r.Station, &created, &signedIn, &done)
	if err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.SignedInAt, r.DoneAt = fromNanos(created), fromNanos(signedIn), fromNanos(done)
	return &r, nil
}

// InsertStationCeremony implements account.Tx.
func (t *txn) InsertStationCeremony(c *account.StationCeremonyRecord) error {
	return t.exec(`INSERT INTO station_ceremonies (`+stationCeremonyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.Challenge, c.OperatorID, c.AccountID, c.Station, c.BatchID, c.EntryID, c.Session,
		nanos(c.CreatedAt), nanos(c.ExpiresAt), c.CredentialID, c.PasskeyID, nanos(c.FinishedAt))
}

// UpdateStationCeremony implements account.Tx.
func (t *txn) UpdateStationCeremony(c *account.StationCeremonyRecord) error {
	return t.exec(`UPDATE station_ceremonies SET credential_id = $1, passkey_id = $2, finished_at = $3 WHERE challenge = $4`,
		c.CredentialID, c.PasskeyID, nanos(c.FinishedAt), c.Challenge)
}

// StationCeremony implements account.Tx.
func (t *txn) StationCeremony(challenge string) (*account.StationCeremonyRecord, error) {
	var c account.StationCeremonyRecord
	var created, expires, finished int64
	err := t.row(`SELECT `+stationCeremonyCols+` FROM station_ceremonies WHERE challenge = $1`, challenge).Scan(
		&c.Challenge, &c.OperatorID, &c.AccountID, &c.Station, &c.BatchID, &c.EntryID,
		&c.Session, &created, &expires, &c.CredentialID, &c.PasskeyID, &finished)
	if err != nil {
		return nil, notFound(err)
	}
	c.CreatedAt, c.ExpiresAt, c.FinishedAt = fromNanos(created), fromNanos(expires), fromNanos(finished)
	return &c, nil
}

// InsertBatch implements account.Tx.
func (t *txn) InsertBatch(b *account.BatchRecord) error {
	return t.exec(`INSERT INTO batches (id, operator_id, name, created_at) VALUES ($1, $2, $3, $4)`,
		b.ID, b.OperatorID, b.Name, nanos(b.CreatedAt))
}

func scanBatch(row pgx.Row) (*account.BatchRecord, error) {
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
	b, err := scanBatch(t.row(`SELECT id, operator_id, name, created_at FROM batches WHERE id = $1`, id))
	return b, notFound(err)
}

// Batches implements account.Tx.
func (t *txn) Batches(operatorID string) ([]account.BatchRecord, error) {
	return collect(t, scanBatch, `SELECT id, operator_id, name, created_at FROM batches WHERE operator_id = $1 ORDER BY created_at DESC, id`, operatorID)
}

// InsertBatchEntry implements account.Tx.
func (t *txn) InsertBatchEntry(e *account.BatchEntry) error {
	return t.exec(`INSERT INTO batch_entries (`+batchEntryCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		e.ID, e.BatchID, e.Position, e.Email, e.DisplayName, e.AccountID, string(e.State), e.Reason,
		e.KeyLabel, e.AAGUID, e.CredentialShortID, e.PasskeyID, e.Station, nanos(e.At), e.ClaimedBy, nanos(e.ClaimedUntil))
}

// UpdateBatchEntry implements account.Tx.
func (t *txn) UpdateBatchEntry(e *account.BatchEntry) error {
	return t.exec(`UPDATE batch_entries SET account_id = $1, state = $2, reason = $3, key_label = $4, aaguid = $5, credential_short_id = $6,
		passkey_id = $7, station = $8, at = $9, claimed_by = $10, claimed_until = $11 WHERE id = $12`,
		e.AccountID, string(e.State), e.Reason, e.KeyLabel, e.AAGUID, e.CredentialShortID,
		e.PasskeyID, e.Station, nanos(e.At), e.ClaimedBy, nanos(e.ClaimedUntil), e.ID)
}

// BatchEntries implements account.Tx.
func (t *txn) BatchEntries(batchID string) ([]account.BatchEntry, error) {
	out, err := collect(t, func(r pgx.Row) (*account.BatchEntry, error) {
		var e account.BatchEntry
		var state string
		var at, until int64
		if err := r.Scan(&e.ID, &e.BatchID, &e.Position, &e.Email, &e.DisplayName, &e.AccountID, &state, &e.Reason, &e.KeyLabel,
			&e.AAGUID, &e.CredentialShortID, &e.PasskeyID, &e.Station, &at, &e.ClaimedBy, &until); err != nil {
			return nil, err
		}
		e.State, e.At, e.ClaimedUntil = account.BatchEntryState(state), fromNanos(at), fromNanos(until)
		return &e, nil
	}, `SELECT `+batchEntryCols+` FROM batch_entries WHERE batch_id = $1 ORDER BY position`, batchID)
	if out == nil && err == nil {
		out = []account.BatchEntry{}
	}
	return out, err
}
