package account

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/webauthn"
)

// Lifetimes and limits of the service's rules.
const (
	SessionLifetime      = 14 * 24 * time.Hour
	VerificationLifetime = 10 * time.Minute // also the email code's life
	GrantLifetime        = 10 * time.Minute
	CeremonyLifetime     = 5 * time.Minute
	MaxFailures          = 5
	LockDuration         = 15 * time.Minute
)

// Config configures a Service.
type Config struct {
	// RPID is the WebAuthn relying party ID (a domain; "localhost" for the
	// embedded default). RPName is shown by authenticators.
	RPID   string
	RPName string
	// Origins are the origins allowed in clientDataJSON.
	Origins []string
	// SecretKey (32 bytes) seals TOTP secrets at rest. Keep it outside the
	// database (the OS keyring, a server secret).
	SecretKey []byte
	// Mailer sends email codes; nil means email is not configured.
	Mailer Mailer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PasswordParams for new password hashes; nil means
	// DefaultPasswordParams.
	PasswordParams *PasswordParams
	// Model names an authenticator model from its AAGUID; nil or "" means
	// unknown.
	Model func(aaguid []byte) string
	// PublicURL is the base of phone enrollment links
	// (PublicURL + "/enroll#" + token), the origin of the phone page; ""
	// means Origins[0]. It must be one of Origins, since the phone's
	// browser puts it into clientDataJSON.
	PublicURL string
}

// Service is the account service: the relying party and everything around
// it. It implements API. Safe for concurrent use.
type Service struct {
	store  Store
	rp     *webauthn.WebAuthn
	aead   cipher.AEAD
	mailer Mailer
	now    func() time.Time
	pw     PasswordParams
	model  func([]byte) string
	rpName string
	// publicURL is the base of phone enrollment links.
	publicURL string
	// watchers are the live watches of phone enrollments.
	watchers notifier
	// dummyPwd is a hash checked for unknown emails, so they take as long
	// as known ones. It is made on first need: argon2id at production cost
	// takes tens of milliseconds and MiBs, which start-up should not pay.
	dummyOnce sync.Once
	dummyPwd  string
	// nextSweep is when expired rows are next swept (see sweepExpired).
	sweepMu   sync.Mutex
	nextSweep time.Time
}

var _ API = (*Service)(nil)

// New validates cfg and returns a Service on store.
func New(cfg Config, store Store) (*Service, error) {
	if store == nil {
		return nil, errors.New("account: no store")
	}
	if cfg.RPName == "" {
		cfg.RPName = "Passkey Desk"
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPName,
		RPOrigins:     cfg.Origins,
	})
	if err != nil {
		return nil, fmt.Errorf("account: relying party config: %w", err)
	}
	if len(cfg.SecretKey) != 32 {
		return nil, errors.New("account: SecretKey must be 32 bytes")
	}
	block, err := aes.NewCipher(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &Service{
		store:  store,
		rp:     rp,
		aead:   aead,
		mailer: cfg.Mailer,
		now:    cfg.Now,
		pw:     DefaultPasswordParams,
		model:  cfg.Model,
		rpName: cfg.RPName,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.PasswordParams != nil {
		s.pw = *cfg.PasswordParams
	}
	if s.model == nil {
		s.model = func([]byte) string { return "" }
	}
	s.publicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	if s.publicURL == "" && len(cfg.Origins) > 0 {
		s.publicURL = cfg.Origins[0]
	}
	if s.publicURL != "" && !slices.Contains(cfg.Origins, s.publicURL) {
		return nil, fmt.Errorf("account: PublicURL %s is not one of Origins", s.publicURL)
	}
	return s, nil
}

// EmailConfigured reports whether the service can send email codes.
func (s *Service) EmailConfigured() bool { return s.mailer != nil }

// --- sign-up -------------------------------------------------------------

// SignUp implements API.
func (s *Service) SignUp(ctx context.Context, req SignUpRequest) (*TOTPEnrollment, error) {
	email, err := normalizeEmail(req.Email)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(req.DisplayName)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return nil, &InputError{Field: "display name", Reason: "use 1 to 64 characters"}
	}
	if err := validatePassword(req.Password); err != nil {
		return nil, err
	}
	hash, err := hashPassword(req.Password, s.pw)
	if err != nil {
		return nil, err
	}
	secret, err := newTOTPSecret()
	if err != nil {
		return nil, err
	}
	rec := &AccountRecord{
		ID:           randomID(),
		Email:        email,
		DisplayName:  name,
		Role:         RoleUser,
		PasswordHash: hash,
		UserHandle:   randomBytes(32),
		CreatedAt:    s.now().UTC(),
	}
	rec.TOTPSecret = s.seal(rec.ID, []byte(secret))
	err = s.store.Update(ctx, func(tx Tx) error {
		old, err := tx.AccountByEmail(email)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case old.Active:
			return ErrEmailTaken
		default:
			// An abandoned sign-up (never confirmed) holds nothing: the
			// new one replaces it.
			if err := tx.DeleteAccount(old.ID); err != nil {
				return err
			}
		}
		if err := tx.InsertAccount(rec); err != nil {
			return err
		}
		return tx.AppendEvent(rec.ID, s.event(EventAccountCreated, ""))
	})
	if err != nil {
		return nil, err
	}
	return &TOTPEnrollment{ID: rec.ID, Email: email, Secret: secret, URI: totpURI(s.rpName, email, secret)}, nil
}

