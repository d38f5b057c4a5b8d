package account

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
)

// EnrollmentLifetime is how long a phone enrollment link lives.
const EnrollmentLifetime = 5 * time.Minute

// EnrollmentState is where a phone enrollment stands. It moves forward:
// waiting → opened → code-confirmed → passkey-created → done, or to
// expired or canceled from any state before done. Only a handover
// (HandOverPhoneEnrollment) takes it back, from opened or code-confirmed
// to opened with another device.
type EnrollmentState string

// The enrollment states.
const (
	EnrollmentWaiting        EnrollmentState = "waiting"         // the link is shown, no phone has opened it
	EnrollmentOpened         EnrollmentState = "opened"          // a phone opened the link and shows the match code
	EnrollmentCodeConfirmed  EnrollmentState = "code-confirmed"  // the match code the phone shows was typed on the desktop
	EnrollmentPasskeyCreated EnrollmentState = "passkey-created" // the phone sent a new credential; it is being checked
	EnrollmentDone           EnrollmentState = "done"            // the passkey is bound
	EnrollmentExpired        EnrollmentState = "expired"
	EnrollmentCanceled       EnrollmentState = "canceled"
)

// Ended reports whether the state is final.
func (st EnrollmentState) Ended() bool {
	return st == EnrollmentDone || st == EnrollmentExpired || st == EnrollmentCanceled
}

// rank orders the states; a watch never goes back.
func (st EnrollmentState) rank() int {
	switch st {
	case EnrollmentWaiting:
		return 0
	case EnrollmentOpened:
		return 1
	case EnrollmentCodeConfirmed:
		return 2
	case EnrollmentPasskeyCreated:
		return 3
	}
	return 4
}

// Errors of the phone enrollment page's calls.
var (
	// ErrEnrollmentEnded: the link is unknown, used, expired or canceled.
	// An *EnrollmentEndedError says which, when the link is known.
	ErrEnrollmentEnded = errors.New("this enrollment link has expired or was already used")
	// ErrEnrollmentInUse: another device opened the link first (or was
	// let take it over). The desktop hears that this one tried
	// (EnrollmentStatus.Contender) and may hand the link over to it.
	ErrEnrollmentInUse = errors.New("this enrollment link is open on another device")
	// ErrEnrollmentStep: the call does not fit the enrollment's state (the
	// options before the match code is confirmed on the desktop, say).
	ErrEnrollmentStep = errors.New("this step of the enrollment is not open now")
)

// EnrollmentEndedError says how an enrollment ended. It matches
// ErrEnrollmentEnded under errors.Is.
type EnrollmentEndedError struct {
	State  EnrollmentState
	Reason string
}

func (e *EnrollmentEndedError) Error() string {
	switch e.State {
	case EnrollmentDone:
		return "this enrollment link was already used"
	case EnrollmentExpired:
		return "this enrollment link has expired"
	}
	if e.Reason != "" {
		return "the enrollment was canceled: " + e.Reason
	}
	return "the enrollment was canceled"
}

// Is makes errors.Is(err, ErrEnrollmentEnded) hold.
func (e *EnrollmentEndedError) Is(target error) bool { return target == ErrEnrollmentEnded }

// Why an enrollment was canceled.
const (
	reasonDesktop    = "canceled on the desktop"
	reasonSignedOut  = "signed out on the desktop"
	reasonGrant      = "the identity verification is no longer valid"
	reasonTooMany    = "too many wrong codes"
	reasonRejected   = "the passkey was rejected"
	phonePageSource  = "phone page"
	desktopAppSource = "app"
)

// PhoneEnrollment is a started phone enrollment, for the desktop to show.
type PhoneEnrollment struct {
	ID string
	// URL is the one-time link for the phone (show it as a QR code). Its
	// token is in the fragment, so it reaches neither server logs nor
	// Referer headers. It is secret until used.
	URL       string
	ExpiresAt time.Time
}

