package account

import (
	"context"
	"strings"
)

// ChangeFeed is a store shared by several service instances (PostgreSQL)
// that tells each of them of the changes any of them commits, so that a
// watch on one instance sees a change made through another.
type ChangeFeed interface {
	// Changes delivers the topic of every change committed by any
	// instance, and Resync each time the feed (re)connects, since changes
	// made while it was down are not delivered. The channel closes when
	// ctx ends.
	Changes(ctx context.Context) <-chan string
}

// ChangeNotifier is a Tx that can announce a change to the other
// instances; the announcement is delivered only if the transaction
// commits.
type ChangeNotifier interface {
	NotifyChange(topic string) error
}

// Resync is the topic that asks for everything watched to be read again.
const Resync = ""

// enrollmentTopic names the changes of one phone enrollment.
func enrollmentTopic(id string) string { return "enrollment:" + id }

// approvalsTopic names the changes of one account's approvals.
func approvalsTopic(accountID string) string { return "approvals:" + accountID }

// passkeysTopic names the changes of one account's passkeys: added,
// removed or marked lost.
func passkeysTopic(accountID string) string { return "passkeys:" + accountID }

// signInTopic names the changes of one phone sign-in.
func signInTopic(id string) string { return "phone-sign-in:" + id }

// Follow passes the changes other instances make on to this instance's
// watches, until ctx ends. With a store that is not a ChangeFeed (one
// SQLite file, one process) it returns at once: every change is made here.
func (s *Service) Follow(ctx context.Context) {
	if s.feed == nil {
		return
	}
	for topic := range s.feed.Changes(ctx) {
		var ids []string
		if id, ok := strings.CutPrefix(topic, "enrollment:"); ok {
			ids = []string{id}
		} else if id, ok := strings.CutPrefix(topic, "approvals:"); ok {
			s.approvalWatchers.wake(id)
		} else if id, ok := strings.CutPrefix(topic, "passkeys:"); ok {
			s.passkeyWatchers.wake(id)
		} else if id, ok := strings.CutPrefix(topic, "phone-sign-in:"); ok {
			s.signInWatchers.wake(id)
		} else if topic == Resync {
			ids = s.watchers.watched()
			s.approvalWatchers.wakeAll()
			s.passkeyWatchers.wakeAll()
			s.signInWatchers.wakeAll()
		}
		for _, id := range ids {
			s.republish(ctx, id)
		}
	}
}

// republish reads an enrollment watched here and hands its status to the
// watches; they drop what they have already seen.
func (s *Service) republish(ctx context.Context, id string) {
	if !s.watchers.has(id) {
		return
	}
	var st *EnrollmentStatus
	err := s.store.View(ctx, func(tx Tx) error {
		e, err := tx.PhoneEnrollmentByID(id)
		if err != nil {
			return err
		}
		st, err = s.statusOf(tx, e)
		return err
	})
	if err == nil {
		s.watchers.publish(*st)
	}
}
