package softkey_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// CTAPHID as a client speaks it (CTAP 2.1 §11.2), for the tests.
const (
	hidPing      = 0x81
	hidMsg       = 0x83
	hidInit      = 0x86
	hidWink      = 0x88
	hidCBOR      = 0x90
	hidCancel    = 0x91
	hidKeepalive = 0xbb
	hidError     = 0xbf
	broadcast    = 0xffffffff
	readTimeout  = 5 * time.Second
	maxMsgSize   = 1200 // the key's getInfo maxMsgSize
)

// client is a CTAPHID client on one channel of a key.
type client struct {
	t    *testing.T
	conn fido.HIDConn
	cid  uint32
}

func newKey(t *testing.T, opts softkey.Options) *softkey.Key {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "test"
	}
	return softkey.New(opts)
}

// dial opens a connection and allocates a channel with CTAPHID_INIT.
func dial(t *testing.T, k *softkey.Key) *client {
	t.Helper()
	conn, err := k.OpenHID()
	if err != nil {
		t.Fatalf("OpenHID: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, cid: broadcast}
	nonce := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	c.send(hidInit, nonce)
	cmd, resp := c.recv()
	if cmd != hidInit || len(resp) != 17 || !bytes.Equal(resp[:8], nonce) {
		t.Fatalf("INIT answer: cmd %#x payload %x", cmd, resp)
	}
	c.cid = binary.BigEndian.Uint32(resp[8:])
	return c
}

// frames splits a message into 64-byte reports (§11.2.4).
func frames(cid uint32, cmd byte, payload []byte) [][]byte {
	r := make([]byte, 64)
	binary.BigEndian.PutUint32(r, cid)
	r[4] = cmd
	binary.BigEndian.PutUint16(r[5:], uint16(len(payload)))
	n := copy(r[7:], payload)
	out := [][]byte{r}
	for seq := byte(0); n < len(payload); seq++ {
		r := make([]byte, 64)
		binary.BigEndian.PutUint32(r, cid)
		r[4] = seq
		n += copy(r[5:], payload[n:])
		out = append(out, r)
	}
	return out
}

func (c *client) send(cmd byte, payload []byte) {
	c.t.Helper()
	for _, r := range frames(c.cid, cmd, payload) {
		if err := c.conn.WriteReport(r); err != nil {
			c.t.Fatalf("WriteReport: %v", err)
		}
	}
}

// recvAny reads one whole message, keepalives included.
func (c *client) recvAny() (cid uint32, cmd byte, payload []byte, err error) {
	r, err := c.conn.ReadReport(readTimeout)
	if err != nil {
		return 0, 0, nil, err
	}
	cid, cmd = binary.BigEndian.Uint32(r), r[4]
	n := int(binary.BigEndian.Uint16(r[5:]))
	payload = append(payload, r[7:7+min(n, 57)]...)
	for seq := byte(0); len(payload) < n; seq++ {
		r, err := c.conn.ReadReport(readTimeout)
		if err != nil {
			return 0, 0, nil, err
		}
		if binary.BigEndian.Uint32(r) != cid || r[4] != seq {
			return 0, 0, nil, errors.New("bad continuation")
		}
		payload = append(payload, r[5:5+min(n-len(payload), 59)]...)
	}
	return cid, cmd, payload, nil
}

// recv reads the next message on c's channel, skipping keepalives.
func (c *client) recv() (byte, []byte) {
	c.t.Helper()
	for {
		cid, cmd, payload, err := c.recvAny()
		if err != nil {
			c.t.Fatalf("reading: %v", err)
		}
		if cid != c.cid {
			c.t.Fatalf("answer on channel %#x, want %#x", cid, c.cid)
		}
		if cmd != hidKeepalive {
			return cmd, payload
		}
	}
}

// call sends a CBOR command (§11.2.9.1.2) and returns the status and the
// decoded response.
func (c *client) call(cmd byte, req any) (byte, map[int]cbor.RawMessage) {
	c.t.Helper()
	msg := []byte{cmd}
	if req != nil {
		b, err := cbor.Marshal(req)
		if err != nil {
			c.t.Fatal(err)
		}
		msg = append(msg, b...)
	}
	c.send(hidCBOR, msg)
	hc, resp := c.recv()
	if hc != hidCBOR || len(resp) == 0 {
		c.t.Fatalf("CBOR answer: cmd %#x payload %x", hc, resp)
	}
	var m map[int]cbor.RawMessage
	if len(resp) > 1 {
		if err := cbor.Unmarshal(resp[1:], &m); err != nil {
			c.t.Fatalf("decoding answer: %v", err)
		}
	}
	return resp[0], m
}

// decode decodes one response field into v.
func decode(t *testing.T, raw cbor.RawMessage, v any) {
	t.Helper()
	if err := cbor.Unmarshal(raw, v); err != nil {
		t.Fatalf("decoding %x: %v", raw, err)
	}
}

func TestInit(t *testing.T) {
	k := newKey(t, softkey.Options{})
	a, b := dial(t, k), dial(t, k)
	if a.cid == b.cid || a.cid == 0 || a.cid == broadcast {
		t.Fatalf("channels %#x and %#x", a.cid, b.cid)
	}
	// INIT on an allocated channel resynchronises it and keeps it.
	a.send(hidInit, []byte{9, 9, 9, 9, 9, 9, 9, 9})
	cmd, resp := a.recv()
	if cmd != hidInit || binary.BigEndian.Uint32(resp[8:]) != a.cid {
		t.Fatalf("resync: cmd %#x payload %x", cmd, resp)
	}
	if caps := resp[16]; caps&0x04 == 0 || caps&0x01 == 0 {
		t.Errorf("capabilities %#x lack CBOR or WINK", caps)
	}
}

func TestPing(t *testing.T) {
	for _, n := range []int{0, 1, 57, 58, 116, 117, 1000, maxMsgSize} {
		k := newKey(t, softkey.Options{})
		c := dial(t, k)
		payload := bytes.Repeat([]byte{0xa5, 0x5a, 0x01}, n/3+1)[:n]
		c.send(hidPing, payload)
		cmd, got := c.recv()
		if cmd != hidPing || !bytes.Equal(got, payload) {
			t.Errorf("PING of %d bytes: cmd %#x, %d bytes back", n, cmd, len(got))
		}
	}
}

func TestWink(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	c.send(hidWink, nil)
	if cmd, _ := c.recv(); cmd != hidWink || k.Winks() != 1 {
		t.Fatalf("WINK: cmd %#x, winks %d", cmd, k.Winks())
	}
}

// TestHIDErrors sends malformed traffic and expects CTAPHID_ERROR codes
// (§11.2.9.1.6).
func TestHIDErrors(t *testing.T) {
	tests := []struct {
		name    string
		reports func(cid uint32) [][]byte
		code    byte
	}{
		{"unknown channel", func(uint32) [][]byte { return frames(0x12345678, hidPing, []byte{1}) }, 0x0b},
		{"broadcast ping", func(uint32) [][]byte { return frames(broadcast, hidPing, []byte{1}) }, 0x0b},
		{"U2F message", func(cid uint32) [][]byte { return frames(cid, hidMsg, []byte{0, 1, 0, 0}) }, 0x01},
		{"unknown command", func(cid uint32) [][]byte { return frames(cid, 0xa2, nil) }, 0x01},
		{"init with 4 bytes", func(cid uint32) [][]byte { return frames(cid, hidInit, []byte{1, 2, 3, 4}) }, 0x03},
		{"empty CBOR", func(cid uint32) [][]byte { return frames(cid, hidCBOR, nil) }, 0x03},
		{"too long", func(cid uint32) [][]byte {
			r := frames(cid, hidPing, nil)[0]
			binary.BigEndian.PutUint16(r[5:], 7610)
			return [][]byte{r}
		}, 0x03},
		{"longer than maxMsgSize", func(cid uint32) [][]byte {
			return frames(cid, hidCBOR, make([]byte, maxMsgSize+1))
		}, 0x03},
		{"wrong sequence", func(cid uint32) [][]byte {
			fs := frames(cid, hidPing, make([]byte, 200))
			fs[1][4] = 1
			return fs[:2]
		}, 0x04},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKey(t, softkey.Options{})
			c := dial(t, k)
			for _, r := range tt.reports(c.cid) {
				if err := c.conn.WriteReport(r); err != nil {
					t.Fatal(err)
				}
			}
			_, cmd, payload, err := c.recvAny()
			if err != nil || cmd != hidError || len(payload) != 1 || payload[0] != tt.code {
				t.Fatalf("got cmd %#x payload %x err %v, want ERROR %#x", cmd, payload, err, tt.code)
			}
		})
	}
}