// EnrollmentStatus is what the desktop sees of an enrollment.
type EnrollmentStatus struct {
	ID        string
	State     EnrollmentState
	Reason    string // why it was canceled, or ""
	ExpiresAt time.Time
	// Browser names the browser that opened the link, from its
	// User-Agent ("Chrome on Android"), once one has; "" before. The
	// desktop shows it where the user types the phone's match code, so a
	// link opened by someone else is noticed. It is the browser's own
	// claim, put in a fixed set of words (see browserOf).
	Browser string
	// Contender names (as Browser does) another device that tried to
	// open the link while the one named by Browser held it: a second
	// browser, a tab, or someone else. "" when none has since the last
	// handover. The desktop offers to let it take over
	// (HandOverPhoneEnrollment) or to start again with a new link.
	Contender string `json:",omitempty"`
	// Tries counts the other devices that tried to open the link;
	// Handovers the times one was let take it over.
	Tries     int `json:",omitempty"`
	Handovers int `json:",omitempty"`
	// Passkey is the bound passkey when State is done.
	Passkey *Passkey
}

// newer reports whether st comes after last: after a handover, in a later
// state, or with another device's try. A watch passes on only newer
// statuses, so a status read again (another instance's change, a resync)
// is not sent twice and none goes back.
func (st EnrollmentStatus) newer(last EnrollmentStatus) bool {
	if st.Handovers != last.Handovers {
		return st.Handovers > last.Handovers
	}
	if st.State.rank() != last.State.rank() {
		return st.State.rank() > last.State.rank()
	}
	return st.Tries > last.Tries && !st.State.Ended()
}

// PhonePage is what the enrollment page may show: nothing of the account
// beyond a masked email.
type PhonePage struct {
	Email     string // masked: "a•••@example.com"
	State     EnrollmentState
	ExpiresAt time.Time
	// MatchCode is the 6-digit code the page shows, for the user to type
	// on the desktop (ConfirmPhoneEnrollmentCode). Only
	// OpenPhoneEnrollment sets it, while the code waits to be confirmed;
	// each open makes a new one, and the service keeps only its MAC.
	MatchCode string
}

// BeginPhoneEnrollment implements API. It needs the desktop session and an
// add-passkey grant; the enrollment is bound to both, and lives
// EnrollmentLifetime or until the grant expires, whichever comes first.
func (s *Service) BeginPhoneEnrollment(ctx context.Context, token, grant string) (*PhoneEnrollment, error) {
	link := newLinkToken()
	now := s.now().UTC()
	e := &PhoneEnrollmentRecord{
		ID:          randomID(),
		TokenHash:   hashToken(link),
		SessionHash: hashToken(token),
		GrantHash:   hashToken(grant),
		State:       EnrollmentWaiting,
		CreatedAt:   now,
		ExpiresAt:   now.Add(EnrollmentLifetime),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeAddPasskey)
		if err != nil {
			return err
		}
		if g.ExpiresAt.Before(e.ExpiresAt) {
			e.ExpiresAt = g.ExpiresAt
		}
		e.AccountID = rec.ID
		if err := s.sweepExpired(tx, now); err != nil {
			return err
		}
		return tx.InsertPhoneEnrollment(e)
	})
	if err != nil {
		return nil, err
	}
	return &PhoneEnrollment{ID: e.ID, URL: s.publicURL + "/enroll#" + link, ExpiresAt: e.ExpiresAt}, nil
}

// PhoneEnrollmentStatus implements API, in a read transaction (see
// enrollmentStatus).
func (s *Service) PhoneEnrollmentStatus(ctx context.Context, token, id string) (*EnrollmentStatus, error) {
	return s.enrollmentStatus(ctx, token, id)
}

// CancelPhoneEnrollment implements API. Canceling an enrollment that has
// ended is not an error.
func (s *Service) CancelPhoneEnrollment(ctx context.Context, token, id string) error {
	return s.desktopUpdate(ctx, token, id, func(tx Tx, e *PhoneEnrollmentRecord) error {
		if e.State.Ended() {
			return nil
		}
		return s.endEnrollment(tx, e, EnrollmentCanceled, reasonDesktop, desktopAppSource)
	})
}

