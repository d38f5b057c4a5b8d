//go:build cgo

package libfido2

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// CTAPHID bytes the I/O hook looks at (CTAP 2.1 §11.2.9).
const (
	hidCmdKeepalive  = 0x80 | 0x3b
	hidCmdError      = 0x80 | 0x3f
	keepaliveUPNeed  = 0x02
	reportHeaderCmd  = 4 // CID (4 bytes), then CMD
	reportHeaderData = 7 // CID, CMD, BCNTH, BCNTL, then data
)

// conns is the table of the open connections of simulated devices. C
// holds only its integer keys, never a Go pointer.
var conns = struct {
	sync.Mutex
	m    map[uintptr]*simConn
	next uintptr
}{m: map[uintptr]*simConn{}}

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
	conns.Lock()
	defer conns.Unlock()
	return conns.m[h]
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
	conns.Lock()
	defer conns.Unlock()
	conns.next++
	h := conns.next
	conns.m[h] = &simConn{conn: conn, hidErr: -1}
	return h
}

// simClose is the hook's close.
func simClose(h uintptr) {
	conns.Lock()
	c := conns.m[h]
	delete(conns.m, h)
	conns.Unlock()
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
