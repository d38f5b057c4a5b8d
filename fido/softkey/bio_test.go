package softkey_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// authenticatorBioEnrollment (CTAP 2.1 §6.7) at the CTAPHID level, under
// both command codes.

const (
	ctapBioEnroll        = 0x09
	ctapBioEnrollPreview = 0x40

	permBE = 0x08

	stFPDatabaseFull = 0x17
)

// bio sends one bio enrollment subcommand for the fingerprint modality;
// params (already CBOR) may be nil, token nil sends no pinUvAuthParam.
func (p *platform) bio(cmd byte, sub int, params cbor.RawMessage, token []byte) (byte, map[int]cbor.RawMessage) {
	p.t.Helper()
	req := map[int]any{1: 1, 2: sub}
	if params != nil {
		req[3] = params
	}
	if token != nil {
		req[4], req[5] = p.proto, p.authenticate(token, append([]byte{1, byte(sub)}, params...))
	}
	return p.c.call(cmd, req)
}

// enrollStep is one enrollBegin or enrollCaptureNextSample answer.
type enrollStep struct {
	st        byte
	id        []byte
	status    int
	remaining int
}

func (p *platform) enroll(cmd byte, id []byte, timeoutMS int, token []byte) enrollStep {
	p.t.Helper()
	sub, params := 1, map[int]any{3: timeoutMS}
	if id != nil {
		sub, params[1] = 2, id
	}
	st, resp := p.bio(cmd, sub, rawCBOR(p.t, params), token)
	s := enrollStep{st: st, status: -1, remaining: -1}
	if st != stOK {
		return s
	}
	if raw, ok := resp[4]; ok {
		decode(p.t, raw, &s.id)
	}
	decode(p.t, resp[5], &s.status)
	decode(p.t, resp[6], &s.remaining)
	return s
}

type templateInfo struct {
	ID   []byte `cbor:"1,keyasint"`
	Name string `cbor:"2,keyasint,omitempty"`
}

func (p *platform) templates(cmd byte, token []byte) ([]templateInfo, byte) {
	p.t.Helper()
	st, resp := p.bio(cmd, 4, nil, token)
	if st != stOK {
		return nil, st
	}
	var list []templateInfo
	decode(p.t, resp[7], &list)
	return list, st
}

// fingerprintKey is a key with a sensor and the PIN 1234, dialled.
func fingerprintKey(t *testing.T, opts softkey.Options) (*softkey.Key, *platform) {
	t.Helper()
	opts.Fingerprint = true
	k := newKey(t, opts)
	p := &platform{t: t, c: dial(t, k), proto: 2}
	if st := p.setPIN("1234"); st != stOK {
		t.Fatalf("setPIN: %#x", st)
	}
	return k, p
}

// enrollFinger enrolls a fingerprint with good samples and names it.
func (p *platform) enrollFinger(cmd byte, name string) []byte {
	p.t.Helper()
	tok, st := p.token("1234", permBE, "")
	if st != stOK {
		p.t.Fatalf("be token: %#x", st)
	}
	s := p.enroll(cmd, nil, 1000, tok)
	id := s.id
	for s.st == stOK && s.remaining > 0 {
		s = p.enroll(cmd, id, 1000, tok)
	}
	if s.st != stOK {
		p.t.Fatalf("enroll: %#x", s.st)
	}
	if name != "" {
		if st, _ := p.bio(cmd, 5, rawCBOR(p.t, map[int]any{1: id, 2: name}), tok); st != stOK {
			p.t.Fatalf("setFriendlyName: %#x", st)
		}
	}
	return id
}

