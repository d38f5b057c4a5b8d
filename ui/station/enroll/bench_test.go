//go:build cgo

package enroll_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

// batchKeys is how many keys a benchmark batch plugs in at once.
const batchKeys = 20

// BenchmarkBatchOf20 is the station's machine time per key: 20 soft keys
// plugged in at once (touch answered at once, no reset), found by
// Station.Watch and readied concurrently, each for its own person of the
// account service on SQLite (PIN, minimum PIN length, the passkey begun,
// made through libfido2 and finished, force PIN change, label). Per key,
// the time runs from the key's "detected" event to its "done" event.
// Reported: the median and the slowest per key over every batch run
// (ms-median/key, ms-max/key). The sign-ups of the people are not timed.
//
//	go test -run '^$' -bench BatchOf20 -benchtime 3x ./ui/station/enroll/
func BenchmarkBatchOf20(b *testing.B) {
	var per []time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		w := newWorld(b)
		var jobs []*enroll.Job
		for n, reg := range w.people(batchKeys, fmt.Sprintf("p%d-", i)) {
			j, err := enroll.NewJob(fmt.Sprint(n), reg, enroll.Policy{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			jobs = append(jobs, j)
		}
		prefix := fmt.Sprintf("batch%d-", i)
		var (
			mu       sync.Mutex
			detected = map[string]time.Time{}
			finished = map[string]time.Time{}
			next     int
			outs     = make(chan enroll.Outcome, batchKeys)
		)
		ctx, cancel := context.WithCancel(context.Background())
		watched := make(chan struct{})
		b.StartTimer()
		go func() {
			defer close(watched)
			w.station.Watch(ctx, 10*time.Millisecond, func(d fido.DeviceInfo) *enroll.Job {
				mu.Lock()
				defer mu.Unlock()
				if !strings.Contains(d.Path, prefix) || next == len(jobs) {
					return nil
				}
				next++
				return jobs[next-1]
			}, func(e enroll.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case e.Step == enroll.StepDetected && !e.Done && e.Err == nil:
					detected[e.Path] = e.At
				case e.Step == enroll.StepDone && e.Done:
					finished[e.Path] = e.At
				}
			}, func(o enroll.Outcome) { outs <- o })
		}()
		for n := range batchKeys {
			w.plug(fmt.Sprintf("%s%02d", prefix, n), softkey.Options{})
		}
		for range batchKeys {
			if o := <-outs; o.Err != nil {
				b.Fatalf("%s: %v", o.Path, o.Err)
			}
		}
		b.StopTimer()
		cancel()
		<-watched
		for p, at := range finished {
			per = append(per, at.Sub(detected[p]))
		}
		for _, j := range jobs {
			j.Forget()
		}
		b.StartTimer()
	}
	slices.Sort(per)
	if len(per) > 0 {
		b.ReportMetric(float64(per[len(per)/2].Microseconds())/1000, "ms-median/key")
		b.ReportMetric(float64(per[len(per)-1].Microseconds())/1000, "ms-max/key")
	}
}
