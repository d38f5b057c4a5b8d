package account

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Sign in with your phone: a desktop that is not signed in begins a phone
// sign-in and shows its one-time link as a QR code, with a code. The
// phone opens the link, shows which computer asks (its name and address,
// the time), takes the code the desktop shows and asserts with a passkey
// (a discoverable credential: the user handle names the account). The
// session then goes to the desktop only, over the watch its one-time
// secret opens: a phone that did not see the desktop's code cannot
// finish, and a link relayed elsewhere gives whoever relays it nothing.

// PhoneSignInLifetime is how long a phone sign-in's link works.
const PhoneSignInLifetime = 3 * time.Minute

// PhoneSignInClaimWindow is how long after its link's expiry a desktop may
// still take the session of a sign-in the phone finished in time.
const PhoneSignInClaimWindow = time.Minute

// CeremonyPhoneSignIn is the ceremony of a phone sign-in's assertion: its
// challenge answers no other login.
const CeremonyPhoneSignIn CeremonyType = "phone-sign-in"

// PhoneSignInState is where a phone sign-in stands. It only moves
// forward: waiting → opened → code-confirmed → approved → done, or to
// expired or canceled from any state before done.
type PhoneSignInState string

// The phone sign-in states.
const (
	PhoneSignInWaiting   PhoneSignInState = "waiting"        // the link is shown; no phone opened it
	PhoneSignInOpened    PhoneSignInState = "opened"         // a phone opened the link
	PhoneSignInConfirmed PhoneSignInState = "code-confirmed" // the phone took the desktop's code and may assert
	PhoneSignInApproved  PhoneSignInState = "approved"       // the phone asserted; the session waits for the desktop
	PhoneSignInDone      PhoneSignInState = "done"           // the desktop took the session
	PhoneSignInExpired   PhoneSignInState = "expired"
	PhoneSignInCanceled  PhoneSignInState = "canceled"
)

// Ended reports whether the state is final.
func (st PhoneSignInState) Ended() bool {
	return st == PhoneSignInDone || st == PhoneSignInExpired || st == PhoneSignInCanceled
}

// Errors of phone sign-in.
var (
	// ErrPhoneSignInEnded: the link is unknown, used, expired or
	// canceled. Start again on the computer.
	ErrPhoneSignInEnded = errors.New("this sign-in link has expired or was already used: start again on your computer")
	// ErrPhoneSignInStep: the call does not fit the sign-in's state (an
	// assertion before the code, say).
	ErrPhoneSignInStep = errors.New("type the code your computer shows first")
)

// Why a phone sign-in was canceled.
const (
	reasonSignInTooMany  = "too many wrong codes"
	reasonSignInRejected = "the passkey was not accepted"
)

// PhoneSignIn is a begun phone sign-in, for the desktop.
type PhoneSignIn struct {
	ID string
	// URL is the one-time link for the phone (show it as a QR code); its
	// token is in the fragment.
	URL string
	// Code is the 6-digit code the desktop shows for the user to type on
	// the phone. The service keeps only its MAC.
	Code string
	// Secret opens the sign-in's watch (WatchPhoneSignIn), the only way
	// to its session. Keep it in memory only; the service keeps only its
	// hash.
	Secret    string
	ExpiresAt time.Time
}

// PhoneSignInStatus is what the desktop's watch sees.
type PhoneSignInStatus struct {
	ID        string
	State     PhoneSignInState
	Reason    string // why it was canceled, or ""
	ExpiresAt time.Time
	// Session is the new session, once, in the done status.
	Session *Session `json:",omitempty"`
}

// PhoneSignInPage is what the phone page shows of a sign-in: the
// computer that asks, never anything of an account.
type PhoneSignInPage struct {
	State PhoneSignInState
	// Computer is the name the desktop gave itself.
	Computer string
	// Address is the desktop's network address as the service saw it, ""
	// when not known (a desktop on its own service).
	Address   string
	BegunAt   time.Time
	ExpiresAt time.Time
	// Email is the masked email of the account signed in, once approved.
	Email string `json:",omitempty"`
}

type clientAddressKey struct{}

// WithClientAddress tells BeginPhoneSignIn the address of the client
// that asks, as the HTTP face resolves it (behind trusted proxies, the
// one they name).
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddressKey{}, addr)
}

func clientAddress(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddressKey{}).(string)
	return truncate(addr, 64)
}

