//go:build cgo

package libfido2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// cancelEvery is how often a cancelled operation resends CTAPHID_CANCEL
// until the key answers: a cancel that overtakes the request is ignored by
// the key (CTAP 2.1 §11.2.9.1.5), so one is not enough.
const cancelEvery = 100 * time.Millisecond

// deadlineGrace is how long after a context's deadline libfido2's own I/O
// timeout fires, for keys that ignore CTAPHID_CANCEL.
const deadlineGrace = time.Second

// errUserCancel is the cause of an operation context cancelled by
// Device.Cancel or Close.
var errUserCancel = errors.New("libfido2: canceled by Cancel or Close")

// errClosed is returned by operations on a closed device.
var errClosed = errors.New("libfido2: device closed")

// device is an open key: a USB key or a simulated one behind the I/O hook.
type device struct {
	path string
	sim  *simConn // nil for a USB key

	opMu sync.Mutex // one operation at a time; Close waits for it

	mu     sync.Mutex // guards the fields below; held around fido_dev_cancel
	h      *handle    // nil once closed
	closed bool
	cancel context.CancelCauseFunc // of the operation in flight, or nil
}

var _ fido.Device = (*device)(nil)

func (d *device) Path() string { return d.path }

// begin starts an operation: it waits for the one before, and returns a
// context that Cancel and Close cancel, and the function ending it.
func (d *device) begin(ctx context.Context) (context.Context, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, ctxError(ctx)
	}
	d.opMu.Lock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.opMu.Unlock()
		return nil, nil, errClosed
	}
	opCtx, cancel := context.WithCancelCause(ctx)
	d.cancel = cancel
	d.mu.Unlock()
	return opCtx, func() {
		d.mu.Lock()
		d.cancel = nil
		d.mu.Unlock()
		cancel(nil)
		d.opMu.Unlock()
	}, nil
}

// call runs f, one libfido2 request, under the operation context ctx:
// when ctx ends, CTAPHID_CANCEL goes to the key until f returns. touch
// is armed for the I/O hook's first keepalive UPNEEDED (simulated keys);
// for a USB key it is called before f. It returns f's code as a fido
// error.
func (d *device) call(ctx context.Context, op string, touch func(), f func(h *handle) int) error {
	if err := ctx.Err(); err != nil {
		return ctxError(ctx)
	}
	d.mu.Lock()
	h := d.h
	ms := -1
	if dl, ok := ctx.Deadline(); ok {
		ms = int((time.Until(dl) + deadlineGrace) / time.Millisecond)
	}
	h.setTimeout(ms)
	d.mu.Unlock()

	if d.sim != nil {
		d.sim.setTouch(touch)
		defer d.sim.setTouch(nil)
	} else if touch != nil {
		touch()
	}

	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-stop:
			return
		case <-ctx.Done():
		}
		t := time.NewTicker(cancelEvery)
		defer t.Stop()
		for {
			d.mu.Lock()
			if d.h != nil {
				d.h.cancel()
			}
			d.mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	rc := f(h)
	close(stop)
	<-done

	if rc == codeOK {
		return nil
	}
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	return d.codeError(op, rc)
}

// codeError is codeError with what a simulated key's connection saw: an
// I/O failure is ErrKeyRemoved only when the device said so, and a
// CTAPHID_ERROR frame (which libfido2 reports as a receive failure)
// becomes its own error: ERR_INVALID_LEN, the key refusing a message
// longer than it takes, is fido.ErrRequestTooLarge.
func (d *device) codeError(op string, rc int) error {
	if d.sim != nil && (rc == codeRX || rc == codeTX) {
		removed, hidErr := d.sim.state()
		if !removed && hidErr >= 0 {
			switch hidErr {
			case codeChannelBusy:
				return fmt.Errorf("%s: %w", op, fido.ErrBusy)
			case codeInvalidLength:
				return fmt.Errorf("%s: %w", op, fido.ErrRequestTooLarge)
			}
			return &fido.DeviceError{Op: op, Status: byte(hidErr)}
		}
	}
	return codeError(op, rc)
}

