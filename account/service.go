package account

import (
	"bytes"
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
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
	VerificationLifetime = 10 * time.Minute // also the email code's life
	GrantLifetime        = 10 * time.Minute
	CeremonyLifetime     = 5 * time.Minute
	// MaxFailures wrong answers at a factor lock it: for LockDuration the
	// first time, four times as long each further time with no success in
	// between (15 min, 1 h, 4 h, 16 h), never longer than MaxLockDuration.
	MaxFailures     = 5
	LockDuration    = 15 * time.Minute
	MaxLockDuration = 24 * time.Hour
	// FailureMemory: a factor with no wrong answer for this long, and not
	// locked, forgets its failures and its lock level.
	FailureMemory = 7 * 24 * time.Hour
)

// Config configures a Service.
type Config struct {
	// RPID is the WebAuthn relying party ID (a domain; "localhost" for the
	// embedded default). RPName is shown by authenticators.
	RPID   string
	RPName string
	// Origins are the origins allowed in clientDataJSON.
	Origins []string
	// SecretKey (32 bytes) seals TOTP secrets at rest, and keys (through
	// HKDF) the MACs kept of email codes and unknown emails. Keep it
	// outside the database (the OS keyring, a server secret).
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
	// SignUpClosed refuses SignUp with ErrSignUpClosed: a server whose
	// accounts are made by its operator.
	SignUpClosed bool
	// SessionLifetime ends a session that long after it began, and
	// SessionIdle one not used for that long; 0 means
	// DefaultSessionLifetime and DefaultSessionIdle.
	SessionLifetime time.Duration
	SessionIdle     time.Duration
	// Logger takes what the service cannot tell its caller (an alert
	// mail that failed); nil means slog.Default().
	Logger *slog.Logger
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
	// signUpClosed refuses new accounts.
	signUpClosed bool
	// sessionLife and sessionIdle end sessions (sessions.go).
	sessionLife, sessionIdle time.Duration
	// seenWrites are the last-seen times being written (sessions.go).
	seenWrites seenWrites
	// log takes failures no caller hears of; alerts are the mails sent
	// after security changes (alerts.go).
	log    *slog.Logger
	alerts sync.WaitGroup
	// devices caches the devices known to have signed in (alerts.go).
	devices deviceCache
	// feed tells of changes other instances make, when the store is
	// shared (nil for one SQLite file).
	feed ChangeFeed
	// approvalWatchers wake the watches of an account's approvals.
	approvalWatchers waker
	// passkeyWatchers wake the requesters' watches of an account's
	// passkeys.
	passkeyWatchers waker
	// passkeyWatching counts each requester key's open passkey watches.
	passkeyWatching keyCounter
	// signInWatchers wake the desktops' watches of phone sign-ins.
	signInWatchers waker
	// watchers are the live watches of phone enrollments.
	watchers notifier
	// dummyPwd is a hash checked for unknown emails and locked accounts,
	// so they take as long as known ones (see dummyHash). It is made on
	// first need: argon2id at production cost takes tens of milliseconds
	// and MiBs, which start-up should not pay.
	dummyOnce sync.Once
	dummyPwd  string
	// nextSweep is when expired rows are next swept (see sweepExpired).
	sweepMu   sync.Mutex
	nextSweep time.Time
	// pageWaits are the phone pages' long polls (WaitPhoneEnrollmentPage).
	pageWaits pageWaits

	// codeKey keys codeMAC; it is derived from the secret key.
	codeKey []byte
	// loginAEAD seals login challenges (loginchallenge.go); its key is
	// derived from the secret key.
	loginAEAD cipher.AEAD
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

		signUpClosed: cfg.SignUpClosed,
		sessionLife:  cmp.Or(cfg.SessionLifetime, DefaultSessionLifetime),
		sessionIdle:  cmp.Or(cfg.SessionIdle, DefaultSessionIdle),
	}
	if s.sessionLife < 0 || s.sessionIdle < 0 {
		return nil, errors.New("account: session lifetimes must not be negative")
	}
	s.codeKey = deriveCodeMACKey(cfg.SecretKey)
	if s.loginAEAD, err = newLoginChallengeAEAD(cfg.SecretKey); err != nil {
		return nil, err
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log = cfg.Logger; s.log == nil {
		s.log = slog.Default()
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
	s.feed, _ = store.(ChangeFeed)
	s.store = &publishingStore{Store: store, svc: s}
	return s, nil
}

// EmailConfigured reports whether the service can send email codes.
func (s *Service) EmailConfigured() bool { return s.mailer != nil }

// --- sign-up -------------------------------------------------------------

// SignUp implements API.
func (s *Service) SignUp(ctx context.Context, req SignUpRequest) (*TOTPEnrollment, error) {
	if s.signUpClosed {
		return nil, ErrSignUpClosed
	}
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
			// An account whose deletion is due is as good as gone,
			// swept or not.
			if due, err := s.deletionDue(tx, old.ID); err != nil || !due {
				if err == nil {
					err = ErrEmailTaken
				}
				return err
			}
			if err := tx.DeleteAccount(old.ID); err != nil {
				return err
			}
		default:
			// An invited account awaits its owner's enrolled key.
			if inv, err := s.invitation(tx, old); err != nil {
				return err
			} else if inv != nil {
				return ErrEmailTaken
			}
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
	var emailCode string
	err := s.store.Update(ctx, func(tx Tx) error {
		emailCode = ""
		rec, err := tx.AccountByID(enrollmentID)
		if errors.Is(err, ErrNotFound) || (err == nil && rec.Active) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		verr = s.checkTOTP(tx, rec, code)
		if _, locked := errors.AsType[*LockedError](verr); locked || errors.Is(verr, ErrInvalidCode) {
			return nil // keep the failure count
		}
		if verr != nil {
			return verr
		}
		rec.Active = true
		if err := tx.UpdateAccount(rec); err != nil {
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventAccountActivated, "authenticator app confirmed")); err != nil {
			return err
		}
		if err := s.seeDevice(tx, rec.ID, true); err != nil {
			return err
		}
		if sess, err = s.newSession(tx, rec, 0, originOf(ctx)); err != nil {
			return err
		}
		if emailCode, err = s.startEmailConfirmation(tx, rec); err != nil {
			return err
		}
		sess.RecoveryCodes, err = s.firstRecoveryCodes(tx, rec.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if emailCode != "" {
		// A code that cannot be sent does not undo the sign-up: the
		// overview offers "Send again".
		if err := s.sendEmailCode(ctx, sess.Account.Email, emailCode, false); err != nil {
			s.log.Warn("the sign-up's email code was not sent", "account", sess.Account.ID, "err", err)
		}
	}
	return sess, verr
}

// --- sign-in and sessions --------------------------------------------------

// SignIn implements API. Every failure gives ErrInvalidCredentials after
// the same work (an argon2id hash and a TOTP check): an unknown email, a
// wrong password, a wrong code and a locked account look alike. The
// attempt is reserved before the hash (see reserve) and settled after it;
// an unknown email has a password state of its own, so it locks as a
// known one does.
func (s *Service) SignIn(ctx context.Context, email, password, code string) (*Session, error) {
	email, emailErr := normalizeEmail(email)
	var (
		rec      *AccountRecord
		ls       []limiter // the email's states: the account's password and TOTP, or the unknown email's
		reserved bool      // an attempt is reserved at each of ls
	)
	if emailErr == nil {
		err := s.store.Update(ctx, func(tx Tx) error {
			rec, ls, reserved = nil, nil, false
			r, err := tx.AccountByEmail(email)
			switch {
			case err == nil && r.Active:
				rec = r
				ls = []limiter{{accountID: r.ID, factor: FactorPassword}, {accountID: r.ID, factor: FactorTOTP}}
			case err == nil || errors.Is(err, ErrNotFound):
				ls = []limiter{{emailMAC: s.codeMAC(macUnknownEmail, "", email), factor: FactorPassword}}
			default:
				return err
			}
			err = s.reserve(tx, ls...)
			if _, locked := errors.AsType[*LockedError](err); locked {
				return nil
			}
			reserved = err == nil
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	hash := s.dummyHash()
	if rec != nil && reserved {
		hash = rec.PasswordHash
	}
	pwOK, pwErr := checkPassword(password, hash)
	if !reserved || rec == nil {
		s.totpWork(nil, code)
	}
	if !reserved { // a malformed email, or locked
		if ls != nil {
			// A locked email takes a second transaction too, as a
			// checked attempt does, reading what that one writes.
			err := s.store.Update(ctx, func(tx Tx) error {
				for _, l := range ls {
					if _, err := l.load(tx); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return nil, ErrInvalidCredentials
	}
	var sess *Session
	verr := ErrInvalidCredentials
	// The attempt is settled even when the caller has gone: it was checked.
	err := s.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		sess, verr = nil, ErrInvalidCredentials
		if rec == nil {
			_, err := s.settle(tx, ls[0], wrongAnswer)
			return err
		}
		if pwErr != nil {
			verr = pwErr
			return s.settleAll(tx, released, ls...)
		}
		pwLimit, totpLimit := ls[0], ls[1]
		if !pwOK {
			s.totpWork(rec, code)
			if _, err := s.settle(tx, pwLimit, wrongAnswer); err != nil {
				return err
			}
			if _, err := s.settle(tx, totpLimit, released); err != nil {
				return err
			}
			return tx.AppendEvent(rec.ID, s.event(EventSignInFailed, "wrong password"))
		}
		ok, recovered, err := s.useSecondFactor(tx, rec, code)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := s.settle(tx, pwLimit, released); err != nil {
				return err
			}
			if _, err := s.settle(tx, totpLimit, wrongAnswer); err != nil {
				return err
			}
			return tx.AppendEvent(rec.ID, s.event(EventSignInFailed, wrongCodeWords(code)))
		}
		if err := s.settleAll(tx, rightAnswer, ls...); err != nil {
			return err
		}
		verr = nil
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		p, err := tx.Policy(rec.ID)
		if err != nil {
			return err
		}
		// Lost passkeys do not count: with none usable left, password and
		// code sign in, under the hold.
		// A recovery code is the way back when the passkeys are gone
		// too (a reset key): it signs in under the hold.
		if p.PasskeyRequired && usablePasskeys(pks) > 0 && !recovered {
			verr = &PolicyError{Rule: RulePasskeySignIn}
			return tx.AppendEvent(rec.ID, s.event(EventSignInFailed, "password refused: a passkey is required"))
		}
		if recovered {
			if err := tx.AppendEvent(rec.ID, s.event(EventSignedIn, "password and recovery code")); err != nil {
				return err
			}
			if err := s.recoveryCodeUsed(tx, rec.ID, "to sign in"); err != nil {
				return err
			}
			sess, err = s.newSession(tx, rec, len(pks), originOf(ctx))
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventSignedIn, "password and authenticator code")); err != nil {
			return err
		}
		if p.PasskeyRequired {
			if err := s.startHold(tx, rec.ID, &p, s.holdEnd(), HoldPasswordSignIn, SourceApp); err != nil {
				return err
			}
		}
		sess, err = s.newSession(tx, rec, len(pks), originOf(ctx))
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
		if errors.Is(err, ErrSetupRequired) {
			sr, rec, _, err = s.setupSession(tx, token)
		}
		if err != nil {
			return err
		}
		pks, err := tx.Passkeys(rec.ID)
		if err != nil {
			return err
		}
		acct = s.publicAccount(rec, len(pks))
		acct.Restricted = sr.Restricted
		acct.SignedInWithPasskey = sr.PasskeyID != ""
		return s.fillEmail(tx, rec, acct)
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
		RPID:         s.rp.Config.RPID,
		// Only an invited account's session can be of an inactive one.
		SetupRequired: !rec.Active,
	}
}

// factors are the identity factors every account has; the email code
// joins them once the address is proven (emailProven).
func (s *Service) factors() []Factor {
	return []Factor{FactorPassword, FactorTOTP}
}

// authenticate resolves a session token to its active account.
// A restricted session passes: calls it may not make use
// authenticateSensitive.
func (s *Service) authenticate(tx Tx, token string) (*AccountRecord, error) {
	_, rec, err := s.session(tx, token)
	return rec, err
}

// newSession starts a session for rec, which has passkeys passkeys,
// made for the client of from. A pending deletion of the account is
// cancelled (signInDeletion).
func (s *Service) newSession(tx Tx, rec *AccountRecord, passkeys int, from sessionOrigin) (*Session, error) {
	canceled, err := s.signInDeletion(tx, rec)
	if err != nil {
		return nil, err
	}
	token := randomToken()
	now := s.now().UTC()
	sr := &SessionRecord{Hash: hashToken(token), AccountID: rec.ID, CreatedAt: now, ExpiresAt: s.sessionEnd(now, now),
		Client: from.client, Address: from.address, LastSeenAt: now, PasskeyID: from.passkeyID}
	if err := tx.InsertSession(sr); err != nil {
		return nil, err
	}
	if err := s.seeDevice(tx, rec.ID, false); err != nil {
		return nil, err
	}
	sess := &Session{Token: token, ExpiresAt: sr.ExpiresAt, Account: *s.publicAccount(rec, passkeys), DeletionCanceled: canceled}
	return sess, s.fillEmail(tx, rec, &sess.Account)
}

// --- factors ---------------------------------------------------------------

// macUnknownEmail is the codeMAC kind of an email no active account has,
// the key of its password's abuse state.
const macUnknownEmail = "unknown-email"

// dummyHash is a password hash checked when there is no real one to
// check (an unknown email, a locked account), so those take as long.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummyPwd, _ = hashPassword("not a password of anyone", s.pw) })
	return s.dummyPwd
}

// dummyTOTPKey is the key totpWork checks codes against when there is no
// account.
var dummyTOTPKey = make([]byte, totpSecretLen)

// totpWork does the work of checking code against rec's secret (a fixed
// key when rec is nil) without using its time step: a sign-in that fails
// before the code matters checks it as one that gets that far does.
func (s *Service) totpWork(rec *AccountRecord, code string) {
	if rc, ok := recoveryCodeForm(code); ok {
		id := ""
		if rec != nil {
			id = rec.ID
		}
		s.codeMAC(macRecoveryCode, id, rc)
		return
	}
	key := dummyTOTPKey
	if rec != nil {
		if secret, err := s.open(rec.ID, rec.TOTPSecret); err == nil {
			if k, err := decodeTOTPSecret(string(secret)); err == nil {
				key = k
			}
		}
	}
	matchTOTP(key, code, s.now(), 0)
}

// useTOTP checks a code against the account's secret, never accepting a
// time step twice; when it matches, its step is used up. It counts
// nothing: callers reserve and settle the attempt.
func (s *Service) useTOTP(tx Tx, rec *AccountRecord, code string) (bool, error) {
	secret, err := s.open(rec.ID, rec.TOTPSecret)
	if err != nil {
		return false, fmt.Errorf("opening the authenticator secret: %w", err)
	}
	key, err := decodeTOTPSecret(string(secret))
	if err != nil {
		return false, err
	}
	st, err := tx.FactorState(rec.ID, FactorTOTP)
	if err != nil {
		return false, err
	}
	step, ok := matchTOTP(key, code, s.now(), st.LastStep)
	if !ok {
		return false, nil
	}
	st.LastStep = step
	return true, tx.PutFactorState(rec.ID, FactorTOTP, st)
}

// checkTOTP checks a code within one transaction, counting a wrong one:
// nil when the code was good (its step is now used), a *LockedError when
// the factor is (or now becomes) locked, ErrInvalidCode otherwise.
func (s *Service) checkTOTP(tx Tx, rec *AccountRecord, code string) error {
	l := limiter{accountID: rec.ID, factor: FactorTOTP}
	if err := s.reserve(tx, l); err != nil {
		return err
	}
	ok, err := s.useTOTP(tx, rec, code)
	if err != nil {
		return err
	}
	if ok {
		_, err := s.settle(tx, l, rightAnswer)
		return err
	}
	locked, err := s.settle(tx, l, wrongAnswer)
	switch {
	case err != nil:
		return err
	case locked != nil:
		return locked
	}
	return ErrInvalidCode
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
	if err := tx.DeleteExpired(now); err != nil {
		return err
	}
	return s.deleteDueAccounts(tx, now)
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
