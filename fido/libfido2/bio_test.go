//go:build cgo

package libfido2

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// Fingerprints through libfido2's fido_bio_* API against the soft key's
// sensor.

func bioManager(t *testing.T, d fido.Device) fido.BioManager {
	t.Helper()
	m, ok := d.(fido.BioManager)
	if !ok {
		t.Fatal("the device is not a fido.BioManager")
	}
	return m
}

// enrollAll runs an enrollment to its end with good samples.
func enrollAll(t *testing.T, m fido.BioManager, p fido.Prompt) []byte {
	t.Helper()
	ctx := context.Background()
	en, step, err := m.BeginEnroll(ctx, time.Second, p)
	if err != nil {
		t.Fatalf("BeginEnroll: %v", err)
	}
	for step.Remaining > 0 {
		if step, err = en.Next(ctx, time.Second); err != nil {
			t.Fatalf("Next: %v", err)
		}
	}
	return en.ID()
}

func TestBioEnrollment(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{Fingerprint: true})
	m := bioManager(t, d)

	info, err := d.Info(ctx)
	if err != nil || !info.HasSensor() || info.HasFingerprints() {
		t.Fatalf("info: sensor %v fingerprints %v (%v)", info.HasSensor(), info.HasFingerprints(), err)
	}
	si, err := m.SensorInfo(ctx)
	if err != nil || si.Kind != 1 || si.Samples != softkey.SamplesPerEnrollment {
		t.Fatalf("SensorInfo %+v, %v", si, err)
	}
	if _, err := m.Fingerprints(ctx, fido.Prompt{}); !errors.Is(err, fido.ErrPINNotSet) {
		t.Fatalf("Fingerprints without a PIN: %v, want ErrPINNotSet", err)
	}
	setPIN(t, d)
	pp := &pinPrompt{pins: []string{"0000", testPIN}}
	list, err := m.Fingerprints(ctx, pp.prompt())
	if err != nil || len(list) != 0 || list == nil {
		t.Fatalf("Fingerprints with none: %v, %v", list, err)
	}
	if len(pp.reqs) != 2 || !pp.reqs[1].Wrong {
		t.Errorf("a wrong PIN is asked again: %+v", pp.reqs)
	}
	if st, _ := d.PINState(ctx); st.Retries != 8 {
		t.Errorf("PIN retries after the right PIN: %d", st.Retries)
	}

	// One good sample, one too high (not counted), then good ones.
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleGood}, softkey.Sample{Kind: softkey.SampleBad, Status: fido.SampleTooHigh})
	p := (&pinPrompt{pins: []string{testPIN}}).prompt()
	en, step, err := m.BeginEnroll(ctx, time.Second, p)
	if err != nil || step != (fido.EnrollStep{Status: fido.SampleGood, Remaining: 4}) || len(en.ID()) == 0 {
		t.Fatalf("BeginEnroll: %+v, %v", step, err)
	}
	want := []fido.EnrollStep{{Status: fido.SampleTooHigh, Remaining: 4}, {Remaining: 3}, {Remaining: 2}, {Remaining: 1}, {Remaining: 0}}
	for i, w := range want {
		step, err := en.Next(ctx, time.Second)
		if err != nil || step != w {
			t.Fatalf("sample %d: %+v, %v; want %+v", i+2, step, err, w)
		}
	}
	if _, err := en.Next(ctx, time.Second); !errors.Is(err, fido.ErrCanceled) {
		t.Errorf("Next after the last sample: %v", err)
	}
	if err := en.Cancel(); err != nil {
		t.Errorf("Cancel after the last sample: %v", err)
	}
	if k.Commands(0x40)+k.Commands(0x09) == 0 {
		t.Error("no bio enrollment command reached the key")
	}

	if err := m.RenameFingerprint(ctx, en.ID(), "Right thumb", p); err != nil {
		t.Fatalf("RenameFingerprint: %v", err)
	}
	if err := m.RenameFingerprint(ctx, []byte{1, 2, 3}, "x", p); !errors.Is(err, fido.ErrNoFingerprint) {
		t.Errorf("rename an unknown fingerprint: %v", err)
	}
	second := enrollAll(t, m, p)
	list, err = m.Fingerprints(ctx, p)
	if err != nil || len(list) != 2 || list[0].Name != "Right thumb" || !bytes.Equal(list[0].ID, en.ID()) ||
		list[1].Name != "" || !bytes.Equal(list[1].ID, second) {
		t.Fatalf("Fingerprints %+v, %v", list, err)
	}
	info, _ = d.Info(ctx)
	st, _ := d.PINState(ctx)
	if !info.HasFingerprints() || !info.HasOption("uv") || st.UVRetries != 5 {
		t.Errorf("after enrolling: fingerprints %v uv %v UV retries %d", info.HasFingerprints(), info.HasOption("uv"), st.UVRetries)
	}

	if err := m.RemoveFingerprint(ctx, en.ID(), p); err != nil {
		t.Fatalf("RemoveFingerprint: %v", err)
	}
	if err := m.RemoveFingerprint(ctx, en.ID(), p); !errors.Is(err, fido.ErrNoFingerprint) {
		t.Errorf("remove twice: %v", err)
	}
	if got := k.Fingerprints(); len(got) != 1 {
		t.Errorf("the key holds %q", got)
	}
}