// WatchPhoneEnrollment implements API. The channel gets the current status
// at once, then every change, and is closed after a final state or when
// ctx ends. A reader that falls behind loses no state: changes queue. A
// session has at most MaxWatchesPerSession open (ErrTooManyWatches); one
// is given back before its channel closes.
func (s *Service) WatchPhoneEnrollment(ctx context.Context, token, id string) (<-chan EnrollmentStatus, error) {
	release, err := s.watchers.hold(hashToken(token))
	if err != nil {
		return nil, err
	}
	sub := s.watchers.subscribe(id)
	first, err := s.PhoneEnrollmentStatus(ctx, token, id)
	if err != nil {
		s.watchers.unsubscribe(id, sub)
		release()
		return nil, err
	}
	out := make(chan EnrollmentStatus, 1)
	go func() {
		defer close(out)
		defer release()
		defer s.watchers.unsubscribe(id, sub)
		send := func(st EnrollmentStatus) bool {
			select {
			case out <- st:
				return !st.State.Ended()
			case <-ctx.Done():
				return false
			}
		}
		if !send(*first) {
			return
		}
		last := *first
		// The expiry timer runs on the wall clock; the service's clock
		// decides (expireDue), so a test clock can hold an enrollment open.
		timer := time.NewTimer(max(first.ExpiresAt.Sub(s.now()), 0) + 10*time.Millisecond)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.wake:
				for _, st := range sub.take() {
					if !st.newer(last) {
						continue
					}
					last = st
					if !send(st) {
						return
					}
				}
			case <-timer.C:
				if err := s.expireDue(ctx, id); err != nil && ctx.Err() != nil {
					return
				}
				timer.Reset(time.Second)
			}
		}
	}()
	return out, nil
}

// OpenPhoneEnrollment implements API: the page's first call. device is a
// random key the page keeps for the life of the enrollment; the first
// device to open the link holds it, and any other gets
// ErrEnrollmentInUse, while the desktop hears that it tried (its
// browser, as the Contender of the status) until the phone sends its
// passkey. Until the code is confirmed on the desktop, each
// open from the holding device (the first, or a reload) makes a new match
// code for the page to show and keeps only its MAC; the one before stops
// working.
func (s *Service) OpenPhoneEnrollment(ctx context.Context, link, device, userAgent string) (*PhonePage, error) {
	if err := checkDevice(device); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(userAgent) > 512 || !utf8.ValidString(userAgent) {
		userAgent = truncate(strings.ToValidUTF8(userAgent, ""), 512)
	}
	var page *PhonePage
	err := s.pageUpdate(ctx, link, "", true, func(tx Tx, e *PhoneEnrollmentRecord, rec *AccountRecord) (error, error) {
		dh := hashToken(device)
		first := e.DeviceHash == nil
		if !first && subtle.ConstantTimeCompare(dh, e.DeviceHash) != 1 {
			return ErrEnrollmentInUse, s.contend(tx, e, dh, userAgent)
		}
		page = &PhonePage{Email: maskEmail(rec.Email), ExpiresAt: e.ExpiresAt}
		if first || e.State == EnrollmentOpened {
			page.MatchCode = randomDigits(6)
			e.CodeHash = s.matchCodeMAC(e.ID, page.MatchCode)
		}
		switch {
		case first:
			e.DeviceHash, e.UserAgent = dh, userAgent
			if err := s.moveEnrollment(tx, e, EnrollmentOpened, EventPhoneEnrollmentOpened, browserOf(userAgent)); err != nil {
				return nil, err
			}
		case page.MatchCode != "":
			if err := tx.UpdatePhoneEnrollment(e); err != nil {
				return nil, err
			}
		}
		page.State = e.State
		return nil, nil
	})
	return page, err
}

