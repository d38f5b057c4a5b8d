package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passkeydesk/passkeydesk/account"
)

// txn is one transaction: account.Tx on a connection of the pool, every
// statement under the context of the Update or View it belongs to.
//
// Its statements are pipelined to save round trips, each of which costs
// the server and PostgreSQL a wake-up and a pair of system calls: a
// statement whose result nobody waits for (a plain INSERT, UPDATE or
// DELETE) waits in pending and goes with the next statement whose result
// is needed, BEGIN goes with the first statement, and COMMIT with the
// last writes. The order of the statements is kept. A write that fails
// is noted when it is sent (at the latest with COMMIT), and the
// transaction fails with it, as it would have had the write waited for
// its answer: PostgreSQL aborts the transaction at the first error.
type txn struct {
	ctx  context.Context
	conn *pgxpool.Conn
	// pending are the statements not sent yet; the first is BEGIN until
	// the transaction has begun.
	pending pgx.Batch
	begun   bool
	// failed is the first statement that failed (a missing row aside).
	// PostgreSQL aborts the transaction then, so it cannot commit even if
	// the caller went on: Store.run returns it, and a serialization
	// failure is retried even when the service took it for a refusal.
	failed error
}

var _ account.Tx = (*txn)(nil)

// note remembers the first failed statement and returns err. A second
// use of a challenge (UseChallenge) is account.ErrCeremonyExpired.
func (t *txn) note(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "used_challenges_pkey" {
		err = fmt.Errorf("%w (%v)", account.ErrCeremonyExpired, err)
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) && t.failed == nil {
		t.failed = err
	}
	return err
}

// send sends the pending statements in one round trip and reads their
// results, running the callbacks of those that have one.
func (t *txn) send() error {
	if t.pending.Len() == 0 {
		return nil
	}
	b := t.pending
	t.pending = pgx.Batch{}
	t.begun = true
	return t.note(t.conn.SendBatch(t.ctx, &b).Close())
}

// exec queues a statement whose result is not needed.
func (t *txn) exec(sql string, args ...any) error {
	if t.failed != nil {
		return t.failed
	}
	t.pending.Queue(sql, args...)
	return nil
}

// execTag runs a statement now and returns its command tag.
func (t *txn) execTag(sql string, args ...any) (pgconn.CommandTag, error) {
	if t.failed != nil {
		return pgconn.CommandTag{}, t.failed
	}
	var tag pgconn.CommandTag
	t.pending.Queue(sql, args...).Exec(func(ct pgconn.CommandTag) error {
		tag = ct
		return nil
	})
	return tag, t.send()
}

// row runs a query of one row when the row is scanned.
func (t *txn) row(sql string, args ...any) pgx.Row {
	return lazyRow{t, sql, args}
}

// lazyRow is a query sent, with the statements pending before it, when
// its row is scanned; its Scan error is noted.
type lazyRow struct {
	t    *txn
	sql  string
	args []any
}

func (r lazyRow) Scan(dest ...any) error {
	t := r.t
	if t.failed != nil {
		return t.failed
	}
	var scanErr error
	t.pending.Queue(r.sql, r.args...).QueryRow(func(row pgx.Row) error {
		// A missing row is an answer, not a failure of the batch.
		if scanErr = row.Scan(dest...); errors.Is(scanErr, pgx.ErrNoRows) {
			return nil
		}
		return scanErr
	})
	if err := t.send(); err != nil {
		return err
	}
	return scanErr
}

// insertUnique runs an INSERT under a savepoint, so that a unique
// violation leaves the transaction usable, and reports the violation.
func (t *txn) insertUnique(sql string, args ...any) (violated bool, err error) {
	if t.failed != nil {
		return false, t.failed
	}
	if err := t.send(); err != nil { // what is pending must not be taken for the violation
		return false, err
	}
	t.pending.Queue(`SAVEPOINT insert_unique`)
	t.pending.Queue(sql, args...)
	t.pending.Queue(`RELEASE SAVEPOINT insert_unique`)
	b := t.pending
	t.pending = pgx.Batch{}
	err = t.conn.SendBatch(t.ctx, &b).Close()
	if uniqueViolation(err) {
		// Only a statement that ends the failed part may be sent now; the
		// release goes with the next ones.
		_, err = t.conn.Exec(t.ctx, `ROLLBACK TO SAVEPOINT insert_unique`)
		t.pending.Queue(`RELEASE SAVEPOINT insert_unique`)
		return err == nil, t.note(err)
	}
	return false, t.note(err)
}

