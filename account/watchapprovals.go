package account

import (
	"context"
	"slices"
	"sync"
	"time"
)

// waker wakes the watches of a key (an account's approvals): each watch
// is a channel that holds at most one wake-up.
type waker struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func (w *waker) subscribe(key string) chan struct{} {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.subs == nil {
		w.subs = make(map[string]map[chan struct{}]struct{})
	}
	if w.subs[key] == nil {
		w.subs[key] = make(map[chan struct{}]struct{})
	}
	w.subs[key][ch] = struct{}{}
	return ch
}

func (w *waker) unsubscribe(key string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.subs[key], ch)
	if len(w.subs[key]) == 0 {
		delete(w.subs, key)
	}
}

func (w *waker) wake(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.subs[key] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (w *waker) wakeAll() {
	w.mu.Lock()
	keys := make([]string, 0, len(w.subs))
	for k := range w.subs {
		keys = append(keys, k)
	}
	w.mu.Unlock()
	for _, k := range keys {
		w.wake(k)
	}
}

// WatchApprovals implements API: the session's pending approvals at once,
// then again whenever they change (a request, a decision, an expiry),
// made through this instance or, with a shared store, another. The
// channel closes when ctx ends or the session does. It counts against the
// session's MaxWatchesPerSession, as an enrollment's watch does.
func (s *Service) WatchApprovals(ctx context.Context, token string) (<-chan []Approval, error) {
	me, err := s.Me(ctx, token)
	if err != nil {
		return nil, err
	}
	release, err := s.watchers.hold(hashToken(token))
	if err != nil {
		return nil, err
	}
	wake := s.approvalWatchers.subscribe(me.ID)
	first, err := s.PendingApprovals(ctx, token)
	if err != nil {
		s.approvalWatchers.unsubscribe(me.ID, wake)
		release()
		return nil, err
	}
	out := make(chan []Approval, 1)
	out <- first
	go func() {
		defer close(out)
		defer release() // before the channel closes
		defer s.approvalWatchers.unsubscribe(me.ID, wake)
		last := first
		for {
			// An approval expires without anyone writing: wake at the
			// first expiry, on the wall clock, and let the service's
			// clock decide.
			var expiry <-chan time.Time
			var timer *time.Timer
			if len(last) > 0 {
				next := last[0].ExpiresAt
				for _, a := range last[1:] {
					if a.ExpiresAt.Before(next) {
						next = a.ExpiresAt
					}
				}
				timer = time.NewTimer(max(next.Sub(s.now()), 0) + 10*time.Millisecond)
				expiry = timer.C
			}
			select {
			case <-ctx.Done():
			case <-wake:
			case <-expiry:
			}
			if timer != nil {
				timer.Stop()
			}
			if ctx.Err() != nil {
				return
			}
			list, err := s.PendingApprovals(ctx, token)
			if err != nil {
				return // the session ended, or ctx did
			}
			if sameApprovalList(list, last) {
				continue
			}
			last = list
			select {
			case out <- list:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// sameApprovalList reports whether two pending lists hold the same
// approvals in the same states.
func sameApprovalList(a, b []Approval) bool {
	return slices.EqualFunc(a, b, func(x, y Approval) bool { return x.ID == y.ID && x.State == y.State })
}
