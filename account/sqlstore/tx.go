package sqlstore

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// nanos stores a time as Unix nanoseconds; the zero time is 0.
func nanos(tm time.Time) int64 {
	if tm.IsZero() {
		return 0
	}
	return tm.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

const accountCols = `id, email, display_name, role, password_hash, totp_secret, user_handle, active, created_at`

const enrollmentCols = `id, token_hash, account_id, session_hash, grant_hash, code_hash, state, reason, failures, device_hash,
	user_agent, challenge, passkey_id, created_at, expires_at, contender_hash, contender_agent, tries, handovers`

// factorStateCols are the columns of an account.FactorState but its TOTP
// step, in factor_states and unknown_email_states alike.
const factorStateCols = `failures, locked_until, lock_level, in_flight, in_flight_at, last_failure_at`

const passkeyCols = `id, credential_id, public_key, aaguid, model, kind, name, transports, backup_eligible, backed_up,
	sign_count, clone_warning, created_at, last_used_at, last_used_for, lost_at, lost_reason, held_until,
	issued, enrolled_by_id, enrolled_by, station`

// The queries, each prepared once when the store opens (see Store.prepare).
var (
	qInsertAccounts     = q(`INSERT INTO accounts (` + accountCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateAccounts     = q(`UPDATE accounts SET email = ?, display_name = ?, role = ?, password_hash = ?, totp_secret = ?, active = ? WHERE id = ?`)
	qDeleteAccounts     = q(`DELETE FROM accounts WHERE id = ?`)
	qSelectFactorStates = q(`SELECT ` + factorStateCols + `, last_step FROM factor_states WHERE account_id = ? AND factor = ?`)
	qPutFactorState     = q(`INSERT INTO factor_states (account_id, factor, ` + factorStateCols + `, last_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, factor) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
		lock_level = excluded.lock_level, in_flight = excluded.in_flight, in_flight_at = excluded.in_flight_at,
		last_failure_at = excluded.last_failure_at, last_step = excluded.last_step`)
	qInsertSessions      = q(`INSERT INTO sessions (hash, account_id, created_at, expires_at, restricted) VALUES (?, ?, ?, ?, ?)`)
	qSelectSessions      = q(`SELECT account_id, created_at, expires_at, restricted FROM sessions WHERE hash = ?`)
	qDeleteSessions      = q(`DELETE FROM sessions WHERE hash = ?`)
	qInsertVerifications = q(`INSERT INTO verifications (id, account_id, session_hash, purpose, factors, email_code_hash, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qSelectVerifications = q(`SELECT account_id, session_hash, purpose, factors, email_code_hash, expires_at FROM verifications WHERE id = ?`)
	qDeleteVerifications = q(`DELETE FROM verifications WHERE id = ?`)
	qInsertGrants        = q(`INSERT INTO grants (hash, account_id, purpose, expires_at, passkey_id) VALUES (?, ?, ?, ?, ?)`)
	qSelectGrants        = q(`SELECT account_id, purpose, expires_at, passkey_id FROM grants WHERE hash = ?`)
	qDeleteGrants        = q(`DELETE FROM grants WHERE hash = ?`)
	qInsertCeremonies    = q(`INSERT INTO ceremonies (challenge, account_id, type, kind, session, expires_at) VALUES (?, ?, ?, ?, ?, ?)`)
	qTakeCeremony        = q(`DELETE FROM ceremonies WHERE challenge = ? RETURNING account_id, type, kind, session, expires_at`)
	qInsertPasskeys      = q(`INSERT INTO passkeys (account_id, ` + passkeyCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdatePasskeys      = q(`UPDATE passkeys SET name = ?, backed_up = ?, sign_count = ?, clone_warning = ?, last_used_at = ?, last_used_for = ?, issued = ?
		WHERE credential_id = ? AND account_id = ?`)
	qSelectPasskeys        = q(`SELECT ` + passkeyCols + ` FROM passkeys WHERE account_id = ? ORDER BY created_at, id`)
	qPasskeyByCredentialID = q(`SELECT account_id, ` + passkeyCols + ` FROM passkeys WHERE credential_id = ?`)
	qInsertEvents          = q(`INSERT INTO events (account_id, at, type, detail, source) VALUES (?, ?, ?, ?, ?)`)
	qSelectEvents          = q(`SELECT id, at, type, detail, source FROM events WHERE account_id = ? ORDER BY id DESC LIMIT ?`)
	qSessionAccount        = q(`SELECT s.account_id, s.created_at, s.expires_at, s.restricted, ` + prefixed("a.", accountCols) + `
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.hash = ?`)
	qAccountByID           = q(`SELECT ` + accountCols + ` FROM accounts WHERE id = ?`)
	qAccountByEmail        = q(`SELECT ` + accountCols + ` FROM accounts WHERE email = ?`)
	qAccountByUserHandle   = q(`SELECT ` + accountCols + ` FROM accounts WHERE user_handle = ?`)
	qInsertPhoneEnrollment = q(`INSERT INTO phone_enrollments (` + enrollmentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdatePhoneEnrollment = q(`UPDATE phone_enrollments SET code_hash = ?, state = ?, reason = ?, failures = ?, device_hash = ?,
		user_agent = ?, challenge = ?, passkey_id = ?, contender_hash = ?, contender_agent = ?, tries = ?, handovers = ? WHERE id = ?`)
	qPhoneEnrollmentByID        = q(`SELECT ` + enrollmentCols + ` FROM phone_enrollments WHERE id = ?`)
	qPhoneEnrollmentByTokenHash = q(`SELECT ` + enrollmentCols + ` FROM phone_enrollments WHERE token_hash = ?`)
	qDeleteOldEnrollments       = q(`DELETE FROM phone_enrollments WHERE expires_at <= ?`)
	qDeleteExpired              = []string{
		q(`DELETE FROM sessions WHERE expires_at <= ?`),
		q(`DELETE FROM verifications WHERE expires_at <= ?`),
		q(`DELETE FROM grants WHERE expires_at <= ?`),
		q(`DELETE FROM ceremonies WHERE expires_at <= ?`),
		q(`DELETE FROM used_challenges WHERE expires_at <= ?`),
	}
	qUseChallenge = q(`INSERT INTO used_challenges (hash, expires_at) VALUES (?, ?)`)
)

// The queries of unknown-email states.
var (
	qSelectUnknownEmailStates = q(`SELECT ` + factorStateCols + ` FROM unknown_email_states WHERE email_mac = ?`)
	qPutUnknownEmailState     = q(`INSERT INTO unknown_email_states (email_mac, ` + factorStateCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (email_mac) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
		lock_level = excluded.lock_level, in_flight = excluded.in_flight, in_flight_at = excluded.in_flight_at,
		last_failure_at = excluded.last_failure_at`)
	qDeleteOldUnknownEmailStates = q(`DELETE FROM unknown_email_states WHERE last_failure_at <= ? AND in_flight_at <= ? AND locked_until <= ?`)
)

// --- accounts ----------------------------------------------------------------

func (t *txn) InsertAccount(a *account.AccountRecord) error {
	err := t.exec(qInsertAccounts,
		a.ID, a.Email, a.DisplayName, string(a.Role), a.PasswordHash, a.TOTPSecret, a.UserHandle, a.Active, nanos(a.CreatedAt))
	if isUnique(err) {
		return account.ErrEmailTaken
	}
	return err
}

func (t *txn) UpdateAccount(a *account.AccountRecord) error {
	return t.exec(qUpdateAccounts,
		a.Email, a.DisplayName, string(a.Role), a.PasswordHash, a.TOTPSecret, a.Active, a.ID)
}

func (t *txn) DeleteAccount(id string) error {
	return t.exec(qDeleteAccounts, id)
}

func (t *txn) accountWhere(query string, arg any) (*account.AccountRecord, error) {
	return t.scanAccount(t.queryRow(query, arg))
}

// scanAccount scans accountCols, after the leading columns in lead.
func (t *txn) scanAccount(row scanner, lead ...any) (*account.AccountRecord, error) {
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
	return t.accountWhere(qAccountByID, id)
}

func (t *txn) AccountByEmail(email string) (*account.AccountRecord, error) {
	return t.accountWhere(qAccountByEmail, email)
}

func (t *txn) AccountByUserHandle(handle []byte) (*account.AccountRecord, error) {
	return t.accountWhere(qAccountByUserHandle, handle)
}

func (t *txn) AccountAndPasskeys(by account.AccountKey) (*account.AccountRecord, []account.Passkey, error) {
	var a *account.AccountRecord
	var err error
	switch {
	case by.ID != "" && by.Email == "" && by.UserHandle == nil:
		a, err = t.AccountByID(by.ID)
	case by.ID == "" && by.Email != "" && by.UserHandle == nil:
		a, err = t.AccountByEmail(by.Email)
	case by.ID == "" && by.Email == "" && by.UserHandle != nil:
		a, err = t.AccountByUserHandle(by.UserHandle)
	default:
		return nil, nil, errors.New("sqlstore: name an account by exactly one of ID, email and user handle")
	}
	if err != nil {
		return nil, nil, err
	}
	pks, err := t.Passkeys(a.ID)
	if err != nil {
		return nil, nil, err
	}
	return a, pks, nil
}

// --- factor states -------------------------------------------------------------

func (t *txn) FactorState(accountID string, f account.Factor) (account.FactorState, error) {
	var st account.FactorState
	err := scanFactorState(t.queryRow(qSelectFactorStates, accountID, string(f)), &st, &st.LastStep)
	return st, err
}

func (t *txn) PutFactorState(accountID string, f account.Factor, st account.FactorState) error {
	return t.exec(qPutFactorState, append(append([]any{accountID, string(f)}, factorStateArgs(st)...), st.LastStep)...)
}

func (t *txn) UnknownEmailState(emailMAC []byte) (account.FactorState, error) {
	var st account.FactorState
	err := scanFactorState(t.queryRow(qSelectUnknownEmailStates, emailMAC), &st)
	return st, err
}

func (t *txn) PutUnknownEmailState(emailMAC []byte, st account.FactorState) error {
	return t.exec(qPutUnknownEmailState, append([]any{emailMAC}, factorStateArgs(st)...)...)
}

// scanFactorState scans factorStateCols into st, then the columns in
// rest; no row is the zero state.
func scanFactorState(row scanner, st *account.FactorState, rest ...any) error {
	var locked, inFlightAt, lastFailure int64
	err := row.Scan(append([]any{&st.Failures, &locked, &st.Locks, &st.InFlight, &inFlightAt, &lastFailure}, rest...)...)
	if errors.Is(err, sql.ErrNoRows) {
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
	return t.exec(qInsertSessions,
		s.Hash, s.AccountID, nanos(s.CreatedAt), nanos(s.ExpiresAt), s.Restricted)
}

func (t *txn) SessionByHash(hash []byte) (*account.SessionRecord, error) {
	s := account.SessionRecord{Hash: hash}
	var created, expires int64
	err := t.queryRow(qSelectSessions, hash).
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
	a, err := t.scanAccount(t.queryRow(qSessionAccount, hash), &s.AccountID, &created, &expires, &s.Restricted)
	if err != nil {
		return nil, nil, err
	}
	s.CreatedAt, s.ExpiresAt = fromNanos(created), fromNanos(expires)
	return &s, a, nil
}

func (t *txn) DeleteSession(hash []byte) error {
	return t.exec(qDeleteSessions, hash)
}

func (t *txn) InsertVerification(v *account.VerificationRecord) error {
	fs := make([]string, len(v.Factors))
	for i, f := range v.Factors {
		fs[i] = string(f)
	}
	return t.exec(qInsertVerifications,
		v.ID, v.AccountID, v.SessionHash, string(v.Purpose), strings.Join(fs, ","), v.EmailCodeHash, nanos(v.ExpiresAt))
}

func (t *txn) VerificationByID(id string) (*account.VerificationRecord, error) {
	v := account.VerificationRecord{ID: id}
	var purpose, factors string
	var expires int64
	err := t.queryRow(qSelectVerifications, id).
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
	return t.exec(qDeleteVerifications, id)
}

func (t *txn) InsertGrant(g *account.GrantRecord) error {
	return t.exec(qInsertGrants,
		g.Hash, g.AccountID, string(g.Purpose), nanos(g.ExpiresAt), g.PasskeyID)
}

func (t *txn) GrantByHash(hash []byte) (*account.GrantRecord, error) {
	g := account.GrantRecord{Hash: hash}
	var purpose string
	var expires int64
	err := t.queryRow(qSelectGrants, hash).
		Scan(&g.AccountID, &purpose, &expires, &g.PasskeyID)
	if err != nil {
		return nil, notFound(err)
	}
	g.Purpose, g.ExpiresAt = account.Purpose(purpose), fromNanos(expires)
	return &g, nil
}

func (t *txn) DeleteGrant(hash []byte) error {
	return t.exec(qDeleteGrants, hash)
}

func (t *txn) InsertCeremony(c *account.CeremonyRecord) error {
	var accountID any
	if c.AccountID != "" {
		accountID = c.AccountID
	}
	return t.exec(qInsertCeremonies,
		c.Challenge, accountID, string(c.Type), string(c.Kind), c.Session, nanos(c.ExpiresAt))
}

func (t *txn) TakeCeremony(challenge string) (*account.CeremonyRecord, error) {
	c := account.CeremonyRecord{Challenge: challenge}
	var accountID sql.NullString
	var typ, kind string
	var expires int64
	err := t.queryRow(qTakeCeremony, challenge).
		Scan(&accountID, &typ, &kind, &c.Session, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	c.AccountID, c.Type, c.Kind, c.ExpiresAt = accountID.String, account.CeremonyType(typ), account.Kind(kind), fromNanos(expires)
	return &c, nil
}

func (t *txn) UseChallenge(hash []byte, expiresAt time.Time) error {
	err := t.exec(qUseChallenge, hash, nanos(expiresAt))
	if isUnique(err) {
		return account.ErrCeremonyExpired
	}
	return err
}

func (t *txn) DeleteExpired(now time.Time) error {
	n := nanos(now)
	for _, query := range qDeleteExpired {
		if err := t.exec(query, n); err != nil {
			return err
		}
	}
	if err := t.exec(qDeleteOldEnrollments, nanos(now.Add(-24*time.Hour))); err != nil {
		return err
	}
	if err := t.exec(qDeleteOldPhoneSignIns, nanos(now.Add(-24*time.Hour))); err != nil {
		return err
	}
	if err := t.exec(qDeleteOldApprovalLinks, nanos(now.Add(-24*time.Hour))); err != nil {
		return err
	}
	if err := t.exec(qDeleteOldStationCeremonies, nanos(now)); err != nil {
		return err
	}
	quiet := nanos(now.Add(-account.FailureMemory))
	return t.exec(qDeleteOldUnknownEmailStates, quiet, quiet, nanos(now))
}

// --- phone enrollments -------------------------------------------------------------

func (t *txn) InsertPhoneEnrollment(e *account.PhoneEnrollmentRecord) error {
	return t.exec(qInsertPhoneEnrollment, e.ID, e.TokenHash, e.AccountID, e.SessionHash, e.GrantHash, blob(e.CodeHash),
		string(e.State), e.Reason, e.Failures, e.DeviceHash, e.UserAgent, e.Challenge, e.PasskeyID, nanos(e.CreatedAt), nanos(e.ExpiresAt),
		e.ContenderHash, e.ContenderAgent, e.Tries, e.Handovers)
}

func (t *txn) UpdatePhoneEnrollment(e *account.PhoneEnrollmentRecord) error {
	return t.exec(qUpdatePhoneEnrollment, blob(e.CodeHash), string(e.State), e.Reason, e.Failures, e.DeviceHash, e.UserAgent, e.Challenge, e.PasskeyID,
		e.ContenderHash, e.ContenderAgent, e.Tries, e.Handovers, e.ID)
}

// blob is b for a NOT NULL column: the driver writes a nil slice (and
// reads an empty blob back as one) as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (t *txn) PhoneEnrollmentByID(id string) (*account.PhoneEnrollmentRecord, error) {
	return scanEnrollment(t.queryRow(qPhoneEnrollmentByID, id))
}

func (t *txn) PhoneEnrollmentByTokenHash(hash []byte) (*account.PhoneEnrollmentRecord, error) {
	return scanEnrollment(t.queryRow(qPhoneEnrollmentByTokenHash, hash))
}

func scanEnrollment(row scanner) (*account.PhoneEnrollmentRecord, error) {
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

func (t *txn) InsertPasskey(accountID string, p *account.Passkey) error {
	opID, opEmail, station := provenanceCols(p)
	err := t.exec(qInsertPasskeys,
		accountID, p.ID, p.CredentialID, p.PublicKey, p.AAGUID, p.Model, string(p.Kind), p.Name, strings.Join(p.Transports, ","),
		p.BackupEligible, p.BackedUp, p.SignCount, p.CloneWarning, nanos(p.CreatedAt), nanos(p.LastUsedAt), p.LastUsedFor,
		nanos(p.LostAt), p.LostReason, nanos(p.HeldUntil), p.Issued, opID, opEmail, station)
	if isUnique(err) {
		return account.ErrCredentialRejected
	}
	return err
}

func (t *txn) UpdatePasskey(accountID string, p *account.Passkey) error {
	return t.exec(qUpdatePasskeys,
		p.Name, p.BackedUp, p.SignCount, p.CloneWarning, nanos(p.LastUsedAt), p.LastUsedFor, p.Issued, p.CredentialID, accountID)
}

// scanPasskey scans passkeyCols, after the leading columns in lead.
func scanPasskey(row scanner, lead ...any) (*account.Passkey, error) {
	var p account.Passkey
	var kind, transports string
	var created, used, lost, held int64
	var opID, opEmail, station string
	err := row.Scan(append(lead, &p.ID, &p.CredentialID, &p.PublicKey, &p.AAGUID, &p.Model, &kind, &p.Name, &transports,
		&p.BackupEligible, &p.BackedUp, &p.SignCount, &p.CloneWarning, &created, &used, &p.LastUsedFor, &lost, &p.LostReason, &held,
		&p.Issued, &opID, &opEmail, &station)...)
	if err != nil {
		return nil, err
	}
	if opID != "" {
		p.EnrolledBy = &account.Provenance{OperatorID: opID, Operator: opEmail, Station: station, At: fromNanos(created)}
	}
	p.Kind, p.CreatedAt, p.LastUsedAt, p.LostAt = account.Kind(kind), fromNanos(created), fromNanos(used), fromNanos(lost)
	p.HeldUntil = fromNanos(held)
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	return &p, nil
}

func (t *txn) Passkeys(accountID string) ([]account.Passkey, error) {
	rows, err := t.query(qSelectPasskeys, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

func (t *txn) PasskeyByCredentialID(credentialID []byte) (string, *account.Passkey, error) {
	var accountID string
	row := t.queryRow(qPasskeyByCredentialID, credentialID)
	p, err := scanPasskey(row, &accountID)
	if err != nil {
		return "", nil, notFound(err)
	}
	return accountID, p, nil
}

// --- events ----------------------------------------------------------------------

func (t *txn) AppendEvent(accountID string, e *account.Event) error {
	res, err := t.execResult(qInsertEvents,
		accountID, nanos(e.At), string(e.Type), e.Detail, e.Source)
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

func (t *txn) Events(accountID string, limit int) ([]account.Event, error) {
	rows, err := t.query(qSelectEvents, accountID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.Event
	for rows.Next() {
		var e account.Event
		var at int64
		var typ string
		if err := rows.Scan(&e.ID, &at, &typ, &e.Detail, &e.Source); err != nil {
			return nil, err
		}
		e.At, e.Type = fromNanos(at), account.EventType(typ)
		out = append(out, e)
	}
	return out, rows.Err()
}
