//go:build cgo

package libfido2

import (
	"context"
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// waitUntilWaiting returns once k waits for a touch, or fails when done
// closes first (the wait ended some other way).
func waitUntilWaiting(t *testing.T, k *softkey.Key, done <-chan error) {
	t.Helper()
	for !k.WaitingForTouch() {
		select {
		case err := <-done:
			t.Fatalf("the wait for a touch ended before the key waited: %v", err)
		default:
		}
	}
}

// TestManagerWaitTouch asks two keys for a touch at once, as a screen
// picking a key by touch does: the touched key answers, the other is
// cancelled and usable again; a key pulled out ends its wait as removed.
func TestManagerWaitTouch(t *testing.T) {
	ctx := context.Background()
	ka, da := softKey(t, softkey.Options{})
	kb, db := softKey(t, softkey.Options{Name: t.Name() + "-b"})
	setPIN(t, db) // with a PIN set the key answers PIN_INVALID after the touch
	ka.SetTouch(softkey.TouchNever, 0)
	kb.SetTouch(softkey.TouchNever, 0)

	actx, cancelA := context.WithCancel(ctx)
	defer cancelA()
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- manager(t, da).WaitTouch(actx) }()
	go func() { doneB <- manager(t, db).WaitTouch(ctx) }()
	waitUntilWaiting(t, ka, doneA)
	waitUntilWaiting(t, kb, doneB)
	kb.Press()
	if err := <-doneB; err != nil {
		t.Fatalf("touched key: %v", err)
	}
	select {
	case err := <-doneA:
		t.Fatalf("the untouched key ended its wait: %v", err)
	default:
	}
	cancelA()
	if err := <-doneA; !errors.Is(err, fido.ErrCanceled) {
		t.Fatalf("cancelled wait: %v, want ErrCanceled", err)
	}
	// The key serves one request at a time: answering this one means it
	// no longer waits.
	if _, err := da.PINState(ctx); err != nil {
		t.Fatalf("the untouched key after the cancel: %v", err)
	}
	if ka.WaitingForTouch() {
		t.Fatal("the untouched key still waits for a touch after the cancel")
	}
	if st, err := db.PINState(ctx); err != nil || st.Retries != 8 {
		t.Fatalf("the touched key: %+v, %v (a pick by touch must cost no PIN retry)", st, err)
	}

	// Pulled out while waiting.
	go func() { doneA <- manager(t, da).WaitTouch(ctx) }()
	waitUntilWaiting(t, ka, doneA)
	ka.Unplug()
	if err := <-doneA; !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("wait on a key pulled out: %v, want ErrKeyRemoved", err)
	}
}
