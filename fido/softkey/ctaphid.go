package softkey

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// CTAPHID framing (CTAP 2.1 §11.2.4): an initialization packet is
// CID(4) CMD(1, high bit set) BCNT(2) DATA(57); a continuation packet is
// CID(4) SEQ(1, 0..127) DATA(59).
const (
	ReportSize = 64
	initData   = ReportSize - 7
	contData   = ReportSize - 5
	// maxMsgSize is the longest message the key takes, as getInfo says
	// (maxMsgSize, CTAP 2.1 §6.4), well under the 7609 bytes CTAPHID can
	// frame; a longer one is refused at its initialization packet with
	// ERR_INVALID_LEN, as real keys refuse what does not fit their
	// buffer. 1200 bytes is what common keys report.
	maxMsgSize   = 1200
	broadcastCID = 0xffffffff
	msgTimeout   = 3 * time.Second // an unfinished message is dropped after this
	keepaliveGap = 100 * time.Millisecond
)

// CTAPHID commands (§11.2.9).
const (
	cmdPing      = 0x01
	cmdInit      = 0x06
	cmdWink      = 0x08
	cmdCBOR      = 0x10
	cmdCancel    = 0x11
	cmdKeepalive = 0x3b
	cmdError     = 0x3f
)

// CTAPHID_ERROR codes (§11.2.9.1.6).
const (
	errInvalidCmd     = 0x01
	errInvalidLen     = 0x03
	errInvalidSeq     = 0x04
	errMsgTimeout     = 0x05
	errChannelBusy    = 0x06
	errInvalidChannel = 0x0b
)

// CTAPHID_INIT response fields (§11.2.9.1.3).
const (
	protocolVersion = 2
	capWink         = 0x01
	capCBOR         = 0x04
	capNMSG         = 0x08 // no CTAPHID_MSG: this key does not speak U2F
)

// KEEPALIVE status (§11.2.9.1.7).
const (
	statusProcessing = 0x01
	statusUPNeeded   = 0x02
)

var errClosed = errors.New("softkey: connection closed")

// transaction is the one CTAPHID request the key is assembling or
// processing. Only k.busy points at the current one.
type transaction struct {
	conn    *conn
	cid     uint32
	cmd     byte
	data    []byte
	need    int
	seq     byte
	started time.Time
	running bool          // assembled and handed to a worker
	cancel  chan struct{} // closed by stop
	stopped bool
}

// stop tells the transaction's worker, if any, to give up. k.mu is held.
func (tx *transaction) stop() {
	if !tx.stopped {
		tx.stopped = true
		close(tx.cancel)
	}
}

// abort drops the transaction under way, if any: its worker stops waiting
// and its answer is never sent. k.mu is held.
func (k *Key) abort() {
	if tx := k.busy; tx != nil {
		tx.stop()
		k.busy = nil
	}
}

// conn is an open connection. Its input reports queue up until read.
type conn struct {
	key     *Key
	removed chan struct{} // the power-on session's; closed on unplug
	ready   chan struct{} // a report was queued
	done    chan struct{} // closed by Close

	mu     sync.Mutex
	queue  [][]byte
	closed bool
}

// WriteReport sends one 64-byte output report to the key.
func (c *conn) WriteReport(report []byte) error {
	if len(report) != ReportSize {
		return fmt.Errorf("softkey: report of %d bytes, want %d", len(report), ReportSize)
	}
	k := c.key
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-c.removed:
		return fido.ErrKeyRemoved
	default:
	}
	if c.isClosed() {
		return errClosed
	}
	k.receive(c, report)
	return nil
}

// ReadReport returns the next 64-byte input report.
func (c *conn) ReadReport(timeout time.Duration) ([]byte, error) {
	var expired <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		select {
		case <-c.removed:
			return nil, fido.ErrKeyRemoved
		default:
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, errClosed
		}
		if len(c.queue) > 0 {
			r := c.queue[0]
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return r, nil
		}
		c.mu.Unlock()
		select {
		case <-c.removed:
			return nil, fido.ErrKeyRemoved
		case <-c.done:
			return nil, errClosed
		case <-c.ready:
		case <-expired:
			return nil, fido.ErrTimeout
		}
	}
}

