//go:build cgo

package enroll_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

// TestWatchGivesEachKeyOneJob: three keys plugged in are each given the
// next person's job and readied at once; a key already readied and still
// plugged in is not asked about again; one pulled out and put back is.
func TestWatchGivesEachKeyOneJob(t *testing.T) {
	w := newWorld(t)
	var paths []string
	for _, n := range []string{"a", "b", "c"} {
		_, p := w.plug(n, softkey.Options{})
		paths = append(paths, p)
	}
	var jobs []*enroll.Job
	for _, n := range []string{"kim", "lee", "max"} {
		jobs = append(jobs, newJob(t, n, w.person(n+"@example.com")))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu     sync.Mutex
		asked  = map[string]int{}
		given  int
		outs   = make(chan enroll.Outcome, 10)
		mine   = func(p string) bool { return strings.Contains(p, "TestWatchGivesEachKeyOneJob") }
		closed = make(chan struct{})
	)
	go func() {
		defer close(closed)
		w.station.Watch(ctx, 20*time.Millisecond, func(d fido.DeviceInfo) *enroll.Job {
			mu.Lock()
			defer mu.Unlock()
			if !mine(d.Path) {
				return nil // another test's key
			}
			asked[d.Path]++
			if given == len(jobs) {
				return nil
			}
			given++
			return jobs[given-1]
		}, nil, func(o enroll.Outcome) { outs <- o })
	}()
	got := map[*enroll.Job]string{}
	for range 3 {
		o := <-outs
		if o.Err != nil {
			t.Fatalf("%s: %v", o.Path, o.Err)
		}
		if _, dup := got[o.Job]; dup {
			t.Fatalf("a job ran twice")
		}
		got[o.Job] = o.Path
	}
	time.Sleep(100 * time.Millisecond) // several more listings
	mu.Lock()
	for _, p := range paths {
		if asked[p] != 1 {
			t.Errorf("%s asked about %d times", p, asked[p])
		}
	}
	mu.Unlock()
	// Pull the first key out (unregister it) and put it back.
	name := strings.TrimPrefix(paths[0], libfido2.SimScheme)
	w.mu.Lock()
	k := w.keys[paths[0]]
	w.mu.Unlock()
	unplugAndBack(t, name, k)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return asked[paths[0]] == 2 })
	cancel()
	<-closed
	if len(outs) != 0 {
		t.Errorf("%d more outcomes after the three", len(outs))
	}
}

// unplugAndBack takes the key registered under name off the list for a
// while and registers it again.
func unplugAndBack(t *testing.T, name string, k *softkey.Key) {
	t.Helper()
	libfido2.Register(name, k)() // replaces the registration, then removes it
	time.Sleep(100 * time.Millisecond)
	t.Cleanup(libfido2.Register(name, k))
}

// TestWatchHoldsKeyThroughReset: a key reset under Watch comes back under
// another path (as a USB key may); it is not offered to the next person,
// and the next key plugged in is.
func TestWatchHoldsKeyThroughReset(t *testing.T) {
	w := newWorld(t)
	first, path := w.plug("a", softkey.Options{})
	first.SetTouch(softkey.TouchAfterDelay, 50*time.Millisecond)
	back := strings.TrimPrefix(path, libfido2.SimScheme) + "-back"
	st := *w.station
	st.Replug = func(ctx context.Context, p string) (string, error) {
		libfido2.Register(strings.TrimPrefix(p, libfido2.SimScheme), first)() // pulled out
		time.Sleep(150 * time.Millisecond)                                    // several listings without it
		first.PowerCycle()
		t.Cleanup(libfido2.Register(back, first)) // back, under another path
		time.Sleep(150 * time.Millisecond)        // listed there before the reset goes on
		return libfido2.SimScheme + back, nil
	}
	jobs := []*enroll.Job{newJob(t, "Sam", w.person("sam@example.com")), newJob(t, "Tia", w.person("tia@example.com"))}
	jobs[0].Reset = true
	var (
		mu    sync.Mutex
		given []string
		outs  = make(chan enroll.Outcome, 4)
	)
	ctx, cancel := context.WithCancel(context.Background())
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		st.Watch(ctx, 20*time.Millisecond, func(d fido.DeviceInfo) *enroll.Job {
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(d.Path, "TestWatchHoldsKeyThroughReset") || len(given) == len(jobs) {
				return nil
			}
			given = append(given, d.Path)
			return jobs[len(given)-1]
		}, nil, func(o enroll.Outcome) { outs <- o })
	}()
	o := <-outs
	if o.Err != nil || o.Job != jobs[0] || !o.Result.Reset {
		t.Fatalf("the reset key: %+v", o)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	if len(given) != 1 {
		t.Errorf("keys given a job: %q; the key back from its reset was offered again", given)
	}
	mu.Unlock()
	_, second := w.plug("b", softkey.Options{})
	o = <-outs
	if o.Err != nil || o.Job != jobs[1] || o.Path != second {
		t.Fatalf("the next key: %+v", o)
	}
	cancel()
	<-closed
}
