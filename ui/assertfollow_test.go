//go:build cgo

package ui

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The passkey flows (sign-in, approvals, identity checks) follow the keys
// as the add-passkey wizard and the key panel do: two soft keys through
// real libfido2.

// spareKey is a second soft key with the PIN keyPIN, pulled out until the
// test plugs it in.
type spareKey struct {
	key        *softkey.Key
	name       string
	unregister func()
}

func (k *signInKeyTest) spareKey(name string) *spareKey {
	k.t.Helper()
	key, unregister := plugKey(k.t, "ui-"+k.t.Name()+"-"+name, softkey.Options{})
	dev, err := libfido2.NewProvider().Open(context.Background(), key.HIDInfo().Path)
	if err != nil {
		k.t.Fatal(err)
	}
	if err := dev.SetPIN(context.Background(), []byte(keyPIN)); err != nil {
		k.t.Fatal(err)
	}
	dev.Close()
	s := &spareKey{key: key, name: "ui-" + k.t.Name() + "-" + name, unregister: unregister}
	return s
}

func (s *spareKey) unplug() {
	s.key.Unplug()
	s.unregister()
}

func (s *spareKey) plug(t *testing.T) {
	s.key.Plug()
	s.unregister = libfido2.Register(s.name, s.key)
	t.Cleanup(s.unregister)
}

// unplugMain pulls the test's first key out; plugMain puts it back.
func (k *signInKeyTest) unplugMain() func() {
	name := strings.TrimPrefix(k.key.HIDInfo().Path, libfido2.SimScheme)
	k.key.Unplug()
	libfido2.Register(name, k.key)() // drop it from the list
	return func() {
		k.key.Plug()
		k.t.Cleanup(libfido2.Register(name, k.key))
	}
}

// TestPasskeySignInSeesKeyPluggedLater: the sign-in's choice shows a key
// plugged in after it opened, and with two keys offers the pick by touch;
// the key touched is the one used.
func TestPasskeySignInSeesKeyPluggedLater(t *testing.T) {
	k := newSignInKeyTest(t)
	ann := k.user("ann@example.com")
	spare := k.spareKey("spare")
	k.bindOn(ann, spare.key)
	spare.unplug()
	k.start()
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Use a passkey to sign in", simulatedKeyLabel)
	k.notText("Pick by touch")

	spare.plug(t)
	k.waitText(watchLimit*5, simulatedKeyLabel+" (1)", simulatedKeyLabel+" (2)", "Pick by touch")
	fits(k.harness, "passkey sign-in with two keys")

	// Touch the spare key: only it is used.
	k.key.SetTouch(softkey.TouchNever, 0)
	spare.key.SetTouch(softkey.TouchNever, 0)
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, func() bool {
		return k.key.WaitingForTouch() && spare.key.WaitingForTouch()
	})
	k.wantText("Touch the key that holds your passkey")
	fits(k.harness, "passkey sign-in pick by touch")
	spare.key.Press()
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.waitFor("the other key to stop waiting", 10*time.Second, func() bool { return !k.key.WaitingForTouch() })
	spare.key.SetTouch(softkey.TouchAtOnce, 0)
	k.typeFocused(keyPIN)
	k.tap("Continue")
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
	if k.app.me.Email != ann.Email {
		t.Fatalf("signed in as %q", k.app.me.Email)
	}

	// Pulled out, a key leaves the choice; with one left, no pick.
	k.tap("Sign out")
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Pick by touch")
	spare.unplug()
	k.waitFor("the spare key gone", watchLimit*5, func() bool { return !strings.Contains(k.text(), "Pick by touch") })
	k.wantText(simulatedKeyLabel)
	k.notText(simulatedKeyLabel + " (2)")

	// A key pulled out during a pick leaves one: the pick ends, the keys
	// stop waiting, and the choice shows the one left.
	spare.plug(t)
	k.waitText(watchLimit*5, "Pick by touch")
	spare.key.SetTouch(softkey.TouchNever, 0)
	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, func() bool {
		return k.key.WaitingForTouch() && spare.key.WaitingForTouch()
	})
	spare.unplug()
	k.waitFor("the pick to end", watchLimit*5, func() bool {
		return !strings.Contains(k.text(), "Touch the key that holds your passkey")
	})
	k.waitFor("the key left to stop waiting", 10*time.Second, func() bool { return !k.key.WaitingForTouch() })
	k.wantText("Use a passkey to sign in", simulatedKeyLabel)
	k.notText("Pick by touch", "Key removed")
	if k.app.shell != nil {
		t.Fatal("signed in")
	}
}