// TestBioEnrollmentTimeoutAndCancel: no finger before the timeout is
// fido.ErrTimeout (a first sample leaves nothing begun, a later one keeps
// the enrollment), and Cancel stops a sample awaited now and ends the
// enrollment on the key.
func TestBioEnrollmentTimeoutAndCancel(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{Fingerprint: true})
	setPIN(t, d)
	m := bioManager(t, d)
	p := (&pinPrompt{pins: []string{testPIN}}).prompt()

	k.QueueSamples(softkey.Sample{Kind: softkey.SampleTimeout})
	if _, _, err := m.BeginEnroll(ctx, 200*time.Millisecond, p); !errors.Is(err, fido.ErrTimeout) || k.Enrolling() {
		t.Fatalf("first sample timed out: %v, enrolling %v", err, k.Enrolling())
	}
	en, _, err := m.BeginEnroll(ctx, time.Second, p)
	if err != nil {
		t.Fatal(err)
	}
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleTimeout})
	if _, err := en.Next(ctx, 100*time.Millisecond); !errors.Is(err, fido.ErrTimeout) || !k.Enrolling() {
		t.Fatalf("later sample timed out: %v, enrolling %v", err, k.Enrolling())
	}
	if step, err := en.Next(ctx, time.Second); err != nil || step.Remaining != 3 {
		t.Fatalf("after the timeout: %+v, %v", step, err)
	}

	// Cancel while the key waits for the finger.
	k.SetTouch(softkey.TouchNever, 0)
	done := make(chan error, 1)
	go func() {
		_, err := en.Next(ctx, 10*time.Second)
		done <- err
	}()
	for !k.WaitingForTouch() {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := en.Cancel(); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if err := <-done; !errors.Is(err, fido.ErrCanceled) {
		t.Fatalf("Next during Cancel: %v", err)
	}
	if time.Since(start) > 3*time.Second || k.Enrolling() {
		t.Fatalf("after Cancel (%v): enrolling %v", time.Since(start), k.Enrolling())
	}
	k.SetTouch(softkey.TouchAtOnce, 0)
	if list, err := m.Fingerprints(ctx, p); err != nil || len(list) != 0 {
		t.Fatalf("something enrolled: %v, %v", list, err)
	}

	// Cancel between samples.
	en, _, err = m.BeginEnroll(ctx, time.Second, p)
	if err != nil || !k.Enrolling() {
		t.Fatal(err)
	}
	if err := en.Cancel(); err != nil || k.Enrolling() {
		t.Fatalf("Cancel between samples: %v, enrolling %v", err, k.Enrolling())
	}
}

