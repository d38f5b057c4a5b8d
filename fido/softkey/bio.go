package softkey

import (
	"bytes"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
)

// authenticatorBioEnrollment (CTAP 2.1 §6.7), under 0x09 and the preview
// command 0x40 that libfido2 1.12 sends.
const (
	cmdBioEnroll        = 0x09
	cmdBioEnrollPreview = 0x40

	bioEnrollBegin      = 0x01
	bioCaptureNext      = 0x02
	bioCancelEnrollment = 0x03
	bioEnumerate        = 0x04
	bioSetFriendlyName  = 0x05
	bioRemove           = 0x06
	bioSensorInfo       = 0x07

	modalityFingerprint = 0x01
	fingerprintTouch    = 0x01 // fingerprintKind: a touch sensor

	statusFPDatabaseFull = 0x17

	// SamplesPerEnrollment is how many good samples the simulated sensor
	// needs for one fingerprint (maxCaptureSamplesRequiredForEnroll).
	SamplesPerEnrollment = 5
	// MaxFingerprints is how many fingerprints the simulated sensor holds.
	MaxFingerprints = 5
	// MaxFingerprintName is the longest friendly name, in bytes
	// (maxTemplateFriendlyName).
	MaxFingerprintName = 32

	templateIDLength = 2
)

// SampleKind is what the simulated finger does on the sensor.
type SampleKind int

const (
	// SampleGood is a good sample of an enrolled finger (or, while
	// enrolling, of the finger being enrolled). The default when no
	// sample is queued.
	SampleGood SampleKind = iota
	// SampleBad is a sample the sensor cannot use: an enrollment reports
	// Sample.Status (fido.SamplePoorQuality if it is zero) and counts
	// nothing; a verification fails as for SampleNoMatch.
	SampleBad
	// SampleTimeout is no finger at all: the key waits until the
	// request's timeout and answers USER_ACTION_TIMEOUT. A CTAPHID
	// cancel ends the wait (and an enrollment under way).
	SampleTimeout
	// SampleNoMatch is a finger that matches no enrolled fingerprint: a
	// verification fails and costs a UV retry; in an enrollment it is
	// not the finger being enrolled (fido.SampleMergeFailure).
	SampleNoMatch
)

// Sample is one simulated touch of the fingerprint sensor.
type Sample struct {
	Kind   SampleKind
	Status fido.SampleStatus // for SampleBad
}

// template is an enrolled fingerprint, kept in the state file.
type template struct {
	ID   []byte
	Name string `json:",omitempty"`
}

// enrollment is the fingerprint enrollment under way (one per power-on
// session).
type enrollment struct {
	id        []byte
	remaining int
}

// QueueSamples queues what the simulated finger gives the sensor next,
// one Sample per touch of the sensor (an enrollment sample or a
// fingerprint verification). With none queued a touch is SampleGood.
// Only for a key with Options.Fingerprint.
func (k *Key) QueueSamples(s ...Sample) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.samples = append(k.samples, s...)
}

// QueuedSamples returns how many queued samples are still to be used.
func (k *Key) QueuedSamples() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.samples)
}

// Fingerprints returns the names of the enrolled fingerprints, in the
// order they were enrolled.
func (k *Key) Fingerprints() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var names []string
	for _, t := range k.st.Templates {
		names = append(names, t.Name)
	}
	return names
}

// Enrolling reports whether a fingerprint enrollment is under way.
func (k *Key) Enrolling() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.enroll != nil
}

// nextSample takes the next queued sample. k.mu is held.
func (k *Key) nextSample() Sample {
	if len(k.samples) == 0 {
		return Sample{Kind: SampleGood}
	}
	s := k.samples[0]
	k.samples = k.samples[1:]
	return s
}

