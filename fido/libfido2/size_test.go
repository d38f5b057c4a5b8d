//go:build cgo

package libfido2

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// ctapGetAssertion and ctapMakeCredential are the CTAP command bytes
// (CTAP 2.1 §6).
const (
	ctapMakeCredential = 0x01
	ctapGetAssertion   = 0x02
)

// sizeRecorder is a soft key whose connections note the length of every
// CTAPHID_CBOR message libfido2 starts, by its CTAP command.
type sizeRecorder struct {
	*softkey.Key
	mu    sync.Mutex
	sizes map[byte][]int
}

func (r *sizeRecorder) OpenHID() (fido.HIDConn, error) {
	c, err := r.Key.OpenHID()
	if err != nil {
		return nil, err
	}
	return &recordingConn{HIDConn: c, r: r}, nil
}

// last is the length of the last message with CTAP command cmd, -1 for
// none.
func (r *sizeRecorder) last(cmd byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sizes[cmd]; len(s) > 0 {
		return s[len(s)-1]
	}
	return -1
}

type recordingConn struct {
	fido.HIDConn
	r *sizeRecorder
}

func (c *recordingConn) WriteReport(rep []byte) error {
	if len(rep) == 64 && rep[4] == 0x90 { // an initialization packet of CTAPHID_CBOR
		c.r.mu.Lock()
		c.r.sizes[rep[7]] = append(c.r.sizes[rep[7]], int(binary.BigEndian.Uint16(rep[5:])))
		c.r.mu.Unlock()
	}
	return c.HIDConn.WriteReport(rep)
}

func recordedKey(t *testing.T) (*sizeRecorder, fido.Device) {
	t.Helper()
	r := &sizeRecorder{Key: softkey.New(softkey.Options{Name: t.Name(), AAGUID: softAAGUID}), sizes: map[byte][]int{}}
	d, err := NewProvider().Open(context.Background(), register(t, t.Name(), r))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return r, d
}

// randomIDs are n random credential IDs of 48 bytes, as the soft key's.
func randomIDs(n int) []fido.CredentialDescriptor {
	out := make([]fido.CredentialDescriptor, n)
	for i := range out {
		out[i].ID = make([]byte, 48)
		rand.Read(out[i].ID)
	}
	return out
}