// checkComputerName trims a desktop's name of itself and checks it.
func checkComputerName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) ||
		strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return "", &InputError{Field: "computer", Reason: "name this computer in 1 to 64 characters"}
	}
	return name, nil
}

// BeginPhoneSignIn implements API: no session needed. computer is the
// name the phone page shows; the address it shows is the one
// WithClientAddress put in ctx.
func (s *Service) BeginPhoneSignIn(ctx context.Context, computer string) (*PhoneSignIn, error) {
	computer, err := checkComputerName(computer)
	if err != nil {
		return nil, err
	}
	link, secret, code := newLinkToken(), randomToken(), randomDigits(6)
	now := s.now().UTC()
	r := &PhoneSignInRecord{
		ID:         randomID(),
		TokenHash:  hashToken(link),
		SecretHash: hashToken(secret),
		Computer:   computer,
		Address:    clientAddress(ctx),
		State:      PhoneSignInWaiting,
		CreatedAt:  now,
		ExpiresAt:  now.Add(PhoneSignInLifetime),
	}
	r.CodeHash = s.signInCodeMAC(r.ID, code)
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := s.sweepExpired(tx, now); err != nil {
			return err
		}
		return tx.InsertPhoneSignIn(r)
	})
	if err != nil {
		return nil, err
	}
	return &PhoneSignIn{ID: r.ID, URL: s.publicURL + "/signin#" + link, Code: code, Secret: secret, ExpiresAt: r.ExpiresAt}, nil
}

func (s *Service) signInCodeMAC(id, code string) []byte {
	return s.codeMAC("phone-sign-in-code", id, code)
}

// WatchPhoneSignIn implements API: the sign-in's status at once, then each
// change; the channel closes after a final state or when ctx ends. Only
// the holder of the sign-in's secret may watch: for any other secret the
// sign-in is ErrNotFound. When the phone has approved, the watch takes
// the session (once, for all watches of the sign-in) and its done status
// carries it. A sign-in has at most MaxWatchesPerSession watches open.
func (s *Service) WatchPhoneSignIn(ctx context.Context, id, secret string) (<-chan PhoneSignInStatus, error) {
	secretHash := hashToken(secret)
	first, err := s.phoneSignInStatus(ctx, id, secretHash)
	if err != nil {
		return nil, err
	}
	release, err := s.watchers.hold(append([]byte("phone-sign-in:"), secretHash...))
	if err != nil {
		return nil, err
	}
	wake := s.signInWatchers.subscribe(id)
	out := make(chan PhoneSignInStatus, 1)
	go func() {
		defer close(out)
		defer release()
		defer s.signInWatchers.unsubscribe(id, wake)
		last := PhoneSignInState("")
		st := first
		for {
			if st.State != last {
				last = st.State
				select {
				case out <- *st:
				case <-ctx.Done():
					return
				}
				if st.State.Ended() {
					return
				}
			}
			// The expiry timer runs on the wall clock; the service's clock
			// decides, so a test clock can hold a sign-in open.
			timer := time.NewTimer(max(st.ExpiresAt.Sub(s.now()), 0) + 10*time.Millisecond)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-wake:
			case <-timer.C:
			}
			timer.Stop()
			next, err := s.phoneSignInStatus(ctx, id, secretHash)
			if err != nil {
				return
			}
			st = next
		}
	}()
	return out, nil
}

// phoneSignInStatus reads the sign-in id for the holder of its secret,
// ending it when its time is up and taking its session when the phone has
// approved.
func (s *Service) phoneSignInStatus(ctx context.Context, id string, secretHash []byte) (*PhoneSignInStatus, error) {
	var st *PhoneSignInStatus
	err := s.store.Update(ctx, func(tx Tx) error {
		r, err := tx.PhoneSignInByID(id)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(r.SecretHash, secretHash) != 1 {
			return ErrNotFound
		}
		now := s.now()
		switch {
		case r.State == PhoneSignInApproved && now.Before(r.ExpiresAt.Add(PhoneSignInClaimWindow)):
			sess, err := s.claimPhoneSignIn(tx, r)
			if err != nil {
				return err
			}
			st = signInStatus(r)
			st.Session = sess
			return nil
		case !r.State.Ended() && (r.State == PhoneSignInApproved || !now.Before(r.ExpiresAt)):
			if err := s.endPhoneSignIn(tx, r, PhoneSignInExpired, ""); err != nil {
				return err
			}
		}
		st = signInStatus(r)
		return nil
	})
	return st, err
}

