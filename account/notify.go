package account

import (
	"context"
	"sync"
)

// notifier hands enrollment changes to the watches in this process. A
// change is published only after its transaction commits. Watches in
// other processes (a second server instance) do not see it; they still
// see the state on their next read.
type notifier struct {
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{}
	// watching counts the live watches of each session (by the token's
	// hash), which MaxWatchesPerSession bounds.
	watching map[string]int
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
		err := fn(ntx)
		changes = ntx.changes
		return err
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

// hold takes one of the session's MaxWatchesPerSession watches
// (ErrTooManyWatches when none is left); release gives it back, once.
func (n *notifier) hold(sessionHash []byte) (release func(), err error) {
	key := string(sessionHash)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.watching[key] >= MaxWatchesPerSession {
		return nil, ErrTooManyWatches
	}
	if n.watching == nil {
		n.watching = make(map[string]int)
	}
	n.watching[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			if n.watching[key]--; n.watching[key] <= 0 {
				delete(n.watching, key)
			}
		})
	}, nil
}
