package account

import (
	"context"
	"sync"
)

// notifier hands enrollment changes to the watches in this process. A
// change is published only after its transaction commits. Watches in
// other processes (a second server instance) hear of it through the
// store's ChangeFeed, when it has one (Service.Follow).
type notifier struct {
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{}
}

// subscriber is one watch: an unbounded queue and a wake-up signal.
type subscriber struct {
	mu    sync.Mutex
	queue []EnrollmentStatus
	wake  chan struct{}
}

func (n *notifier) subscribe(id string) *subscriber {
	sub := &subscriber{wake: make(chan struct{}, 1)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.subs == nil {
		n.subs = make(map[string]map[*subscriber]struct{})
	}
	if n.subs[id] == nil {
		n.subs[id] = make(map[*subscriber]struct{})
	}
	n.subs[id][sub] = struct{}{}
	return sub
}

func (n *notifier) unsubscribe(id string, sub *subscriber) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.subs[id], sub)
	if len(n.subs[id]) == 0 {
		delete(n.subs, id)
	}
}

func (n *notifier) publish(st EnrollmentStatus) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for sub := range n.subs[st.ID] {
		sub.mu.Lock()
		sub.queue = append(sub.queue, st)
		sub.mu.Unlock()
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
}

// watched lists the enrollments watched in this process.
func (n *notifier) watched() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	ids := make([]string, 0, len(n.subs))
	for id := range n.subs {
		ids = append(ids, id)
	}
	return ids
}

// has reports whether the enrollment is watched in this process.
func (n *notifier) has(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.subs[id]) > 0
}

// take empties the queue.
func (sub *subscriber) take() []EnrollmentStatus {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	q := sub.queue
	sub.queue = nil
	return q
}

// notifyingTx is a Tx that collects the enrollment changes made in it.
type notifyingTx struct {
	Tx
	changes []EnrollmentStatus
}

// update runs fn in one Store.Update and, once it has committed, tells the
// watches of the enrollment changes fn queued with pending.
func (s *Service) update(ctx context.Context, fn func(Tx) error) error {
	var changes []EnrollmentStatus
	err := s.store.Update(ctx, func(tx Tx) error {
		ntx := &notifyingTx{Tx: tx}
		if err := fn(ntx); err != nil {
			return err
		}
		changes = ntx.changes
		// Other instances hear of the changes when this commits.
		if cn, ok := tx.(ChangeNotifier); ok {
			for _, st := range changes {
				if err := cn.NotifyChange(enrollmentTopic(st.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		for _, st := range changes {
			s.watchers.publish(st)
		}
	}
	return err
}

// pending queues an enrollment change, to be published when tx commits.
// Outside update (a plain Store transaction) it does nothing.
func (s *Service) pending(tx Tx, st EnrollmentStatus) {
	if ntx, ok := tx.(*notifyingTx); ok {
		ntx.changes = append(ntx.changes, st)
	}
}