// ConfirmPhoneEnrollmentCode implements API: the user typed, on the
// desktop, the match code the phone shows. Only the desktop session the
// enrollment is bound to may; for any other the enrollment is not found.
// Spaces and dashes in code are ignored. A wrong code gives
// ErrInvalidCode; the MaxFailures-th wrong one cancels the enrollment.
func (s *Service) ConfirmPhoneEnrollmentCode(ctx context.Context, token, id, code string) (*EnrollmentStatus, error) {
	var st *EnrollmentStatus
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := s.boundEnrollment(tx, token, id)
		if err != nil {
			return err
		}
		if verr, err = s.checkMatchCode(tx, e, code); err != nil || verr != nil {
			return err
		}
		st, err = s.statusOf(tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, verr
}

// contend records that the device whose key hashes to dh tried to open
// e's link while another holds it, and tells the desktop, unless it is
// the one recorded already or the phone has sent its passkey.
func (s *Service) contend(tx Tx, e *PhoneEnrollmentRecord, dh []byte, userAgent string) error {
	if e.State.rank() > EnrollmentCodeConfirmed.rank() || subtle.ConstantTimeCompare(dh, e.ContenderHash) == 1 {
		return nil
	}
	e.ContenderHash, e.ContenderAgent = dh, userAgent
	e.Tries++
	if err := tx.UpdatePhoneEnrollment(e); err != nil {
		return err
	}
	if err := tx.AppendEvent(e.AccountID, s.phoneEvent(EventPhoneEnrollmentTried, browserOf(userAgent))); err != nil {
		return err
	}
	s.pending(tx, enrollmentStatus(e))
	return nil
}

// HandOverPhoneEnrollment implements API: the device that last tried to
// open the link takes it over. The enrollment goes back to opened with
// that device and no match code; the device's next open makes one, as a
// first open does. A challenge issued to the device before is dropped.
func (s *Service) HandOverPhoneEnrollment(ctx context.Context, token, id string) (*EnrollmentStatus, error) {
	var st *EnrollmentStatus
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := s.boundEnrollment(tx, token, id)
		if err != nil {
			return err
		}
		if verr, err = s.desktopLive(tx, e); err != nil || verr != nil {
			return err
		}
		if e.ContenderHash == nil || e.State.rank() > EnrollmentCodeConfirmed.rank() {
			verr = ErrEnrollmentStep
			return nil
		}
		if e.Challenge != "" {
			if _, err := tx.TakeCeremony(e.Challenge); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		e.DeviceHash, e.UserAgent = e.ContenderHash, e.ContenderAgent
		e.ContenderHash, e.ContenderAgent = nil, ""
		e.CodeHash, e.Challenge = nil, ""
		e.Handovers++
		if err := s.moveEnrollment(tx, e, EnrollmentOpened, EventPhoneEnrollmentHandedOver, browserOf(e.UserAgent)); err != nil {
			return err
		}
		st, err = s.statusOf(tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, verr
}

// boundEnrollment reads enrollment id for a desktop call that only the
// session it is bound to may make: for any other session, of this
// account or another, it is ErrNotFound.
func (s *Service) boundEnrollment(tx Tx, token, id string) (*PhoneEnrollmentRecord, error) {
	rec, err := s.authenticate(tx, token)
	if err != nil {
		return nil, err
	}
	e, err := tx.PhoneEnrollmentByID(id)
	if err != nil {
		return nil, err
	}
	if e.AccountID != rec.ID || subtle.ConstantTimeCompare(e.SessionHash, hashToken(token)) != 1 {
		return nil, ErrNotFound
	}
	return e, nil
}

// desktopLive checks, for a desktop call, that e can go on: not ended,
// not expired, its session and grant still good; else it ends e and
// returns why as verr. Like pageUpdate's fn it returns the caller's
// error verr (committed) and a storage failure err (rolled back).
func (s *Service) desktopLive(tx Tx, e *PhoneEnrollmentRecord) (verr, err error) {
	if e.State.Ended() {
		return &EnrollmentEndedError{State: e.State, Reason: e.Reason}, nil
	}
	end := func(st EnrollmentState, reason string) (error, error) {
		return &EnrollmentEndedError{State: st, Reason: reason}, s.endEnrollment(tx, e, st, reason, desktopAppSource)
	}
	now := s.now()
	if !now.Before(e.ExpiresAt) {
		return end(EnrollmentExpired, "")
	}
	if _, reason, err := s.bindingGone(tx, e, now); err != nil {
		return nil, err
	} else if reason != "" {
		return end(EnrollmentCanceled, reason)
	}
	return nil, nil
}

// checkMatchCode checks code against e's and, when right, moves e to
// code-confirmed. Like pageUpdate's fn it returns the caller's error
// verr (committed, so counts and state changes stay) and a storage
// failure err (rolled back).
func (s *Service) checkMatchCode(tx Tx, e *PhoneEnrollmentRecord, typed string) (verr, err error) {
	if verr, err := s.desktopLive(tx, e); err != nil || verr != nil {
		return verr, err
	}
	end := func(st EnrollmentState, reason string) (error, error) {
		return &EnrollmentEndedError{State: st, Reason: reason}, s.endEnrollment(tx, e, st, reason, desktopAppSource)
	}
	if e.State != EnrollmentOpened {
		return ErrEnrollmentStep, nil
	}
	code, err := typedMatchCode(typed)
	if err != nil {
		return err, nil // not a code at all: not counted
	}
	if !hmac.Equal(s.matchCodeMAC(e.ID, code), e.CodeHash) {
		e.Failures++
		if err := tx.AppendEvent(e.AccountID, s.event(EventVerificationFailed, "phone enrollment: wrong match code")); err != nil {
			return nil, err
		}
		if e.Failures >= MaxFailures {
			return end(EnrollmentCanceled, reasonTooMany)
		}
		return ErrInvalidCode, tx.UpdatePhoneEnrollment(e)
	}
	e.State = EnrollmentCodeConfirmed
	if err := tx.UpdatePhoneEnrollment(e); err != nil {
		return nil, err
	}
	if err := tx.AppendEvent(e.AccountID, s.event(EventPhoneEnrollmentConfirmed, browserOf(e.UserAgent))); err != nil {
		return nil, err
	}
	s.pending(tx, enrollmentStatus(e))
	return nil, nil
}

// PhoneEnrollmentOptions implements API: creation options JSON (as
// BeginRegistration's) for a phone passkey, only once the match code is
// confirmed. Asking again replaces the challenge.
func (s *Service) PhoneEnrollmentOptions(ctx context.Context, link, device string) (json.RawMessage, error) {
	var out json.RawMessage
	err := s.pageUpdate(ctx, link, device, false, func(tx Tx, e *PhoneEnrollmentRecord, rec *AccountRecord) (error, error) {
		if e.State != EnrollmentCodeConfirmed {
			return ErrEnrollmentStep, nil
		}
		var err error
		out, e.Challenge, err = s.creationOptions(tx, rec, KindPhone)
		if err != nil {
			return nil, err
		}
		return nil, tx.UpdatePhoneEnrollment(e)
	})
	return out, err
}

// FinishPhoneEnrollment implements API: the page posts the credential
// navigator.credentials.create returned. It must answer the challenge of
// this enrollment's options. On success the passkey is bound with a name
// from its model and the phone's platform ("iPhone — iCloud Keychain"),
// the grant is used up and the enrollment is done; a credential that does
// not verify ends the enrollment. As with FinishRegistration, unless the
// grant came from a passkey past its own hold, the new passkey and
// withdrawals and C2C trades are held for RemovalHold.
func (s *Service) FinishPhoneEnrollment(ctx context.Context, link, device string, credential json.RawMessage) (*Passkey, error) {
	parsed, perr := protocol.ParseCredentialCreationResponseBytes(credential)
	challenge := ""
	if perr == nil {
		challenge = parsed.Response.CollectedClientData.Challenge
	}
	// First change: the result arrived. Only one result is ever checked.
	err := s.pageUpdate(ctx, link, device, false, func(tx Tx, e *PhoneEnrollmentRecord, rec *AccountRecord) (error, error) {
		if e.State != EnrollmentCodeConfirmed || e.Challenge == "" {
			return ErrEnrollmentStep, nil
		}
		if perr != nil || challenge != e.Challenge {
			detail := perr
			if detail == nil {
				detail = errors.New("the challenge is not this enrollment's")
			}
			if _, err := tx.TakeCeremony(e.Challenge); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			return rejected(detail), s.endEnrollment(tx, e, EnrollmentCanceled, reasonRejected, phonePageSource)
		}
		return nil, s.moveEnrollment(tx, e, EnrollmentPasskeyCreated, "", "")
	})
	if err != nil {
		return nil, err
	}
	// Second change: verify and bind, or end.
	var pk *Passkey
	err = s.pageUpdate(ctx, link, device, false, func(tx Tx, e *PhoneEnrollmentRecord, rec *AccountRecord) (error, error) {
		if e.State != EnrollmentPasskeyCreated {
			return ErrEnrollmentStep, nil
		}
		c, verr := s.takeCeremony(tx, e.Challenge, CeremonyRegistration, rec.ID)
		if verr == nil {
			// pageUpdate has checked the grant is there and good.
			g, err := tx.GrantByHash(e.GrantHash)
			if err != nil {
				return nil, err
			}
			pk, verr, err = s.addPasskey(tx, rec, g, c, parsed, func(p *Passkey) string {
				return phonePasskeyName(p.Model, e.UserAgent)
			}, phonePageSource)
			if err != nil {
				return nil, err
			}
		}
		if verr != nil {
			return verr, s.endEnrollment(tx, e, EnrollmentCanceled, reasonRejected, phonePageSource)
		}
		e.PasskeyID = pk.ID
		e.State = EnrollmentDone
		if err := tx.UpdatePhoneEnrollment(e); err != nil {
			return nil, err
		}
		done := enrollmentStatus(e)
		done.Passkey = pk
		s.pending(tx, done)
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return pk, nil
}

// --- the steps' common checks ---------------------------------------------------

// desktopUpdate runs fn on the enrollment id of the session's account, in
// one transaction, after ending it if its time is up.
func (s *Service) desktopUpdate(ctx context.Context, token, id string, fn func(Tx, *PhoneEnrollmentRecord) error) error {
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		e, err := tx.PhoneEnrollmentByID(id)
		if err == nil && e.AccountID != rec.ID {
			err = ErrNotFound
		}
		if err != nil {
			return err
		}
		if !e.State.Ended() && !s.now().Before(e.ExpiresAt) {
			if err := s.endEnrollment(tx, e, EnrollmentExpired, "", desktopAppSource); err != nil {
				return err
			}
		}
		return fn(tx, e)
	})
}

// pageUpdate runs fn, in one transaction, on the live enrollment of a
// link for a page-side call. Before fn it ends the enrollment when its
// time is up, the desktop session has ended, or the grant is no longer
// valid, and (unless opening, where fn claims it) checks that device
// holds it. fn returns the caller's error verr (committed, so counts and
// state changes stay) and a storage failure err (rolled back).
func (s *Service) pageUpdate(ctx context.Context, link, device string, opening bool, fn func(Tx, *PhoneEnrollmentRecord, *AccountRecord) (verr, err error)) error {
	if !validLink(link) {
		return ErrEnrollmentEnded
	}
	if !opening {
		if err := checkDevice(device); err != nil {
			return err
		}
	}
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.PhoneEnrollmentByTokenHash(hashToken(link))
		if errors.Is(err, ErrNotFound) {
			verr = ErrEnrollmentEnded
			return nil
		}
		if err != nil {
			return err
		}
		if e.State.Ended() {
			verr = &EnrollmentEndedError{State: e.State, Reason: e.Reason}
			return nil
		}
		end := func(st EnrollmentState, reason string) error {
			verr = &EnrollmentEndedError{State: st, Reason: reason}
			return s.endEnrollment(tx, e, st, reason, phonePageSource)
		}
		now := s.now()
		if !now.Before(e.ExpiresAt) {
			return end(EnrollmentExpired, "")
		}
		rec, reason, err := s.bindingGone(tx, e, now)
		if err != nil {
			return err
		}
		if reason != "" {
			return end(EnrollmentCanceled, reason)
		}
		if !opening {
			if e.DeviceHash == nil {
				verr = ErrEnrollmentStep
				return nil
			}
			if subtle.ConstantTimeCompare(hashToken(device), e.DeviceHash) != 1 {
				verr = ErrEnrollmentInUse
				return nil
			}
		}
		verr, err = fn(tx, e, rec)
		return err
	})
	if err != nil {
		return err
	}
	return verr
}

// bindingGone checks the desktop session and the grant e is bound to: it
// returns the session's account while both are good, else why e cannot go
// on.
func (s *Service) bindingGone(tx Tx, e *PhoneEnrollmentRecord, now time.Time) (rec *AccountRecord, reason string, err error) {
	sr, rec, err := tx.SessionAccount(e.SessionHash)
	if errors.Is(err, ErrNotFound) || (err == nil && (!now.Before(sr.ExpiresAt) || !rec.Active)) {
		return nil, reasonSignedOut, nil
	}
	if err != nil {
		return nil, "", err
	}
	g, err := tx.GrantByHash(e.GrantHash)
	if errors.Is(err, ErrNotFound) || (err == nil && !now.Before(g.ExpiresAt)) {
		return nil, reasonGrant, nil
	}
	if err != nil {
		return nil, "", err
	}
	return rec, "", nil
}

// expireDue ends enrollment id as expired when its time is up on the
// service's clock.
func (s *Service) expireDue(ctx context.Context, id string) error {
	if due, err := s.expiryDue(ctx, id); err != nil || !due {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		e, err := tx.PhoneEnrollmentByID(id)
		if err != nil || e.State.Ended() || s.now().Before(e.ExpiresAt) {
			return err
		}
		return s.endEnrollment(tx, e, EnrollmentExpired, "", phonePageSource)
	})
}