func TestFingerprintEnrollment(t *testing.T) {
	for _, cmd := range []byte{ctapBioEnroll, ctapBioEnrollPreview} {
		t.Run(fmt.Sprintf("command %#x", cmd), func(t *testing.T) {
			k, p := fingerprintKey(t, softkey.Options{})
			c := p.c
			opts := infoOptions(t, c)
			if v, ok := opts["bioEnroll"]; !ok || v || opts["userVerificationMgmtPreview"] || opts["uv"] {
				t.Fatalf("getInfo options before enrollment: %v", opts)
			}
			// Sensor info and the modality need no token.
			st, resp := p.bio(cmd, 7, nil, nil)
			var kind, samples, maxName int
			if st != stOK {
				t.Fatalf("getFingerprintSensorInfo: %#x", st)
			}
			decode(t, resp[2], &kind)
			decode(t, resp[3], &samples)
			decode(t, resp[8], &maxName)
			if kind != 1 || samples != softkey.SamplesPerEnrollment || maxName != softkey.MaxFingerprintName {
				t.Errorf("sensor info kind %d samples %d name %d", kind, samples, maxName)
			}
			if st, resp := c.call(cmd, map[int]any{6: true}); st != stOK || string(resp[1]) != "\x01" {
				t.Errorf("getModality: %#x %x", st, resp[1])
			}
			// The built-in UV cannot be used before a fingerprint is on.
			mc := mcRequest("example.com", "alice", false)
			mc[7] = map[string]bool{"uv": true}
			if st, _ := c.call(ctapMakeCredential, mc); st != stInvalidOption {
				t.Errorf("uv option with no fingerprint: %#x, want INVALID_OPTION", st)
			}

			// Every other subcommand needs a be token.
			if _, st := p.templates(cmd, nil); st != stPUATRequired {
				t.Errorf("enumerate without a token: %#x", st)
			}
			mcTok, _ := p.token("1234", permMC|permGA, "")
			if _, st := p.templates(cmd, mcTok); st != stPINAuthInvalid {
				t.Errorf("enumerate with an mc/ga token: %#x", st)
			}
			tok, st := p.token("1234", permBE, "")
			if st != stOK {
				t.Fatalf("be token: %#x", st)
			}
			if _, st := p.templates(cmd, tok); st != stInvalidOption {
				t.Errorf("enumerate with none enrolled: %#x, want INVALID_OPTION", st)
			}

			// 5 samples: a good one, a bad one (not counted), a wrong
			// finger (not counted), then good ones.
			k.QueueSamples(softkey.Sample{Kind: softkey.SampleGood},
				softkey.Sample{Kind: softkey.SampleBad, Status: fido.SampleTooHigh},
				softkey.Sample{Kind: softkey.SampleNoMatch},
				softkey.Sample{Kind: softkey.SampleBad})
			first := p.enroll(cmd, nil, 1000, tok)
			if first.st != stOK || len(first.id) == 0 || first.status != 0 || first.remaining != 4 || !k.Enrolling() {
				t.Fatalf("enrollBegin: %+v", first)
			}
			want := []struct{ status, remaining int }{{1, 4}, {0x0a, 4}, {7, 4}, {0, 3}, {0, 2}, {0, 1}, {0, 0}}
			for i, w := range want {
				s := p.enroll(cmd, first.id, 1000, tok)
				if s.st != stOK || s.status != w.status || s.remaining != w.remaining {
					t.Fatalf("sample %d: %+v, want %+v", i+2, s, w)
				}
			}
			if k.Enrolling() {
				t.Error("enrollment still under way after the last sample")
			}
			if s := p.enroll(cmd, first.id, 1000, tok); s.st != stInvalidParameter {
				t.Errorf("capture after the end: %#x", s.st)
			}
			list, st := p.templates(cmd, tok)
			if st != stOK || len(list) != 1 || !bytes.Equal(list[0].ID, first.id) || list[0].Name != "" {
				t.Fatalf("templates %+v %#x", list, st)
			}
			opts = infoOptions(t, c)
			if !opts["bioEnroll"] || !opts["userVerificationMgmtPreview"] || !opts["uv"] {
				t.Errorf("getInfo options after enrollment: %v", opts)
			}

			// Names.
			name := func(id []byte, n string) byte {
				st, _ := p.bio(cmd, 5, rawCBOR(t, map[int]any{1: id, 2: n}), tok)
				return st
			}
			if st := name(first.id, "Right thumb"); st != stOK {
				t.Fatalf("setFriendlyName: %#x", st)
			}
			if st := name([]byte{9, 9}, "x"); st != stInvalidOption {
				t.Errorf("setFriendlyName of no fingerprint: %#x", st)
			}
			if st := name(first.id, string(bytes.Repeat([]byte("x"), softkey.MaxFingerprintName+1))); st != stInvalidParameter {
				t.Errorf("name too long: %#x", st)
			}
			second := p.enrollFinger(cmd, "Left index")
			tok, _ = p.token("1234", permBE, "") // enrollFinger's token replaced it
			list, _ = p.templates(cmd, tok)
			if len(list) != 2 || list[0].Name != "Right thumb" || list[1].Name != "Left index" || !bytes.Equal(list[1].ID, second) {
				t.Fatalf("templates %+v", list)
			}
			if got := k.Fingerprints(); len(got) != 2 || got[0] != "Right thumb" {
				t.Errorf("Fingerprints() %q", got)
			}

			// Removal.
			remove := func(id []byte) byte {
				st, _ := p.bio(cmd, 6, rawCBOR(t, map[int]any{1: id}), tok)
				return st
			}
			if st := remove([]byte{9, 9}); st != stInvalidOption {
				t.Errorf("remove no fingerprint: %#x", st)
			}
			if st := remove(first.id); st != stOK {
				t.Fatalf("remove: %#x", st)
			}
			if st := remove(first.id); st != stInvalidOption {
				t.Errorf("remove twice: %#x", st)
			}
			if st := remove(second); st != stOK {
				t.Fatalf("remove: %#x", st)
			}
			if opts := infoOptions(t, c); opts["bioEnroll"] || opts["uv"] {
				t.Errorf("getInfo options with none left: %v", opts)
			}
		})
	}
}

