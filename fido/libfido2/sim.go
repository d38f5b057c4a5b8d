package libfido2

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// SimScheme starts the path of a simulated device: sim://NAME.
const SimScheme = "sim://"

// CTAPHID bytes the I/O hook looks at (CTAP 2.1 §11.2.9).
const (
	hidCmdKeepalive  = 0x80 | 0x3b
	hidCmdError      = 0x80 | 0x3f
	keepaliveUPNeed  = 0x02
	reportHeaderCmd  = 4 // CID (4 bytes), then CMD
	reportHeaderData = 7 // CID, CMD, BCNTH, BCNTL, then data
)

// The registry of simulated devices and the table of their open
// connections. C holds only the integer keys of conns, never a Go pointer.
var sims = struct {
	sync.Mutex
	devs  map[string]fido.HIDDevice
	conns map[uintptr]*simConn
	next  uintptr
}{
	devs:  map[string]fido.HIDDevice{},
	conns: map[uintptr]*simConn{},
}

// Register makes d available as the device sim://name: it appears in
// Provider.Devices and Provider.Open routes it through libfido2's custom
// I/O hook, so libfido2 drives it exactly as a USB key. Registering a name
// again replaces the earlier device. unregister removes it from the list;
// connections already open stay open until closed (a device that wants to
// look unplugged fails its HIDConn instead).
func Register(name string, d fido.HIDDevice) (unregister func()) {
	if name == "" || strings.ContainsRune(name, 0) || d == nil {
		panic("libfido2: Register needs a name without NUL bytes and a device")
	}
	sims.Lock()
	sims.devs[name] = d
	sims.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sims.Lock()
			if sims.devs[name] == d {
				delete(sims.devs, name)
			}
			sims.Unlock()
		})
	}
}

// simDevices lists the registered devices, sorted by path.
func simDevices() []fido.DeviceInfo {
	sims.Lock()
	defer sims.Unlock()
	out := make([]fido.DeviceInfo, 0, len(sims.devs))
	for name, d := range sims.devs {
		info := d.HIDInfo()
		info.Path = SimScheme + name
		info.Simulated = true
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func simLookupDevice(path string) (fido.HIDDevice, bool) {
	name, ok := strings.CutPrefix(path, SimScheme)
	if !ok {
		return nil, false
	}
	sims.Lock()
	defer sims.Unlock()
	d, ok := sims.devs[name]
	return d, ok
}

// simConn is one open connection of a simulated device, as libfido2 sees
// it through the I/O hook.
type simConn struct {
	conn fido.HIDConn

	mu      sync.Mutex
	removed bool   // the device reported ErrKeyRemoved
	hidErr  int    // the last CTAPHID_ERROR code read, -1 for none
	onTouch func() // called once at the first keepalive UPNEEDED
}

// setTouch arms fn to run at the next keepalive with status UPNEEDED, and
// clears the error state of the previous operation; nil disarms.
func (c *simConn) setTouch(fn func()) {
	c.mu.Lock()
	c.onTouch = fn
	c.hidErr = -1
	c.mu.Unlock()
}

// state reports what the connection saw: whether the device is gone and
// the last CTAPHID error code (-1 for none).
func (c *simConn) state() (removed bool, hidErr int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removed, c.hidErr
}

func (c *simConn) noteErr(err error) {
	if errors.Is(err, fido.ErrKeyRemoved) {
		c.mu.Lock()
		c.removed = true
		c.mu.Unlock()
	}
}

func simConnOf(h uintptr) *simConn {
	sims.Lock()
	defer sims.Unlock()
	return sims.conns[h]
}

// simOpen is the hook's open: it opens the device registered under path
// and returns a non-zero key for the connection, 0 on failure.
func simOpen(path string) uintptr {
	d, ok := simLookupDevice(path)
	if !ok {
		return 0
	}
	conn, err := d.OpenHID()
	if err != nil {
		return 0
	}
	sims.Lock()
	defer sims.Unlock()
	sims.next++
	h := sims.next
	sims.conns[h] = &simConn{conn: conn, hidErr: -1}
	return h
}

// simClose is the hook's close.
func simClose(h uintptr) {
	sims.Lock()
	c := sims.conns[h]
	delete(sims.conns, h)
	sims.Unlock()
	if c != nil {
		c.conn.Close()
	}
}

// simRead is the hook's read: it fills buf with one input report and
// returns len(buf), or -1. ms < 0 waits without limit.
func simRead(h uintptr, buf []byte, ms int) int {
	c := simConnOf(h)
	if c == nil {
		return -1
	}
	timeout := time.Duration(-1)
	if ms >= 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	rep, err := c.conn.ReadReport(timeout)
	if err != nil {
		c.noteErr(err)
		return -1
	}
	n := copy(buf, rep)
	clear(buf[n:])
	if len(rep) > reportHeaderData {
		switch rep[reportHeaderCmd] {
		case hidCmdKeepalive:
			if rep[reportHeaderData] == keepaliveUPNeed {
				c.mu.Lock()
				fn := c.onTouch
				c.onTouch = nil
				c.mu.Unlock()
				if fn != nil {
					fn()
				}
			}
		case hidCmdError:
			c.mu.Lock()
			c.hidErr = int(rep[reportHeaderData])
			c.mu.Unlock()
		}
	}
	return len(buf)
}

// simWrite is the hook's write: buf is a report ID (0) and one output
// report. It returns len(buf), or -1.
func simWrite(h uintptr, buf []byte) int {
	c := simConnOf(h)
	if c == nil || len(buf) < 1 {
		return -1
	}
	// buf is C memory that libfido2 reuses: hand the device a Go copy.
	report := append([]byte(nil), buf[1:]...)
	if err := c.conn.WriteReport(report); err != nil {
		c.noteErr(err)
		return -1
	}
	return len(buf)
}