// claimPhoneSignIn makes the session of an approved sign-in r, restricted
// when the phone's passkey may be a clone, and marks r done.
func (s *Service) claimPhoneSignIn(tx Tx, r *PhoneSignInRecord) (*Session, error) {
	rec, err := tx.AccountByID(r.AccountID)
	if errors.Is(err, ErrNotFound) || (err == nil && !rec.Active) {
		return nil, s.endPhoneSignIn(tx, r, PhoneSignInCanceled, "the account is no longer active")
	}
	if err != nil {
		return nil, err
	}
	pks, err := tx.Passkeys(rec.ID)
	if err != nil {
		return nil, err
	}
	sess, err := s.newPasskeySession(tx, rec, len(pks))
	if err != nil {
		return nil, err
	}
	if r.Restricted {
		if err := s.restrictSession(tx, sess); err != nil {
			return nil, err
		}
	}
	r.State = PhoneSignInDone
	if err := tx.UpdatePhoneSignIn(r); err != nil {
		return nil, err
	}
	s.signInChanged(tx, r.ID)
	return sess, nil
}

func signInStatus(r *PhoneSignInRecord) *PhoneSignInStatus {
	return &PhoneSignInStatus{ID: r.ID, State: r.State, Reason: r.Reason, ExpiresAt: r.ExpiresAt}
}

// endPhoneSignIn ends r as expired or canceled.
func (s *Service) endPhoneSignIn(tx Tx, r *PhoneSignInRecord, st PhoneSignInState, reason string) error {
	r.State, r.Reason = st, reason
	if err := tx.UpdatePhoneSignIn(r); err != nil {
		return err
	}
	s.signInChanged(tx, r.ID)
	return nil
}

// signInChanged queues the wake-up of sign-in id's watches, here and on
// other instances, for when tx commits.
func (s *Service) signInChanged(tx Tx, id string) {
	if ntx, ok := tx.(*notifyingTx); ok {
		ntx.signIns = append(ntx.signIns, id)
	}
}

// signInPageUpdate runs fn, in one transaction, on the live sign-in of a
// link for a phone page call, after ending it when its time is up. fn
// returns the caller's error verr (committed, so counts and state changes
// stay) and a storage failure err (rolled back).
func (s *Service) signInPageUpdate(ctx context.Context, link string, fn func(Tx, *PhoneSignInRecord) (verr, err error)) error {
	if !validLink(link) {
		return ErrPhoneSignInEnded
	}
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		r, err := tx.PhoneSignInByTokenHash(hashToken(link))
		if errors.Is(err, ErrNotFound) {
			verr = ErrPhoneSignInEnded
			return nil
		}
		if err != nil {
			return err
		}
		if r.State.Ended() || r.State == PhoneSignInApproved {
			verr = ErrPhoneSignInEnded
			return nil
		}
		if !s.now().Before(r.ExpiresAt) {
			verr = ErrPhoneSignInEnded
			return s.endPhoneSignIn(tx, r, PhoneSignInExpired, "")
		}
		verr, err = fn(tx, r)
		return err
	})
	if err != nil {
		return err
	}
	return verr
}

