package enroll

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
)

// ReplugFunc waits until the key at path has been pulled out and put back
// in, and returns the path it has now. It ends with ErrReplugTimeout when
// that does not happen in time, or with ctx.
type ReplugFunc func(ctx context.Context, path string) (newPath string, err error)

// Station readies keys: it is safe for concurrent use, one Run per key.
type Station struct {
	// Client is the WebAuthn client that makes the passkey for the
	// Registrar's options.
	Client *client.Client
	// Keys opens keys (and lists them, for Watch and WatchReplug).
	Keys fido.Provider
	// Replug waits for the replug of a reset; nil: WatchReplug(Keys, 0).
	Replug ReplugFunc
	// now is the clock of events; nil: time.Now.
	now func() time.Time
}

func (s *Station) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// run is one Run in progress.
type run struct {
	s        *Station
	j        *Job
	path     string
	step     Step
	progress func(Event)
}

func (r *run) emit(need Need, done bool, err error) {
	if r.progress != nil {
		r.progress(Event{Path: r.path, Person: r.j.Person, Step: r.step, Need: need, Done: done, Err: err, At: r.s.clock()})
	}
}

// begin starts step.
func (r *run) begin(step Step) {
	r.step = step
	r.emit(NeedNothing, false, nil)
}

// end ends the current step: done, or failed with err (wrapped in a
// *StepError, which end returns).
func (r *run) end(err error) error {
	if err == nil {
		r.emit(NeedNothing, true, nil)
		return nil
	}
	var se *StepError
	if !errors.As(err, &se) {
		se = &StepError{Step: r.step, Err: err}
	}
	r.emit(NeedNothing, false, se)
	return se
}

// prompt answers the key with the job's PIN and tells the person when
// to touch the key.
func (r *run) prompt() fido.Prompt {
	return fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			if req.Wrong {
				// The job's PIN is the key's only if the job set it; a
				// wrong one is not tried again (each try costs a retry).
				return nil, fmt.Errorf("%w: the key does not take this person's PIN", ErrKeyHasPIN)
			}
			pin := r.j.pinCopy()
			if pin == nil {
				return nil, errors.New("enroll: the job's PIN was forgotten")
			}
			return pin, nil
		},
		Touch: func() { r.emit(NeedTouch, false, nil) },
	}
}

// Run readies the key at path for j, from wherever j stopped, and
// returns what the key now is. progress (which may be nil) gets an Event
// as each step starts and ends, and when the person must do something; it
// is called on Run's goroutine and must not block. Errors are *StepError.
func (s *Station) Run(ctx context.Context, path string, j *Job, progress func(Event)) (Result, error) {
	if !j.running.TryLock() {
		return Result{}, ErrJobRunning
	}
	defer j.running.Unlock()
	r := &run{s: s, j: j, path: path, progress: progress}
	r.begin(StepDetected)
	dev, err := s.Keys.Open(ctx, path)
	if err != nil {
		return j.Result(), r.end(err)
	}
	defer func() { dev.Close() }()
	info, err := dev.Info(ctx)
	if err != nil {
		return j.Result(), r.end(err)
	}
	r.end(nil)
	if dev, info, err = r.resetStep(ctx, dev, info); err != nil {
		return j.Result(), err
	}
	steps := []func(context.Context, fido.Device, *fido.Info) error{r.pinStep, r.minLengthStep, r.passkeyStep, r.forceStep, r.labelStep}
	for _, step := range steps {
		if err := step(ctx, dev, info); err != nil {
			return j.Result(), err
		}
		if info, err = dev.Info(ctx); err != nil {
			return j.Result(), r.end(err)
		}
	}
	r.begin(StepDone)
	r.end(nil)
	return j.Result(), nil
}