// TestMessageLongerThanMaxMsgSize: a request longer than the key's
// maxMsgSize is refused with ERR_INVALID_LEN as soon as its first packet
// says its length, as a real key's buffer refuses it; the rest of its
// packets are ignored and the next request is answered.
func TestMessageLongerThanMaxMsgSize(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	req := map[int]any{1: "example.com", 2: clientDataHash("x"), 3: longList(20)}
	msg := append([]byte{ctapGetAssertion}, must(cbor.Marshal(req))...)
	if len(msg) <= maxMsgSize {
		t.Fatalf("request of %d bytes is not too long", len(msg))
	}
	reports := frames(c.cid, hidCBOR, msg)
	if err := c.conn.WriteReport(reports[0]); err != nil {
		t.Fatal(err)
	}
	if cmd, payload := c.recv(); cmd != hidError || len(payload) != 1 || payload[0] != 0x03 {
		t.Fatalf("answer cmd %#x payload %x, want ERROR ERR_INVALID_LEN", cmd, payload)
	}
	for _, r := range reports[1:] {
		if err := c.conn.WriteReport(r); err != nil {
			t.Fatal(err)
		}
	}
	// The same list in batches of the key's maxCredentialCountInList fits.
	req[3] = longList(8)
	if st, _ := c.call(ctapGetAssertion, req); st != stNoCredentials {
		t.Fatalf("request after: status %#x, want NO_CREDENTIALS", st)
	}
	if n := k.Commands(ctapGetAssertion); n != 1 {
		t.Fatalf("the key ran %d getAssertion requests, want only the one that fit", n)
	}
}