// TestSecurityKeyWizardPickByTouch: with two keys plugged in, the
// wizard's key list offers the pick by touch, and the key touched is the
// one added to; Cancel of a pick goes back to the list.
func TestSecurityKeyWizardPickByTouch(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	k.toKeyList()
	k.notText("Pick by touch")
	second, _ := plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	k.waitText(watchLimit*5, "2 keys are plugged in", "Pick by touch")
	k.key.SetTouch(softkey.TouchNever, 0)
	second.SetTouch(softkey.TouchNever, 0)
	bothWaiting := func() bool { return k.key.WaitingForTouch() && second.WaitingForTouch() }
	noneWaiting := func() bool { return !k.key.WaitingForTouch() && !second.WaitingForTouch() }

	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	k.wantText("Touch the key you want to add")
	fits(k.harness, "add passkey pick by touch")
	k.tap("Cancel")
	k.waitText(5*time.Second, "2 keys are plugged in", "Pick by touch")
	k.waitFor("the keys to stop waiting", 10*time.Second, noneWaiting)

	k.tap("Pick by touch")
	k.waitFor("both keys waiting for a touch", 10*time.Second, bothWaiting)
	k.key.Press()
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.waitFor("the other key to stop waiting", 10*time.Second, func() bool { return !second.WaitingForTouch() })
	k.key.SetTouch(softkey.TouchAtOnce, 0)
	k.enterPIN(keyPIN)
	k.waitText(5*time.Second, "Name your passkey")
	k.tap("Save")
	k.waitText(5*time.Second, "Security key · "+simModel)
	if n := len(k.passkeys()); n != 1 {
		t.Fatalf("%d passkeys, want 1", n)
	}
	if st := k.pinState(); !st.Set {
		t.Fatal("the touched key lost its PIN")
	}
}

// assertUnplugFlow is one passkey flow of the unplug table: open makes
// the test's app and brings it to the flow's choice of keys, and returns
// check, which says nothing changed, and finish, which sees the flow
// complete once the key is plugged back in.
type assertUnplugFlow struct {
	name string
	open func(t *testing.T) (k *signInKeyTest, check, finish func())
}