// resetStep resets the key when the job asks and it has not been done:
// the person pulls the key out and puts it back, the key is opened again
// where it now is, and reset at once (keys allow it only in the first
// seconds after power-up), with a touch. Never once a passkey was made for
// the job: that would destroy it.
func (r *run) resetStep(ctx context.Context, dev fido.Device, info *fido.Info) (fido.Device, *fido.Info, error) {
	j := r.j
	var skip bool
	j.update(func() { skip = !j.Reset || j.reset || j.response != nil })
	if skip {
		return dev, info, nil
	}
	r.begin(StepReset)
	m, ok := dev.(fido.Manager)
	if !ok {
		return dev, info, r.end(fmt.Errorf("the key cannot be reset here: %w", fido.ErrUnsupported))
	}
	dev.Close()
	r.emit(NeedReplug, false, nil)
	replug := r.s.Replug
	if replug == nil {
		replug = WatchReplug(r.s.Keys, 0)
	}
	path, err := replug(ctx, r.path)
	if err != nil {
		return dev, info, r.end(err)
	}
	r.path = path
	back, err := r.s.Keys.Open(ctx, path)
	if err != nil {
		return dev, info, r.end(err) // dev, closed, for Run's deferred Close
	}
	dev = back
	if m, ok = dev.(fido.Manager); !ok {
		return dev, info, r.end(fmt.Errorf("the key cannot be reset here: %w", fido.ErrUnsupported))
	}
	if err := m.Reset(ctx, r.prompt()); err != nil {
		return dev, info, r.end(err)
	}
	j.update(func() { j.reset, j.pinSet, j.result.Reset = true, false, true })
	if info, err = dev.Info(ctx); err != nil {
		return dev, info, r.end(err)
	}
	return dev, info, r.end(nil)
}

// canHavePIN reports whether the key can have a PIN (set or not).
func canHavePIN(info *fido.Info) bool {
	_, ok := info.Options["clientPin"]
	return ok
}

// canConfigure reports whether the key takes setMinPINLength (CTAP 2.1
// §6.11.4), which also forces a PIN change.
func canConfigure(info *fido.Info) bool {
	return info.HasOption("authnrCfg") && info.HasOption("setMinPINLength")
}

// pinStep gives the key the job's PIN: set on a key without one, changed
// from CurrentPIN on a key that has one, nothing when the job already set
// it. A key that holds no room for a passkey is refused here, before it
// is changed.
func (r *run) pinStep(ctx context.Context, dev fido.Device, info *fido.Info) error {
	j := r.j
	r.begin(StepPIN)
	var made bool
	j.update(func() { made = j.response != nil })
	if !made && info.RemainingDiscoverable == 0 {
		r.step = StepPasskey
		return r.end(ErrKeyFull)
	}
	if !canHavePIN(info) {
		if j.AllowNoPIN {
			return r.end(nil)
		}
		return r.end(ErrNoPINSupport)
	}
	st, err := dev.PINState(ctx)
	if err != nil {
		return r.end(err)
	}
	var set bool
	j.update(func() { set = j.pinSet })
	switch {
	case st.Set && set:
	case !st.Set:
		if err := j.fitPIN(info.MinPINLength); err != nil {
			return r.end(err)
		}
		pin := j.pinCopy()
		err = dev.SetPIN(ctx, pin)
		clear(pin)
	case j.CurrentPIN != nil:
		pin := j.pinCopy()
		err = dev.ChangePIN(ctx, j.CurrentPIN, pin)
		clear(pin)
	default:
		err = ErrKeyHasPIN
	}
	if err != nil {
		return r.end(err)
	}
	j.update(func() {
		j.pinSet, j.result.PINSet = true, true
		clear(j.CurrentPIN)
		j.CurrentPIN = nil
	})
	return r.end(nil)
}

// minLengthStep raises the key's minimum PIN length to the policy's,
// where the key supports it and its minimum is lower.
func (r *run) minLengthStep(ctx context.Context, dev fido.Device, info *fido.Info) error {
	j := r.j
	r.begin(StepMinPINLength)
	want := j.policy.minLength()
	m, ok := dev.(fido.Manager)
	if !canHavePIN(info) || !canConfigure(info) || !ok || info.MinPINLength >= want {
		j.update(func() { j.result.MinPINLength = info.MinPINLength })
		return r.end(nil)
	}
	if err := m.SetMinPINLength(ctx, want, false, r.prompt()); err != nil {
		return r.end(err)
	}
	j.update(func() { j.result.MinPINLength = want })
	return r.end(nil)
}

