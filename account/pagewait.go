package account

import (
	"context"
	"sync"
	"time"
)

// WaitPhoneEnrollmentPage implements API: the page's long poll, through
// which it learns that the desktop confirmed the match code. It reads the
// page as the other page calls do (the same checks, the same errors) when
// it starts, after each change the notifier reports for the enrollment,
// and at its expiry. A change made by another process is seen at the next
// wait.
func (s *Service) WaitPhoneEnrollmentPage(ctx context.Context, link, device string, seen EnrollmentState) (*PhonePage, error) {
	var id string
	// The page is read even when ctx has ended (the poll was cut short):
	// the answer is then the page as it stands.
	readCtx := context.WithoutCancel(ctx)
	read := func() (*PhonePage, error) {
		var page *PhonePage
		rctx, cancel := context.WithTimeout(readCtx, 10*time.Second)
		defer cancel()
		err := s.pageUpdate(rctx, link, device, false, func(tx Tx, e *PhoneEnrollmentRecord, rec *AccountRecord) (error, error) {
			id = e.ID
			page = &PhonePage{Email: maskEmail(rec.Email), State: e.State, ExpiresAt: e.ExpiresAt}
			return nil, nil
		})
		return page, err
	}
	page, err := read()
	if err != nil || page.State != seen {
		return page, err
	}
	stop := s.pageWaits.begin(id)
	defer s.pageWaits.end(id, stop)
	sub := s.watchers.subscribe(id)
	defer s.watchers.unsubscribe(id, sub)
	// As in WatchPhoneEnrollment, the timer runs on the wall clock and
	// the service's clock decides.
	timer := time.NewTimer(max(page.ExpiresAt.Sub(s.now()), 0) + 10*time.Millisecond)
	defer timer.Stop()
	for {
		// Read again once subscribed, so that a change made between the
		// first read and the subscription is not missed.
		next, err := read()
		if ctx.Err() != nil {
			return page, nil
		}
		if err != nil || next.State != seen {
			return next, err
		}
		page = next
		select {
		case <-ctx.Done():
			return page, nil
		case <-stop:
			return page, nil
		case <-sub.wake:
			sub.take()
		case <-timer.C:
			timer.Reset(time.Second)
		}
	}
}

// pageWaits holds the page's long polls, one per enrollment: a new wait
// ends the one before it. A page needs one at a time (a reload may leave
// one behind), and so cannot pile them up.
type pageWaits struct {
	mu    sync.Mutex
	stops map[string]chan struct{}
}

// begin registers a wait on enrollment id, ending any earlier one, and
// returns the channel closed when a later wait ends this one.
func (p *pageWaits) begin(id string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.stops[id]; old != nil {
		close(old)
	}
	if p.stops == nil {
		p.stops = make(map[string]chan struct{})
	}
	stop := make(chan struct{})
	p.stops[id] = stop
	return stop
}

// end removes the wait of begin, unless a later one replaced it.
func (p *pageWaits) end(id string, stop chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stops[id] == stop {
		delete(p.stops, id)
	}
}