// Close closes the connection and drops its transaction, if any.
func (c *conn) Close() error {
	c.key.mu.Lock()
	defer c.key.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	if tx := c.key.busy; tx != nil && tx.conn == c {
		c.key.abort()
	}
	return nil
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// send queues a message for the client, split into reports (§11.2.4).
func (c *conn) send(cid uint32, cmd byte, payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	r := make([]byte, ReportSize)
	binary.BigEndian.PutUint32(r, cid)
	r[4] = 0x80 | cmd
	binary.BigEndian.PutUint16(r[5:], uint16(len(payload)))
	n := copy(r[7:], payload)
	c.queue = append(c.queue, r)
	for seq := byte(0); n < len(payload); seq++ {
		r := make([]byte, ReportSize)
		binary.BigEndian.PutUint32(r, cid)
		r[4] = seq
		n += copy(r[5:], payload[n:])
		c.queue = append(c.queue, r)
	}
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

func (c *conn) sendError(cid uint32, code byte) { c.send(cid, cmdError, []byte{code}) }

// receive handles one output report (§11.2.9). k.mu is held.
func (k *Key) receive(c *conn, r []byte) {
	cid := binary.BigEndian.Uint32(r)
	if tx := k.busy; tx != nil && !tx.running && time.Since(tx.started) > msgTimeout {
		tx.conn.sendError(tx.cid, errMsgTimeout)
		k.busy = nil
	}
	if r[4]&0x80 == 0 {
		k.continuation(c, cid, r[4], r[5:])
		return
	}
	cmd, n := r[4]&0x7f, int(binary.BigEndian.Uint16(r[5:]))
	if cmd == cmdInit {
		k.init(c, cid, n, r[7:])
		return
	}
	if cid == 0 || cid == broadcastCID || !k.channels[cid] {
		c.sendError(cid, errInvalidChannel)
		return
	}
	if cmd == cmdCancel {
		// §11.2.9.1.5: cancels the request under way on this channel;
		// never answered itself.
		if tx := k.busy; tx != nil && tx.running && tx.cid == cid {
			tx.stop()
		}
		return
	}
	if k.busy != nil {
		c.sendError(cid, errChannelBusy)
		return
	}
	if n > maxMsgSize {
		// Its continuation packets find no transaction and are ignored.
		c.sendError(cid, errInvalidLen)
		return
	}
	tx := &transaction{conn: c, cid: cid, cmd: cmd, need: n, started: time.Now(), cancel: make(chan struct{})}
	tx.data = append(make([]byte, 0, n), r[7:7+min(n, initData)]...)
	k.busy = tx
	if len(tx.data) == n {
		k.dispatch(tx)
	}
}

// continuation adds a continuation packet to the message being assembled.
// k.mu is held.
func (k *Key) continuation(c *conn, cid uint32, seq byte, data []byte) {
	tx := k.busy
	if tx == nil || tx.running || tx.conn != c || tx.cid != cid {
		return // §11.2.4: spurious continuation packets are ignored
	}
	if seq != tx.seq {
		k.busy = nil
		c.sendError(cid, errInvalidSeq)
		return
	}
	tx.seq++
	tx.data = append(tx.data, data[:min(len(data), tx.need-len(tx.data))]...)
	if len(tx.data) == tx.need {
		k.dispatch(tx)
	}
}

// init answers CTAPHID_INIT (§11.2.9.1.3): on the broadcast channel it
// allocates a channel; on an allocated one it resynchronises it, dropping
// its transaction. k.mu is held.
func (k *Key) init(c *conn, cid uint32, n int, nonce []byte) {
	if n != 8 {
		c.sendError(cid, errInvalidLen)
		return
	}
	newCID := cid
	switch {
	case cid == broadcastCID:
		newCID = k.nextCID + 1
		for newCID == 0 || newCID == broadcastCID || k.channels[newCID] {
			newCID++
		}
		k.nextCID = newCID
		k.channels[newCID] = true
	case k.channels[cid]:
		if tx := k.busy; tx != nil && tx.cid == cid {
			k.abort()
		}
	default:
		c.sendError(cid, errInvalidChannel)
		return
	}
	resp := make([]byte, 17)
	copy(resp, nonce[:8])
	binary.BigEndian.PutUint32(resp[8:], newCID)
	resp[12] = protocolVersion
	resp[13], resp[14], resp[15] = firmwareMajor, firmwareMinor, firmwareBuild
	resp[16] = capWink | capCBOR | capNMSG
	c.send(cid, cmdInit, resp)
}

// dispatch runs an assembled message. k.mu is held.
func (k *Key) dispatch(tx *transaction) {
	switch tx.cmd {
	case cmdPing:
		k.busy = nil
		tx.conn.send(tx.cid, cmdPing, tx.data)
	case cmdWink:
		k.busy = nil
		k.winks++
		tx.conn.send(tx.cid, cmdWink, nil)
	case cmdCBOR:
		if len(tx.data) == 0 {
			k.busy = nil
			tx.conn.sendError(tx.cid, errInvalidLen)
			return
		}
		tx.running = true
		go k.run(tx)
	default: // CTAPHID_MSG (U2F), LOCK and anything else
		k.busy = nil
		tx.conn.sendError(tx.cid, errInvalidCmd)
	}
}

// run processes a CBOR request on its own goroutine, so that reports
// (CANCEL above all) keep flowing while it waits for a touch.
func (k *Key) run(tx *transaction) {
	k.mu.Lock()
	defer k.mu.Unlock()
	resp := k.execute(tx)
	if k.busy == tx { // not aborted meanwhile
		k.busy = nil
		tx.conn.send(tx.cid, cmdCBOR, resp)
	}
}

// waitTouch asks for user presence (§11.2.9.1.7): it sends KEEPALIVE
// UPNEEDED every 100 ms until the simulated user answers, the request is
// cancelled or the key is unplugged. It returns a CTAP status. k.mu is
// held, and released while waiting.
func (k *Key) waitTouch(tx *transaction) byte {
	return k.waitTouchFor(tx, k.opts.TouchTimeout)
}

// waitFor waits for nothing until d has passed, as a sensor that no
// finger touches, sending KEEPALIVE UPNEEDED meanwhile (Press does not end
// it): it answers USER_ACTION_TIMEOUT, or KEEPALIVE_CANCEL when cancelled
// or unplugged first. k.mu is held, and released while waiting.
func (k *Key) waitFor(tx *transaction, d time.Duration) byte {
	return k.wait(tx, nil, nil, nil, d)
}

// waitTouchFor is waitTouch with its own timeout.
func (k *Key) waitTouchFor(tx *transaction, d time.Duration) byte {
	var touched <-chan time.Time
	switch k.touch {
	case TouchAtOnce:
		return statusOK
	case TouchDenied:
		return statusOperationDenied
	case TouchAfterDelay:
		t := time.NewTimer(k.delay)
		defer t.Stop()
		touched = t.C
	}
	return k.wait(tx, touched, k.pressed, k.denied, d)
}

// wait sends KEEPALIVE UPNEEDED every 100 ms until touched or pressed
// (statusOK) or denied (OPERATION_DENIED), d has passed, the request is
// cancelled or the key is unplugged. k.mu is held, and released while
// waiting.
func (k *Key) wait(tx *transaction, touched <-chan time.Time, pressed, denied <-chan struct{}, d time.Duration) byte {
	removed, cancel := k.removed, tx.cancel
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	tick := time.NewTicker(keepaliveGap)
	defer tick.Stop()
	k.waiting = true
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.waiting = false
	}()
	for {
		tx.conn.send(tx.cid, cmdKeepalive, []byte{statusUPNeeded})
		select {
		case <-tick.C:
		case <-touched:
			return statusOK
		case <-pressed:
			return statusOK
		case <-denied:
			return statusOperationDenied
		case <-timeout.C:
			return statusUserActionTimeout
		case <-cancel:
			return statusKeepaliveCancel
		case <-removed:
			return statusKeepaliveCancel // nobody hears the answer
		}
	}
}

// stallUntilUnplugged keeps the answer to a request (StallNext) until the
// key is pulled out, sending KEEPALIVE PROCESSING meanwhile as a slow key
// does. A CTAPHID_CANCEL ends it too (answered KEEPALIVE_CANCEL), and so
// does the connection closing (Close stops its transaction), so a held
// request never outlives its client. k.mu is held, and released while
// waiting.
func (k *Key) stallUntilUnplugged(tx *transaction) []byte {
	removed, cancel, closed := k.removed, tx.cancel, tx.conn.done
	tick := time.NewTicker(keepaliveGap)
	defer tick.Stop()
	k.stalled = true
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.stalled = false
	}()
	for {
		tx.conn.send(tx.cid, cmdKeepalive, []byte{statusProcessing})
		select {
		case <-tick.C:
		case <-cancel:
			return []byte{statusKeepaliveCancel}
		case <-closed:
			return []byte{statusKeepaliveCancel} // nobody hears it
		case <-removed:
			return []byte{statusKeepaliveCancel} // nobody hears it
		}
	}
}