// moveEnrollment stores e in state st, logs ev (unless "") and queues the
// change for watchers.
func (s *Service) moveEnrollment(tx Tx, e *PhoneEnrollmentRecord, st EnrollmentState, ev EventType, detail string) error {
	e.State = st
	if err := tx.UpdatePhoneEnrollment(e); err != nil {
		return err
	}
	if ev != "" {
		if err := tx.AppendEvent(e.AccountID, s.phoneEvent(ev, detail)); err != nil {
			return err
		}
	}
	s.pending(tx, enrollmentStatus(e))
	return nil
}

// endEnrollment ends e as expired or canceled, with its event.
func (s *Service) endEnrollment(tx Tx, e *PhoneEnrollmentRecord, st EnrollmentState, reason, source string) error {
	e.State, e.Reason = st, reason
	if err := tx.UpdatePhoneEnrollment(e); err != nil {
		return err
	}
	ev := &Event{At: s.now().UTC(), Type: EventPhoneEnrollmentExpired, Source: source}
	if st == EnrollmentCanceled {
		ev.Type, ev.Detail = EventPhoneEnrollmentCanceled, reason
	}
	if err := tx.AppendEvent(e.AccountID, ev); err != nil {
		return err
	}
	s.pending(tx, enrollmentStatus(e))
	return nil
}