// TestPasskeyFlowsUnplugEveryStep pulls the key out at each step of the
// sign-in, the approval and the identity check by passkey: the choice
// drops it, a PIN or touch step ends with "Key removed" and nothing else
// changes (still signed out, the approval still pending, the passkey not
// removed); plugged back in, the same screen completes the flow.
func TestPasskeyFlowsUnplugEveryStep(t *testing.T) {
	flows := []assertUnplugFlow{
		{"sign-in", func(t *testing.T) (*signInKeyTest, func(), func()) {
			k := newSignInKeyTest(t)
			k.bind(k.user("ann@example.com"))
			k.start()
			k.tap("Sign in with a passkey")
			return k, func() {
					if k.app.shell != nil || k.app.token != "" {
						t.Fatal("signed in without the key")
					}
					k.wantText("Use a passkey to sign in", "Use password and code instead")
				}, func() {
					k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
				}
		}},
		{"approval", func(t *testing.T) (*signInKeyTest, func(), func()) {
			a := newApprovalTest(t)
			a.tap("Approve with a passkey")
			return a.signInKeyTest, func() {
					if s := a.state(); s != account.ApprovalPending {
						t.Fatalf("approval %q, want pending", s)
					}
					a.wantText("Withdrawal of 0.015 BTC", "Time left to decide", "Use a passkey to approve")
				}, func() {
					a.waitFor("approved", 10*time.Second, func() bool { return a.state() == account.ApprovalApproved })
				}
		}},
		{"identity check", func(t *testing.T) (*signInKeyTest, func(), func()) {
			k, u := newRemoveTest(t, 2)
			test.Tap(k.app.shell.passkeys.rows[1].removeBtn)
			k.settle()
			k.waitText(5*time.Second, "With one of your passkeys")
			k.tap("Verify with a passkey")
			return k, func() {
					if n := passkeyCount(t, k, u.Session.Token); n != 2 {
						t.Fatalf("%d passkeys, want 2", n)
					}
					k.wantText("Use a passkey to verify it is you")
				}, func() {
					k.waitText(10*time.Second, "was removed")
					if n := passkeyCount(t, k, u.Session.Token); n != 1 {
						t.Fatalf("%d passkeys, want 1", n)
					}
				}
		}},
	}
	steps := []struct {
		name string
		// reach goes from the choice to the step, the key plugged in.
		reach func(k *signInKeyTest)
		after []string
	}{
		{"choice", func(k *signInKeyTest) {}, []string{"No security key is plugged in"}},
		{"PIN", func(k *signInKeyTest) {
			k.tap(k.keyButton())
			k.waitText(5*time.Second, "Enter your key's PIN")
		}, []string{"Key removed", "No security key is plugged in"}},
		{"touch", func(k *signInKeyTest) {
			k.key.SetTouch(softkey.TouchNever, 0)
			k.tap(k.keyButton())
			k.waitText(5*time.Second, "Enter your key's PIN")
			k.typeFocused(keyPIN)
			k.tap("Continue")
			k.waitText(5*time.Second, "Touch your key")
		}, []string{"Key removed", "No security key is plugged in"}},
	}
	for _, fl := range flows {
		for _, st := range steps {
			t.Run(fl.name+"/"+st.name, func(t *testing.T) {
				k, check, finish := fl.open(t)
				k.waitText(5*time.Second, "Use a passkey", simulatedKeyLabel)
				st.reach(k)
				plug := k.unplugMain()
				k.waitText(watchLimit*5, st.after...)
				k.notText("Enter your key's PIN", "Touch your key")
				fits(k.harness, fl.name+" after the key was pulled out")
				check()

				// Back in: the same choice shows it, and the flow
				// completes.
				plug()
				k.key.SetTouch(softkey.TouchAtOnce, 0)
				k.waitText(watchLimit*5, simulatedKeyLabel)
				k.tap(k.keyButton())
				k.waitText(5*time.Second, "Enter your key's PIN")
				k.notText("Key removed")
				k.typeFocused(keyPIN)
				k.tap("Continue")
				finish()
			})
		}
	}
}

// holdFinishLogin holds the service's FinishLogin until released, or
// until its context ends (it then fails as a cut call does).
type holdFinishLogin struct {
	account.API
	entered atomic.Bool
	release chan struct{}
}

func (h *holdFinishLogin) FinishLogin(ctx context.Context, assertion json.RawMessage) (*account.Session, error) {
	h.entered.Store(true)
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.API.FinishLogin(ctx, assertion)
}

// TestPasskeySignInKeyPulledAfterItAnswered: a key pulled out once it
// has signed, while the service checks the assertion, does not cut the
// sign-in short.
func TestPasskeySignInKeyPulledAfterItAnswered(t *testing.T) {
	hold := &holdFinishLogin{release: make(chan struct{})}
	k := newSignInKeyTestWith(t, harnessOptions{wrap: func(api account.API) account.API {
		hold.API = api
		return hold
	}})
	k.bind(k.user("ann@example.com"))
	k.start()
	k.tap("Sign in with a passkey")
	k.waitText(5*time.Second, "Use a passkey to sign in")
	k.tap(k.keyButton())
	k.waitText(5*time.Second, "Enter your key's PIN")
	k.typeFocused(keyPIN)
	// Not k.tap nor k.waitFor: they settle, and the check is held.
	test.Tap(k.button("Continue"))
	k.pump("the service checking the assertion", hold.entered.Load)
	k.unplugMain()
	gone := time.Now().Add(4 * keyWatchInterval) // the watch sees it meanwhile
	k.pump("the watch to see the key gone", func() bool { return time.Now().After(gone) })
	close(hold.release)
	k.waitFor("signed in", 10*time.Second, func() bool { return k.app.shell != nil })
	if k.app.me.Email != "ann@example.com" {
		t.Fatalf("signed in as %q", k.app.me.Email)
	}
}

// pump runs the results of background work on the test goroutine until
// cond holds, without waiting for work in flight to end (as settle does).
func (h *harness) pump(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case fn := <-h.queue:
			fn()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("%s did not happen within 10 s; the window shows:\n%s", what, h.text())
		}
	}
}
