package account

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The verified email (issue 16). With mail configured, the address an
// account gives is proven by a code sent to it: at sign-up, on "Send
// again", and when the email is changed (to the new address). Until the
// account's email is proven, the email code is no factor of its identity
// checks (password and authenticator code stay, as without mail) and no
// alert goes to it. Without mail (the embedded default) the address is
// taken as given and nothing is sent.

// Limits of email codes.
const (
	// EmailCodeLifetime is how long a code sent to confirm an address
	// is good for.
	EmailCodeLifetime = 30 * time.Minute
	// MaxEmailSends codes may be sent per account in EmailSendWindow.
	MaxEmailSends   = 5
	EmailSendWindow = time.Hour
	// MaxEmailCodeFailures wrong answers to a code drop it: the next one
	// is sent again.
	MaxEmailCodeFailures = 5
)

// Errors of the email confirmation.
var (
	// ErrMailNotConfigured: the service sends no email, so no address
	// is confirmed (it is taken as given).
	ErrMailNotConfigured = errors.New("this service sends no email, so addresses are not confirmed")
	// ErrNoEmailCode: no code is waiting (none was sent, it expired, it
	// was used, or too many wrong answers dropped it); send a new one.
	ErrNoEmailCode = errors.New("no email code is waiting (it expired, was used or was never sent); send a new one")
	// ErrTooManyEmails: MaxEmailSends codes went out within
	// EmailSendWindow.
	ErrTooManyEmails = errors.New("too many email codes were sent; wait an hour and try again")
)

// EmailStatus says where the account's email stands.
type EmailStatus struct {
	// Email is the account's address.
	Email string
	// Configured reports whether the service sends email at all; when
	// false the address is taken as given and Verified is false.
	Configured bool
	// Verified reports whether a code proved Email.
	Verified bool
	// Pending is the address a code is waiting at ("" when none): Email
	// itself, or the new address of a change.
	Pending       string
	CodeExpiresAt time.Time `json:",omitzero"`
	// SendsLeft is how many codes may still be sent in this window.
	SendsLeft int
}

// macEmailConfirm is the codeMAC kind of a confirmation code; its id is
// the account's ID and the address it went to.
const macEmailConfirm = "email-confirm"

// emailProven reports whether the account's email is a factor: mail is
// configured and a code proved the address.
func (s *Service) emailProven(tx Tx, rec *AccountRecord) (bool, error) {
	if s.mailer == nil {
		return false, nil
	}
	st, err := tx.EmailState(rec.ID)
	return err == nil && st.Verified != "" && st.Verified == rec.Email, err
}

func (s *Service) emailStatus(rec *AccountRecord, st EmailState) *EmailStatus {
	out := &EmailStatus{Email: rec.Email, Configured: s.mailer != nil}
	if s.mailer == nil {
		return out
	}
	now := s.now()
	out.Verified = st.Verified != "" && st.Verified == rec.Email
	if st.Pending != "" && now.Before(st.CodeExpiresAt) && st.Failures < MaxEmailCodeFailures {
		out.Pending, out.CodeExpiresAt = st.Pending, st.CodeExpiresAt
	}
	out.SendsLeft = MaxEmailSends
	if now.Before(st.SendsSince.Add(EmailSendWindow)) {
		out.SendsLeft = max(0, MaxEmailSends-st.Sends)
	}
	return out
}

// newEmailCode makes a code for address and writes it into st, counting
// the send against the window: ErrTooManyEmails when the window is full.
func (s *Service) newEmailCode(accountID string, st *EmailState, address string) (string, error) {
	now := s.now().UTC()
	if !now.Before(st.SendsSince.Add(EmailSendWindow)) {
		st.Sends, st.SendsSince = 0, now
	}
	if st.Sends >= MaxEmailSends {
		return "", ErrTooManyEmails
	}
	st.Sends++
	code := randomDigits(6)
	st.Pending, st.CodeHash = address, s.codeMAC(macEmailConfirm, accountID+"\x00"+address, code)
	st.CodeExpiresAt, st.Failures = now.Add(EmailCodeLifetime), 0
	return code, nil
}

// sendEmailCode mails code to address.
func (s *Service) sendEmailCode(ctx context.Context, address, code string, change bool) error {
	what := "confirm this address for your " + s.rpName + " account"
	if change {
		what = "make this address your " + s.rpName + " account's email"
	}
	body := fmt.Sprintf("Your code to %s is %s.\n\nIt is valid for %d minutes. "+
		"If you did not ask for it, ignore this message: nothing changes without the code.\n",
		what, code, int(EmailCodeLifetime.Minutes()))
	if err := s.mailer.Send(ctx, address, s.rpName+" email confirmation code", body); err != nil {
		return fmt.Errorf("sending the email code: %w", err)
	}
	return nil
}

// startEmailConfirmation is sign-up's: a code to the new account's
// address, written in tx; the caller sends it after the commit.
func (s *Service) startEmailConfirmation(tx Tx, rec *AccountRecord) (string, error) {
	if s.mailer == nil {
		return "", nil
	}
	st, err := tx.EmailState(rec.ID)
	if err != nil {
		return "", err
	}
	code, err := s.newEmailCode(rec.ID, &st, rec.Email)
	if err != nil {
		return "", err
	}
	return code, tx.PutEmailState(rec.ID, st)
}

// EmailStatus implements API.
func (s *Service) EmailStatus(ctx context.Context, token string) (*EmailStatus, error) {
	var out *EmailStatus
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		st, err := tx.EmailState(rec.ID)
		out = s.emailStatus(rec, st)
		return err
	})
	return out, err
}

