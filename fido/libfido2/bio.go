//go:build cgo

package libfido2

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// The device's fido.BioManager side: fingerprints through libfido2's
// fido_bio_* API. libfido2 1.12 sends authenticatorBioEnrollment as the
// CTAP 2.1 preview command 0x40 and gets a pinUvAuthToken with the be
// permission from the PIN for each call; enrollBegin's token serves the
// enrollment's further samples. Keys take the PIN for this, never the
// finger.

var _ fido.BioManager = (*device)(nil)

// maxSampleTimeout bounds the timeout of one sample (libfido2 sends it
// to the key as a uint32 of milliseconds).
const maxSampleTimeout = time.Hour

// bio checks that the key has a sensor and a PIN, and runs f with the
// PIN as withPIN does.
func (d *device) bio(ctx context.Context, op string, p fido.Prompt, touch func(), f func(h *handle, pin []byte) int) error {
	info, err := d.info(ctx)
	if err != nil {
		return err
	}
	if !info.HasSensor() {
		return fmt.Errorf("%s: %w", op, fido.ErrUnsupported)
	}
	if !info.HasOption("clientPin") {
		return fmt.Errorf("%s: %w", op, fido.ErrPINNotSet)
	}
	return d.withPIN(ctx, op, uvPIN, info, p, touch, f)
}

// SensorInfo is getFingerprintSensorInfo (CTAP 2.1 §6.7.7).
func (d *device) SensorInfo(ctx context.Context) (fido.SensorInfo, error) {
	var si fido.SensorInfo
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return si, err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return si, err
	}
	if !info.HasSensor() {
		return si, fmt.Errorf("fingerprint sensor: %w", fido.ErrUnsupported)
	}
	err = d.call(ctx, "fingerprint sensor", nil, func(h *handle) (rc int) {
		si.Kind, si.Samples, rc = h.bioInfo()
		return rc
	})
	return si, err
}

// Fingerprints is enumerateEnrollments (§6.7.5); a key with none (it
// answers INVALID_OPTION) gives an empty list.
func (d *device) Fingerprints(ctx context.Context, p fido.Prompt) ([]fido.Fingerprint, error) {
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	var list []fido.Fingerprint
	err = d.bio(ctx, "list fingerprints", p, nil, func(h *handle, pin []byte) (rc int) {
		list, rc = h.bioTemplates(pin)
		return rc
	})
	if isStatus(err, codeInvalidOption) {
		return []fido.Fingerprint{}, nil
	}
	return list, err
}

