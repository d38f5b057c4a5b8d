//go:build cgo

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestPasskeySignInByFingerprint: a key with an enrolled finger verifies
// its owner by the finger, not the PIN: the sign-in asks to touch the
// sensor, says a finger that did not match with the tries left, and signs
// in with the next one; no PIN is asked.
func TestPasskeySignInByFingerprint(t *testing.T) {
	ctx := context.Background()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{keys: keyProvider{t.Name()}, client: c, model: assets.ModelName})
	k := &signInKeyTest{harness: h}
	k.key, _ = plugKey(t, "ui-"+t.Name(), softkey.Options{Fingerprint: true})
	h.secrets = append(h.secrets, keyPIN)
	h.setKnownAccount(true)
	dev, err := libfido2.NewProvider().Open(ctx, k.key.HIDInfo().Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetPIN(ctx, []byte(keyPIN)); err != nil {
		t.Fatal(err)
	}
	pin := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }, Touch: func() {}}
	en, step, err := dev.(fido.BioManager).BeginEnroll(ctx, 5*time.Second, pin)
	for err == nil && step.Remaining > 0 {
		step, err = en.Next(ctx, 5*time.Second)
	}
	if err != nil {
		t.Fatalf("enrolling a finger: %v", err)
	}
	dev.Close()
	u := k.user("ann@example.com")
	k.bind(u)

	k.start()
	k.key.SetTouch(softkey.TouchNever, 0) // the finger comes when the test says
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Use a passkey to sign in", simulatedKeyLabel)
	k.tap(k.keyButton())
	k.waitFor("the key to wait for a finger", 10*time.Second, k.key.WaitingForTouch)
	k.waitText(5*time.Second, "Touch the sensor", "with a finger you enrolled on it")
	k.notText("Enter your key's PIN", "That finger did not match")

	// A finger that does not match: said, with the tries left.
	k.key.QueueSamples(softkey.Sample{Kind: softkey.SampleNoMatch})
	k.key.Press()
	k.waitText(10*time.Second, "That finger did not match. 4 tries left before the key asks for its PIN instead.")
	// The right finger (and the touch the sign-in then asks for).
	for i := 0; k.app.shell == nil && i < 4; i++ {
		k.waitFor("the key to wait for a finger", 10*time.Second, func() bool { return k.key.WaitingForTouch() || k.app.shell != nil })
		k.key.Press()
		k.waitFor("the key to take it", 10*time.Second, func() bool { return !k.key.WaitingForTouch() })
		k.settle()
	}
	k.waitFor("signed in", 15*time.Second, func() bool { return k.app.shell != nil })
	if me, err := k.me(); err != nil || me.Email != "ann@example.com" {
		t.Fatalf("signed in as %+v, %v", me, err)
	}
}