func pageOf(r *PhoneSignInRecord) *PhoneSignInPage {
	return &PhoneSignInPage{State: r.State, Computer: r.Computer, Address: r.Address, BegunAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// OpenPhoneSignIn implements API: the phone page's first call. It says
// which computer asks and marks the link opened.
func (s *Service) OpenPhoneSignIn(ctx context.Context, link string) (*PhoneSignInPage, error) {
	var page *PhoneSignInPage
	err := s.signInPageUpdate(ctx, link, func(tx Tx, r *PhoneSignInRecord) (error, error) {
		if r.State == PhoneSignInWaiting {
			r.State = PhoneSignInOpened
			if err := tx.UpdatePhoneSignIn(r); err != nil {
				return nil, err
			}
			s.signInChanged(tx, r.ID)
		}
		page = pageOf(r)
		return nil, nil
	})
	return page, err
}

// PhoneSignInOptions implements API: the code typed on the phone (spaces
// and dashes ignored) is checked against the one the desktop shows; when
// right, the answer is request options JSON for a discoverable passkey.
// It is given once: the link is then used. A wrong code gives
// ErrInvalidCode; the MaxFailures-th cancels the sign-in
// (ErrPhoneSignInEnded). What is not 6 digits is an *InputError and not
// counted.
func (s *Service) PhoneSignInOptions(ctx context.Context, link, code string) (json.RawMessage, error) {
	typed, terr := typedMatchCode(code)
	var out json.RawMessage
	err := s.signInPageUpdate(ctx, link, func(tx Tx, r *PhoneSignInRecord) (error, error) {
		if r.State != PhoneSignInWaiting && r.State != PhoneSignInOpened {
			return ErrPhoneSignInEnded, nil
		}
		if terr != nil {
			return &InputError{Field: "code", Reason: "type the 6 digits your computer shows"}, nil
		}
		if !hmac.Equal(s.signInCodeMAC(r.ID, typed), r.CodeHash) {
			r.Failures++
			if r.Failures >= MaxFailures {
				return ErrPhoneSignInEnded, s.endPhoneSignIn(tx, r, PhoneSignInCanceled, reasonSignInTooMany)
			}
			return ErrInvalidCode, tx.UpdatePhoneSignIn(r)
		}
		assertion, session, err := s.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return nil, err
		}
		if out, err = json.Marshal(assertion); err != nil {
			return nil, err
		}
		if err := s.putCeremony(tx, "", CeremonyPhoneSignIn, "", session); err != nil {
			return nil, err
		}
		r.State, r.Challenge = PhoneSignInConfirmed, session.Challenge
		if err := tx.UpdatePhoneSignIn(r); err != nil {
			return nil, err
		}
		s.signInChanged(tx, r.ID)
		return nil, nil
	})
	return out, err
}

// FinishPhoneSignIn implements API: the phone's assertion, for the
// challenge of this sign-in's options, checked as FinishLogin checks one
// (a passkey that may be a clone gives a restricted session). On success
// the sign-in is approved for the passkey's account and the page learns
// the account's masked email; the session itself goes only to the
// desktop's watch. An assertion that does not verify cancels the sign-in.
func (s *Service) FinishPhoneSignIn(ctx context.Context, link string, assertion json.RawMessage) (*PhoneSignInPage, error) {
	parsed, perr := protocol.ParseCredentialRequestResponseBytes(assertion)
	var page *PhoneSignInPage
	err := s.signInPageUpdate(ctx, link, func(tx Tx, r *PhoneSignInRecord) (error, error) {
		if r.State != PhoneSignInConfirmed || r.Challenge == "" {
			return ErrPhoneSignInStep, nil
		}
		fail := func(verr error) (error, error) {
			return verr, s.endPhoneSignIn(tx, r, PhoneSignInCanceled, reasonSignInRejected)
		}
		if perr != nil {
			if _, err := tx.TakeCeremony(r.Challenge); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			return fail(rejected(perr))
		}
		if parsed.Response.CollectedClientData.Challenge != r.Challenge {
			if _, err := tx.TakeCeremony(r.Challenge); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			return fail(rejected(errors.New("the challenge is not this sign-in's")))
		}
		c, verr := s.takeCeremony(tx, r.Challenge, CeremonyPhoneSignIn, "")
		if verr != nil {
			return fail(verr)
		}
		user, pk, verr, err := s.checkLogin(tx, c, parsed)
		if err != nil {
			return nil, err
		}
		if verr != nil {
			return fail(verr)
		}
		detail := "passkey on a phone: " + pk.Name + ", for " + r.Computer
		if r.Address != "" {
			detail += " (" + r.Address + ")"
		}
		if pk.CloneWarning {
			detail += " (possible clone: the session is restricted until confirmed)"
		}
		if err := tx.AppendEvent(user.rec.ID, s.eventFrom(SourcePhonePage, EventSignedIn, detail)); err != nil {
			return nil, err
		}
		r.State, r.AccountID, r.PasskeyID, r.Restricted = PhoneSignInApproved, user.rec.ID, pk.ID, pk.CloneWarning
		if err := tx.UpdatePhoneSignIn(r); err != nil {
			return nil, err
		}
		s.signInChanged(tx, r.ID)
		page = pageOf(r)
		page.Email = maskEmail(user.rec.Email)
		return nil, nil
	})
	return page, err
}