func (s *Service) statusOf(tx Tx, e *PhoneEnrollmentRecord) (*EnrollmentStatus, error) {
	st := enrollmentStatus(e)
	if e.State == EnrollmentDone {
		pks, err := tx.Passkeys(e.AccountID)
		if err != nil {
			return nil, err
		}
		for i := range pks {
			if pks[i].ID == e.PasskeyID {
				st.Passkey = &pks[i]
			}
		}
	}
	return &st, nil
}

// enrollmentStatus is e's status, without the passkey.
func enrollmentStatus(e *PhoneEnrollmentRecord) EnrollmentStatus {
	st := EnrollmentStatus{ID: e.ID, State: e.State, Reason: e.Reason, ExpiresAt: e.ExpiresAt, Tries: e.Tries, Handovers: e.Handovers}
	if e.DeviceHash != nil {
		st.Browser = browserOf(e.UserAgent)
	}
	if e.ContenderHash != nil && e.State.rank() <= EnrollmentCodeConfirmed.rank() {
		st.Contender = browserOf(e.ContenderAgent)
	}
	return st
}

func (s *Service) phoneEvent(t EventType, detail string) *Event {
	return &Event{At: s.now().UTC(), Type: t, Detail: detail, Source: phonePageSource}
}

// --- small helpers ---------------------------------------------------------------