// TestFingerprintEnrollmentTimeoutAndCancel: a first sample that does not
// come drops the enrollment; a later one leaves it open; a cancel
// (cancelCurrentEnrollment, or CTAPHID_CANCEL while a sample is awaited)
// ends it with nothing enrolled.
func TestFingerprintEnrollmentTimeoutAndCancel(t *testing.T) {
	k, p := fingerprintKey(t, softkey.Options{})
	tok, _ := p.token("1234", permBE, "")
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleTimeout})
	start := time.Now()
	if s := p.enroll(ctapBioEnroll, nil, 200, tok); s.st != stUserActionTimeout || k.Enrolling() {
		t.Fatalf("first sample timed out: %+v, enrolling %v", s, k.Enrolling())
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("timeout after %v, want the request's 200 ms", d)
	}
	first := p.enroll(ctapBioEnroll, nil, 1000, tok)
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleTimeout})
	if s := p.enroll(ctapBioEnroll, first.id, 100, tok); s.st != stUserActionTimeout || !k.Enrolling() {
		t.Fatalf("later sample timed out: %+v, enrolling %v", s, k.Enrolling())
	}
	if s := p.enroll(ctapBioEnroll, first.id, 1000, tok); s.st != stOK || s.remaining != 3 {
		t.Fatalf("after the timeout: %+v", s)
	}
	if st, _ := p.bio(ctapBioEnroll, 3, nil, nil); st != stOK || k.Enrolling() {
		t.Fatalf("cancelCurrentEnrollment: %#x", st)
	}
	if s := p.enroll(ctapBioEnroll, first.id, 1000, tok); s.st != stInvalidParameter {
		t.Errorf("capture after cancel: %#x", s.st)
	}

	// CTAPHID_CANCEL while the key waits for the finger.
	first = p.enroll(ctapBioEnroll, nil, 1000, tok)
	k.SetTouch(softkey.TouchNever, 0)
	params := rawCBOR(t, map[int]any{1: first.id, 3: 10000})
	p.c.send(hidCBOR, append([]byte{ctapBioEnroll}, must(cbor.Marshal(map[int]any{
		1: 1, 2: 2, 3: params, 4: 2, 5: p.authenticate(tok, append([]byte{1, 2}, params...)),
	}))...))
	for !k.WaitingForTouch() {
		time.Sleep(time.Millisecond)
	}
	p.c.send(hidCancel, nil)
	if cmd, payload := p.c.recv(); cmd != hidCBOR || payload[0] != stKeepaliveCancel {
		t.Fatalf("cancelled sample: cmd %#x %x, want KEEPALIVE_CANCEL", cmd, payload)
	}
	if k.Enrolling() {
		t.Error("enrollment survives a cancel")
	}
	if _, st := p.templates(ctapBioEnroll, tok); st != stInvalidOption {
		t.Errorf("something enrolled: %#x", st)
	}
}