// longList is an allow list of n random 48-byte credential IDs.
func longList(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		id := make([]byte, 48)
		rand.Read(id)
		out[i] = map[string]any{"type": "public-key", "id": id}
	}
	return out
}

func TestWriteReportSize(t *testing.T) {
	k := newKey(t, softkey.Options{})
	conn, err := k.OpenHID()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteReport(make([]byte, 65)); err == nil {
		t.Fatal("a 65-byte report was accepted")
	}
	if _, err := conn.ReadReport(0); !errors.Is(err, fido.ErrTimeout) {
		t.Fatalf("ReadReport with nothing queued: %v, want ErrTimeout", err)
	}
}

// TestChannelBusy: while one channel waits for a touch, another gets
// ERR_CHANNEL_BUSY, and CANCEL ends the wait with KEEPALIVE_CANCEL.
func TestChannelBusyAndCancel(t *testing.T) {
	k := newKey(t, softkey.Options{})
	k.SetTouch(softkey.TouchNever, 0)
	a, b := dial(t, k), dial(t, k)
	a.send(hidCBOR, []byte{0x0b}) // authenticatorSelection waits for a touch
	if _, cmd, payload, err := a.recvAny(); err != nil || cmd != hidKeepalive || payload[0] != 2 {
		t.Fatalf("want KEEPALIVE UPNEEDED, got cmd %#x %x %v", cmd, payload, err)
	}
	b.send(hidPing, []byte{1})
	if cmd, payload := b.recv(); cmd != hidError || payload[0] != 0x06 {
		t.Fatalf("other channel: cmd %#x %x, want ERR_CHANNEL_BUSY", cmd, payload)
	}
	a.send(hidCancel, nil)
	if cmd, payload := a.recv(); cmd != hidCBOR || payload[0] != 0x2d {
		t.Fatalf("after CANCEL: cmd %#x %x, want CTAP2_ERR_KEEPALIVE_CANCEL", cmd, payload)
	}
	b.send(hidPing, []byte{1})
	if cmd, _ := b.recv(); cmd != hidPing {
		t.Fatalf("after the transaction: cmd %#x", cmd)
	}
}