// sense waits for a finger on the sensor (as for a touch, per SetTouch,
// within timeout) and returns the sample it gives; a status other than OK
// when none came: USER_ACTION_TIMEOUT, KEEPALIVE_CANCEL or
// OPERATION_DENIED. k.mu is held, and released while waiting.
func (k *Key) sense(tx *transaction, timeout time.Duration) (Sample, byte) {
	if status := k.waitTouchFor(tx, timeout); status != statusOK {
		return Sample{}, status
	}
	s := k.nextSample()
	if s.Kind == SampleTimeout {
		return s, k.waitFor(tx, timeout)
	}
	return s, statusOK
}

// fingerprintUV is built-in user verification by fingerprint: a sample
// that matches an enrolled fingerprint passes; another costs a UV retry.
// k.mu is held, and released while waiting.
func (k *Key) fingerprintUV(tx *transaction) byte {
	if k.st.uvRetries() == 0 {
		return statusUVBlocked
	}
	s, status := k.sense(tx, k.opts.TouchTimeout)
	if status != statusOK {
		return status
	}
	if s.Kind == SampleGood && k.failUV == 0 {
		k.st.UVFailures = 0
		if k.persist() != nil {
			return statusOther
		}
		return statusOK
	}
	k.failUV = max(k.failUV-1, 0)
	k.st.UVFailures++
	if k.persist() != nil {
		return statusOther
	}
	if k.st.uvRetries() == 0 {
		return statusUVBlocked
	}
	return statusUVInvalid
}

// bioEnrollment answers authenticatorBioEnrollment (§6.7). Every
// subcommand but getFingerprintSensorInfo and cancelCurrentEnrollment
// needs a pinUvAuthParam over modality ‖ subCommand ‖ subCommandParams
// from a token with the be permission (under the preview command also a
// getPinToken token, as keys of that time took).
func (k *Key) bioEnrollment(tx *transaction, r *request, preview bool) (any, byte) {
	var (
		modality, sub, proto int
		params               map[int]cbor.RawMessage
		pinAuth              []byte
		getModality          bool
	)
	hasModality := r.opt(0x01, &modality)
	hasSub := r.opt(0x02, &sub)
	hasParams := r.opt(0x03, &params)
	hasProto := r.opt(0x04, &proto)
	hasPinAuth := r.opt(0x05, &pinAuth)
	r.opt(0x06, &getModality)
	if r.status != statusOK {
		return nil, r.status
	}
	if !k.opts.Fingerprint {
		return nil, statusInvalidCommand
	}
	if getModality {
		return map[int]any{0x01: modalityFingerprint}, statusOK
	}
	if !hasModality || !hasSub {
		return nil, statusMissingParameter
	}
	if modality != modalityFingerprint {
		return nil, statusInvalidParameter
	}
	switch sub {
	case bioSensorInfo:
		return map[int]any{
			0x01: modalityFingerprint,
			0x02: fingerprintTouch,
			0x03: SamplesPerEnrollment,
			0x08: MaxFingerprintName,
		}, statusOK
	case bioCancelEnrollment:
		k.enroll = nil
		return nil, statusOK
	case bioEnrollBegin, bioCaptureNext, bioEnumerate, bioSetFriendlyName, bioRemove:
	default:
		return nil, statusInvalidSubcommand
	}

	// §6.7.2: authenticate the subcommand.
	if !hasPinAuth {
		return nil, statusPUATRequired
	}
	if !hasProto {
		return nil, statusMissingParameter
	}
	if proto != 1 && proto != 2 {
		return nil, statusInvalidParameter
	}
	msg := []byte{byte(modality), byte(sub)}
	if hasParams {
		msg = append(msg, r.m[0x03]...)
	}
	s := &k.pin
	switch {
	case k.st.PINHash == nil:
		return nil, statusPINNotSet
	case s.token == nil || s.tokenProto != pinProtocol(proto) || !s.tokenProto.verify(s.token, msg, pinAuth):
		return nil, statusPINAuthInvalid
	case s.perms&permBioEnrollment == 0 && !(preview && s.legacy):
		return nil, statusPINAuthInvalid
	}

	timeout := k.opts.TouchTimeout
	var ms int
	if decodeParam(params, 0x03, &ms) && ms > 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	switch sub {
	case bioEnrollBegin:
		return k.enrollBegin(tx, timeout)
	case bioCaptureNext:
		var id []byte
		if !decodeParam(params, 0x01, &id) {
			return nil, statusMissingParameter
		}
		if k.enroll == nil || !bytes.Equal(id, k.enroll.id) {
			return nil, statusInvalidParameter
		}
		return k.enrollSample(tx, timeout, false)
	case bioEnumerate:
		if len(k.st.Templates) == 0 {
			return nil, statusInvalidOption
		}
		var infos []map[int]any
		for _, t := range k.st.Templates {
			info := map[int]any{0x01: t.ID}
			if t.Name != "" {
				info[0x02] = t.Name
			}
			infos = append(infos, info)
		}
		return map[int]any{0x07: infos}, statusOK
	case bioSetFriendlyName:
		var (
			id   []byte
			name string
		)
		if !decodeParam(params, 0x01, &id) || !decodeParam(params, 0x02, &name) {
			return nil, statusMissingParameter
		}
		if len(name) > MaxFingerprintName || !utf8.ValidString(name) {
			return nil, statusInvalidParameter
		}
		t := k.st.template(id)
		if t == nil {
			return nil, statusInvalidOption
		}
		t.Name = name
	case bioRemove:
		var id []byte
		if !decodeParam(params, 0x01, &id) {
			return nil, statusMissingParameter
		}
		i := slices.IndexFunc(k.st.Templates, func(t *template) bool { return bytes.Equal(t.ID, id) })
		if i < 0 {
			return nil, statusInvalidOption
		}
		k.st.Templates = slices.Delete(k.st.Templates, i, i+1)
	}
	if k.persist() != nil {
		return nil, statusOther
	}
	return nil, statusOK
}

