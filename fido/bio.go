package fido

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Fingerprints on a key with a sensor: authenticatorBioEnrollment (CTAP
// 2.1 §6.7).

// ErrNoFingerprint: the key holds no fingerprint with the ID given
// (CTAP2_ERR_INVALID_OPTION to setFriendlyName or removeEnrollment).
var ErrNoFingerprint = errors.New("fido: the key holds no such fingerprint")

// ErrFingerprintsFull: the key has no room for another fingerprint
// (CTAP2_ERR_FP_DATABASE_FULL).
var ErrFingerprintsFull = errors.New("fido: no room left on the key for fingerprints")

// HasSensor reports whether the key has a fingerprint sensor it can
// enroll fingerprints on: its getInfo lists bioEnroll or
// userVerificationMgmtPreview, true or false.
func (i *Info) HasSensor() bool {
	_, bio := i.Options["bioEnroll"]
	_, pre := i.Options["userVerificationMgmtPreview"]
	return bio || pre
}

// HasFingerprints reports whether at least one fingerprint is enrolled
// (bioEnroll or userVerificationMgmtPreview true). How many takes the PIN:
// BioManager.Fingerprints.
func (i *Info) HasFingerprints() bool {
	return i.HasOption("bioEnroll") || i.HasOption("userVerificationMgmtPreview")
}

// SampleStatus is how a key judged the last fingerprint sample of an
// enrollment (lastEnrollSampleStatus, CTAP 2.1 §6.7.2).
type SampleStatus uint8

// Sample statuses (CTAP 2.1 §6.7.2).
const (
	SampleGood                 SampleStatus = 0x00
	SampleTooHigh              SampleStatus = 0x01
	SampleTooLow               SampleStatus = 0x02
	SampleTooLeft              SampleStatus = 0x03
	SampleTooRight             SampleStatus = 0x04
	SampleTooFast              SampleStatus = 0x05
	SampleTooSlow              SampleStatus = 0x06
	SamplePoorQuality          SampleStatus = 0x07
	SampleTooSkewed            SampleStatus = 0x08
	SampleTooShort             SampleStatus = 0x09
	SampleMergeFailure         SampleStatus = 0x0a
	SampleExists               SampleStatus = 0x0b
	SampleDatabaseFull         SampleStatus = 0x0c // libfido2's FIDO_BIO_ENROLL_FP_DATABASE_FULL
	SampleNoUserActivity       SampleStatus = 0x0d
	SampleNoPresenceTransition SampleStatus = 0x0e
)

var sampleWords = map[SampleStatus]string{
	SampleGood:                 "good",
	SampleTooHigh:              "the finger was too high on the sensor",
	SampleTooLow:               "the finger was too low on the sensor",
	SampleTooLeft:              "the finger was too far left on the sensor",
	SampleTooRight:             "the finger was too far right on the sensor",
	SampleTooFast:              "the finger moved too fast",
	SampleTooSlow:              "the finger moved too slowly",
	SamplePoorQuality:          "the sample was of poor quality",
	SampleTooSkewed:            "the finger was at an angle",
	SampleTooShort:             "the finger was lifted too soon",
	SampleMergeFailure:         "the sample did not match the earlier ones",
	SampleExists:               "this fingerprint is already on the key",
	SampleDatabaseFull:         "the key has no room for another fingerprint",
	SampleNoUserActivity:       "no finger was on the sensor",
	SampleNoPresenceTransition: "the finger was not lifted between touches",
}

// String puts the status into words, such as "the finger was too high on
// the sensor".
func (s SampleStatus) String() string {
	if w, ok := sampleWords[s]; ok {
		return w
	}
	return fmt.Sprintf("sample status 0x%02x", uint8(s))
}

// SensorInfo describes a key's fingerprint sensor
// (getFingerprintSensorInfo).
type SensorInfo struct {
	// Kind is 1 for a touch sensor, 2 for a swipe sensor.
	Kind int
	// Samples is how many good samples an enrollment needs at most.
	Samples int
}

// Fingerprint is one enrolled fingerprint (a template).
type Fingerprint struct {
	ID   []byte
	Name string
}

// EnrollStep is the key's answer to one sample of an enrollment.
type EnrollStep struct {
	// Status judges the sample; anything but SampleGood was not counted.
	Status SampleStatus
	// Remaining is how many more good samples the key needs; 0 when the
	// fingerprint is enrolled.
	Remaining int
}

// Enrollment is a fingerprint enrollment under way on a key: Begin has
// taken the first sample; Next takes each further one until Remaining is
// 0. Cancel ends it on the key (also while a sample is awaited: it may be
// called from any goroutine). An enrollment that is neither finished nor
// cancelled is dropped by the key when another command comes.
type Enrollment interface {
	// ID is the template ID the key gave the new fingerprint.
	ID() []byte
	// Next waits up to timeout for the next sample. ErrTimeout when no
	// finger came in time (the enrollment stays open: Next may be tried
	// again), ErrCanceled after Cancel or when ctx ends.
	Next(ctx context.Context, timeout time.Duration) (EnrollStep, error)
	// Cancel ends the enrollment on the key; nothing is enrolled.
	Cancel() error
}

// BioManager is a key's fingerprint management (authenticatorBioEnrollment,
// CTAP 2.1 §6.7). Like Manager it is a separate interface found with a
// type assertion; a key without a sensor gives ErrUnsupported. Every
// method but SensorInfo needs the PIN (through p.PIN, as for Manager); a
// key without a PIN gives ErrPINNotSet.
type BioManager interface {
	// SensorInfo describes the sensor (no PIN needed).
	SensorInfo(ctx context.Context) (SensorInfo, error)
	// Fingerprints lists the enrolled fingerprints; none is an empty list.
	Fingerprints(ctx context.Context, p Prompt) ([]Fingerprint, error)
	// BeginEnroll starts enrolling a new fingerprint and waits up to
	// timeout for its first sample (p.Touch is called when the key waits
	// for the finger). ErrTimeout when none came: nothing was started.
	BeginEnroll(ctx context.Context, timeout time.Duration, p Prompt) (Enrollment, EnrollStep, error)
	// RenameFingerprint sets the name of the fingerprint with this ID;
	// ErrNoFingerprint when the key has no such fingerprint.
	RenameFingerprint(ctx context.Context, id []byte, name string, p Prompt) error
	// RemoveFingerprint deletes the fingerprint with this ID;
	// ErrNoFingerprint when the key has no such fingerprint.
	RemoveFingerprint(ctx context.Context, id []byte, p Prompt) error
}