// TestFingerprintFull: the sensor holds MaxFingerprints.
func TestFingerprintFull(t *testing.T) {
	_, p := fingerprintKey(t, softkey.Options{})
	for i := range softkey.MaxFingerprints {
		p.enrollFinger(ctapBioEnroll, fmt.Sprint("finger ", i))
	}
	tok, _ := p.token("1234", permBE, "")
	if s := p.enroll(ctapBioEnroll, nil, 1000, tok); s.st != stFPDatabaseFull {
		t.Fatalf("one too many: %#x", s.st)
	}
}

// TestFingerprintPermissions: be is granted only with a sensor, only for
// the PIN, and a key without a sensor does not know the command.
func TestFingerprintPermissions(t *testing.T) {
	c := dial(t, newKey(t, softkey.Options{}))
	p := &platform{t: t, c: c, proto: 2}
	p.setPIN("1234")
	if st, _ := p.bio(ctapBioEnroll, 7, nil, nil); st != stInvalidCommand {
		t.Errorf("bio enrollment without a sensor: %#x", st)
	}
	if _, st := p.token("1234", permBE, ""); st != stUnauthorizedPermiss {
		t.Errorf("be without a sensor: %#x", st)
	}
	_, p = fingerprintKey(t, softkey.Options{})
	p.enrollFinger(ctapBioEnroll, "")
	p.handshake()
	if st, _ := p.c.call(ctapClientPIN, map[int]any{1: 2, 2: 6, 3: p.pub, 9: permBE}); st != stUnauthorizedPermiss {
		t.Errorf("be by fingerprint: %#x", st)
	}
	// The preview command also takes a getPinToken token; 0x09 does not.
	tok, _ := p.token("1234", 0, "")
	if _, st := p.templates(ctapBioEnrollPreview, tok); st != stOK {
		t.Errorf("preview with a getPinToken token: %#x", st)
	}
	if _, st := p.templates(ctapBioEnroll, tok); st != stPINAuthInvalid {
		t.Errorf("0x09 with a getPinToken token: %#x", st)
	}
}