func TestKeepaliveCadence(t *testing.T) {
	k := newKey(t, softkey.Options{})
	k.SetTouch(softkey.TouchAfterDelay, 450*time.Millisecond)
	c := dial(t, k)
	c.send(hidCBOR, []byte{0x0b})
	keepalives := 0
	for {
		_, cmd, payload, err := c.recvAny()
		if err != nil {
			t.Fatal(err)
		}
		if cmd == hidKeepalive {
			keepalives++
			continue
		}
		if cmd != hidCBOR || payload[0] != 0 {
			t.Fatalf("cmd %#x %x", cmd, payload)
		}
		break
	}
	if keepalives < 2 || keepalives > 8 { // about 5; fewer when the machine is loaded
		t.Errorf("%d keepalives in 450 ms, want about 5", keepalives)
	}
}

func TestUnplug(t *testing.T) {
	k := newKey(t, softkey.Options{})
	k.SetTouch(softkey.TouchNever, 0)
	c := dial(t, k)
	c.send(hidCBOR, []byte{0x0b})
	if _, cmd, _, err := c.recvAny(); err != nil || cmd != hidKeepalive {
		t.Fatalf("cmd %#x err %v", cmd, err)
	}
	done := make(chan error)
	go func() {
		for {
			if _, err := c.conn.ReadReport(-1); err != nil {
				done <- err
				return
			}
		}
	}()
	k.Unplug()
	if err := <-done; !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("blocked read after unplug: %v", err)
	}
	if err := c.conn.WriteReport(make([]byte, 64)); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("write after unplug: %v", err)
	}
	if _, err := k.OpenHID(); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("OpenHID after unplug: %v", err)
	}
	k.Plug()
	c2 := dial(t, k)
	c2.send(hidPing, []byte("back"))
	if cmd, p := c2.recv(); cmd != hidPing || string(p) != "back" {
		t.Fatalf("after Plug: %#x %q", cmd, p)
	}
	if _, err := c.conn.ReadReport(0); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("old connection after Plug: %v", err)
	}
}

func TestCloseDuringWait(t *testing.T) {
	k := newKey(t, softkey.Options{})
	k.SetTouch(softkey.TouchNever, 0)
	c := dial(t, k)
	c.send(hidCBOR, []byte{0x0b})
	c.conn.Close()
	d := dial(t, k) // the key is free again
	d.send(hidPing, []byte{7})
	if cmd, _ := d.recv(); cmd != hidPing {
		t.Fatalf("cmd %#x", cmd)
	}
}

