//go:build cgo

package enroll_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

var policy = enroll.Policy{PINLength: 8, MinPINLength: 8}

func newJob(t *testing.T, person string, reg enroll.Registrar) *enroll.Job {
	t.Helper()
	j, err := enroll.NewJob(person, reg, policy, nil)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestThreeKeysAtOnce readies three soft keys for three people at once,
// each in its own goroutine, and checks every key as its owner will meet
// it: the minimum PIN length raised, the PIN refused until it is changed,
// then a sign-in with the owner's own PIN.
func TestThreeKeysAtOnce(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	type one struct {
		path string
		reg  *registrar
		job  *enroll.Job
		ev   events
		out  <-chan enroll.Outcome
	}
	var all []*one
	for i, name := range []string{"alice", "bob", "carol"} {
		_, path := w.plug(name, softkey.Options{})
		reg := w.person(name + "@example.com")
		all = append(all, &one{path: path, reg: reg, job: newJob(t, fmt.Sprintf("Person %d", i), reg)})
	}
	for _, o := range all {
		o.out = w.station.Start(ctx, o.path, o.job, o.ev.add)
	}
	label := regexp.MustCompile(`^Passkey Desk simulated security key #[A-Za-z0-9_-]{10}$`)
	pins := map[string]bool{}
	for _, o := range all {
		out := <-o.out
		if out.Err != nil {
			t.Fatalf("%s: %v", o.path, out.Err)
		}
		res := out.Result
		if !label.MatchString(res.Label) || res.KeyID != account.CredentialShortID(res.CredentialID) || !res.ForcedPINChange || res.MinPINLength != 8 || !res.PINSet {
			t.Errorf("%s: result %+v", o.path, res)
		}
		if !o.job.Done() {
			t.Errorf("%s: job not done", o.path)
		}
		if o.reg.passkey == nil || !bytes.Equal(o.reg.passkey.CredentialID, res.CredentialID) {
			t.Fatalf("%s: the service has no passkey with the credential made", o.path)
		}
		if o.reg.begins.Load() != 1 || o.reg.finishes.Load() != 1 {
			t.Errorf("%s: %d begins, %d finishes", o.path, o.reg.begins.Load(), o.reg.finishes.Load())
		}
		// Every step started and ended, in order, on this key only.
		var ended []enroll.Step
		for _, ev := range o.ev.all() {
			if ev.Path != o.path || ev.Err != nil {
				t.Errorf("%s: event %+v", o.path, ev)
			}
			if ev.Done {
				ended = append(ended, ev.Step)
			}
		}
		want := []enroll.Step{enroll.StepDetected, enroll.StepPIN, enroll.StepMinPINLength, enroll.StepPasskey, enroll.StepForcePINChange, enroll.StepLabel, enroll.StepDone}
		if fmt.Sprint(ended) != fmt.Sprint(want) {
			t.Errorf("%s: steps ended %v, want %v", o.path, ended, want)
		}

		pin := o.job.PIN()
		// The PIN is in no event and not in the result.
		if strings.Contains(fmt.Sprintf("%+v %+v", o.ev.all(), res), string(pin)) {
			t.Errorf("%s: the PIN shows in the events or the result", o.path)
		}
		if !regexp.MustCompile(`^[0-9]{8}$`).Match(pin) {
			t.Errorf("PIN of %d characters, not 8 digits", len(pin))
		}
		pins[string(pin)] = true
		dev := w.open(o.path)
		info, err := dev.Info(ctx)
		if err != nil || !info.ForcePINChange || info.MinPINLength != 8 {
			t.Fatalf("key info: %+v, %v", info, err)
		}
		// The owner's first use: the PIN is refused until changed, then
		// the passkey signs them in.
		if _, err := w.signIn(dev, pin); !errors.Is(err, fido.ErrPINPolicy) {
			t.Errorf("sign-in before the PIN change: %v, want ErrPINPolicy", err)
		}
		own := []byte("24681357")
		if err := dev.ChangePIN(ctx, pin, own); err != nil {
			t.Fatalf("the owner's PIN change: %v", err)
		}
		sess, err := w.signIn(dev, own)
		if err != nil || sess.Account.Email != o.reg.user.Email {
			t.Fatalf("sign-in after the change: %v", err)
		}
		o.job.Forget()
		if o.job.PIN() != nil {
			t.Error("PIN still there after Forget")
		}
	}
	if len(pins) != 3 {
		t.Errorf("%d different PINs for 3 people", len(pins))
	}
}

// TestKeyPulledMidPipeline pulls a key out while it makes the passkey:
// the run ends with a step error for the passkey that matches
// fido.ErrKeyRemoved; once the key is back, the same job goes on and
// makes one passkey, with the PIN it set before.
func TestKeyPulledMidPipeline(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	k, path := w.plug("a", softkey.Options{})
	reg := w.person("dave@example.com")
	j := newJob(t, "Dave", reg)
	k.StallNext(0x01, 0) // authenticatorMakeCredential
	out := w.station.Start(ctx, path, j, nil)
	waitFor(t, k.Stalled)
	k.Unplug()
	o := <-out
	var se *enroll.StepError
	if !errors.As(o.Err, &se) || se.Step != enroll.StepPasskey || !errors.Is(o.Err, fido.ErrKeyRemoved) {
		t.Fatalf("pulled mid-passkey: %v", o.Err)
	}
	if j.Done() || reg.passkey != nil {
		t.Fatal("done though the key was pulled")
	}
	k.Plug()
	res, err := w.station.Run(ctx, path, j, nil)
	if err != nil {
		t.Fatalf("run again: %v", err)
	}
	if !res.ForcedPINChange || reg.passkey == nil || !bytes.Equal(reg.passkey.CredentialID, res.CredentialID) {
		t.Fatalf("after the rerun: %+v", res)
	}
	dev := w.open(path)
	if err := dev.ChangePIN(ctx, j.PIN(), []byte("97531864")); err != nil {
		t.Errorf("the job's PIN is not the key's: %v", err)
	}
	m := dev.(fido.Manager)
	if n, _, err := m.CredentialsMetadata(ctx, pinPrompt([]byte("97531864"))); err != nil || n != 1 {
		t.Errorf("%d passkeys on the key (%v), want 1", n, err)
	}
}

// TestFinishFailedIsFinishedOnRetry: a finish that fails leaves the
// credential with the job; the next run finishes that credential and
// does not make another.
func TestFinishFailedIsFinishedOnRetry(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	_, path := w.plug("a", softkey.Options{})
	reg := w.person("erin@example.com")
	reg.failFinish.Store(1)
	j := newJob(t, "Erin", reg)
	_, err := w.station.Run(ctx, path, j, nil)
	var se *enroll.StepError
	if !errors.As(err, &se) || se.Step != enroll.StepPasskey || !errors.Is(err, errFinishDown) {
		t.Fatalf("failed finish: %v", err)
	}
	made := j.Result().CredentialID
	if len(made) == 0 {
		t.Fatal("the credential made was not kept")
	}
	res, err := w.station.Run(ctx, path, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg.begins.Load() != 1 || reg.finishes.Load() != 2 || !bytes.Equal(res.CredentialID, made) || !bytes.Equal(reg.passkey.CredentialID, made) {
		t.Errorf("begins %d finishes %d; credential kept %v", reg.begins.Load(), reg.finishes.Load(), bytes.Equal(res.CredentialID, made))
	}
	// A third run finds everything done and changes nothing.
	if res2, err := w.station.Run(ctx, path, j, nil); err != nil || !bytes.Equal(res2.CredentialID, made) || reg.begins.Load() != 1 {
		t.Errorf("third run: %v", err)
	}
}

// TestKeyThatHasAPIN: a key with a PIN is refused (ErrKeyHasPIN) unless
// the job knows its PIN or resets it; the reset goes through the replug
// (power cycle for a soft key) and a touch, and wipes what the key held.
func TestKeyThatHasAPIN(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	k, path := w.plug("a", softkey.Options{})
	dev := w.open(path)
	if err := dev.SetPIN(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	reg := w.person("frank@example.com")
	j := newJob(t, "Frank", reg)
	if _, err := w.station.Run(ctx, path, j, nil); !errors.Is(err, enroll.ErrKeyHasPIN) {
		t.Fatalf("key with a PIN: %v", err)
	}
	j.Reset = true
	k.SetTouch(softkey.TouchAfterDelay, 50*time.Millisecond) // the key asks for the touch
	var ev events
	powered := k.Commands(0x07)
	res, err := w.station.Run(ctx, path, j, ev.add)
	if err != nil {
		t.Fatalf("with a reset: %v", err)
	}
	if !res.Reset || k.Commands(0x07) != powered+1 {
		t.Errorf("reset %v, %d resets sent", res.Reset, k.Commands(0x07)-powered)
	}
	var replug, touch bool
	for _, e := range ev.all() {
		replug = replug || e.Step == enroll.StepReset && e.Need == enroll.NeedReplug
		touch = touch || e.Step == enroll.StepReset && e.Need == enroll.NeedTouch
	}
	if !replug || !touch {
		t.Errorf("the person was not asked to replug (%v) and touch (%v)", replug, touch)
	}

	// With the key's PIN given, no reset is needed.
	k2, path2 := w.plug("b", softkey.Options{})
	_ = k2
	dev2 := w.open(path2)
	if err := dev2.SetPIN(ctx, []byte("4321")); err != nil {
		t.Fatal(err)
	}
	dev2.Close()
	j2 := newJob(t, "Frank's second key", w.person("frank2@example.com"))
	j2.CurrentPIN = []byte("4321")
	if _, err := w.station.Run(ctx, path2, j2, nil); err != nil {
		t.Fatalf("with the current PIN: %v", err)
	}
	if j2.CurrentPIN != nil {
		t.Error("the current PIN was kept after use")
	}
}

// TestAlreadyEnrolledAndFull: a key that holds this person's passkey
// answers the exclude list (ErrAlreadyEnrolled); a key with no room left
// is refused before anything on it changes (ErrKeyFull).
func TestAlreadyEnrolledAndFull(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	_, path := w.plug("a", softkey.Options{})
	reg := w.person("gina@example.com")
	dev := w.open(path)
	if err := dev.SetPIN(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	opts, err := reg.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := w.station.Client.Create(ctx, dev, opts, pinPrompt([]byte("1234")))
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Finish(ctx, resp, enroll.Result{}); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	reg.grant = reg.user.Grant(t, account.PurposeAddPasskey)
	j := newJob(t, "Gina", reg)
	j.CurrentPIN = []byte("1234")
	_, err = w.station.Run(ctx, path, j, nil)
	var se *enroll.StepError
	if !errors.As(err, &se) || se.Step != enroll.StepPasskey || !errors.Is(err, enroll.ErrAlreadyEnrolled) || !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Fatalf("second passkey for the same person: %v", err)
	}

	k2, path2 := w.plug("full", softkey.Options{Slots: 1})
	_ = k2
	dev2 := w.open(path2)
	if err := dev2.SetPIN(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	other := w.person("hank@example.com")
	opts, _ = other.Begin(ctx)
	if _, err := w.station.Client.Create(ctx, dev2, opts, pinPrompt([]byte("1234"))); err != nil {
		t.Fatal(err)
	}
	dev2.Close()
	j2 := newJob(t, "Ida", w.person("ida@example.com"))
	j2.CurrentPIN = []byte("1234")
	if _, err := w.station.Run(ctx, path2, j2, nil); !errors.Is(err, enroll.ErrKeyFull) {
		t.Fatalf("full key: %v", err)
	}
	dev2 = w.open(path2)
	if st, _ := dev2.PINState(ctx); st.Retries != 8 {
		t.Errorf("PIN retries %d: the full key's PIN was tried", st.Retries)
	}
	if err := dev2.ChangePIN(ctx, []byte("1234"), []byte("5678")); err != nil {
		t.Errorf("the full key's PIN changed: %v", err)
	}
}

// TestKeyRefusesForcePINChange: a key without authenticatorConfig gets
// its passkey but ends with ErrForceChangeRefused; with
// AllowNoForceChange the run completes, without a forced change.
func TestKeyRefusesForcePINChange(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	k, path := w.plug("a", softkey.Options{})
	k.SetConfigSupport(false)
	reg := w.person("jack@example.com")
	j := newJob(t, "Jack", reg)
	_, err := w.station.Run(ctx, path, j, nil)
	var se *enroll.StepError
	if !errors.As(err, &se) || se.Step != enroll.StepForcePINChange || !errors.Is(err, enroll.ErrForceChangeRefused) {
		t.Fatalf("key without config: %v", err)
	}
	if reg.passkey == nil {
		t.Fatal("the passkey was not finished before the refusal")
	}
	j.AllowNoForceChange = true
	res, err := w.station.Run(ctx, path, j, nil)
	if err != nil || res.ForcedPINChange || res.MinPINLength != 4 || res.Label == "" || reg.begins.Load() != 1 {
		t.Fatalf("use anyway: %+v, %v", res, err)
	}
}

// TestReplugTimeout: WatchReplug gives up when the key is never pulled
// out, and follows a key that goes and comes back.
func TestReplugTimeout(t *testing.T) {
	w := newWorld(t)
	_, path := w.plug("a", softkey.Options{})
	replug := enroll.WatchReplug(w.station.Keys, 300*time.Millisecond)
	if _, err := replug(context.Background(), path); !errors.Is(err, enroll.ErrReplugTimeout) {
		t.Fatalf("never pulled: %v", err)
	}

	// A key that goes away and comes back is followed.
	name := "enroll-replug-" + t.Name()
	k := softkey.New(softkey.Options{Name: name})
	unregister := libfido2.Register(name, k)
	go func() {
		time.Sleep(250 * time.Millisecond)
		unregister()
		time.Sleep(250 * time.Millisecond)
		t.Cleanup(libfido2.Register(name, k))
	}()
	got, err := enroll.WatchReplug(w.station.Keys, 5*time.Second)(context.Background(), libfido2.SimScheme+name)
	if err != nil || got != libfido2.SimScheme+name {
		t.Fatalf("replugged: %q, %v", got, err)
	}
}

// TestJobPIN: random PINs have the policy's digits; a PIN the operator
// types is checked against the policy.
func TestJobPIN(t *testing.T) {
	reg := &registrar{}
	for _, tc := range []struct {
		pol  enroll.Policy
		pin  string
		want string // error text part, "" for none
	}{
		{enroll.Policy{}, "", ""},
		{enroll.Policy{PINLength: 4}, "", ""},
		{enroll.Policy{MinPINLength: 8}, "12345678", ""},
		{enroll.Policy{MinPINLength: 8}, "1234567", "at least 8"},
		{enroll.Policy{}, "12345", "at least 6"},
		{enroll.Policy{}, string(bytes.Repeat([]byte("1"), 64)), "at most 63"},
		{enroll.Policy{}, "1234\x0056", "NUL"},
		{enroll.Policy{MinPINLength: 3}, "", "no less than 4"},
		{enroll.Policy{PINLength: 64}, "", "more than a key takes"},
	} {
		var pin []byte
		if tc.pin != "" {
			pin = []byte(tc.pin)
		}
		j, err := enroll.NewJob("p", reg, tc.pol, pin)
		if tc.want != "" {
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Errorf("%+v %q: %v, want %q", tc.pol, tc.pin, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", tc.pol, err)
		}
		got := j.PIN()
		wantLen := max(6, tc.pol.PINLength, tc.pol.MinPINLength)
		if tc.pin != "" {
			if string(got) != tc.pin {
				t.Errorf("given PIN not kept")
			}
		} else if !regexp.MustCompile(fmt.Sprintf(`^[0-9]{%d}$`, wantLen)).Match(got) {
			t.Errorf("%+v: random PIN of %d characters, want %d digits", tc.pol, len(got), wantLen)
		}
	}
	if _, err := enroll.NewJob("p", nil, enroll.Policy{}, nil); err == nil {
		t.Error("a job without a registrar")
	}
	// Every digit comes up: 600 draws of 10 digits miss one with
	// probability about 10·0.9^600.
	seen := map[byte]bool{}
	for range 100 {
		p, err := enroll.RandomPIN(6)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p {
			seen[c] = true
		}
	}
	if len(seen) != 10 {
		t.Errorf("digits drawn: %d of 10", len(seen))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noPINKeys opens keys through libfido2 and reports them as keys that
// cannot have a PIN: getInfo without the clientPin option, as a
// CTAP 2.0 key without PIN support answers. Only Info is changed.
type noPINKeys struct{ fido.Provider }

func (p noPINKeys) Open(ctx context.Context, path string) (fido.Device, error) {
	dev, err := p.Provider.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return noPINDevice{dev}, nil
}

type noPINDevice struct{ fido.Device }

func (d noPINDevice) Info(ctx context.Context) (*fido.Info, error) {
	info, err := d.Device.Info(ctx)
	if err == nil {
		delete(info.Options, "clientPin")
	}
	return info, err
}

// TestKeyWithoutPINSupport: such a key is refused before anything is
// done (ErrNoPINSupport); used anyway, it goes on without a PIN, and the
// account service's options, which require user verification, cannot be
// met on it.
func TestKeyWithoutPINSupport(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	_, path := w.plug("a", softkey.Options{})
	st := *w.station
	st.Keys = noPINKeys{w.station.Keys}
	reg := w.person("nora@example.com")
	j := newJob(t, "Nora", reg)
	_, err := st.Run(ctx, path, j, nil)
	var se *enroll.StepError
	if !errors.As(err, &se) || se.Step != enroll.StepPIN || !errors.Is(err, enroll.ErrNoPINSupport) || reg.begins.Load() != 0 {
		t.Fatalf("key without PIN support: %v", err)
	}
	j.AllowNoPIN = true
	_, err = st.Run(ctx, path, j, nil)
	if !errors.As(err, &se) || se.Step != enroll.StepPasskey || !errors.Is(err, fido.ErrUnsupported) {
		t.Fatalf("used anyway: %v", err)
	}
	if s, _ := w.open(path).PINState(ctx); s.Set {
		t.Error("a PIN was set on a key said to have no PIN support")
	}
}

// TestJobRunsOnceAtATime: the same job started on two keys at once runs
// on one; the other gets ErrJobRunning and its key is left alone.
func TestJobRunsOnceAtATime(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	k1, p1 := w.plug("a", softkey.Options{})
	_, p2 := w.plug("b", softkey.Options{})
	k1.SetTouch(softkey.TouchAfterDelay, 300*time.Millisecond) // the first run is slow to finish
	j := newJob(t, "Olga", w.person("olga@example.com"))
	first := w.station.Start(ctx, p1, j, nil)
	waitFor(t, k1.WaitingForTouch)
	second := w.station.Start(ctx, p2, j, nil)
	if o := <-second; !errors.Is(o.Err, enroll.ErrJobRunning) {
		t.Fatalf("second run at once: %v", o.Err)
	}
	if o := <-first; o.Err != nil {
		t.Fatalf("first run: %v", o.Err)
	}
	if s, _ := w.open(p2).PINState(ctx); s.Set {
		t.Error("the second key was changed")
	}
}

// TestResetWithoutReplug: a reset whose key does not come back ends at
// the reset step (ErrReplugTimeout, or the key gone when it is opened
// again) and leaves the job to be run again.
func TestResetWithoutReplug(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	_, path := w.plug("a", softkey.Options{})
	j := newJob(t, "Pia", w.person("pia@example.com"))
	j.Reset = true
	for _, tc := range []struct {
		replug enroll.ReplugFunc
		want   error
	}{
		{func(context.Context, string) (string, error) { return "", enroll.ErrReplugTimeout }, enroll.ErrReplugTimeout},
		{func(context.Context, string) (string, error) { return path + "-gone", nil }, fido.ErrKeyRemoved},
	} {
		st := *w.station
		st.Replug = tc.replug
		_, err := st.Run(ctx, path, j, nil)
		var se *enroll.StepError
		if !errors.As(err, &se) || se.Step != enroll.StepReset || !errors.Is(err, tc.want) {
			t.Fatalf("reset without the key back: %v, want %v", err, tc.want)
		}
	}
	if res, err := w.station.Run(ctx, path, j, nil); err != nil || !res.Reset {
		t.Fatalf("run again with the replug: %+v, %v", res, err)
	}
}

// TestKeyWithLongerMinimum: a key that already wants longer PINs than the
// policy gets a longer random PIN; a typed PIN that is too short for it
// ends at the PIN step with fido.ErrPINPolicy and changes nothing.
func TestKeyWithLongerMinimum(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var paths []string
	for _, n := range []string{"a", "b"} {
		_, p := w.plug(n, softkey.Options{})
		dev := w.open(p)
		if err := dev.(fido.Manager).SetMinPINLength(ctx, 10, false, fido.Prompt{}); err != nil {
			t.Fatal(err)
		}
		dev.Close()
		paths = append(paths, p)
	}
	j := newJob(t, "Quinn", w.person("quinn@example.com"))
	res, err := w.station.Run(ctx, paths[0], j, nil)
	if err != nil || res.MinPINLength != 10 {
		t.Fatalf("random PIN on a key wanting 10: %+v, %v", res, err)
	}
	if pin := j.PIN(); len(pin) != 10 {
		t.Errorf("PIN of %d digits on a key wanting 10", len(pin))
	}
	typed, err := enroll.NewJob("Rosa", w.person("rosa@example.com"), policy, []byte("12345678"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.station.Run(ctx, paths[1], typed, nil)
	var se *enroll.StepError
	if !errors.As(err, &se) || se.Step != enroll.StepPIN || !errors.Is(err, fido.ErrPINPolicy) {
		t.Fatalf("typed PIN too short for the key: %v", err)
	}
	if st, _ := w.open(paths[1]).PINState(ctx); st.Set {
		t.Error("a PIN was set")
	}
}