// TestBioUnsupportedAndFull: a key without a sensor says so; a full
// sensor is ErrFingerprintsFull; unplugging mid-sample is ErrKeyRemoved.
func TestBioUnsupportedAndFull(t *testing.T) {
	ctx := context.Background()
	_, plain := softKey(t, softkey.Options{Name: t.Name() + "-plain"})
	setPIN(t, plain)
	pm := bioManager(t, plain)
	if _, err := pm.SensorInfo(ctx); !errors.Is(err, fido.ErrUnsupported) {
		t.Errorf("SensorInfo without a sensor: %v", err)
	}
	p := (&pinPrompt{pins: []string{testPIN}}).prompt()
	if _, err := pm.Fingerprints(ctx, p); !errors.Is(err, fido.ErrUnsupported) {
		t.Errorf("Fingerprints without a sensor: %v", err)
	}

	k, d := softKey(t, softkey.Options{Fingerprint: true})
	setPIN(t, d)
	m := bioManager(t, d)
	for range softkey.MaxFingerprints {
		enrollAll(t, m, p)
	}
	if _, _, err := m.BeginEnroll(ctx, time.Second, p); !errors.Is(err, fido.ErrFingerprintsFull) {
		t.Errorf("one too many: %v", err)
	}
	list, _ := m.Fingerprints(ctx, p)
	if err := m.RemoveFingerprint(ctx, list[0].ID, p); err != nil {
		t.Fatal(err)
	}
	en, _, err := m.BeginEnroll(ctx, time.Second, p)
	if err != nil {
		t.Fatal(err)
	}
	k.SetTouch(softkey.TouchNever, 0)
	done := make(chan error, 1)
	go func() {
		_, err := en.Next(ctx, 10*time.Second)
		done <- err
	}()
	for !k.WaitingForTouch() {
		time.Sleep(time.Millisecond)
	}
	k.Unplug()
	if err := <-done; !errors.Is(err, fido.ErrKeyRemoved) {
		t.Errorf("unplugged mid-sample: %v", err)
	}
}

// TestBioBuiltInUVFirst: on a key with a PIN and an enrolled finger,
// makeCredential and getAssertion verify by the finger without asking for
// the PIN; a finger that does not match is tried again; when the key says
// built-in verification is blocked the PIN is asked, and it restores the
// UV retries.
func TestBioBuiltInUVFirst(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{Fingerprint: true})
	setPIN(t, d)
	enrollAll(t, bioManager(t, d), (&pinPrompt{pins: []string{testPIN}}).prompt())
	// libfido2 reads the key's uv option when it opens it: opened before
	// the finger was enrolled, the key is asked with the PIN.
	stale := &pinPrompt{pins: []string{testPIN}}
	if _, err := d.MakeCredential(ctx, softMakeReq("grace", true), stale.prompt()); err != nil || len(stale.reqs) != 1 {
		t.Fatalf("MakeCredential on the key opened before: %v, PIN asked %d times", err, len(stale.reqs))
	}
	d = reopen(t, d)

	pp := &pinPrompt{pins: []string{testPIN}}
	att, err := d.MakeCredential(ctx, softMakeReq("ada", true), pp.prompt())
	if err != nil {
		t.Fatalf("MakeCredential by fingerprint: %v", err)
	}
	if len(pp.reqs) != 0 || att.AuthData[32]&0x05 != 0x05 {
		t.Fatalf("PIN asked %d times, flags %#x", len(pp.reqs), att.AuthData[32])
	}
	// One finger that does not match, then the right one; the prompt
	// hears of each wait for a finger, with the tries left.
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleNoMatch})
	type wait struct {
		retries int
		missed  bool
	}
	var waits []wait
	fp := pp.prompt()
	fp.Fingerprint = func(retries int, missed bool) { waits = append(waits, wait{retries, missed}) }
	as, err := d.GetAssertion(ctx, &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("a"), UserVerification: true}, fp)
	if err != nil || len(as) != 2 || len(pp.reqs) != 0 || k.QueuedSamples() != 0 {
		t.Fatalf("GetAssertion after a wrong finger: %d assertions, %v; PIN asked %d times", len(as), err, len(pp.reqs))
	}
	if want := []wait{{5, false}, {4, true}}; !slices.Equal(waits, want) {
		t.Errorf("the fingerprint waits: %v; want %v", waits, want)
	}
	if st, _ := d.PINState(ctx); st.UVRetries != 5 {
		t.Errorf("UV retries after a match: %d", st.UVRetries)
	}
	// Five wrong fingers block it: the PIN is asked, and restores the retries.
	for range 5 {
		k.QueueSamples(softkey.Sample{Kind: softkey.SampleNoMatch})
	}
	if _, err := d.GetAssertion(ctx, &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("b"), UserVerification: true}, pp.prompt()); err != nil {
		t.Fatalf("GetAssertion after UV blocked: %v", err)
	}
	if len(pp.reqs) != 1 || k.QueuedSamples() != 0 {
		t.Fatalf("PIN asked %d times, %d samples left", len(pp.reqs), k.QueuedSamples())
	}
	if st, _ := d.PINState(ctx); st.UVRetries != 5 {
		t.Errorf("UV retries after the PIN: %d", st.UVRetries)
	}
}
