package account

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
)

// "Approve on your phone": the desktop shows a QR code of a one-time link
// to the service's phone page for one pending approval; the page shows the
// operation and approves it with a passkey on the phone over the same
// detail-bound challenge as the desktop (approveWith), or denies it.

// ApprovalLinkLifetime is the longest an approval link lives; it ends with
// its approval when that comes first.
const ApprovalLinkLifetime = 5 * time.Minute

// Errors of the approval page's calls.
var (
	// ErrApprovalLinkEnded: the link is unknown, has expired, or the
	// desktop session that made it has ended.
	ErrApprovalLinkEnded = errors.New("this approval link is not valid or has expired: show a new one on the desktop")
	// ErrApprovalLinkUsed: the link decided its approval already, was
	// opened on another device first, refused too many answers, or was
	// closed on the desktop (CancelPhoneApproval).
	ErrApprovalLinkUsed = errors.New("this approval link was already used, or closed on the computer: show a new one there")
)

// ApprovalLink is a started "approve on your phone" link, for the desktop
// to show as a QR code.
type ApprovalLink struct {
	ID         string
	ApprovalID string
	// URL is the one-time link to the phone page. Its token is in the
	// fragment, so it reaches neither server logs nor Referer headers.
	// It is secret until used.
	URL       string
	ExpiresAt time.Time
}

// ApprovalPage is what the phone page shows: one approval and nothing
// else of the account but a masked email.
type ApprovalPage struct {
	Email string // masked: "a•••@example.com"
	// Approval is the operation, its state and its times.
	Approval Approval
	// Requester names the API key that asked.
	Requester string
	// LinkExpiresAt is when the link stops working (at the latest the
	// approval's expiry).
	LinkExpiresAt time.Time
	// Now is the service's clock as it read the page, for the page to
	// count down from rather than from the phone's own clock.
	Now time.Time
}

// BeginPhoneApproval implements API: a one-time link for the phone page
// to decide the session's pending approval id, bound to the session and
// living ApprovalLinkLifetime or until the approval expires. The rules of
// BeginApproval apply now (a hold, every passkey held, none that may
// approve), so no link is shown that could not work.
func (s *Service) BeginPhoneApproval(ctx context.Context, token, id string) (*ApprovalLink, error) {
	link := newLinkToken()
	now := s.now().UTC()
	l := &ApprovalLinkRecord{ID: randomID(), TokenHash: hashToken(link), SessionHash: hashToken(token), CreatedAt: now,
		ExpiresAt: now.Add(ApprovalLinkLifetime)}
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		a, err := s.openApproval(tx, rec, id, false)
		if err != nil {
			return err
		}
		if _, err := s.approvalOptions(tx, rec, a); err != nil {
			return err
		}
		l.ApprovalID, l.AccountID = a.ID, rec.ID
		if a.ExpiresAt.Before(l.ExpiresAt) {
			l.ExpiresAt = a.ExpiresAt
		}
		if err := s.sweepExpired(tx, now); err != nil {
			return err
		}
		return tx.InsertApprovalLink(l)
	})
	if err != nil {
		return nil, err
	}
	return &ApprovalLink{ID: l.ID, ApprovalID: l.ApprovalID, URL: s.publicURL + "/approve#" + link, ExpiresAt: l.ExpiresAt}, nil
}

// OpenPhoneApproval implements API: the page's first call. device is a
// random key the page keeps; the first device to open the link holds it,
// and any other gets ErrApprovalLinkUsed. A reload on the holding device
// opens it again.
func (s *Service) OpenPhoneApproval(ctx context.Context, link, device string) (*ApprovalPage, error) {
	var page *ApprovalPage
	err := s.linkUpdate(ctx, link, device, true, func(tx Tx, l *ApprovalLinkRecord, rec *AccountRecord, a *ApprovalRecord) (error, error) {
		view, err := s.loadApproval(tx, a)
		if err != nil {
			return nil, err
		}
		view.Nonce, view.Challenge = nil, nil
		who, err := requesterName(tx, a)
		if err != nil {
			return nil, err
		}
		page = &ApprovalPage{Email: maskEmail(rec.Email), Approval: *view, Requester: who, LinkExpiresAt: l.ExpiresAt,
			Now: s.now().UTC()}
		return nil, nil
	})
	return page, err
}

// PhoneApprovalOptions implements API: the request options JSON of the
// link's approval, exactly as BeginApproval gives them on the desktop.
func (s *Service) PhoneApprovalOptions(ctx context.Context, link, device string) (json.RawMessage, error) {
	var out json.RawMessage
	err := s.linkUpdate(ctx, link, device, false, func(tx Tx, l *ApprovalLinkRecord, rec *AccountRecord, a *ApprovalRecord) (error, error) {
		var err error
		out, err = s.approvalOptions(tx, rec, a)
		return nil, err
	})
	return out, err
}

// FinishPhoneApproval implements API: the page posts the assertion
// navigator.credentials.get returned, and it is checked and recorded as
// FinishApproval does (the events' source is the phone page). Success, or
// a refusal for good, uses the link up; MaxFailures answers refused
// otherwise do too.
func (s *Service) FinishPhoneApproval(ctx context.Context, link, device string, assertion json.RawMessage) (*Approval, error) {
	parsed, perr := protocol.ParseCredentialRequestResponseBytes(assertion)
	var out *Approval
	err := s.linkUpdate(ctx, link, device, false, func(tx Tx, l *ApprovalLinkRecord, rec *AccountRecord, a *ApprovalRecord) (error, error) {
		var verr, err error
		if perr != nil {
			verr = rejected(perr)
		} else if out, verr, err = s.approveWith(tx, rec, a, parsed, SourcePhonePage); err != nil {
			return nil, err
		}
		if verr != nil && a.State == ApprovalPending {
			l.Failures++
		}
		if verr == nil || a.State != ApprovalPending || l.Failures >= MaxFailures {
			l.UsedAt = s.now().UTC()
		}
		return verr, tx.UpdateApprovalLink(l)
	})
	return out, err
}