// newLinkToken is a link token: 128 random bits, base64url (22 chars).
func newLinkToken() string { return randomID() }

// validLink reports whether link has the shape of a link token, so
// garbage never reaches the database.
func validLink(link string) bool {
	if len(link) != 22 {
		return false
	}
	for i := 0; i < len(link); i++ {
		c := link[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func checkDevice(device string) error {
	if len(device) < 16 || len(device) > 128 {
		return &InputError{Field: "device", Reason: "use a random key of 16 to 128 characters"}
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// deviceOf names the device of a User-Agent: "iPhone", "iPad",
// "Android", "Mac", "Windows", "ChromeOS", "Linux", or "".
func deviceOf(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone"):
		return "iPhone"
	case strings.Contains(ua, "iPad"):
		return "iPad"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Macintosh"), strings.Contains(ua, "Mac OS X"):
		return "Mac"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Linux"):
		return "Linux"
	}
	return ""
}

// browserOf names the browser of a User-Agent and the device it runs on,
// "Chrome on Android", "Safari on iPhone", in a fixed set of words: what
// the User-Agent says beyond them is never shown. Either part may be
// unknown: "Firefox", "Unknown browser on Windows", "Unknown browser".
func browserOf(ua string) string {
	var browser string
	switch {
	case strings.Contains(ua, "Edg/"), strings.Contains(ua, "EdgA/"), strings.Contains(ua, "EdgiOS/"):
		browser = "Edge"
	case strings.Contains(ua, "SamsungBrowser/"):
		browser = "Samsung Internet"
	case strings.Contains(ua, "OPR/"), strings.Contains(ua, "OPiOS/"):
		browser = "Opera"
	case strings.Contains(ua, "Firefox/"), strings.Contains(ua, "FxiOS/"):
		browser = "Firefox"
	case strings.Contains(ua, "CriOS/"), strings.Contains(ua, "Chrome/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/"):
		browser = "Safari"
	}
	device := deviceOf(ua)
	switch {
	case browser != "" && device != "":
		return browser + " on " + device
	case browser != "":
		return browser
	case device != "":
		return "Unknown browser on " + device
	}
	return "Unknown browser"
}

// phonePasskeyName is the default name of a phone passkey: the device from
// the User-Agent and the passkey provider from the AAGUID catalog,
// "iPhone — iCloud Keychain". Apple's platform gives an all-zero AAGUID,
// so an Apple device with no known model is taken to be iCloud Keychain.
func phonePasskeyName(model, userAgent string) string {
	device := deviceOf(userAgent)
	provider := model
	if inner, ok := strings.CutPrefix(provider, "Apple Passwords ("); ok {
		provider = strings.TrimSuffix(inner, ")")
	}
	if provider == "" && (device == "iPhone" || device == "iPad" || device == "Mac") {
		provider = "iCloud Keychain"
	}
	var name string
	switch {
	case device != "" && provider != "":
		name = device + " — " + provider
	case provider != "":
		name = provider
	case device != "":
		name = device + " passkey"
	default:
		name = KindPhone.Label()
	}
	return truncate(name, 64)
}