// collect reads every row of a query with scan.
func collect[T any](t *txn, scan func(pgx.Row) (*T, error), sql string, args ...any) ([]T, error) {
	if t.failed != nil {
		return nil, t.failed
	}
	var out []T
	queueRows(t, &out, scan, sql, args...)
	if err := t.send(); err != nil {
		return nil, err
	}
	return out, nil
}

// queueRows queues a query whose rows, scanned with scan, are appended to
// out when it is sent.
func queueRows[T any](t *txn, out *[]T, scan func(pgx.Row) (*T, error), sql string, args ...any) {
	t.pending.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			*out = append(*out, *v)
		}
		return rows.Err()
	})
}

// --- accounts ----------------------------------------------------------------

const accountCols = `id, email, display_name, role, password_hash, totp_secret, user_handle, active, created_at`

func (t *txn) InsertAccount(a *account.AccountRecord) error {
	taken, err := t.insertUnique(`INSERT INTO accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.Email, a.DisplayName, string(a.Role), a.PasswordHash, a.TOTPSecret, a.UserHandle, a.Active, nanos(a.CreatedAt))
	if taken {
		return account.ErrEmailTaken
	}
	return err
}

func (t *txn) UpdateAccount(a *account.AccountRecord) error {
	return t.exec(`UPDATE accounts SET email = $1, display_name = $2, role = $3, password_hash = $4, totp_secret = $5, active = $6 WHERE id = $7`,
		a.Email, a.DisplayName, string(a.Role), a.PasswordHash, a.TOTPSecret, a.Active, a.ID)
}

func (t *txn) DeleteAccount(id string) error {
	return t.exec(`DELETE FROM accounts WHERE id = $1`, id)
}

// scanAccount scans accountCols after the leading columns in lead.
func scanAccount(row pgx.Row, lead ...any) (*account.AccountRecord, error) {
	var a account.AccountRecord
	var role string
	var created int64
	err := row.Scan(append(lead, &a.ID, &a.Email, &a.DisplayName, &role, &a.PasswordHash, &a.TOTPSecret, &a.UserHandle, &a.Active, &created)...)
	if err != nil {
		return nil, notFound(err)
	}
	a.Role, a.CreatedAt = account.Role(role), fromNanos(created)
	return &a, nil
}

func (t *txn) AccountByID(id string) (*account.AccountRecord, error) {
	return scanAccount(t.row(`SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
}

func (t *txn) AccountByEmail(email string) (*account.AccountRecord, error) {
	return scanAccount(t.row(`SELECT `+accountCols+` FROM accounts WHERE email = $1`, email))
}

func (t *txn) AccountByUserHandle(handle []byte) (*account.AccountRecord, error) {
	return scanAccount(t.row(`SELECT `+accountCols+` FROM accounts WHERE user_handle = $1`, handle))
}

// AccountAndPasskeys sends the account's query and its passkeys' in one
// round trip.
func (t *txn) AccountAndPasskeys(by account.AccountKey) (*account.AccountRecord, []account.Passkey, error) {
	var where string
	var arg any
	switch {
	case by.ID != "" && by.Email == "" && by.UserHandle == nil:
		where, arg = `id = $1`, by.ID
	case by.ID == "" && by.Email != "" && by.UserHandle == nil:
		where, arg = `email = $1`, by.Email
	case by.ID == "" && by.Email == "" && by.UserHandle != nil:
		where, arg = `user_handle = $1`, by.UserHandle
	default:
		return nil, nil, errors.New("pgstore: name an account by exactly one of ID, email and user handle")
	}
	if t.failed != nil {
		return nil, nil, t.failed
	}
	var a *account.AccountRecord
	var aErr error
	t.pending.Queue(`SELECT `+accountCols+` FROM accounts WHERE `+where, arg).QueryRow(func(row pgx.Row) error {
		if a, aErr = scanAccount(row); errors.Is(aErr, account.ErrNotFound) {
			return nil
		}
		return aErr
	})
	var pks []account.Passkey
	queueRows(t, &pks, func(r pgx.Row) (*account.Passkey, error) { return scanPasskey(r) },
		`SELECT `+passkeyCols+` FROM passkeys WHERE account_id = (SELECT id FROM accounts WHERE `+where+`) ORDER BY created_at, id`, arg)
	if err := t.send(); err != nil {
		return nil, nil, err
	}
	if aErr != nil {
		return nil, nil, aErr
	}
	return a, pks, nil
}

// --- factor states -------------------------------------------------------------

// factorStateCols are the columns of an account.FactorState but its TOTP
// step, in factor_states and unknown_email_states alike.
const factorStateCols = `failures, locked_until, lock_level, in_flight, in_flight_at, last_failure_at`

// factorStateSet updates every factorStateCols column from the insert.
const factorStateSet = `failures = excluded.failures, locked_until = excluded.locked_until, lock_level = excluded.lock_level,
	in_flight = excluded.in_flight, in_flight_at = excluded.in_flight_at, last_failure_at = excluded.last_failure_at`

func (t *txn) FactorState(accountID string, f account.Factor) (account.FactorState, error) {
	var st account.FactorState
	err := scanFactorState(t.row(`SELECT `+factorStateCols+`, last_step FROM factor_states WHERE account_id = $1 AND factor = $2`,
		accountID, string(f)), &st, &st.LastStep)
	return st, err
}

func (t *txn) PutFactorState(accountID string, f account.Factor, st account.FactorState) error {
	return t.exec(`INSERT INTO factor_states (account_id, factor, `+factorStateCols+`, last_step) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (account_id, factor) DO UPDATE SET `+factorStateSet+`, last_step = excluded.last_step`,
		append(append([]any{accountID, string(f)}, factorStateArgs(st)...), st.LastStep)...)
}

func (t *txn) UnknownEmailState(emailMAC []byte) (account.FactorState, error) {
	var st account.FactorState
	err := scanFactorState(t.row(`SELECT `+factorStateCols+` FROM unknown_email_states WHERE email_mac = $1`, emailMAC), &st)
	return st, err
}

func (t *txn) PutUnknownEmailState(emailMAC []byte, st account.FactorState) error {
	return t.exec(`INSERT INTO unknown_email_states (email_mac, `+factorStateCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (email_mac) DO UPDATE SET `+factorStateSet, append([]any{emailMAC}, factorStateArgs(st)...)...)
}

// scanFactorState scans factorStateCols into st, then the columns in
// rest; no row is the zero state.
func scanFactorState(row pgx.Row, st *account.FactorState, rest ...any) error {
	var locked, inFlightAt, lastFailure int64
	err := row.Scan(append([]any{&st.Failures, &locked, &st.Locks, &st.InFlight, &inFlightAt, &lastFailure}, rest...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		*st = account.FactorState{}
		return nil
	}
	st.LockedUntil, st.InFlightAt, st.LastFailure = fromNanos(locked), fromNanos(inFlightAt), fromNanos(lastFailure)
	return err
}

// factorStateArgs are st's values for factorStateCols.
func factorStateArgs(st account.FactorState) []any {
	return []any{st.Failures, nanos(st.LockedUntil), st.Locks, st.InFlight, nanos(st.InFlightAt), nanos(st.LastFailure)}
}

// --- sessions, verifications, grants, ceremonies ---------------------------------

func (t *txn) InsertSession(s *account.SessionRecord) error {
	return t.exec(`INSERT INTO sessions (hash, account_id, created_at, expires_at, restricted) VALUES ($1, $2, $3, $4, $5)`,
		s.Hash, s.AccountID, nanos(s.CreatedAt), nanos(s.ExpiresAt), s.Restricted)
}

func (t *txn) SessionByHash(hash []byte) (*account.SessionRecord, error) {
	s := account.SessionRecord{Hash: hash}
	var created, expires int64
	err := t.row(`SELECT account_id, created_at, expires_at, restricted FROM sessions WHERE hash = $1`, hash).
		Scan(&s.AccountID, &created, &expires, &s.Restricted)
	if err != nil {
		return nil, notFound(err)
	}
	s.CreatedAt, s.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &s, nil
}

func (t *txn) SessionAccount(hash []byte) (*account.SessionRecord, *account.AccountRecord, error) {
	s := account.SessionRecord{Hash: hash}
	var created, expires int64
	a, err := scanAccount(t.row(`SELECT s.account_id, s.created_at, s.expires_at, s.restricted, `+prefixed("a.", accountCols)+`
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.hash = $1`, hash), &s.AccountID, &created, &expires, &s.Restricted)
	if err != nil {
		return nil, nil, err
	}
	s.CreatedAt, s.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &s, a, nil
}

func (t *txn) SetSessionRestricted(hash []byte, restricted bool) error {
	tag, err := t.execTag(`UPDATE sessions SET restricted = $1 WHERE hash = $2`, restricted, hash)
	if err == nil && tag.RowsAffected() == 0 {
		err = account.ErrNotFound
	}
	return err
}

func (t *txn) DeleteSession(hash []byte) error {
	return t.exec(`DELETE FROM sessions WHERE hash = $1`, hash)
}

func (t *txn) InsertVerification(v *account.VerificationRecord) error {
	fs := make([]string, len(v.Factors))
	for i, f := range v.Factors {
		fs[i] = string(f)
	}
	return t.exec(`INSERT INTO verifications (id, account_id, session_hash, purpose, factors, email_code_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		v.ID, v.AccountID, v.SessionHash, string(v.Purpose), strings.Join(fs, ","), v.EmailCodeHash, nanos(v.ExpiresAt))
}

func (t *txn) VerificationByID(id string) (*account.VerificationRecord, error) {
	v := account.VerificationRecord{ID: id}
	var purpose, factors string
	var expires int64
	err := t.row(`SELECT account_id, session_hash, purpose, factors, email_code_hash, expires_at FROM verifications WHERE id = $1`, id).
		Scan(&v.AccountID, &v.SessionHash, &purpose, &factors, &v.EmailCodeHash, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	v.Purpose, v.ExpiresAt = account.Purpose(purpose), fromNanos(expires)
	for _, f := range strings.Split(factors, ",") {
		if f != "" {
			v.Factors = append(v.Factors, account.Factor(f))
		}
	}
	return &v, nil
}

func (t *txn) DeleteVerification(id string) error {
	return t.exec(`DELETE FROM verifications WHERE id = $1`, id)
}

func (t *txn) InsertGrant(g *account.GrantRecord) error {
	return t.exec(`INSERT INTO grants (hash, account_id, purpose, expires_at, passkey_id) VALUES ($1, $2, $3, $4, $5)`,
		g.Hash, g.AccountID, string(g.Purpose), nanos(g.ExpiresAt), g.PasskeyID)
}

func (t *txn) GrantByHash(hash []byte) (*account.GrantRecord, error) {
	g := account.GrantRecord{Hash: hash}
	var purpose string
	var expires int64
	err := t.row(`SELECT account_id, purpose, expires_at, passkey_id FROM grants WHERE hash = $1`, hash).
		Scan(&g.AccountID, &purpose, &expires, &g.PasskeyID)
	if err != nil {
		return nil, notFound(err)
	}
	g.Purpose, g.ExpiresAt = account.Purpose(purpose), fromNanos(expires)
	return &g, nil
}

func (t *txn) DeleteGrant(hash []byte) error {
	return t.exec(`DELETE FROM grants WHERE hash = $1`, hash)
}

func (t *txn) InsertCeremony(c *account.CeremonyRecord) error {
	var accountID any
	if c.AccountID != "" {
		accountID = c.AccountID
	}
	return t.exec(`INSERT INTO ceremonies (challenge, account_id, type, kind, session, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.Challenge, accountID, string(c.Type), string(c.Kind), c.Session, nanos(c.ExpiresAt))
}

func (t *txn) TakeCeremony(challenge string) (*account.CeremonyRecord, error) {
	c := account.CeremonyRecord{Challenge: challenge}
	var accountID *string
	var typ, kind string
	var expires int64
	err := t.row(`DELETE FROM ceremonies WHERE challenge = $1 RETURNING account_id, type, kind, session, expires_at`, challenge).
		Scan(&accountID, &typ, &kind, &c.Session, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	if accountID != nil {
		c.AccountID = *accountID
	}
	c.Type, c.Kind, c.ExpiresAt = account.CeremonyType(typ), account.Kind(kind), fromNanos(expires)
	return &c, nil
}

// UseChallenge queues a plain INSERT like any write. A hash already
// there fails it with a unique violation, which note turns into
// account.ErrCeremonyExpired, and the transaction with it. A plain INSERT
// reads no index page under SERIALIZABLE (INSERT … ON CONFLICT would), so
// concurrent sign-ins do not fail one another for having touched the
// same page. A use committed by a transaction this one cannot see fails
// it too, with a serialization failure or the violation; Update runs it
// again on the former, and the violation follows.
func (t *txn) UseChallenge(hash []byte, expiresAt time.Time) error {
	return t.exec(`INSERT INTO used_challenges (hash, expires_at) VALUES ($1, $2)`, hash, nanos(expiresAt))
}

func (t *txn) DeleteExpired(now time.Time) error {
	n := nanos(now)
	for _, table := range []string{"sessions", "verifications", "grants", "ceremonies", "used_challenges", "station_ceremonies"} {
		if err := t.exec(`DELETE FROM `+table+` WHERE expires_at <= $1`, n); err != nil {
			return err
		}
	}
	for _, table := range []string{"phone_enrollments", "approval_links"} {
		if err := t.exec(`DELETE FROM `+table+` WHERE expires_at <= $1`, nanos(now.Add(-24*time.Hour))); err != nil {
			return err
		}
	}
	if err := t.exec(`DELETE FROM phone_signins WHERE expires_at <= $1`, nanos(now.Add(-24*time.Hour))); err != nil {
		return err
	}
	quiet := nanos(now.Add(-account.FailureMemory))
	return t.exec(`DELETE FROM unknown_email_states WHERE last_failure_at <= $1 AND in_flight_at <= $2 AND locked_until <= $3`,
		quiet, quiet, nanos(now))
}

// --- phone enrollments -------------------------------------------------------------

const enrollmentCols = `id, token_hash, account_id, session_hash, grant_hash, code_hash, state, reason, failures, device_hash,
	user_agent, challenge, passkey_id, created_at, expires_at, contender_hash, contender_agent, tries, handovers`

func (t *txn) InsertPhoneEnrollment(e *account.PhoneEnrollmentRecord) error {
	return t.exec(`INSERT INTO phone_enrollments (`+enrollmentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		e.ID, e.TokenHash, e.AccountID, e.SessionHash, e.GrantHash, e.CodeHash, string(e.State), e.Reason, e.Failures,
		e.DeviceHash, e.UserAgent, e.Challenge, e.PasskeyID, nanos(e.CreatedAt), nanos(e.ExpiresAt),
		e.ContenderHash, e.ContenderAgent, e.Tries, e.Handovers)
}

func (t *txn) UpdatePhoneEnrollment(e *account.PhoneEnrollmentRecord) error {
	return t.exec(`UPDATE phone_enrollments SET code_hash = $1, state = $2, reason = $3, failures = $4, device_hash = $5,
		user_agent = $6, challenge = $7, passkey_id = $8, contender_hash = $9, contender_agent = $10, tries = $11, handovers = $12
		WHERE id = $13`,
		e.CodeHash, string(e.State), e.Reason, e.Failures, e.DeviceHash, e.UserAgent, e.Challenge, e.PasskeyID,
		e.ContenderHash, e.ContenderAgent, e.Tries, e.Handovers, e.ID)
}

func (t *txn) PhoneEnrollmentByID(id string) (*account.PhoneEnrollmentRecord, error) {
	return scanEnrollment(t.row(`SELECT `+enrollmentCols+` FROM phone_enrollments WHERE id = $1`, id))
}

func (t *txn) PhoneEnrollmentByTokenHash(hash []byte) (*account.PhoneEnrollmentRecord, error) {
	return scanEnrollment(t.row(`SELECT `+enrollmentCols+` FROM phone_enrollments WHERE token_hash = $1`, hash))
}

func scanEnrollment(row pgx.Row) (*account.PhoneEnrollmentRecord, error) {
	var e account.PhoneEnrollmentRecord
	var state string
	var created, expires int64
	err := row.Scan(&e.ID, &e.TokenHash, &e.AccountID, &e.SessionHash, &e.GrantHash, &e.CodeHash, &state, &e.Reason, &e.Failures,
		&e.DeviceHash, &e.UserAgent, &e.Challenge, &e.PasskeyID, &created, &expires, &e.ContenderHash, &e.ContenderAgent, &e.Tries, &e.Handovers)
	if err != nil {
		return nil, notFound(err)
	}
	e.State, e.CreatedAt, e.ExpiresAt = account.EnrollmentState(state), fromNanos(created), fromNanos(expires)
	return &e, nil
}

// --- passkeys --------------------------------------------------------------------

const passkeyCols = `id, credential_id, public_key, aaguid, model, kind, name, transports, backup_eligible, backed_up,
	sign_count, clone_warning, created_at, last_used_at, last_used_for, lost_at, lost_reason, held_until,
	issued, enrolled_by_id, enrolled_by, station`

func (t *txn) InsertPasskey(accountID string, p *account.Passkey) error {
	opID, opEmail, station := provenanceCols(p)
	taken, err := t.insertUnique(`INSERT INTO passkeys (account_id, `+passkeyCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		accountID, p.ID, p.CredentialID, p.PublicKey, p.AAGUID, p.Model, string(p.Kind), p.Name, strings.Join(p.Transports, ","),
		p.BackupEligible, p.BackedUp, int64(p.SignCount), p.CloneWarning, nanos(p.CreatedAt), nanos(p.LastUsedAt), p.LastUsedFor,
		nanos(p.LostAt), p.LostReason, nanos(p.HeldUntil), p.Issued, opID, opEmail, station)
	if taken {
		return account.ErrCredentialRejected
	}
	return err
}

func (t *txn) UpdatePasskey(accountID string, p *account.Passkey) error {
	return t.exec(`UPDATE passkeys SET name = $1, backed_up = $2, sign_count = $3, clone_warning = $4, last_used_at = $5, last_used_for = $6,
		issued = $7 WHERE credential_id = $8 AND account_id = $9`,
		p.Name, p.BackedUp, int64(p.SignCount), p.CloneWarning, nanos(p.LastUsedAt), p.LastUsedFor, p.Issued, p.CredentialID, accountID)
}

// scanPasskey scans passkeyCols after the leading columns in lead.
func scanPasskey(row pgx.Row, lead ...any) (*account.Passkey, error) {
	var p account.Passkey
	var kind, transports string
	var count, created, used, lost, held int64
	var opID, opEmail, station string
	err := row.Scan(append(lead, &p.ID, &p.CredentialID, &p.PublicKey, &p.AAGUID, &p.Model, &kind, &p.Name, &transports,
		&p.BackupEligible, &p.BackedUp, &count, &p.CloneWarning, &created, &used, &p.LastUsedFor, &lost, &p.LostReason, &held,
		&p.Issued, &opID, &opEmail, &station)...)
	if err != nil {
		return nil, err
	}
	if opID != "" {
		p.EnrolledBy = &account.Provenance{OperatorID: opID, Operator: opEmail, Station: station, At: fromNanos(created)}
	}
	p.Kind, p.SignCount = account.Kind(kind), uint32(count)
	p.CreatedAt, p.LastUsedAt, p.LostAt, p.HeldUntil = fromNanos(created), fromNanos(used), fromNanos(lost), fromNanos(held)
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	return &p, nil
}

func (t *txn) Passkeys(accountID string) ([]account.Passkey, error) {
	return collect(t, func(r pgx.Row) (*account.Passkey, error) { return scanPasskey(r) },
		`SELECT `+passkeyCols+` FROM passkeys WHERE account_id = $1 ORDER BY created_at, id`, accountID)
}

func (t *txn) PasskeyByCredentialID(credentialID []byte) (string, *account.Passkey, error) {
	var accountID string
	p, err := scanPasskey(t.row(`SELECT account_id, `+passkeyCols+` FROM passkeys WHERE credential_id = $1`, credentialID), &accountID)
	if err != nil {
		return "", nil, notFound(err)
	}
	return accountID, p, nil
}

func (t *txn) DeletePasskey(accountID string, credentialID []byte) error {
	tag, err := t.execTag(`DELETE FROM passkeys WHERE credential_id = $1 AND account_id = $2`, credentialID, accountID)
	if err == nil && tag.RowsAffected() == 0 {
		err = account.ErrNotFound
	}
	return err
}

func (t *txn) MarkPasskeyLost(accountID, passkeyID string, at time.Time, reason string) error {
	tag, err := t.execTag(`UPDATE passkeys SET lost_at = $1, lost_reason = $2 WHERE id = $3 AND account_id = $4`,
		nanos(at), reason, passkeyID, accountID)
	if err == nil && tag.RowsAffected() == 0 {
		err = account.ErrNotFound
	}
	return err
}

// --- events ----------------------------------------------------------------------

// AppendEvent queues the insert like any write; e.ID is set when it is
// sent, at the latest when the transaction commits.
func (t *txn) AppendEvent(accountID string, e *account.Event) error {
	if t.failed != nil {
		return t.failed
	}
	t.pending.Queue(`INSERT INTO events (account_id, at, type, detail, source) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		accountID, nanos(e.At), string(e.Type), e.Detail, e.Source).QueryRow(func(row pgx.Row) error { return row.Scan(&e.ID) })
	return nil
}

func (t *txn) Events(accountID string, limit int) ([]account.Event, error) {
	return collect(t, func(r pgx.Row) (*account.Event, error) {
		var e account.Event
		var at int64
		var typ string
		if err := r.Scan(&e.ID, &at, &typ, &e.Detail, &e.Source); err != nil {
			return nil, err
		}
		e.At, e.Type = fromNanos(at), account.EventType(typ)
		return &e, nil
	}, `SELECT id, at, type, detail, source FROM events WHERE account_id = $1 ORDER BY id DESC LIMIT $2`, accountID, limit)
}

// --- API keys ----------------------------------------------------------------------

const apiKeyCols = `id, hash, account_id, name, hint, created_at, last_used_at, revoked_at`

func (t *txn) InsertAPIKey(k *account.APIKeyRecord) error {
	return t.exec(`INSERT INTO api_keys (`+apiKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Hash, k.AccountID, k.Name, k.Hint, nanos(k.CreatedAt), nanos(k.LastUsedAt), nanos(k.RevokedAt))
}

func (t *txn) UpdateAPIKey(k *account.APIKeyRecord) error {
	return t.exec(`UPDATE api_keys SET last_used_at = $1, revoked_at = $2 WHERE id = $3`, nanos(k.LastUsedAt), nanos(k.RevokedAt), k.ID)
}

func scanAPIKey(row pgx.Row) (*account.APIKeyRecord, error) {
	var k account.APIKeyRecord
	var created, used, revoked int64
	if err := row.Scan(&k.ID, &k.Hash, &k.AccountID, &k.Name, &k.Hint, &created, &used, &revoked); err != nil {
		return nil, notFound(err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromNanos(created), fromNanos(used), fromNanos(revoked)
	return &k, nil
}

func (t *txn) APIKeyByHash(hash []byte) (*account.APIKeyRecord, error) {
	return scanAPIKey(t.row(`SELECT `+apiKeyCols+` FROM api_keys WHERE hash = $1`, hash))
}

func (t *txn) APIKeys(accountID string) ([]account.APIKeyRecord, error) {
	return collect(t, scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`, accountID)
}

// --- approvals ---------------------------------------------------------------------

const approvalCols = `id, account_id, api_key_id, kind, asset, amount, network, destination, counterparty, fee, reference,
	nonce, state, created_at, expires_at, decided_at, passkey_id, credential_id, public_key, authenticator_data,
	client_data_json, signature, reason`

func (t *txn) InsertApproval(a *account.ApprovalRecord) error {
	op := &a.Operation
	var as account.Assertion
	if a.Assertion != nil {
		as = *a.Assertion
	}
	return t.exec(`INSERT INTO approvals (`+approvalCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
		$13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		a.ID, a.AccountID, a.APIKeyID, string(op.Kind), op.Asset, op.Amount, op.Network,
		op.Destination, op.Counterparty, op.Fee, op.Reference, a.Nonce, string(a.State), nanos(a.CreatedAt),
		nanos(a.ExpiresAt), nanos(a.DecidedAt), a.PasskeyID, as.CredentialID, as.PublicKey, as.AuthenticatorData,
		as.ClientDataJSON, as.Signature, a.Reason)
}

func (t *txn) UpdateApproval(a *account.ApprovalRecord) error {
	var as account.Assertion
	if a.Assertion != nil {
		as = *a.Assertion
	}
	return t.exec(`UPDATE approvals SET state = $1, decided_at = $2, passkey_id = $3, credential_id = $4, public_key = $5,
		authenticator_data = $6, client_data_json = $7, signature = $8, reason = $9 WHERE id = $10`,
		string(a.State), nanos(a.DecidedAt), a.PasskeyID, as.CredentialID, as.PublicKey,
		as.AuthenticatorData, as.ClientDataJSON, as.Signature, a.Reason, a.ID)
}

func scanApproval(row pgx.Row) (*account.ApprovalRecord, error) {
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

func (t *txn) CountPendingApprovals(apiKeyID string, now time.Time) (int, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM approvals WHERE api_key_id = $1 AND state = 'pending' AND expires_at > $2`, apiKeyID, nanos(now)).Scan(&n)
	return n, err
}

func (t *txn) ApprovalByID(id string) (*account.ApprovalRecord, error) {
	return scanApproval(t.row(`SELECT `+approvalCols+` FROM approvals WHERE id = $1`, id))
}

func (t *txn) Approvals(accountID string, state account.ApprovalState) ([]account.ApprovalRecord, error) {
	return collect(t, scanApproval, `SELECT `+approvalCols+` FROM approvals WHERE account_id = $1 AND state = $2 ORDER BY created_at, id`,
		accountID, string(state))
}

// --- policy and settings -----------------------------------------------------------

func (t *txn) Policy(accountID string) (account.Policy, error) {
	var p account.Policy
	var hold int64
	var cause string
	err := t.row(`SELECT passkey_required, hold_until, hold_cause FROM account_policies WHERE account_id = $1`, accountID).
		Scan(&p.PasskeyRequired, &hold, &cause)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.Policy{}, nil
	}
	p.HoldUntil, p.HoldCause = fromNanos(hold), account.HoldCause(cause)
	return p, err
}

func (t *txn) PutPolicy(accountID string, p account.Policy) error {
	return t.exec(`INSERT INTO account_policies (account_id, passkey_required, hold_until, hold_cause) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET passkey_required = excluded.passkey_required, hold_until = excluded.hold_until,
		hold_cause = excluded.hold_cause`,
		accountID, p.PasskeyRequired, nanos(p.HoldUntil), string(p.HoldCause))
}

func (t *txn) Setting(name string) (string, error) {
	var v string
	err := t.row(`SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	return v, notFound(err)
}

func (t *txn) PutSetting(name, value string) error {
	return t.exec(`INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
}

// prefixed puts prefix before each column of a comma-separated list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