// SendEmailCode implements API: a new code to the address waiting for
// one (the account's own while it is unproven), at most MaxEmailSends in
// EmailSendWindow (ErrTooManyEmails). ErrMailNotConfigured without mail;
// ErrNoEmailCode when the email is proven and no change waits.
func (s *Service) SendEmailCode(ctx context.Context, token string) (*EmailStatus, error) {
	if s.mailer == nil {
		return nil, ErrMailNotConfigured
	}
	var out *EmailStatus
	var code, to string
	var change bool
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		st, err := tx.EmailState(rec.ID)
		if err != nil {
			return err
		}
		// A change waiting for its code, else the account's own address
		// while it is unproven.
		if to = st.Pending; to == "" {
			to = rec.Email
		}
		if to == rec.Email && st.Verified == rec.Email {
			return ErrNoEmailCode
		}
		change = to != rec.Email
		if code, err = s.newEmailCode(rec.ID, &st, to); err != nil {
			return err
		}
		out = s.emailStatus(rec, st)
		return tx.PutEmailState(rec.ID, st)
	})
	if err != nil {
		return nil, err
	}
	if err := s.sendEmailCode(ctx, to, code, change); err != nil {
		return nil, err
	}
	return out, nil
}

// ConfirmEmail implements API: the code sent last proves its address.
// When that is the account's email, it is now verified; when it is a new
// address (ChangeEmail), the account's email becomes it, verified, and
// an alert goes to the old address if that was verified. Errors:
// ErrInvalidCode (counted; MaxEmailCodeFailures drop the code),
// ErrNoEmailCode (none waiting, expired or used), ErrEmailTaken (the new
// address became another account's meanwhile), ErrMailNotConfigured.
func (s *Service) ConfirmEmail(ctx context.Context, token, code string) (*EmailStatus, error) {
	if s.mailer == nil {
		return nil, ErrMailNotConfigured
	}
	code = strings.TrimSpace(code)
	var out *EmailStatus
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		out, verr = nil, nil
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		st, err := tx.EmailState(rec.ID)
		if err != nil {
			return err
		}
		if st.Pending == "" || !s.now().Before(st.CodeExpiresAt) || st.Failures >= MaxEmailCodeFailures {
			return ErrNoEmailCode
		}
		want := s.codeMAC(macEmailConfirm, rec.ID+"\x00"+st.Pending, code)
		if !hmac.Equal(want, st.CodeHash) {
			st.Failures++
			verr = ErrInvalidCode
			if err := tx.PutEmailState(rec.ID, st); err != nil {
				return err
			}
			return tx.AppendEvent(rec.ID, s.event(EventVerificationFailed, "email confirmation: wrong email code"))
		}
		address := st.Pending
		st.Verified, st.Pending, st.CodeHash, st.CodeExpiresAt, st.Failures = address, "", nil, time.Time{}, 0
		if address != rec.Email {
			if other, err := tx.AccountByEmail(address); err == nil && other.Active {
				return ErrEmailTaken
			} else if err == nil {
				// An abandoned sign-up holds nothing (as at SignUp).
				if err := tx.DeleteAccount(other.ID); err != nil {
					return err
				}
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			// The event goes first: its alert is for the old address.
			detail := fmt.Sprintf("from %s to %s", maskEmail(rec.Email), maskEmail(address))
			if err := tx.AppendEvent(rec.ID, s.event(EventEmailChanged, detail)); err != nil {
				return err
			}
			rec.Email = address
			if err := tx.UpdateAccount(rec); err != nil {
				return err
			}
		} else if err := tx.AppendEvent(rec.ID, s.event(EventEmailConfirmed, maskEmail(address))); err != nil {
			return err
		}
		out = s.emailStatus(rec, st)
		return tx.PutEmailState(rec.ID, st)
	})
	if err != nil {
		return nil, err
	}
	return out, verr
}

// ChangeEmail implements API: with a change-email grant (used up) and a
// session that is not restricted, a code goes to newEmail; the account's
// email changes when ConfirmEmail gets it. Errors: *InputError (not an
// address, or the same as now), ErrEmailTaken, ErrGrantRequired,
// ErrTooManyEmails, ErrMailNotConfigured.
func (s *Service) ChangeEmail(ctx context.Context, token, grant, newEmail string) (*EmailStatus, error) {
	if s.mailer == nil {
		return nil, ErrMailNotConfigured
	}
	email, err := normalizeEmail(newEmail)
	if err != nil {
		return nil, err
	}
	var out *EmailStatus
	var code string
	err = s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		g, err := s.useGrant(tx, rec.ID, grant, PurposeChangeEmail)
		if err != nil {
			return err
		}
		if email == rec.Email {
			return &InputError{Field: "email", Reason: "this is the account's address already"}
		}
		if other, err := tx.AccountByEmail(email); err == nil && other.Active {
			return ErrEmailTaken
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		st, err := tx.EmailState(rec.ID)
		if err != nil {
			return err
		}
		if code, err = s.newEmailCode(rec.ID, &st, email); err != nil {
			return err
		}
		if err := tx.DeleteGrant(g.Hash); err != nil {
			return err
		}
		if err := tx.AppendEvent(rec.ID, s.event(EventEmailChangeStarted, "code sent to "+maskEmail(email))); err != nil {
			return err
		}
		out = s.emailStatus(rec, st)
		return tx.PutEmailState(rec.ID, st)
	})
	if err != nil {
		return nil, err
	}
	if err := s.sendEmailCode(ctx, email, code, true); err != nil {
		return nil, err
	}
	return out, nil
}

// fillEmail sets what acct says of the account's email.
func (s *Service) fillEmail(tx Tx, rec *AccountRecord, acct *Account) error {
	proven, err := s.emailProven(tx, rec)
	if proven {
		acct.Factors = append(acct.Factors, FactorEmailCode)
	}
	acct.EmailUnconfirmed = s.mailer != nil && !proven
	return err
}
