package account

import (
	"context"
	"slices"
	"sync"
	"time"
)

// notifier hands enrollment changes to the watches in this process. A
// change is published only after its transaction commits. Watches in
// other processes (a second server instance) hear of it through the
// store's ChangeFeed, when it has one (Service.Follow).
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

// notifyingTx is a Tx that collects the changes made in it: enrollment
// states (queued with pending) and the accounts whose approvals changed.
type notifyingTx struct {
	Tx
	// svc and ctx (the Update's) make the alerts of the events appended
	// (alerts.go), sent after the commit.
	svc    *Service
	ctx    context.Context
	alerts []alertMail
	// devices are the devices recorded (seeDevice), cached once committed.
	devices   []string
	changes   []EnrollmentStatus
	approvals []string // account IDs
	passkeys  []string // account IDs whose passkeys were added, removed or marked lost
	signIns   []string // phone sign-in IDs
}

func (t *notifyingTx) InsertPasskey(accountID string, p *Passkey) error {
	t.passkeys = append(t.passkeys, accountID)
	return t.Tx.InsertPasskey(accountID, p)
}

func (t *notifyingTx) DeletePasskey(accountID string, credentialID []byte) error {
	t.passkeys = append(t.passkeys, accountID)
	return t.Tx.DeletePasskey(accountID, credentialID)
}

func (t *notifyingTx) MarkPasskeyLost(accountID, passkeyID string, at time.Time, reason string) error {
	t.passkeys = append(t.passkeys, accountID)
	return t.Tx.MarkPasskeyLost(accountID, passkeyID, at, reason)
}

func (t *notifyingTx) InsertApproval(a *ApprovalRecord) error {
	t.approvals = append(t.approvals, a.AccountID)
	return t.Tx.InsertApproval(a)
}

func (t *notifyingTx) UpdateApproval(a *ApprovalRecord) error {
	t.approvals = append(t.approvals, a.AccountID)
	return t.Tx.UpdateApproval(a)
}

// topics names what the transaction changed, for other instances.
func (t *notifyingTx) topics() []string {
	var out []string
	for _, st := range t.changes {
		out = append(out, enrollmentTopic(st.ID))
	}
	for _, id := range t.approvals {
		if !slices.Contains(out, approvalsTopic(id)) {
			out = append(out, approvalsTopic(id))
		}
	}
	for _, id := range t.passkeys {
		if !slices.Contains(out, passkeysTopic(id)) {
			out = append(out, passkeysTopic(id))
		}
	}
	for _, id := range t.signIns {
		if !slices.Contains(out, signInTopic(id)) {
			out = append(out, signInTopic(id))
		}
	}
	return out
}

// publishingStore is the service's store: every Update runs on a
// notifyingTx; once it commits, the watches in this process hear of what
// it changed, and other instances do through the store's ChangeFeed
// (announced inside the transaction, so only a commit announces).
type publishingStore struct {
	Store
	svc *Service
}

func (p *publishingStore) Update(ctx context.Context, fn func(Tx) error) error {
	var ntx *notifyingTx
	err := p.Store.Update(ctx, func(tx Tx) error {
		ntx = &notifyingTx{Tx: tx, svc: p.svc, ctx: ctx}
		if err := fn(ntx); err != nil {
			return err
		}
		if cn, ok := tx.(ChangeNotifier); ok {
			for _, topic := range ntx.topics() {
				if err := cn.NotifyChange(topic); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		for _, st := range ntx.changes {
			p.svc.watchers.publish(st)
		}
		for _, id := range ntx.approvals {
			p.svc.approvalWatchers.wake(id)
		}
		for _, id := range ntx.passkeys {
			p.svc.passkeyWatchers.wake(id)
		}
		for _, id := range ntx.signIns {
			p.svc.signInWatchers.wake(id)
		}
		p.svc.devices.add(ntx.devices)
		p.svc.sendAlerts(ctx, ntx.alerts)
	}
	return err
}

// pending queues an enrollment change, to be published when tx commits.
// Every Update of the service's store (publishingStore) gives a
// notifyingTx; a View's Tx changes nothing and queues nothing.
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