// TestEncodedSizeIsWhatLibfido2Sends: for requests without options, PIN
// or extensions, fido's EncodedSize is exactly the length of the message
// libfido2 sends, and with them a lower bound.
func TestEncodedSizeIsWhatLibfido2Sends(t *testing.T) {
	ctx := context.Background()
	r, d := recordedKey(t)
	mc := &fido.MakeCredentialRequest{
		ClientDataHash: cdh("make"),
		RP:             fido.RelyingParty{ID: "passkeydesk.test", Name: "Passkey Desk"},
		User:           fido.User{ID: bytes.Repeat([]byte{7}, 64), Name: "ada@example.org", DisplayName: "Ada Lovelace"},
		Algorithms:     []int{fido.ES256},
		Exclude:        randomIDs(3),
	}
	att, err := d.MakeCredential(ctx, mc, fido.Prompt{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.last(ctapMakeCredential), mc.EncodedSize(); got != want {
		t.Errorf("makeCredential of %d bytes, EncodedSize %d", got, want)
	}
	mc.RP.Name, mc.User.Name, mc.User.DisplayName, mc.Exclude = "", "", "", nil
	if _, err := d.MakeCredential(ctx, mc, fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.last(ctapMakeCredential), mc.EncodedSize(); got != want {
		t.Errorf("makeCredential without names of %d bytes, EncodedSize %d", got, want)
	}
	mc.ResidentKey, mc.CredProtect = true, fido.CredProtectOptional
	if _, err := d.MakeCredential(ctx, mc, fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.last(ctapMakeCredential), mc.EncodedSize(); got <= want {
		t.Errorf("makeCredential with options of %d bytes, EncodedSize %d: not a lower bound", got, want)
	}

	ga := &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("get"), Allow: append(randomIDs(4), fido.CredentialDescriptor{ID: att.CredentialID})}
	if _, err := d.GetAssertion(ctx, ga, fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.last(ctapGetAssertion), ga.EncodedSize(); got != want {
		t.Errorf("getAssertion of %d bytes, EncodedSize %d", got, want)
	}
	ga.Allow = nil
	if _, err := d.GetAssertion(ctx, ga, fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.last(ctapGetAssertion), ga.EncodedSize(); got != want {
		t.Errorf("discoverable getAssertion of %d bytes, EncodedSize %d", got, want)
	}
	ga.Silent = true
	if _, err := d.GetAssertion(ctx, ga, fido.Prompt{}); err != nil {
		t.Fatal(err)
	}
	if got, want := r.last(ctapGetAssertion), ga.EncodedSize(); got <= want {
		t.Errorf("silent getAssertion of %d bytes, EncodedSize %d: not a lower bound", got, want)
	}
}

// TestSoftkeyRequestTooLarge: a request longer than the key's maxMsgSize
// ends as fido.ErrRequestTooLarge, not as a key that was removed, and the
// key goes on working; one longer than CTAPHID can carry is not sent.
func TestSoftkeyRequestTooLarge(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{})
	info, err := d.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	att, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), fido.Prompt{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{20, 150} {
		ga := &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("get"), Allow: randomIDs(n)}
		ga.Allow = append(ga.Allow, fido.CredentialDescriptor{ID: att.CredentialID})
		if ga.EncodedSize() <= info.MaxMsgSize {
			t.Fatalf("%d credentials fit the key's %d bytes", n, info.MaxMsgSize)
		}
		sent := k.Commands(ctapGetAssertion)
		_, err := d.GetAssertion(ctx, ga, fido.Prompt{})
		if !errors.Is(err, fido.ErrRequestTooLarge) || errors.Is(err, fido.ErrKeyRemoved) {
			t.Errorf("allow list of %d: %v, want ErrRequestTooLarge", n+1, err)
		}
		if k.Commands(ctapGetAssertion) != sent {
			t.Errorf("allow list of %d: the key ran the request", n+1)
		}
		mc := softMakeReqNoUV("grace")
		mc.Exclude = ga.Allow
		if _, err := d.MakeCredential(ctx, mc, fido.Prompt{}); !errors.Is(err, fido.ErrRequestTooLarge) || errors.Is(err, fido.ErrKeyRemoved) {
			t.Errorf("exclude list of %d: %v, want ErrRequestTooLarge", n+1, err)
		}
		// The key still answers, on the same connection.
		ga.Allow = ga.Allow[len(ga.Allow)-1:]
		if as, err := d.GetAssertion(ctx, ga, fido.Prompt{}); err != nil || len(as) != 1 {
			t.Fatalf("after the refused requests: %d assertions, %v", len(as), err)
		}
	}
}

// TestTransportFailureOnLongRequest: for a USB key, whose CTAPHID
// ERR_INVALID_LEN libfido2 reports as a receive failure, a transport
// failure on a request longer than the key's maxMsgSize is the request
// refused, while one on a request that fits is the key gone.
func TestTransportFailureOnLongRequest(t *testing.T) {
	d := &device{}
	info := &fido.Info{MaxMsgSize: 1200}
	for _, tc := range []struct {
		size int
		info *fido.Info
		code int
		want error
	}{
		{1201, info, codeRX, fido.ErrRequestTooLarge},
		{1201, info, codeTX, fido.ErrRequestTooLarge},
		{1200, info, codeRX, fido.ErrKeyRemoved},
		{1025, &fido.Info{}, codeRX, fido.ErrRequestTooLarge}, // a key that says nothing takes 1024 bytes
		{1201, info, codeNoCredentials, fido.ErrNoCredentials},
	} {
		err := d.tooLarge("get assertion", tc.size, tc.info, codeError("get assertion", tc.code))
		if !errors.Is(err, tc.want) {
			t.Errorf("%d bytes, code %d: %v, want %v", tc.size, tc.code, err, tc.want)
		}
	}
}

// TestSoftkeySilentAssertion: a Silent request is answered without a
// touch (the key would wait for ever), p.Touch is not called, and the
// assertion does not claim user presence.
func TestSoftkeySilentAssertion(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{})
	att, err := d.MakeCredential(ctx, softMakeReqNoUV("ada"), fido.Prompt{})
	if err != nil {
		t.Fatal(err)
	}
	k.SetTouch(softkey.TouchNever, 0)
	pp := &pinPrompt{pins: []string{testPIN}}
	req := &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("probe"), Silent: true,
		Allow: append(randomIDs(3), fido.CredentialDescriptor{ID: att.CredentialID})}
	as, err := d.GetAssertion(ctx, req, pp.prompt())
	if err != nil || len(as) != 1 || !bytes.Equal(as[0].CredentialID, att.CredentialID) {
		t.Fatalf("silent: %d assertions, %v", len(as), err)
	}
	if flags := as[0].AuthData[32]; flags&0x01 != 0 {
		t.Errorf("flags %#x claim user presence", flags)
	}
	if pp.touches != 0 || len(pp.reqs) != 0 {
		t.Errorf("the prompt was used: %d touches, %d PINs", pp.touches, len(pp.reqs))
	}
	req.Allow = randomIDs(3)
	if _, err := d.GetAssertion(ctx, req, pp.prompt()); !errors.Is(err, fido.ErrNoCredentials) {
		t.Fatalf("silent, none held: %v, want ErrNoCredentials", err)
	}
}