// TestConcurrentUse drives the key as libfido2 does — one goroutine
// reading, another writing and cancelling — while knobs change from a
// third; run it with -race.
func TestConcurrentUse(t *testing.T) {
	k := newKey(t, softkey.Options{})
	k.SetTouch(softkey.TouchNever, 0)
	c := dial(t, k)
	type msg struct{ cmd, status byte }
	msgs := make(chan msg, 1000)
	readErr := make(chan error, 1)
	go func() {
		for {
			r, err := c.conn.ReadReport(-1)
			if err != nil {
				readErr <- err
				return
			}
			msgs <- msg{r[4], r[7]}
		}
	}()
	stop := make(chan struct{})
	knobs := make(chan struct{})
	go func() {
		defer close(knobs)
		for {
			select {
			case <-stop:
				return
			default:
				k.SignCount()
				k.Plugged()
				k.SetSelfAttestation(true)
			}
		}
	}()
	for i := range 20 {
		c.send(hidCBOR, []byte{ctapSelection})
		for m := range msgs {
			if m.cmd == hidKeepalive {
				break
			}
		}
		want := byte(stOK)
		if i%2 == 0 {
			want = stKeepaliveCancel
			go c.conn.WriteReport(frames(c.cid, hidCancel, nil)[0])
		} else {
			go k.Press()
		}
		for m := range msgs {
			if m.cmd == hidCBOR {
				if m.status != want {
					t.Fatalf("round %d: status %#x, want %#x", i, m.status, want)
				}
				break
			}
		}
	}
	close(stop)
	<-knobs
	k.Unplug()
	if err := <-readErr; !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("reader: %v", err)
	}
}

func TestHIDInfo(t *testing.T) {
	got := newKey(t, softkey.Options{Name: "demo"}).HIDInfo()
	want := fido.DeviceInfo{Path: "sim://demo", Manufacturer: "Passkey Desk", Product: "Simulated security key", Simulated: true}
	if got != want {
		t.Fatalf("HIDInfo %+v, want %+v", got, want)
	}
}

// TestStallEnds: a request held by StallNext ends not only when the key
// is unplugged but also on CTAPHID_CANCEL (answered KEEPALIVE_CANCEL) and
// when its connection closes, so a held request never outlives its
// client.
func TestStallEnds(t *testing.T) {
	stalled := func(t *testing.T, k *softkey.Key, c *client) {
		t.Helper()
		k.StallNext(0x04, 0) // authenticatorGetInfo
		c.send(hidCBOR, []byte{0x04})
		if _, cmd, payload, err := c.recvAny(); err != nil || cmd != hidKeepalive || payload[0] != 1 {
			t.Fatalf("want KEEPALIVE PROCESSING, got cmd %#x %x %v", cmd, payload, err)
		}
		if !k.Stalled() {
			t.Fatal("the request is not held")
		}
	}
	t.Run("cancel", func(t *testing.T) {
		k := newKey(t, softkey.Options{})
		c := dial(t, k)
		stalled(t, k, c)
		c.send(hidCancel, nil)
		// Keepalives may come first, but not for ever.
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, cmd, payload, err := c.recvAny()
			if err != nil {
				t.Fatal(err)
			}
			if cmd == hidKeepalive {
				if time.Now().After(deadline) {
					t.Fatal("still sending keepalives 10s after CANCEL")
				}
				continue
			}
			if cmd != hidCBOR || payload[0] != 0x2d {
				t.Fatalf("after CANCEL: cmd %#x %x, want CTAP2_ERR_KEEPALIVE_CANCEL", cmd, payload)
			}
			break
		}
		if k.Stalled() {
			t.Fatal("still held after it was answered")
		}
		c.send(hidPing, []byte{1})
		if cmd, _ := c.recv(); cmd != hidPing {
			t.Fatalf("after the cancel: cmd %#x, want PING", cmd)
		}
	})
	t.Run("close", func(t *testing.T) {
		k := newKey(t, softkey.Options{})
		c := dial(t, k)
		stalled(t, k, c)
		c.conn.Close()
		deadline := time.Now().Add(10 * time.Second)
		for k.Stalled() {
			if time.Now().After(deadline) {
				t.Fatal("the request is still held 10s after its connection closed")
			}
			time.Sleep(10 * time.Millisecond)
		}
		d := dial(t, k)
		d.send(hidPing, []byte{7})
		if cmd, _ := d.recv(); cmd != hidPing {
			t.Fatalf("after the close: cmd %#x, want PING", cmd)
		}
	})
}