// TestFingerprintUV: built-in user verification by fingerprint: a good
// sample gives a token that carries the user's presence (no second
// touch), a wrong finger costs a UV retry, five block it, the PIN still
// works and unblocks it.
func TestFingerprintUV(t *testing.T) {
	k, p := fingerprintKey(t, softkey.Options{TouchTimeout: 300 * time.Millisecond})
	c := p.c
	p.enrollFinger(ctapBioEnroll, "thumb")
	uvRetries := func() int {
		st, resp := c.call(ctapClientPIN, map[int]any{1: 2, 2: 7})
		var n int
		if st != stOK {
			t.Fatalf("getUVRetries: %#x", st)
		}
		decode(t, resp[5], &n)
		return n
	}
	uvToken := func(perms int) ([]byte, byte) {
		p.handshake()
		st, resp := c.call(ctapClientPIN, map[int]any{1: 2, 2: 6, 3: p.pub, 9: perms})
		if st != stOK {
			return nil, st
		}
		var enc []byte
		decode(t, resp[2], &enc)
		return p.decrypt(enc), st
	}
	if n := uvRetries(); n != 5 {
		t.Fatalf("UV retries %d", n)
	}
	tok, st := uvToken(permMC | permGA)
	if st != stOK {
		t.Fatalf("UV token: %#x", st)
	}
	// The finger on the sensor was the touch: no second one is asked.
	k.SetTouch(softkey.TouchNever, 0)
	reg := makeCredential(t, c, p.withToken(mcRequest("example.com", "alice", true), tok, true))
	if reg.flags&0x05 != 0x05 {
		t.Fatalf("flags %#x", reg.flags)
	}
	k.SetTouch(softkey.TouchAtOnce, 0)

	// A wrong finger, a bad sample, no finger at all.
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleNoMatch})
	if _, st := uvToken(permGA); st != stUVInvalid || uvRetries() != 4 {
		t.Errorf("wrong finger: %#x, retries %d", st, uvRetries())
	}
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleBad})
	if _, st := uvToken(permGA); st != stUVInvalid || uvRetries() != 3 {
		t.Errorf("bad sample: %#x, retries %d", st, uvRetries())
	}
	k.QueueSamples(softkey.Sample{Kind: softkey.SampleTimeout})
	if _, st := uvToken(permGA); st != stUserActionTimeout || uvRetries() != 3 {
		t.Errorf("no finger: %#x, retries %d", st, uvRetries())
	}
	// The uv option (CTAP 2.0 style) by fingerprint.
	ga := gaRequest("example.com")
	ga[5] = map[string]bool{"uv": true}
	if st, a := getAssertion(t, c, ctapGetAssertion, ga); st != stOK || parseAuthData(t, a.ad).flags != 0x05 || uvRetries() != 5 {
		t.Errorf("uv option: %#x, retries %d", st, uvRetries())
	}
	// Five wrong fingers block it; then the PIN.
	for range 5 {
		k.QueueSamples(softkey.Sample{Kind: softkey.SampleNoMatch})
	}
	var last byte
	for range 5 {
		_, last = uvToken(permGA)
	}
	if last != stUVBlocked || uvRetries() != 0 || k.QueuedSamples() != 0 {
		t.Fatalf("fifth wrong finger: %#x, retries %d", last, uvRetries())
	}
	if _, st := uvToken(permGA); st != stUVBlocked {
		t.Errorf("blocked: %#x", st)
	}
	if st, _ := c.call(ctapGetAssertion, ga); st != stUVBlocked {
		t.Errorf("uv option blocked: %#x", st)
	}
	if _, st := p.token("1234", permGA, ""); st != stOK || uvRetries() != 5 {
		t.Errorf("PIN after UV blocked: %#x, UV retries %d", st, uvRetries())
	}
}

// TestFingerprintState: fingerprints survive in the state file and a
// reset removes them.
func TestFingerprintState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k, err := softkey.Open(path, softkey.Options{Name: t.Name(), Fingerprint: true})
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{t: t, c: dial(t, k), proto: 2}
	p.setPIN("1234")
	p.enrollFinger(ctapBioEnroll, "thumb")
	k.Unplug()
	k2, err := softkey.Open(path, softkey.Options{Name: t.Name() + "2", Fingerprint: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := k2.Fingerprints(); len(got) != 1 || got[0] != "thumb" {
		t.Fatalf("after reopening: %q", got)
	}
	c := dial(t, k2)
	if st, _ := c.call(ctapReset, nil); st != stOK {
		t.Fatalf("reset: %#x", st)
	}
	if got := k2.Fingerprints(); len(got) != 0 {
		t.Errorf("after reset: %q", got)
	}
}
