//go:build cgo

package libfido2

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// fakeKey is the smallest HIDDevice libfido2 accepts as a FIDO2 key: it
// answers CTAPHID_INIT, getInfo, clientPIN getRetries, and a
// makeCredential that waits for a "touch" with keepalives. It exists to
// test the I/O hook, touch detection, cancel and unplug on their own,
// apart from fido/softkey; its answers are hand-encoded CBOR.
type fakeKey struct {
	// touchAfter is how many keepalives UPNEEDED makeCredential sends
	// before it answers; 0 waits until cancelled.
	touchAfter int
	// u2fOnly makes it say at CTAPHID_INIT that it speaks U2F alone.
	u2fOnly bool

	mu    sync.Mutex
	gone  chan struct{} // closed when unplugged
	conns int
}

func newFakeKey() *fakeKey { return &fakeKey{gone: make(chan struct{})} }

func (k *fakeKey) HIDInfo() fido.DeviceInfo {
	return fido.DeviceInfo{VendorID: 0xf1d0, ProductID: 0xfa4e, Manufacturer: "Test", Product: "Fake key"}
}

func (k *fakeKey) unplug() {
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-k.gone:
	default:
		close(k.gone)
	}
}

func (k *fakeKey) OpenHID() (fido.HIDConn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-k.gone:
		return nil, fido.ErrKeyRemoved
	default:
	}
	k.conns++
	return &fakeConn{key: k, out: make(chan []byte, 256), cancel: make(chan struct{}, 1), closed: make(chan struct{})}, nil
}

type fakeConn struct {
	key    *fakeKey
	out    chan []byte
	cancel chan struct{}

	mu      sync.Mutex // guards the reassembly below and closed
	cid     uint32
	cmd     byte
	want    int
	msg     []byte
	closed  chan struct{}
	isClose bool
}

func (c *fakeConn) WriteReport(r []byte) error {
	select {
	case <-c.key.gone:
		return fido.ErrKeyRemoved
	default:
	}
	if len(r) != 64 {
		return fido.ErrKeyRemoved
	}
	cid := binary.BigEndian.Uint32(r)
	if r[4]&0x80 != 0 {
		if r[4] == 0x80|0x11 { // CANCEL
			select {
			case c.cancel <- struct{}{}:
			default:
			}
			return nil
		}
		c.mu.Lock()
		c.cid, c.cmd = cid, r[4]
		c.want = int(r[5])<<8 | int(r[6])
		c.msg = append([]byte(nil), r[7:min(64, 7+c.want)]...)
		c.mu.Unlock()
	} else {
		c.mu.Lock()
		c.msg = append(c.msg, r[5:min(64, 5+c.want-len(c.msg))]...)
		c.mu.Unlock()
	}
	c.mu.Lock()
	done := len(c.msg) >= c.want
	cid, cmd, msg := c.cid, c.cmd, c.msg
	c.mu.Unlock()
	if done {
		go c.handle(cid, cmd, msg)
	}
	return nil
}

func (c *fakeConn) ReadReport(timeout time.Duration) ([]byte, error) {
	var after <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		after = t.C
	}
	select {
	case r := <-c.out:
		return r, nil
	case <-c.key.gone:
		return nil, fido.ErrKeyRemoved
	case <-c.closed:
		return nil, fido.ErrKeyRemoved
	case <-after:
		return nil, fido.ErrTimeout
	}
}

func (c *fakeConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.isClose {
		c.isClose = true
		close(c.closed)
	}
	return nil
}

// send frames payload as cmd on cid (CTAP 2.1 §11.2.4).
func (c *fakeConn) send(cid uint32, cmd byte, payload []byte) {
	r := make([]byte, 64)
	binary.BigEndian.PutUint32(r, cid)
	r[4] = cmd
	r[5], r[6] = byte(len(payload)>>8), byte(len(payload))
	n := copy(r[7:], payload)
	c.out <- r
	for seq := byte(0); n < len(payload); seq++ {
		r = make([]byte, 64)
		binary.BigEndian.PutUint32(r, cid)
		r[4] = seq
		n += copy(r[5:], payload[n:])
		c.out <- r
	}
}

