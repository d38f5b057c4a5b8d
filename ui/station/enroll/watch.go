package enroll

import (
	"context"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Outcome is how one run ended.
type Outcome struct {
	Path   string
	Job    *Job
	Result Result
	Err    error
}

// Start runs j on the key at path in a goroutine of its own and sends its
// Outcome on the channel returned (buffered: nobody has to read it).
func (s *Station) Start(ctx context.Context, path string, j *Job, progress func(Event)) <-chan Outcome {
	out := make(chan Outcome, 1)
	go func() {
		res, err := s.Run(ctx, path, j, progress)
		out <- Outcome{Path: path, Job: j, Result: res, Err: err}
	}()
	return out
}

// Watch follows the keys plugged in (Keys.Watch, checking every
// interval) until ctx ends, and readies each key that appears: next says
// which job is the key's (nil: leave it alone; it is asked again only
// once the key has been pulled out and put back), and the job runs in its
// own goroutine. next is called on Watch's goroutine; done gets every
// Outcome and progress every Event, on the runs' goroutines; none may
// block. Watch returns once ctx has ended and every run has ended.
//
// A key stays with its job while the job runs, under every path it is
// seen at, and after it while it stays plugged in, so that a key is never
// given to a second person by accident. While a reset waits for its key to
// be pulled out and put back, keys that appear are not offered to next
// (the one that comes back may be the key being reset, under a new path);
// they are offered once the reset has its key again.
func (s *Station) Watch(ctx context.Context, interval time.Duration, next func(fido.DeviceInfo) *Job,
	progress func(Event), done func(Outcome)) {
	w := &watch{busy: map[string]int{}, wake: make(chan struct{}, 1)}
	var (
		wg   sync.WaitGroup
		seen = map[string]bool{} // paths listed and dealt with
		last []fido.DeviceInfo
	)
	lists := s.Keys.Watch(ctx, interval)
	for {
		select {
		case list, ok := <-lists:
			if !ok {
				wg.Wait()
				return
			}
			last = list
		case <-w.wake:
		}
		now := map[string]bool{}
		for _, d := range last {
			w.mu.Lock()
			held, waiting := w.busy[d.Path] > 0, w.replugging > 0
			w.mu.Unlock()
			switch {
			case held || seen[d.Path]:
				now[d.Path] = true
				continue
			case waiting:
				continue // offered once the reset has its key
			}
			now[d.Path] = true
			j := next(d)
			if j == nil {
				continue
			}
			wg.Add(1)
			r := w.track(d.Path)
			go func(path string) {
				defer wg.Done()
				res, err := s.Run(ctx, path, j, r.progress(progress))
				r.release()
				if done != nil {
					done(Outcome{Path: path, Job: j, Result: res, Err: err})
				}
			}(d.Path)
		}
		seen = now
	}
}

// watch is what Watch's runs tell it: the paths each holds, and how many
// wait for a replug.
type watch struct {
	mu         sync.Mutex
	busy       map[string]int
	replugging int
	wake       chan struct{} // Watch looks at the last listing again
}

func (w *watch) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// tracked is one run's hold.
type tracked struct {
	w        *watch
	paths    map[string]bool
	inReplug bool
}

// track makes a run that holds path.
func (w *watch) track(path string) *tracked {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy[path]++
	return &tracked{w: w, paths: map[string]bool{path: true}}
}

// progress wraps a run's progress: every path it reports is held, and a
// reset's wait for the replug is counted from NeedReplug until the reset
// step goes on (a touch asked, done or failed).
func (t *tracked) progress(next func(Event)) func(Event) {
	return func(e Event) {
		w := t.w
		w.mu.Lock()
		if !t.paths[e.Path] {
			t.paths[e.Path] = true
			w.busy[e.Path]++
		}
		wake := false
		switch {
		case e.Step == StepReset && e.Need == NeedReplug && !t.inReplug:
			t.inReplug = true
			w.replugging++
		case e.Step == StepReset && t.inReplug && (e.Need == NeedTouch || e.Done || e.Err != nil):
			t.inReplug = false
			w.replugging--
			wake = true
		}
		w.mu.Unlock()
		if wake {
			w.poke()
		}
		if next != nil {
			next(e)
		}
	}
}

// release ends the run's hold on its paths (they stay dealt with while
// plugged in) and its wait for a replug, if any.
func (t *tracked) release() {
	w := t.w
	w.mu.Lock()
	for p := range t.paths {
		if w.busy[p]--; w.busy[p] <= 0 {
			delete(w.busy, p)
		}
	}
	if t.inReplug {
		t.inReplug = false
		w.replugging--
	}
	w.mu.Unlock()
	w.poke()
}
