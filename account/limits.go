package account

import (
	"errors"
	"time"
)

// MaxPendingApprovals is how many approvals one API key may have waiting
// for a decision at once. A requester that asks for more is told to wait
// (ErrTooManyPending) instead of filling the owner's inbox.
const MaxPendingApprovals = 20

// MaxWatchesPerSession is how many watches (WatchPhoneEnrollment and
// WatchApprovals together) one session may have open at once in this
// process; another one gets ErrTooManyWatches until one ends.
const MaxWatchesPerSession = 4

// ErrTooManyWatches: the session already has MaxWatchesPerSession
// watches open; end one first.
var ErrTooManyWatches = errors.New("this session already has as many live updates open as it may at once: close one first")

// MaxPasskeyWatchesPerKey is how many passkey watches
// (WatchRequesterPasskeys) one requester's key may have open at once in
// this process; another one gets ErrTooManyPasskeyWatches until one ends.
const MaxPasskeyWatchesPerKey = 16

// ErrTooManyPasskeyWatches: the key already has MaxPasskeyWatchesPerKey
// passkey watches open; end one first.
var ErrTooManyPasskeyWatches = errors.New("this key already follows as many passkey streams as it may at once: close one first")

// ErrTooManyPending: the API key already has MaxPendingApprovals
// approvals waiting; ask again once some are decided or have expired.
var ErrTooManyPending = errors.New("this API key has too many approval requests waiting: ask again once some are decided or have expired")

// checkPendingCap refuses a new approval for API key keyID when it has
// MaxPendingApprovals pending and unexpired at now. It runs in the write
// transaction that inserts the approval, so concurrent requests cannot
// pass it together.
func (s *Service) checkPendingCap(tx Tx, keyID string, now time.Time) error {
	n, err := tx.CountPendingApprovals(keyID, now)
	if err != nil {
		return err
	}
	if n >= MaxPendingApprovals {
		return ErrTooManyPending
	}
	return nil
}