// enrollBegin starts an enrollment and takes its first sample (§6.7.3).
// A first sample that does not come drops the enrollment.
func (k *Key) enrollBegin(tx *transaction, timeout time.Duration) (any, byte) {
	k.enroll = nil
	if len(k.st.Templates) >= MaxFingerprints {
		return nil, statusFPDatabaseFull
	}
	id := random(templateIDLength)
	for k.st.template(id) != nil {
		id = random(templateIDLength)
	}
	k.enroll = &enrollment{id: id, remaining: SamplesPerEnrollment}
	resp, status := k.enrollSample(tx, timeout, true)
	if status != statusOK {
		k.enroll = nil
		return nil, status
	}
	resp[0x04] = id
	return resp, statusOK
}

// enrollSample takes one sample of the enrollment under way (§6.7.3,
// §6.7.4). A sample that does not come in time leaves the enrollment
// open; a cancel ends it. At the last good sample the fingerprint is
// stored.
func (k *Key) enrollSample(tx *transaction, timeout time.Duration, first bool) (map[int]any, byte) {
	e := k.enroll
	s, status := k.sense(tx, timeout)
	if k.enroll != e { // cancelled or replaced while waiting
		return nil, statusKeepaliveCancel
	}
	switch status {
	case statusOK:
	case statusUserActionTimeout:
		return nil, status
	default:
		k.enroll = nil
		return nil, status
	}
	feedback := fido.SampleGood
	switch s.Kind {
	case SampleBad:
		feedback = s.Status
		if feedback == fido.SampleGood {
			feedback = fido.SamplePoorQuality
		}
	case SampleNoMatch:
		if !first {
			feedback = fido.SampleMergeFailure
		}
	}
	if feedback == fido.SampleGood {
		e.remaining--
	}
	if e.remaining == 0 {
		k.st.Templates = append(k.st.Templates, &template{ID: e.id})
		k.enroll = nil
		if k.persist() != nil {
			return nil, statusOther
		}
	}
	return map[int]any{0x05: int(feedback), 0x06: e.remaining}, statusOK
}

// template returns the enrolled fingerprint with this ID, or nil.
func (st *state) template(id []byte) *template {
	for _, t := range st.Templates {
		if bytes.Equal(t.ID, id) {
			return t
		}
	}
	return nil
}