// ConfirmSignUp implements API.
func (s *Service) ConfirmSignUp(ctx context.Context, enrollmentID, code string) (*Session, error) {
	var sess *Session
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := tx.AccountByID(enrollmentID)
		if errors.Is(err, ErrNotFound) || (err == nil && rec.Active) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if verr = s.checkTOTP(tx, rec, code); verr != nil {
			return nil // keep the failure count
		}
		rec.Active = true
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventAccountActivated, "authenticator app confirmed")); err != nil {
			return err
		}
		sess, err = s.newSession(tx, rec, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, verr
}

// --- sign-in and sessions --------------------------------------------------

// SignIn implements API.
func (s *Service) SignIn(ctx context.Context, email, password, code string) (*Session, error) {
	email, _ = normalizeEmail(email)
	var rec *AccountRecord
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.AccountByEmail(email)
		if err == nil && !rec.Active {
			err = ErrNotFound
		}
		if err == nil {
			err = s.checkLock(tx, rec.ID, FactorPassword)
		}
		return err
	})
	if errors.Is(err, ErrNotFound) {
		s.dummyOnce.Do(func() { s.dummyPwd, _ = hashPassword("not a password of anyone", s.pw) })
		checkPassword(password, s.dummyPwd) // same cost as a real check
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err := checkPassword(password, rec.PasswordHash)
	if err != nil {
		return nil, err
	}
	var sess *Session
	var verr error
	err = s.store.Update(ctx, func(tx Tx) error {
		if !ok {
			verr = s.failFactor(tx, rec.ID, FactorPassword, ErrInvalidCredentials)
			return tx.AppendEvent(rec.ID, s.event(EventSignInFailed, "wrong password"))
		}
		if verr = s.checkTOTP(tx, rec, code); verr != nil {
			return tx.AppendEvent(rec.ID, s.event(EventSignInFailed, "wrong authenticator code"))
		}
		if err := s.resetFactor(tx, rec.ID, FactorPassword); err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		p, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		if p.PasskeyRequired && len(pks) > 0 {
			verr = &PolicyError{Rule: RulePasskeySignIn}
			return tx.AppendEvent(rec.ID, s.event(EventSignInFailed, "password refused: a passkey is required"))
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventSignedIn, "password and authenticator code")); err != nil {
			return err
		}
		sess, err = s.newSession(tx, rec, len(pks))
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, verr
}

// SignOut implements API.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		sr, err := tx.SessionByHash(hashToken(token))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(sr.Hash); err != nil {
			return err
		}
		return tx.AppendEvent(sr.AccountID, s.event(EventSignedOut, ""))
	})
}

// Me implements API.
func (s *Service) Me(ctx context.Context, token string) (*Account, error) {
	var acct *Account
	err := s.store.View(ctx, func(tx Tx) error {
		sr, rec, err := s.session(tx, token)
		if err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		acct = s.publicAccount(rec, len(pks))
		acct.Restricted = sr.Restricted
		return err
	})
	return acct, err
}

func (s *Service) publicAccount(rec *AccountRecord, passkeys int) *Account {
	return &Account{
		ID:           rec.ID,
		Email:        rec.Email,
		DisplayName:  rec.DisplayName,
		Role:         rec.Role,
		CreatedAt:    rec.CreatedAt,
		Factors:      s.factors(),
		PasskeyCount: passkeys,
		UserHandle:   bytes.Clone(rec.UserHandle),
	}
}

// factors are the identity factors every account has.
func (s *Service) factors() []Factor {
	f := []Factor{FactorPassword, FactorTOTP}
	if s.mailer != nil {
		f = append(f, FactorEmailCode)
	}
	return f
}

// authenticate resolves a session token to its active account.
// A restricted session passes: calls it may not make use
// authenticateSensitive.
func (s *Service) authenticate(tx Tx, token string) (*AccountRecord, error) {
	_, rec, err := s.session(tx, token)
	return rec, err
}