// passkeyStep makes the passkey for the Registrar's options, unless one
// was made already, and has the Registrar finish it.
func (r *run) passkeyStep(ctx context.Context, dev fido.Device, info *fido.Info) error {
	j := r.j
	r.begin(StepPasskey)
	var resp []byte
	var finished bool
	j.update(func() { resp, finished = j.response, j.finished })
	if finished {
		return r.end(nil)
	}
	if resp == nil {
		opts, err := j.Registrar.Begin(ctx)
		if err != nil {
			return r.end(fmt.Errorf("beginning the registration: %w", err))
		}
		resp, err = r.s.Client.Create(ctx, dev, opts, r.prompt())
		switch {
		case errors.Is(err, fido.ErrCredentialExcluded):
			return r.end(fmt.Errorf("%w: %w", ErrAlreadyEnrolled, err))
		case errors.Is(err, fido.ErrKeyStoreFull):
			return r.end(fmt.Errorf("%w: %w", ErrKeyFull, err))
		case err != nil:
			return r.end(err)
		}
		id, err := credentialID(resp)
		if err != nil {
			return r.end(err)
		}
		j.update(func() {
			j.response = resp
			j.result.CredentialID = id
			j.result.setLabel(info.AAGUID)
		})
	}
	if err := j.Registrar.Finish(ctx, resp, j.Result()); err != nil {
		return r.end(fmt.Errorf("finishing the registration: %w", err))
	}
	j.update(func() { j.finished, j.response = true, nil })
	return r.end(nil)
}

// forceStep makes the key refuse its PIN until the owner changes it.
func (r *run) forceStep(ctx context.Context, dev fido.Device, info *fido.Info) error {
	j := r.j
	r.begin(StepForcePINChange)
	if !canHavePIN(info) || info.ForcePINChange {
		j.update(func() { j.result.ForcedPINChange = info.ForcePINChange })
		return r.end(nil)
	}
	m, ok := dev.(fido.Manager)
	var err error
	if !ok || !canConfigure(info) {
		err = fido.ErrUnsupported
	} else {
		err = m.SetMinPINLength(ctx, 0, true, r.prompt())
	}
	var de *fido.DeviceError
	switch {
	case err == nil:
		j.update(func() { j.result.ForcedPINChange = true })
		return r.end(nil)
	case errors.Is(err, fido.ErrUnsupported) || errors.As(err, &de):
		if j.AllowNoForceChange {
			return r.end(nil)
		}
		return r.end(fmt.Errorf("%w: %w", ErrForceChangeRefused, err))
	}
	return r.end(err)
}

// labelStep names the key: its model from the AAGUID catalog and a short
// identifier.
func (r *run) labelStep(ctx context.Context, dev fido.Device, info *fido.Info) error {
	j := r.j
	r.begin(StepLabel)
	j.update(func() { j.result.setLabel(info.AAGUID) })
	return r.end(nil)
}

// setLabel names the key with aaguid and the credential made on it.
func (r *Result) setLabel(aaguid fido.AAGUID) {
	r.AAGUID = aaguid
	r.Model = modelName(aaguid)
	r.KeyID = keyID(r.CredentialID)
	r.Label = label(r.Model, r.KeyID)
}

// genericModel names a model the catalog does not know.
const genericModel = "Security key"

func modelName(aaguid fido.AAGUID) string {
	if name := assets.ModelName(aaguid[:]); name != "" {
		return name
	}
	return genericModel
}

// keyID is a short identifier for the key: a key tells no serial number
// over CTAP, so it is the short form of the credential made on it
// (account.CredentialShortID), the same on the PIN slip, in the batch
// log and beside the passkey in the account.
func keyID(credentialID []byte) string {
	if len(credentialID) == 0 {
		return ""
	}
	return account.CredentialShortID(credentialID)
}

// KeyID is keyID for callers that hold a credential ID.
func KeyID(credentialID []byte) string { return keyID(credentialID) }

// MaxLabel is the longest label in characters, as a batch entry keeps it
// (account.BatchEntryUpdate.KeyLabel).
const MaxLabel = 64

// label is the model and the key ID, the model shortened to fit MaxLabel.
func label(model, id string) string {
	if id == "" {
		return truncate(model, MaxLabel)
	}
	suffix := " #" + id
	return truncate(model, MaxLabel-utf8.RuneCountInString(suffix)) + suffix
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// credentialID reads rawId from a RegistrationResponseJSON.
func credentialID(resp []byte) ([]byte, error) {
	var v struct {
		RawID string `json:"rawId"`
	}
	if err := json.Unmarshal(resp, &v); err != nil {
		return nil, fmt.Errorf("reading the credential made: %w", err)
	}
	id, err := base64.RawURLEncoding.DecodeString(v.RawID)
	if err != nil || len(id) == 0 {
		return nil, errors.New("the credential made has no rawId")
	}
	return id, nil
}