// maxHIDMessage is the longest message CTAPHID frames in 64-byte reports:
// an initialization packet and 128 continuation packets (CTAP 2.1
// §11.2.4). libfido2 fails a longer one with FIDO_ERR_TX only after
// writing 128 continuation packets, and leaves the key's refusal unread.
const maxHIDMessage = 64 - 7 + 128*(64-5)

// checkSize refuses at once a request of size bytes that no key reached
// over CTAPHID can take.
func checkSize(op string, size int) error {
	if size > maxHIDMessage {
		return fmt.Errorf("%s: a request of at least %d bytes, CTAPHID carries %d: %w", op, size, maxHIDMessage, fido.ErrRequestTooLarge)
	}
	return nil
}

// tooLarge maps err, the failure of a request of at least size bytes: a
// transport failure (ErrKeyRemoved) on a request longer than the key's
// maxMsgSize is the key refusing it (a USB key answers CTAPHID
// ERR_INVALID_LEN, which libfido2 reports as a receive failure), not the
// key leaving. A simulated key that was unplugged stays removed.
func (d *device) tooLarge(op string, size int, info *fido.Info, err error) error {
	limit := info.MsgSizeLimit()
	if size <= limit || !errors.Is(err, fido.ErrKeyRemoved) {
		return err
	}
	if d.sim != nil {
		if removed, _ := d.sim.state(); removed {
			return err
		}
	}
	return fmt.Errorf("%s: a request of at least %d bytes, the key takes %d: %w", op, size, limit, fido.ErrRequestTooLarge)
}

// ctxError is the error for an operation whose context ended.
func ctxError(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), errUserCancel) {
		return fido.ErrCanceled
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", fido.ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("%w: %w", fido.ErrCanceled, ctx.Err())
}

// Cancel cancels the operation in flight: CTAPHID_CANCEL is sent until
// the key gives up, and the operation returns ErrCanceled. With nothing in
// flight, or after Close, it does nothing.
func (d *device) Cancel() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		d.cancel(errUserCancel)
	}
	return nil
}

// Close cancels the operation in flight, waits for it to end and closes
// the key. Closing twice is fine.
func (d *device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	if d.cancel != nil {
		d.cancel(errUserCancel)
	}
	d.mu.Unlock()

	d.opMu.Lock()
	defer d.opMu.Unlock()
	d.mu.Lock()
	h := d.h
	d.h = nil
	d.mu.Unlock()
	h.close()
	return nil
}

func (d *device) Info(ctx context.Context) (*fido.Info, error) {
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	return d.info(ctx)
}

func (d *device) info(ctx context.Context) (*fido.Info, error) {
	var info *fido.Info
	err := d.call(ctx, "get info", nil, func(h *handle) (rc int) {
		info, rc = h.info()
		return rc
	})
	return info, err
}

