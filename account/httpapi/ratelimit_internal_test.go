package httpapi

import (
	"fmt"
	"testing"
	"time"
)

// TestKeyLimiterStaysBounded: made-up keys cannot grow the limiter past
// maxTrackedKeys. Limiters that have filled up again are dropped first,
// so a key still out of allowance stays out of it.
func TestKeyLimiterStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newKeyLimiter(1, 2, func() time.Time { return now }, "tests")
	l.take("busy")
	l.take("busy")
	if l.take("busy") == 0 {
		t.Fatal("a third request within the burst of 2")
	}
	for i := range maxTrackedKeys + 50 {
		if i == maxTrackedKeys/2 {
			now = now.Add(time.Second) // the first half fill up again; "busy" gets one token
			if l.take("busy") != 0 {
				t.Fatal("no token after a second")
			}
		}
		l.take(fmt.Sprint("made-up ", i))
		if len(l.keys) > maxTrackedKeys {
			t.Fatalf("%d limiters kept", len(l.keys))
		}
	}
	if l.take("busy") == 0 {
		t.Fatal("the busy key's limiter was dropped while it was out of allowance")
	}
	// When every limiter is in use, they are all dropped rather than
	// growing.
	for i := range maxTrackedKeys + 1 {
		l.take(fmt.Sprint("second wave ", i))
		if len(l.keys) > maxTrackedKeys {
			t.Fatalf("%d limiters kept", len(l.keys))
		}
	}
}
