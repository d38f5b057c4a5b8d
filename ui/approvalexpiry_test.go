//go:build cgo

package ui

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// expiresIn is how long the approval on display has left by the test's
// clock.
func (a *approvalTest) expiresIn() time.Duration {
	a.t.Helper()
	got, err := a.svc.GetApproval(context.Background(), a.secret, a.id)
	if err != nil {
		a.t.Fatal(err)
	}
	return got.ExpiresAt.Sub(a.clock.Now())
}

// wantEnded checks the request is ended on screen: it says it expired,
// offers neither Approve nor Deny, asks for no PIN, and leaves Back.
func (a *approvalTest) wantEnded() {
	a.t.Helper()
	a.wantText("Request expired", "Expired at")
	a.notText("Enter your key's PIN", "Use a passkey to approve", "Time left")
	labels := a.buttons()
	for _, l := range []string{"Approve with a passkey", "Deny"} {
		if slices.Contains(labels, l) {
			a.t.Errorf("%q is still offered after the request expired; buttons: %q", l, labels)
		}
	}
	if !slices.Contains(labels, "Back to approvals") {
		a.t.Errorf("no way back after the request expired; buttons: %q", labels)
	}
}

// TestApprovalCountdown: the detail shows the time left, counts it down
// on the app's clock, and at zero ends the request on screen for good.
func TestApprovalCountdown(t *testing.T) {
	a := newApprovalTest(t)
	left := a.expiresIn()
	a.wantText("Time left to decide: " + minutesSeconds(left))
	a.clock.Advance(90 * time.Second)
	a.runTimer(countdownTick)
	a.wantText("Time left to decide: " + minutesSeconds(left-90*time.Second))
	a.clock.Advance(left - 90*time.Second)
	a.runTimer(countdownTick)
	a.wantEnded()
	if f := a.canvas().Focused(); f != a.app.shell.detail.back {
		t.Errorf("the focus is on %T, not on the way back", f)
	}
	// Nothing brings the buttons back: no more ticks, the inbox's watch
	// reading the list again changes nothing here.
	if len(a.timers) != 0 {
		t.Errorf("%d timers still pending after the request ended", len(a.timers))
	}
	a.app.shell.watch.now()
	a.settle()
	a.wantEnded()
}

// TestApprovalExpiredAsksForNothing: a request that expired before the
// countdown's next tick is ended the moment Approve is pressed, before
// any key is looked for.
func TestApprovalExpiredAsksForNothing(t *testing.T) {
	a := newApprovalTest(t)
	a.clock.Advance(a.expiresIn())
	a.tap("Approve with a passkey")
	a.wantEnded()
}

// TestApprovalExpiresAtKeyPick: the request expires while the person
// chooses a key; picking it asks for no PIN, and the buttons do not come
// back.
func TestApprovalExpiresAtKeyPick(t *testing.T) {
	a := newApprovalTest(t)
	a.tap("Approve with a passkey")
	a.waitText(5*time.Second, "Use a passkey to approve", simulatedKeyLabel)
	a.clock.Advance(a.expiresIn() + time.Second)
	a.tap(a.keyButton())
	a.wantEnded()
	if got := a.state(); got != account.ApprovalPending && got != account.ApprovalExpired {
		t.Fatalf("state %q", got)
	}
}

// lateBegin is the account service with time passing while the request
// options travel: the approval expires after they were given and before
// the key asks for its PIN.
type lateBegin struct {
	account.API
	pass func()
}

func (l lateBegin) BeginApproval(ctx context.Context, token, id string) (json.RawMessage, error) {
	opts, err := l.API.BeginApproval(ctx, token, id)
	l.pass()
	return opts, err
}

// TestApprovalExpiresBeforePIN: expiry is checked again as the key's PIN
// step starts; no PIN is asked for an approval that can no longer be
// approved.
func TestApprovalExpiresBeforePIN(t *testing.T) {
	a := newApprovalTest(t)
	left := a.expiresIn()
	a.app.api = lateBegin{API: a.app.api, pass: func() { a.clock.Advance(left + time.Second) }}
	a.tap("Approve with a passkey")
	a.waitText(5*time.Second, "Use a passkey to approve", simulatedKeyLabel)
	a.tap(a.keyButton())
	a.waitText(10*time.Second, "Request expired")
	a.wantEnded()
}

// TestApprovalExpiresDuringPIN: the request expires while the PIN step is
// on screen; the countdown ends it there, the key's operation is
// canceled, and Approve and Deny stay gone.
func TestApprovalExpiresDuringPIN(t *testing.T) {
	a := newApprovalTest(t)
	a.tap("Approve with a passkey")
	a.waitText(5*time.Second, "Use a passkey to approve", simulatedKeyLabel)
	a.tap(a.keyButton())
	a.waitText(5*time.Second, "Enter your key's PIN")
	a.clock.Advance(a.expiresIn())
	a.runTimer(countdownTick)
	a.wantEnded()
	a.waitFor("the key's operation to end", 10*time.Second, func() bool { return a.app.inflight.Load() == 0 })
	a.wantEnded()
}

// lateList is the key provider with time passing while it looks for
// keys: the approval expires before the choice of keys is shown.
type lateList struct {
	fido.Provider
	pass func()
}

func (l lateList) Devices(ctx context.Context) ([]fido.DeviceInfo, error) {
	list, err := l.Provider.Devices(ctx)
	l.pass()
	return list, err
}

// TestApprovalExpiresWhileLookingForKeys: expiry is checked again as the
// choice of keys is shown; no key is offered for an approval that can no
// longer be approved.
func TestApprovalExpiresWhileLookingForKeys(t *testing.T) {
	a := newApprovalTest(t)
	left := a.expiresIn()
	a.app.keys = lateList{Provider: a.app.keys, pass: func() { a.clock.Advance(left + time.Second) }}
	a.tap("Approve with a passkey")
	a.waitText(10*time.Second, "Request expired")
	a.wantEnded()
	for _, b := range a.buttons() {
		if strings.Contains(b, simulatedKeyLabel) {
			t.Fatalf("a key is offered after the request expired: %q", a.buttons())
		}
	}
}