// DenyPhoneApproval implements API: the page's Deny. The link is used up.
func (s *Service) DenyPhoneApproval(ctx context.Context, link, device string) (*Approval, error) {
	var out *Approval
	err := s.linkUpdate(ctx, link, device, false, func(tx Tx, l *ApprovalLinkRecord, rec *AccountRecord, a *ApprovalRecord) (error, error) {
		var err error
		if out, err = s.deny(tx, rec, a, SourcePhonePage); err != nil {
			return nil, err
		}
		l.UsedAt = s.now().UTC()
		return nil, tx.UpdateApprovalLink(l)
	})
	return out, err
}

// CancelPhoneApproval implements API: the desktop hides the QR code of
// link id (ApprovalLink.ID) and the link stops working at once. Only the
// session that made it may; for any other it is ErrNotFound. Canceling a
// used or expired link is not an error.
func (s *Service) CancelPhoneApproval(ctx context.Context, token, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		l, err := tx.ApprovalLinkByID(id)
		if err == nil && (l.AccountID != rec.ID || subtle.ConstantTimeCompare(l.SessionHash, hashToken(token)) != 1) {
			err = ErrNotFound
		}
		if err != nil || !l.UsedAt.IsZero() {
			return err
		}
		l.UsedAt = s.now().UTC()
		return tx.UpdateApprovalLink(l)
	})
}

// ReadApproval implements API: the session's read of one of its account's
// approvals, in any state; ErrNotFound for another account's.
func (s *Service) ReadApproval(ctx context.Context, token, id string) (*Approval, error) {
	var out *Approval
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		a, err := tx.ApprovalByID(id)
		if err == nil && a.AccountID != rec.ID {
			err = ErrNotFound
		}
		if err != nil {
			return err
		}
		out, err = s.loadApproval(tx, a)
		return err
	})
	return out, err
}

// linkUpdate runs fn, in one write transaction, on the live link and its
// pending approval for a page call. Before fn it checks that the link is
// known, unused and unexpired, that the desktop session that made it
// still stands, and that device holds it (opening, the first device
// claims it), then opens the approval as the desktop would
// (ErrApprovalDecided, ErrApprovalExpired, with the expiry written). fn
// returns the caller's error verr (committed, so counts and state changes
// stay) and a storage failure err (rolled back).
func (s *Service) linkUpdate(ctx context.Context, link, device string, opening bool,
	fn func(Tx, *ApprovalLinkRecord, *AccountRecord, *ApprovalRecord) (verr, err error)) error {
	if !validLink(link) {
		return ErrApprovalLinkEnded
	}
	if err := checkDevice(device); err != nil {
		return err
	}
	var verr error
	err := s.store.Update(ctx, func(tx Tx) error {
		l, err := tx.ApprovalLinkByTokenHash(hashToken(link))
		if errors.Is(err, ErrNotFound) {
			verr = ErrApprovalLinkEnded
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		dh := hashToken(device)
		switch {
		case !l.UsedAt.IsZero():
			verr = ErrApprovalLinkUsed
		case !now.Before(l.ExpiresAt):
			verr = ErrApprovalLinkEnded
		case l.DeviceHash != nil && subtle.ConstantTimeCompare(dh, l.DeviceHash) != 1:
			verr = ErrApprovalLinkUsed
		case l.DeviceHash == nil && !opening:
			verr = &InputError{Field: "link", Reason: "open the link first"}
		}
		if verr != nil {
			return nil
		}
		sr, rec, err := tx.SessionAccount(l.SessionHash)
		if errors.Is(err, ErrNotFound) || (err == nil && (!now.Before(sr.ExpiresAt) || !rec.Active || rec.ID != l.AccountID)) {
			verr = ErrApprovalLinkEnded
			return nil
		}
		if err != nil {
			return err
		}
		if sr.Restricted {
			verr = ErrSessionRestricted
			return nil
		}
		a, err := s.openApproval(tx, rec, l.ApprovalID, true)
		if errors.Is(err, ErrApprovalExpired) || errors.Is(err, ErrApprovalDecided) || errors.Is(err, ErrNotFound) {
			verr = err
			return nil // commit an expiry
		}
		if err != nil {
			return err
		}
		if l.DeviceHash == nil {
			l.DeviceHash = dh
			if err := tx.UpdateApprovalLink(l); err != nil {
				return err
			}
		}
		verr, err = fn(tx, l, rec, a)
		return err
	})
	if err != nil {
		return err
	}
	return verr
}

// requesterName names the key that asked for approval a: an API key of
// its account, or a service key; "" when it is gone.
func requesterName(tx Tx, a *ApprovalRecord) (string, error) {
	keys, err := tx.APIKeys(a.AccountID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.ID == a.APIKeyID {
			return k.Name, nil
		}
	}
	service, err := tx.ServiceKeys()
	if err != nil {
		return "", err
	}
	for _, k := range service {
		if k.ID == a.APIKeyID {
			return k.Name, nil
		}
	}
	return "", nil
}