// newSession starts a session for rec, which has passkeys passkeys.
func (s *Service) newSession(tx Tx, rec *AccountRecord, passkeys int) (*Session, error) {
	token := randomToken()
	now := s.now().UTC()
	sr := &SessionRecord{Hash: hashToken(token), AccountID: rec.ID, CreatedAt: now, ExpiresAt: now.Add(SessionLifetime)}
	if err := tx.InsertSession(sr); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: sr.ExpiresAt, Account: *s.publicAccount(rec, passkeys)}, nil
}

// --- factors and their abuse limits ----------------------------------------

// checkLock returns a *LockedError while the factor is locked.
func (s *Service) checkLock(tx Tx, accountID string, f Factor) error {
	st, err := tx.FactorState(accountID, f)
	if err != nil {
		return err
	}
	if s.now().Before(st.LockedUntil) {
		return &LockedError{Factor: f, Until: st.LockedUntil}
	}
	return nil
}

// failFactor counts a wrong attempt and returns wrong, or a *LockedError
// when this attempt locked the factor.
func (s *Service) failFactor(tx Tx, accountID string, f Factor, wrong error) error {
	st, err := tx.FactorState(accountID, f)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if !st.LockedUntil.IsZero() && !now.Before(st.LockedUntil) {
		st.Failures, st.LockedUntil = 0, time.Time{} // an expired lock starts afresh
	}
	st.Failures++
	if st.Failures >= MaxFailures {
		st.LockedUntil = now.Add(LockDuration)
		wrong = &LockedError{Factor: f, Until: st.LockedUntil}
		if err := tx.AppendEvent(accountID, s.event(EventFactorLocked, string(f))); err != nil {
			return err
		}
	}
	if err := tx.PutFactorState(accountID, f, st); err != nil {
		return err
	}
	return wrong
}

func (s *Service) resetFactor(tx Tx, accountID string, f Factor) error {
	st, err := tx.FactorState(accountID, f)
	if err != nil || (st.Failures == 0 && st.LockedUntil.IsZero()) {
		return err
	}
	st.Failures, st.LockedUntil = 0, time.Time{}
	return tx.PutFactorState(accountID, f, st)
}

// checkTOTP checks a code against the account's secret, never accepting a
// time step twice, and counts failures. A nil return means the code was
// good and its step is now used.
func (s *Service) checkTOTP(tx Tx, rec *AccountRecord, code string) error {
	if err := s.checkLock(tx, rec.ID, FactorTOTP); err != nil {
		return err
	}
	secret, err := s.open(rec.ID, rec.TOTPSecret)
	if err != nil {
		return fmt.Errorf("opening the authenticator secret: %w", err)
	}
	key, err := decodeTOTPSecret(string(secret))
	if err != nil {
		return err
	}
	st, err := tx.FactorState(rec.ID, FactorTOTP)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(key, code, s.now(), st.LastStep)
	if !ok {
		return s.failFactor(tx, rec.ID, FactorTOTP, ErrInvalidCode)
	}
	st.LastStep, st.Failures, st.LockedUntil = step, 0, time.Time{}
	return tx.PutFactorState(rec.ID, FactorTOTP, st)
}

// --- small helpers ---------------------------------------------------------

// sweepInterval is how often expired sessions, verifications, grants,
// ceremonies and phone enrollments are deleted. The sweep scans whole
// tables, so it runs at most this often rather than with every new
// ceremony; an expired row is refused on its own expiry time meanwhile.
const sweepInterval = time.Minute

// sweepExpired deletes expired rows in tx when a sweep is due at now.
func (s *Service) sweepExpired(tx Tx, now time.Time) error {
	s.sweepMu.Lock()
	due := !now.Before(s.nextSweep)
	if due {
		s.nextSweep = now.Add(sweepInterval)
	}
	s.sweepMu.Unlock()
	if !due {
		return nil
	}
	return tx.DeleteExpired(now)
}

func (s *Service) event(t EventType, detail string) *Event {
	return s.eventFrom(SourceApp, t, detail)
}

func (s *Service) eventFrom(source string, t EventType, detail string) *Event {
	return &Event{At: s.now().UTC(), Type: t, Detail: detail, Source: source}
}

func (s *Service) seal(accountID string, plain []byte) []byte {
	nonce := randomBytes(s.aead.NonceSize())
	return s.aead.Seal(nonce, nonce, plain, []byte(accountID))
}

func (s *Service) open(accountID string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], []byte(accountID))
}

func normalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > 254 ||
		!strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return email, &InputError{Field: "email", Reason: "enter an address like name@example.com"}
	}
	return email, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

func randomID() string    { return base64.RawURLEncoding.EncodeToString(randomBytes(16)) }
func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