func (d *device) PINState(ctx context.Context) (fido.PINState, error) {
	st := fido.PINState{Retries: -1, UVRetries: -1}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return st, err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return st, err
	}
	st.Set = info.HasOption("clientPin")
	if _, ok := info.Options["clientPin"]; ok {
		if st.Retries, err = d.retries(ctx); err != nil {
			return st, err
		}
	}
	if _, ok := info.Options["uv"]; ok {
		err = d.call(ctx, "get UV retries", nil, func(h *handle) (rc int) {
			st.UVRetries, rc = h.uvRetryCount()
			return rc
		})
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// retries asks the key for its PIN retries.
func (d *device) retries(ctx context.Context) (int, error) {
	n := -1
	err := d.call(ctx, "get PIN retries", nil, func(h *handle) (rc int) {
		n, rc = h.retryCount()
		return rc
	})
	return n, err
}

// checkPIN rejects what cannot go to libfido2 as a C string.
func checkPIN(pin []byte) error {
	if len(pin) == 0 || bytes.IndexByte(pin, 0) >= 0 {
		return fido.ErrPINPolicy
	}
	return nil
}

// SetPIN sets the first PIN. pin stays the caller's (it is not zeroed).
func (d *device) SetPIN(ctx context.Context, pin []byte) error {
	if err := checkPIN(pin); err != nil {
		return fmt.Errorf("set PIN: %w", err)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	return d.call(ctx, "set PIN", nil, func(h *handle) int { return h.setPIN(pin, nil) })
}

// ChangePIN changes the PIN; a wrong old PIN gives a *fido.PINError with
// the retries left. old and new stay the caller's (they are not zeroed).
func (d *device) ChangePIN(ctx context.Context, old, new []byte) error {
	if err := checkPIN(new); err != nil {
		return fmt.Errorf("change PIN: %w", err)
	}
	if err := checkPIN(old); err != nil {
		return fmt.Errorf("change PIN: %w", &fido.PINError{Retries: -1})
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	err = d.call(ctx, "change PIN", nil, func(h *handle) int { return h.setPIN(new, old) })
	return d.fillRetries(ctx, err)
}

// fillRetries puts the key's retries into a *fido.PINError.
func (d *device) fillRetries(ctx context.Context, err error) error {
	var pe *fido.PINError
	if errors.As(err, &pe) && pe.Retries < 0 {
		if n, rerr := d.retries(ctx); rerr == nil {
			pe.Retries = n
		}
	}
	return err
}

// uvMode is how an operation verifies the user.
type uvMode int

const (
	uvNone    uvMode = iota // no verification asked
	uvPIN                   // a PIN token (clientPin)
	uvBuiltin               // the key's own UV (fingerprint, …)
)

// chooseUV decides how to verify the user on a key with info: uvPIN
// when a PIN is set (verify then tries an enabled built-in verification
// first), else the built-in one.
func chooseUV(info *fido.Info, want bool) (uvMode, error) {
	switch {
	case !want:
		return uvNone, nil
	case info.HasOption("clientPin"):
		return uvPIN, nil
	case info.HasOption("uv"):
		return uvBuiltin, nil
	}
	if _, canPIN := info.Options["clientPin"]; canPIN {
		return uvNone, fido.ErrPINNotSet
	}
	return uvNone, fido.ErrUnsupported
}

// withPIN runs one request that may need the PIN. With uvPIN the PIN is
// asked first; otherwise a key answering PIN_REQUIRED is asked again with
// the PIN. A wrong PIN is asked again with the retries left until the key
// blocks it. Each PIN slice from the prompt is zeroed after use.
func (d *device) withPIN(ctx context.Context, op string, mode uvMode, info *fido.Info, p fido.Prompt, touch func(),
	f func(h *handle, pin []byte) int) error {
	if mode != uvPIN {
		err := d.call(ctx, op, touch, func(h *handle) int { return f(h, nil) })
		if !errors.Is(err, fido.ErrPINRequired) || !info.HasOption("clientPin") {
			return err
		}
	}
	if p.PIN == nil {
		return fmt.Errorf("%s: %w", op, fido.ErrPINRequired)
	}
	retries, err := d.retries(ctx)
	if err != nil {
		return err
	}
	wrong := false
	for {
		if retries == 0 {
			return fmt.Errorf("%s: %w", op, fido.ErrPINBlocked)
		}
		pin, err := p.PIN(ctx, fido.PINRequest{Retries: retries, Wrong: wrong, MinLength: info.MinPINLength})
		if err != nil {
			clear(pin)
			if ctx.Err() != nil {
				return ctxError(ctx)
			}
			return fmt.Errorf("%s: asking for the PIN: %w", op, err)
		}
		if bytes.IndexByte(pin, 0) >= 0 {
			clear(pin)
			return fmt.Errorf("%s: %w", op, fido.ErrPINPolicy)
		}
		err = d.call(ctx, op, touch, func(h *handle) int { return f(h, pin) })
		clear(pin)
		if !errors.Is(err, fido.ErrPINInvalid) {
			return err
		}
		if retries, err = d.retries(ctx); err != nil {
			return err
		}
		wrong = true
	}
}

// maxUVAttempts bounds the built-in verifications one operation tries
// before it asks for the PIN (keys allow about five failed matches).
const maxUVAttempts = 5

// verify runs a makeCredential or getAssertion (f) that may verify the
// user. On a key with a PIN whose built-in verification (a fingerprint) is
// enabled and not blocked, the built-in one goes first, as browsers do (it
// sets *builtin while it runs): a finger that does not match is tried
// again, and when the key says built-in verification is blocked, or the
// attempts run out, the PIN is asked instead (CTAP 2.1 §6.5.5.7.3). Other
// requests go as withPIN runs them.
func (d *device) verify(ctx context.Context, op string, mode uvMode, info *fido.Info, p fido.Prompt, touch func(),
	builtin *bool, f func(h *handle, pin []byte) int) error {
	retries, ok := 0, false
	if mode == uvPIN {
		retries, ok = d.builtinFirst(ctx, info)
	}
	if ok {
		*builtin = true
		fingerTouch, missed := touch, false
		if p.Fingerprint != nil {
			fingerTouch = nil // the fingerprint step says what to do
		}
		for range maxUVAttempts {
			if p.Fingerprint != nil {
				p.Fingerprint(retries, missed)
			}
			err := d.call(ctx, op, fingerTouch, func(h *handle) int { return f(h, nil) })
			var de *fido.DeviceError
			if errors.As(err, &de) && de.Status == codeUVInvalid {
				// A finger that did not match: the key counted it.
				missed, retries = true, max(retries-1, 0)
				continue
			}
			// Blocked, or a key opened before its first finger (libfido2
			// reads the uv option at open, and then asks for no token):
			// the PIN.
			if !errors.Is(err, fido.ErrUVBlocked) && !errors.Is(err, fido.ErrPINRequired) {
				return err
			}
			break
		}
		*builtin = false
	}
	return d.withPIN(ctx, op, mode, info, p, touch, f)
}

// builtinFirst reports whether a key with a PIN verifies the user by its
// built-in verification first: it lists uv (enabled) and pinUvAuthToken
// (so libfido2 asks for a token by it) and has UV retries left, which it
// gives.
func (d *device) builtinFirst(ctx context.Context, info *fido.Info) (retries int, ok bool) {
	if !info.HasOption("uv") || !info.HasOption("pinUvAuthToken") {
		return 0, false
	}
	n := 0
	err := d.call(ctx, "get UV retries", nil, func(h *handle) (rc int) {
		n, rc = h.uvRetryCount()
		return rc
	})
	return n, err == nil && n > 0
}

// touchOnce wraps p.Touch so that it runs at most once per operation.
func touchOnce(p fido.Prompt) func() {
	if p.Touch == nil {
		return nil
	}
	var once sync.Once
	return func() { once.Do(p.Touch) }
}

// chooseAlg picks the first of the RP's algorithms that the key lists and
// libfido2 can take (ES256, EdDSA, RS256). An empty RP list means ES256
// then RS256 (WebAuthn §5.4, pubKeyCredParams); a key that lists no
// algorithms (CTAP 2.0) is taken to support ES256 only.
func chooseAlg(rp, key []int) (int, error) {
	if len(rp) == 0 {
		rp = []int{fido.ES256, fido.RS256}
	}
	if len(key) == 0 {
		key = []int{fido.ES256}
	}
	for _, a := range rp {
		switch a {
		case fido.ES256, fido.EdDSA, fido.RS256:
			if slices.Contains(key, a) {
				return a, nil
			}
		}
	}
	return 0, fmt.Errorf("make credential: none of the algorithms %v: %w", rp, fido.ErrUnsupported)
}

// MakeCredential is authenticatorMakeCredential (CTAP 2.1 §6.1).
//
// Touch: for a simulated key p.Touch runs when the key sends its first
// keepalive with status UPNEEDED. libfido2 does not tell its callers about
// keepalives from a USB key, so for those p.Touch runs when the request is
// sent (after the PIN): the key may already be blinking, or may answer
// without a touch.
//
// X5C holds the leaf certificate only: libfido2 1.12 keeps no more of the
// chain. req.SelfAttestation cannot be passed through libfido2; the key
// decides.
// credProtect is sent only to keys that list the extension.
func (d *device) MakeCredential(ctx context.Context, req *fido.MakeCredentialRequest, p fido.Prompt) (*fido.Attestation, error) {
	switch {
	case len(req.ClientDataHash) != 32:
		return nil, fmt.Errorf("make credential: client data hash of %d bytes, want 32: %w", len(req.ClientDataHash), fido.ErrUnsupported)
	case req.RP.ID == "" || len(req.User.ID) == 0 || len(req.User.ID) > 64:
		return nil, fmt.Errorf("make credential: RP ID and a user ID of 1 to 64 bytes are needed: %w", fido.ErrUnsupported)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return nil, err
	}
	alg, err := chooseAlg(req.Algorithms, info.Algorithms)
	if err != nil {
		return nil, err
	}
	mode, err := chooseUV(info, req.UserVerification)
	if err != nil {
		return nil, fmt.Errorf("make credential: %w", err)
	}
	params := &credParams{
		alg:       alg,
		cdh:       req.ClientDataHash,
		rp:        req.RP,
		user:      req.User,
		exclude:   req.Exclude,
		rk:        req.ResidentKey,
		builtinUV: mode == uvBuiltin,
	}
	if req.CredProtect != 0 && slices.Contains(info.Extensions, "credProtect") {
		params.credProtect = req.CredProtect
	}
	size := req.EncodedSize()
	if err := checkSize("make credential", size); err != nil {
		return nil, err
	}
	var att *fido.Attestation
	var stmt []byte
	err = d.verify(ctx, "make credential", mode, info, p, touchOnce(p), &params.builtinUV, func(h *handle, pin []byte) (rc int) {
		att, stmt, rc = h.makeCred(params, pin)
		return rc
	})
	if err != nil {
		return nil, d.tooLarge("make credential", size, info, err)
	}
	if a, ok, err := attStmtAlg(stmt); err != nil {
		return nil, fmt.Errorf("make credential: attestation statement: %w", err)
	} else if ok {
		att.Algorithm = a
	}
	return att, nil
}

// GetAssertion is authenticatorGetAssertion and, for several discoverable
// credentials, authenticatorGetNextAssertion (CTAP 2.1 §6.2, §6.3): every
// assertion comes back, each with its user. Touch as for MakeCredential;
// a Silent request sends up=false and never calls p.Touch.
//
// Size, for both: a request longer than CTAPHID can carry is refused
// before anything is sent, and one the key refuses as longer than its
// maxMsgSize ends as fido.ErrRequestTooLarge, not fido.ErrKeyRemoved.
func (d *device) GetAssertion(ctx context.Context, req *fido.GetAssertionRequest, p fido.Prompt) ([]fido.Assertion, error) {
	switch {
	case len(req.ClientDataHash) != 32:
		return nil, fmt.Errorf("get assertion: client data hash of %d bytes, want 32: %w", len(req.ClientDataHash), fido.ErrUnsupported)
	case req.RPID == "":
		return nil, fmt.Errorf("get assertion: no RP ID: %w", fido.ErrUnsupported)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return nil, err
	}
	mode, err := chooseUV(info, req.UserVerification)
	if err != nil {
		return nil, fmt.Errorf("get assertion: %w", err)
	}
	params := &assertParams{rpID: req.RPID, cdh: req.ClientDataHash, allow: req.Allow, builtinUV: mode == uvBuiltin, silent: req.Silent}
	size := req.EncodedSize()
	if err := checkSize("get assertion", size); err != nil {
		return nil, err
	}
	touch := touchOnce(p)
	if req.Silent {
		touch = nil
	}
	var out []fido.Assertion
	var authData [][]byte
	err = d.verify(ctx, "get assertion", mode, info, p, touch, &params.builtinUV, func(h *handle, pin []byte) (rc int) {
		out, authData, rc = h.getAssert(params, pin)
		return rc
	})
	if err != nil {
		return nil, d.tooLarge("get assertion", size, info, err)
	}
	for i := range out {
		if out[i].AuthData, err = cborBytes(authData[i]); err != nil {
			return nil, fmt.Errorf("get assertion: authenticator data: %w", err)
		}
		out[i].AuthData = bytes.Clone(out[i].AuthData)
		if len(out[i].CredentialID) == 0 && len(req.Allow) == 1 {
			// CTAP 2.1 §6.2: the key may leave out the credential when the
			// allow list has exactly one.
			out[i].CredentialID = bytes.Clone(req.Allow[0].ID)
		}
	}
	return out, nil
}