// RenameFingerprint is setFriendlyName (§6.7.6).
func (d *device) RenameFingerprint(ctx context.Context, id []byte, name string, p fido.Prompt) error {
	if len(id) == 0 {
		return fmt.Errorf("rename fingerprint: no ID: %w", fido.ErrNoFingerprint)
	}
	if name == "" || containsNUL(name) {
		return fmt.Errorf("rename fingerprint: the name is empty or holds a NUL: %w", fido.ErrUnsupported)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	err = d.bio(ctx, "rename fingerprint", p, nil, func(h *handle, pin []byte) int { return h.bioSetName(id, name, pin) })
	return noFingerprint(err)
}

// RemoveFingerprint is removeEnrollment (§6.7.6).
func (d *device) RemoveFingerprint(ctx context.Context, id []byte, p fido.Prompt) error {
	if len(id) == 0 {
		return fmt.Errorf("remove fingerprint: no ID: %w", fido.ErrNoFingerprint)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	err = d.bio(ctx, "remove fingerprint", p, nil, func(h *handle, pin []byte) int { return h.bioRemove(id, pin) })
	return noFingerprint(err)
}

// BeginEnroll is enrollBegin (§6.7.3) with the first sample. p.Touch runs
// when a simulated key waits for the finger (for a USB key, when the
// request is sent).
func (d *device) BeginEnroll(ctx context.Context, timeout time.Duration, p fido.Prompt) (fido.Enrollment, fido.EnrollStep, error) {
	ms, err := sampleMS(timeout)
	if err != nil {
		return nil, fido.EnrollStep{}, err
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return nil, fido.EnrollStep{}, err
	}
	defer end()
	var b *bioEnroll
	err = d.bio(ctx, "enroll fingerprint", p, touchOnce(p), func(h *handle, pin []byte) int {
		if b != nil { // a wrong PIN asked again: start afresh
			b.free()
		}
		var rc int
		b, rc = h.bioEnrollBegin(ms, pin)
		return rc
	})
	if err != nil {
		if b != nil {
			b.free()
		}
		return nil, fido.EnrollStep{}, err
	}
	step := b.step()
	en := &enrollment{d: d, b: b, id: b.id()}
	if step.Remaining == 0 {
		en.finish()
		en.complete = true
	}
	return en, step, nil
}

// enrollment is a fido.Enrollment on a libfido2 device.
type enrollment struct {
	d  *device
	id []byte

	mu       sync.Mutex
	b        *bioEnroll // nil once finished or cancelled
	complete bool       // the last sample was taken
}

func (en *enrollment) ID() []byte { return append([]byte(nil), en.id...) }

// finish frees libfido2's enrollment state.
func (en *enrollment) finish() {
	en.mu.Lock()
	defer en.mu.Unlock()
	if en.b != nil {
		en.b.free()
		en.b = nil
	}
}

// Next is enrollCaptureNextSample (§6.7.4).
func (en *enrollment) Next(ctx context.Context, timeout time.Duration) (fido.EnrollStep, error) {
	ms, err := sampleMS(timeout)
	if err != nil {
		return fido.EnrollStep{}, err
	}
	ctx, end, err := en.d.begin(ctx)
	if err != nil {
		return fido.EnrollStep{}, err
	}
	defer end()
	en.mu.Lock()
	b := en.b
	en.mu.Unlock()
	if b == nil {
		return fido.EnrollStep{}, fmt.Errorf("enroll fingerprint: %w", fido.ErrCanceled)
	}
	// Cancel frees b only under begin, which waits for this call.
	err = en.d.call(ctx, "enroll fingerprint", nil, func(h *handle) int { return h.bioEnrollContinue(b, ms) })
	if err != nil {
		// A sample that did not come leaves the enrollment open on the
		// key; anything else ends it (a CTAPHID_CANCEL, sent when ctx
		// ends, too).
		if ctx.Err() != nil || !errors.Is(err, fido.ErrTimeout) {
			en.finish()
		}
		return fido.EnrollStep{}, err
	}
	step := b.step()
	if step.Remaining == 0 {
		en.finish()
		en.mu.Lock()
		en.complete = true
		en.mu.Unlock()
	}
	return step, nil
}

// Cancel stops a sample awaited now (CTAPHID_CANCEL) and ends the
// enrollment on the key (cancelCurrentEnrollment), also after a Next that
// failed. After the last sample it does nothing.
func (en *enrollment) Cancel() error {
	en.mu.Lock()
	complete := en.complete
	en.mu.Unlock()
	if complete {
		return nil
	}
	en.d.Cancel()
	ctx, end, err := en.d.begin(context.Background())
	if err != nil {
		return err
	}
	defer end()
	en.finish()
	return en.d.call(ctx, "cancel fingerprint enrollment", nil, func(h *handle) int { return h.bioEnrollCancel() })
}

// sampleMS is a sample timeout in milliseconds.
func sampleMS(d time.Duration) (uint32, error) {
	if d <= 0 || d > maxSampleTimeout {
		return 0, fmt.Errorf("enroll fingerprint: sample timeout %v out of range: %w", d, fido.ErrUnsupported)
	}
	return uint32(d / time.Millisecond), nil
}

// isStatus reports whether err is the CTAP status code.
func isStatus(err error, code int) bool {
	var de *fido.DeviceError
	return errors.As(err, &de) && int(de.Status) == code
}

// noFingerprint turns INVALID_OPTION, a key's answer about an unknown
// template ID, into fido.ErrNoFingerprint.
func noFingerprint(err error) error {
	if isStatus(err, codeInvalidOption) {
		return fmt.Errorf("%w: %w", fido.ErrNoFingerprint, err)
	}
	return err
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
