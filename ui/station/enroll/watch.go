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
// own goroutine. A key stays with its job until it is pulled out, so that
// a key already readied is not given to the next person. done gets every
// Outcome; it and progress are called on the runs' goroutines and must not
// block. Watch returns once ctx has ended and every run has ended.
func (s *Station) Watch(ctx context.Context, interval time.Duration, next func(fido.DeviceInfo) *Job,
	progress func(Event), done func(Outcome)) {
	var (
		wg   sync.WaitGroup
		seen = map[string]bool{} // paths listed last time
	)
	for list := range s.Keys.Watch(ctx, interval) {
		now := map[string]bool{}
		for _, d := range list {
			now[d.Path] = true
			if seen[d.Path] {
				continue
			}
			j := next(d)
			if j == nil {
				continue
			}
			wg.Add(1)
			go func(path string) {
				defer wg.Done()
				res, err := s.Run(ctx, path, j, progress)
				if done != nil {
					done(Outcome{Path: path, Job: j, Result: res, Err: err})
				}
			}(d.Path)
		}
		seen = now
	}
	wg.Wait()
}
