package enroll

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// DefaultReplugWait is how long WatchReplug waits for the key to be
// pulled out and put back.
const DefaultReplugWait = 60 * time.Second

// replugPoll is how often WatchReplug lists the keys.
const replugPoll = 100 * time.Millisecond

// WatchReplug waits, by listing keys, until the key at path is gone and a
// key is back: at path, or at a path that was not listed while it was
// gone (a USB key may come back under another hidraw node). wait bounds
// the whole (0: DefaultReplugWait). With several keys moving at once the
// first new one is taken: a station resets one key at a time.
func WatchReplug(keys fido.Provider, wait time.Duration) ReplugFunc {
	if wait <= 0 {
		wait = DefaultReplugWait
	}
	return func(ctx context.Context, path string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		t := time.NewTicker(replugPoll)
		defer t.Stop()
		var away []fido.DeviceInfo // the listing once the key was gone
		gone := false
		for {
			list, err := keys.Devices(ctx)
			if err == nil {
				has := func(p string) bool {
					return slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == p })
				}
				if !gone && !has(path) {
					gone, away = true, list
				} else if gone {
					for _, d := range list {
						if d.Path == path || !slices.ContainsFunc(away, func(a fido.DeviceInfo) bool { return a.Path == d.Path }) {
							return d.Path, nil
						}
					}
				}
			}
			select {
			case <-ctx.Done():
				if ctx.Err() == context.DeadlineExceeded {
					return "", fmt.Errorf("%w (waited %v)", ErrReplugTimeout, wait)
				}
				return "", fmt.Errorf("%w: %w", fido.ErrCanceled, ctx.Err())
			case <-t.C:
			}
		}
	}
}

// PowerCycler is a simulated key that can be pulled out and put back
// (fido/softkey.Key).
type PowerCycler interface{ PowerCycle() }

// SimulatedReplug replugs the simulated keys that find returns for a
// path by power-cycling them, as a person would by pulling the key out
// and back in; other paths go to otherwise (nil: they fail with
// fido.ErrUnsupported).
func SimulatedReplug(find func(path string) PowerCycler, otherwise ReplugFunc) ReplugFunc {
	return func(ctx context.Context, path string) (string, error) {
		if k := find(path); k != nil {
			k.PowerCycle()
			return path, nil
		}
		if otherwise == nil {
			return "", fmt.Errorf("%s cannot be replugged here: %w", path, fido.ErrUnsupported)
		}
		return otherwise(ctx, path)
	}
}
