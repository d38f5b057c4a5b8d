package softkey_test

import (
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// FuzzReports feeds arbitrary reports to the CTAPHID layer: whatever
// comes in, the key must not panic, and must still answer a PING.
func FuzzReports(f *testing.F) {
	f.Add(make([]byte, 64*3))
	seed := func(cmd byte, payload []byte) {
		var b []byte
		for _, r := range frames(broadcast, hidInit, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
			b = append(b, r...)
		}
		for _, r := range frames(1, cmd, payload) { // the first channel the key allocates
			b = append(b, r...)
		}
		f.Add(b)
	}
	seed(hidPing, make([]byte, 300))
	seed(hidCBOR, []byte{ctapGetInfo})
	seed(hidCBOR, append([]byte{ctapMakeCredential}, must(cbor.Marshal(mcRequest("example.com", "a", true)))...))
	seed(hidCancel, nil)
	seed(hidWink, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		k := softkey.New(softkey.Options{Name: "fuzz", TouchTimeout: 50 * time.Millisecond})
		k.SetTouch(softkey.TouchNever, 0)
		conn, err := k.OpenHID()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for len(data) > 0 {
			r := make([]byte, 64)
			data = data[copy(r, data):]
			if err := conn.WriteReport(r); err != nil {
				t.Fatal(err)
			}
		}
		conn.Close() // drops the transaction the input left, if any
		c := dial(t, k)
		c.send(hidPing, []byte("alive"))
		if cmd, payload := c.recv(); cmd != hidPing || string(payload) != "alive" {
			t.Fatalf("PING answered with %#x %q", cmd, payload)
		}
	})
}

// FuzzCBOR sends arbitrary CBOR commands: the key answers each with a
// status, never panics.
func FuzzCBOR(f *testing.F) {
	mc := mcRequest("example.com", "alice", true)
	mc[6] = map[string]any{"credProtect": 3}
	mc[5] = []map[string]any{{"type": "public-key", "id": []byte{1, 2}}}
	seeds := []struct {
		cmd byte
		req any
	}{
		{ctapGetInfo, nil},
		{ctapMakeCredential, mc},
		{ctapGetAssertion, gaRequest("example.com")},
		{ctapGetAssertion, gaRequest("example.com", []byte{1})},
		{ctapGetNextAssertion, nil},
		{ctapClientPIN, map[int]any{1: 2, 2: 2}},
		{ctapClientPIN, map[int]any{1: 1, 2: 3, 3: map[int]any{1: 2, 3: -25, -1: 1, -2: make([]byte, 32), -3: make([]byte, 32)}, 4: make([]byte, 16), 5: make([]byte, 64)}},
		{ctapClientPIN, map[int]any{1: 2, 2: 9, 3: map[int]any{1: 2}, 6: make([]byte, 32), 9: 3, 10: "example.com"}},
		{ctapReset, nil},
		{ctapSelection, nil},
		{0x0a, map[int]any{1: 1}},
		{0x41, map[int]any{1: 2, 3: 2, 4: make([]byte, 32)}},
		{0x0c, map[int]any{1: 1}},
		{0x0d, map[int]any{1: 2}},
		{ctapBioEnroll, map[int]any{1: 1, 2: 7}},
		{ctapBioEnrollPreview, map[int]any{1: 1, 2: 2, 3: map[int]any{1: []byte{1, 2}, 3: 100}, 4: 2, 5: make([]byte, 32)}},
		{ctapBioEnroll, map[int]any{6: true}},
	}
	for _, s := range seeds {
		var b []byte
		if s.req != nil {
			b = must(cbor.Marshal(s.req))
		}
		f.Add(s.cmd, b)
	}
	f.Add(byte(ctapMakeCredential), []byte{0xa1, 0x01, 0x5f})
	f.Fuzz(func(t *testing.T, cmd byte, body []byte) {
		if len(body) > 7000 {
			return
		}
		k := softkey.New(softkey.Options{Name: "fuzz", Slots: 2, Fingerprint: true})
		c := dial(t, k)
		for range 2 { // twice, so that state left by the first counts
			c.send(hidCBOR, append([]byte{cmd}, body...))
			hc, resp := c.recv()
			if hc != hidCBOR || len(resp) == 0 {
				t.Fatalf("answer %#x %x", hc, resp)
			}
			switch cmd {
			case ctapGetInfo, ctapMakeCredential, ctapGetAssertion, ctapGetNextAssertion, ctapClientPIN, ctapReset, ctapSelection,
				0x0a, 0x0d, 0x41, // credential management, authenticatorConfig, credential management preview
				ctapBioEnroll, ctapBioEnrollPreview:
			default:
				if resp[0] != stInvalidCommand {
					t.Fatalf("command %#x answered %#x", cmd, resp[0])
				}
			}
		}
	})
}