func (c *fakeConn) handle(cid uint32, cmd byte, msg []byte) {
	switch cmd {
	case 0x80 | 0x06: // INIT
		caps := byte(0x04 | 0x08) // CBOR, NMSG
		if c.key.u2fOnly {
			caps = 0x01 // WINK
		}
		resp := append(append([]byte(nil), msg[:8]...), 0x01, 0x02, 0x03, 0x04, 2, 1, 0, 0, caps)
		c.send(cid, cmd, resp)
	case 0x80 | 0x10: // CBOR
		if len(msg) == 0 {
			c.send(cid, 0x80|0x3f, []byte{0x03})
			return
		}
		c.cbor(cid, msg[0], msg[1:])
	default:
		c.send(cid, 0x80|0x3f, []byte{0x01}) // ERR_INVALID_CMD
	}
}

func (c *fakeConn) cbor(cid uint32, cmd byte, req []byte) {
	reply := func(status byte, body []byte) { c.send(cid, 0x80|0x10, append([]byte{status}, body...)) }
	switch cmd {
	case 0x04:
		reply(0, fakeInfo)
	case 0x06: // clientPIN; only getPINRetries is asked in these tests
		reply(0, enc(cmap{{1, 5}, {3, 5}}))
	case 0x01:
		keepalive := make([]byte, 64)
		binary.BigEndian.PutUint32(keepalive, cid)
		keepalive[4], keepalive[6], keepalive[7] = 0x80|0x3b, 1, 0x02
		for i := 0; c.key.touchAfter == 0 || i < c.key.touchAfter; i++ {
			select {
			case <-c.cancel:
				reply(0x2d, nil) // CTAP2_ERR_KEEPALIVE_CANCEL
				return
			case <-c.key.gone:
				return
			case <-c.closed:
				return
			case <-time.After(10 * time.Millisecond):
				c.out <- keepalive
			}
		}
		reply(0, fakeAttestation())
	default:
		reply(0x01, nil)
	}
}

var fakeAAGUID = fido.AAGUID{0xfa, 0xce, 0xb0, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}

// fakeInfo is the fake's getInfo (CTAP 2.1 §6.4), keys in canonical order.
var fakeInfo = enc(cmap{
	{0x01, []any{"FIDO_2_0", "FIDO_2_1"}},
	{0x02, []any{"credProtect", "hmac-secret"}},
	{0x03, fakeAAGUID[:]},
	{0x04, cmap{{"rk", true}, {"up", true}, {"plat", false}, {"clientPin", true}}},
	{0x05, 1200},
	{0x06, []any{2, 1}},
	{0x07, 8},
	{0x08, 128},
	{0x09, []any{"usb"}},
	{0x0a, []any{cmap{{"alg", -7}, {"type", "public-key"}}, cmap{{"alg", -8}, {"type", "public-key"}}}},
	{0x0c, true},
	{0x0d, 6},
	{0x0e, 0x010203},
	{0x14, 25},
})

const fakeRPID = "example.org"

// fakeAttestation is a makeCredential answer with "none" attestation for
// fakeRPID and a fresh P-256 key.
func fakeAttestation() []byte {
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	pub := priv.PublicKey().Bytes() // 0x04 ‖ x ‖ y
	cose := enc(cmap{{1, 2}, {3, -7}, {-1, 1}, {-2, pub[1:33]}, {-3, pub[33:65]}})
	rpHash := sha256.Sum256([]byte(fakeRPID))
	ad := append(rpHash[:], 0x41, 0, 0, 0, 1)
	ad = append(ad, fakeAAGUID[:]...)
	ad = append(ad, 0, 16)
	ad = append(ad, fakeCredID...)
	ad = append(ad, cose...)
	return enc(cmap{{1, "none"}, {2, ad}, {3, cmap{}}})
}

var fakeCredID = []byte("fake-credential!")

// register registers k under a fresh name for the test.
func register(t *testing.T, name string, k fido.HIDDevice) string {
	t.Helper()
	t.Cleanup(Register(name, k))
	return SimScheme + name
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
