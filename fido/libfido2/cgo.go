//go:build cgo

package libfido2

// This is the only file of the project that imports "C": cgo stays in one
// file of one package. It turns libfido2's API into a narrow private handle with Go types;
// the protocol decisions (which PIN, which algorithm, retries, cancel,
// errors) are made in pure Go in device.go and provider.go.
//
// Memory rules kept here: every C.CString and every libfido2 object is
// freed before the function returns; PINs travel in C memory from
// pd_secret_new, zeroed and freed by pd_secret_free, never through a Go
// string; C never keeps a Go pointer (the I/O hook's handle is an integer
// key into sims.conns).

/*
#cgo pkg-config: libfido2
#include <stdlib.h>
#include <fido/bio.h>
#include <fido/config.h>
#include <fido/credman.h>
#include "hook.h"
*/
import "C"

import (
	"unsafe"

	"github.com/passkeydesk/passkeydesk/fido"
)

func init() {
	C.fido_init(0)
}

// The I/O hook's entry points, called by the trampolines in hook.c.

//export pdSimOpen
func pdSimOpen(path *C.char) C.uintptr_t {
	return C.uintptr_t(simOpen(C.GoString(path)))
}

//export pdSimClose
func pdSimClose(h C.uintptr_t) {
	simClose(uintptr(h))
}

//export pdSimRead
func pdSimRead(h C.uintptr_t, buf *C.uchar, n C.size_t, ms C.int) C.int {
	if buf == nil || n == 0 {
		return -1
	}
	return C.int(simRead(uintptr(h), unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)), int(ms)))
}

//export pdSimWrite
func pdSimWrite(h C.uintptr_t, buf *C.uchar, n C.size_t) C.int {
	if buf == nil || n == 0 {
		return -1
	}
	return C.int(simWrite(uintptr(h), unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))))
}

// bytesPtr passes a Go byte slice to a libfido2 setter, which copies it.
func bytesPtr(b []byte) *C.uchar {
	if len(b) == 0 {
		return nil
	}
	return (*C.uchar)(unsafe.Pointer(&b[0]))
}

// goBytes copies n bytes of C memory; nil for none.
func goBytes(p *C.uchar, n C.size_t) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// optCString is C.CString, or NULL for "" (an absent optional field).
// C.free(NULL) is fine.
func optCString(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

func goStrings(p **C.char, n C.size_t) []string {
	if p == nil || n == 0 {
		return nil
	}
	out := make([]string, 0, int(n))
	for _, s := range unsafe.Slice(p, int(n)) {
		out = append(out, C.GoString(s))
	}
	return out
}

// secret is a PIN in C memory.
type secret struct {
	p *C.char
	n C.size_t
}

func newSecret(b []byte) secret {
	if b == nil {
		return secret{}
	}
	return secret{p: C.pd_secret_new(bytesPtr(b), C.size_t(len(b))), n: C.size_t(len(b))}
}

func (s secret) free() { C.pd_secret_free(s.p, s.n) }

// manifest lists the USB keys libfido2 finds.
func manifest() ([]fido.DeviceInfo, error) {
	const max = 64
	list := C.fido_dev_info_new(max)
	if list == nil {
		return nil, codeError("listing keys", codeInternal)
	}
	defer C.fido_dev_info_free(&list, max)
	var n C.size_t
	if rc := C.fido_dev_info_manifest(list, max, &n); rc != C.FIDO_OK {
		return nil, codeError("listing keys", int(rc))
	}
	out := make([]fido.DeviceInfo, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		di := C.fido_dev_info_ptr(list, i)
		out = append(out, fido.DeviceInfo{
			Path:         C.GoString(C.fido_dev_info_path(di)),
			VendorID:     uint16(C.fido_dev_info_vendor(di)),
			ProductID:    uint16(C.fido_dev_info_product(di)),
			Manufacturer: C.GoString(C.fido_dev_info_manufacturer_string(di)),
			Product:      C.GoString(C.fido_dev_info_product_string(di)),
		})
	}
	return out, nil
}

// handle is an open fido_dev_t. Its methods return libfido2 codes; only
// cancel may run while another method is running.
type handle struct {
	dev *C.fido_dev_t
}

// openHandle opens path; sim installs the I/O hook first. timeoutMS
// bounds the open (-1: no bound).
func openHandle(path string, sim bool, timeoutMS int) (*handle, int) {
	dev := C.fido_dev_new()
	if dev == nil {
		return nil, codeInternal
	}
	if sim {
		if rc := C.pd_set_sim_io(dev); rc != C.FIDO_OK {
			C.fido_dev_free(&dev)
			return nil, int(rc)
		}
	}
	C.fido_dev_set_timeout(dev, C.int(timeoutMS))
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if rc := C.fido_dev_open(dev, cpath); rc != C.FIDO_OK {
		C.fido_dev_free(&dev)
		return nil, int(rc)
	}
	C.fido_dev_set_timeout(dev, -1)
	return &handle{dev: dev}, codeOK
}

func (h *handle) close() {
	C.fido_dev_close(h.dev)
	C.fido_dev_free(&h.dev)
}

func (h *handle) ioHandle() uintptr     { return uintptr(C.pd_io_handle(h.dev)) }
func (h *handle) isFIDO2() bool         { return bool(C.fido_dev_is_fido2(h.dev)) }
func (h *handle) flags() uint8          { return uint8(C.fido_dev_flags(h.dev)) }
func (h *handle) cancel() int           { return int(C.fido_dev_cancel(h.dev)) }
func (h *handle) setTimeout(ms int) int { return int(C.fido_dev_set_timeout(h.dev, C.int(ms))) }
func (h *handle) retryCount() (int, int) {
	var n C.int
	rc := C.fido_dev_get_retry_count(h.dev, &n)
	return int(n), int(rc)
}
func (h *handle) uvRetryCount() (int, int) {
	var n C.int
	rc := C.fido_dev_get_uv_retry_count(h.dev, &n)
	return int(n), int(rc)
}
func (h *handle) setPIN(newPIN, oldPIN []byte) int {
	n, o := newSecret(newPIN), newSecret(oldPIN)
	defer n.free()
	defer o.free()
	return int(C.fido_dev_set_pin(h.dev, n.p, o.p))
}

// reset is authenticatorReset; the key waits for a touch.
func (h *handle) reset() int { return int(C.fido_dev_reset(h.dev)) }

// touchBegin asks the key to wait for a touch and do nothing else
// (fido_dev_get_touch_begin: a request with an empty pinUvAuthParam, CTAP
// 2.1 §6.1.2 step 1).
func (h *handle) touchBegin() int { return int(C.fido_dev_get_touch_begin(h.dev)) }

// touchStatus waits at most ms for the answer to touchBegin; touched is
// true once the key was touched.
func (h *handle) touchStatus(ms int) (touched bool, rc int) {
	var t C.int
	rc = int(C.fido_dev_get_touch_status(h.dev, &t, C.int(ms)))
	return t != 0, rc
}

// credMetadata is credential management getCredsMetadata. pin nil lets
// libfido2 use the key's built-in UV.
func (h *handle) credMetadata(pin []byte) (existing, remaining int, rc int) {
	m := C.fido_credman_metadata_new()
	if m == nil {
		return 0, 0, codeInternal
	}
	defer C.fido_credman_metadata_free(&m)
	s := newSecret(pin)
	defer s.free()
	if rc := C.fido_credman_get_dev_metadata(h.dev, m, s.p); rc != C.FIDO_OK {
		return 0, 0, int(rc)
	}
	return int(C.fido_credman_rk_existing(m)), int(C.fido_credman_rk_remaining(m)), codeOK
}

// credRPs is credential management enumerateRPs.
func (h *handle) credRPs(pin []byte) ([]fido.StoredRP, int) {
	rp := C.fido_credman_rp_new()
	if rp == nil {
		return nil, codeInternal
	}
	defer C.fido_credman_rp_free(&rp)
	s := newSecret(pin)
	defer s.free()
	if rc := C.fido_credman_get_dev_rp(h.dev, rp, s.p); rc != C.FIDO_OK {
		return nil, int(rc)
	}
	n := C.fido_credman_rp_count(rp)
	out := make([]fido.StoredRP, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		out = append(out, fido.StoredRP{
			RelyingParty: fido.RelyingParty{ID: goOptString(C.fido_credman_rp_id(rp, i)), Name: goOptString(C.fido_credman_rp_name(rp, i))},
			IDHash:       goBytes(C.fido_credman_rp_id_hash_ptr(rp, i), C.fido_credman_rp_id_hash_len(rp, i)),
		})
	}
	return out, codeOK
}

// credRKs is credential management enumerateCredentials for rpID.
func (h *handle) credRKs(rpID string, pin []byte) ([]fido.StoredCredential, int) {
	rk := C.fido_credman_rk_new()
	if rk == nil {
		return nil, codeInternal
	}
	defer C.fido_credman_rk_free(&rk)
	crp := C.CString(rpID)
	defer C.free(unsafe.Pointer(crp))
	s := newSecret(pin)
	defer s.free()
	if rc := C.fido_credman_get_dev_rk(h.dev, crp, rk, s.p); rc != C.FIDO_OK {
		return nil, int(rc)
	}
	n := C.fido_credman_rk_count(rk)
	out := make([]fido.StoredCredential, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		c := C.fido_credman_rk(rk, i)
		if c == nil {
			return nil, codeInternal
		}
		out = append(out, fido.StoredCredential{
			ID:   goBytes(C.fido_cred_id_ptr(c), C.fido_cred_id_len(c)),
			RPID: rpID,
			User: fido.User{
				ID:          goBytes(C.fido_cred_user_id_ptr(c), C.fido_cred_user_id_len(c)),
				Name:        goOptString(C.fido_cred_user_name(c)),
				DisplayName: goOptString(C.fido_cred_display_name(c)),
			},
			CredProtect: int(C.fido_cred_prot(c)),
		})
	}
	return out, codeOK
}

// credDelete is credential management deleteCredential.
func (h *handle) credDelete(id, pin []byte) int {
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_credman_del_dev_rk(h.dev, bytesPtr(id), C.size_t(len(id)), s.p))
}

// credUpdateUser is credential management updateUserInformation
// (fido_credman_set_dev_rk).
func (h *handle) credUpdateUser(id []byte, user fido.User, pin []byte) int {
	cred := C.fido_cred_new()
	if cred == nil {
		return codeInternal
	}
	defer C.fido_cred_free(&cred)
	name, display := optCString(user.Name), optCString(user.DisplayName)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(display))
	if rc := C.fido_cred_set_id(cred, bytesPtr(id), C.size_t(len(id))); rc != C.FIDO_OK {
		return int(rc)
	}
	if rc := C.fido_cred_set_user(cred, bytesPtr(user.ID), C.size_t(len(user.ID)), name, display, nil); rc != C.FIDO_OK {
		return int(rc)
	}
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_credman_set_dev_rk(h.dev, cred, s.p))
}

// toggleAlwaysUV is authenticatorConfig toggleAlwaysUv.
func (h *handle) toggleAlwaysUV(pin []byte) int {
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_dev_toggle_always_uv(h.dev, s.p))
}

// setPINMinLen is authenticatorConfig setMinPINLength with a new length.
func (h *handle) setPINMinLen(n int, pin []byte) int {
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_dev_set_pin_minlen(h.dev, C.size_t(n), s.p))
}

// forcePINChange is authenticatorConfig setMinPINLength with
// forceChangePin.
func (h *handle) forcePINChange(pin []byte) int {
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_dev_force_pin_change(h.dev, s.p))
}

// bioInfo is getFingerprintSensorInfo.
func (h *handle) bioInfo() (kind, samples int, rc int) {
	i := C.fido_bio_info_new()
	if i == nil {
		return 0, 0, codeInternal
	}
	defer C.fido_bio_info_free(&i)
	if rc := C.fido_bio_dev_get_info(h.dev, i); rc != C.FIDO_OK {
		return 0, 0, int(rc)
	}
	return int(C.fido_bio_info_type(i)), int(C.fido_bio_info_max_samples(i)), codeOK
}

// bioEnroll is a fingerprint enrollment libfido2 keeps: the template (its
// ID once begun) and the enrollment state, which holds the pinUvAuthToken
// enrollBegin got, for the following samples. free releases both.
type bioEnroll struct {
	t *C.fido_bio_template_t
	e *C.fido_bio_enroll_t
}

func (b *bioEnroll) free() {
	if b.t != nil {
		C.fido_bio_template_free(&b.t)
	}
	if b.e != nil {
		C.fido_bio_enroll_free(&b.e)
	}
}

// id is the template ID the key gave.
func (b *bioEnroll) id() []byte {
	return goBytes(C.fido_bio_template_id_ptr(b.t), C.fido_bio_template_id_len(b.t))
}

// step is the last sample's status and the samples still needed.
func (b *bioEnroll) step() fido.EnrollStep {
	return fido.EnrollStep{
		Status:    fido.SampleStatus(C.fido_bio_enroll_last_status(b.e)),
		Remaining: int(C.fido_bio_enroll_remaining_samples(b.e)),
	}
}

// bioEnrollBegin is enrollBegin with its first sample, waited for at most
// timeoutMS; the caller frees the result, also on failure.
func (h *handle) bioEnrollBegin(timeoutMS uint32, pin []byte) (*bioEnroll, int) {
	b := &bioEnroll{t: C.fido_bio_template_new(), e: C.fido_bio_enroll_new()}
	if b.t == nil || b.e == nil {
		return b, codeInternal
	}
	s := newSecret(pin)
	defer s.free()
	return b, int(C.fido_bio_dev_enroll_begin(h.dev, b.t, b.e, C.uint32_t(timeoutMS), s.p))
}

// bioEnrollContinue is enrollCaptureNextSample.
func (h *handle) bioEnrollContinue(b *bioEnroll, timeoutMS uint32) int {
	return int(C.fido_bio_dev_enroll_continue(h.dev, b.t, b.e, C.uint32_t(timeoutMS)))
}

// bioEnrollCancel is cancelCurrentEnrollment.
func (h *handle) bioEnrollCancel() int { return int(C.fido_bio_dev_enroll_cancel(h.dev)) }

// bioTemplates is enumerateEnrollments.
func (h *handle) bioTemplates(pin []byte) ([]fido.Fingerprint, int) {
	ta := C.fido_bio_template_array_new()
	if ta == nil {
		return nil, codeInternal
	}
	defer C.fido_bio_template_array_free(&ta)
	s := newSecret(pin)
	defer s.free()
	if rc := C.fido_bio_dev_get_template_array(h.dev, ta, s.p); rc != C.FIDO_OK {
		return nil, int(rc)
	}
	n := C.fido_bio_template_array_count(ta)
	out := make([]fido.Fingerprint, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		t := C.fido_bio_template(ta, i)
		out = append(out, fido.Fingerprint{
			ID:   goBytes(C.fido_bio_template_id_ptr(t), C.fido_bio_template_id_len(t)),
			Name: goOptString(C.fido_bio_template_name(t)),
		})
	}
	return out, codeOK
}

// template makes a libfido2 template with this ID and, if name is not
// nil, this name; the caller frees it.
func newTemplate(id []byte, name *string) (*C.fido_bio_template_t, int) {
	t := C.fido_bio_template_new()
	if t == nil {
		return nil, codeInternal
	}
	if rc := C.fido_bio_template_set_id(t, bytesPtr(id), C.size_t(len(id))); rc != C.FIDO_OK {
		C.fido_bio_template_free(&t)
		return nil, int(rc)
	}
	if name != nil {
		cname := C.CString(*name)
		defer C.free(unsafe.Pointer(cname))
		if rc := C.fido_bio_template_set_name(t, cname); rc != C.FIDO_OK {
			C.fido_bio_template_free(&t)
			return nil, int(rc)
		}
	}
	return t, codeOK
}

// bioSetName is setFriendlyName.
func (h *handle) bioSetName(id []byte, name string, pin []byte) int {
	t, rc := newTemplate(id, &name)
	if rc != codeOK {
		return rc
	}
	defer C.fido_bio_template_free(&t)
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_bio_dev_set_template_name(h.dev, t, s.p))
}

// bioRemove is removeEnrollment.
func (h *handle) bioRemove(id []byte, pin []byte) int {
	t, rc := newTemplate(id, nil)
	if rc != codeOK {
		return rc
	}
	defer C.fido_bio_template_free(&t)
	s := newSecret(pin)
	defer s.free()
	return int(C.fido_bio_dev_enroll_remove(h.dev, t, s.p))
}

// goOptString is C.GoString, "" for NULL.
func goOptString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// info is authenticatorGetInfo.
func (h *handle) info() (*fido.Info, int) {
	ci := C.fido_cbor_info_new()
	if ci == nil {
		return nil, codeInternal
	}
	defer C.fido_cbor_info_free(&ci)
	if rc := C.fido_dev_get_cbor_info(h.dev, ci); rc != C.FIDO_OK {
		return nil, int(rc)
	}
	info := &fido.Info{
		Versions:              goStrings(C.fido_cbor_info_versions_ptr(ci), C.fido_cbor_info_versions_len(ci)),
		Extensions:            goStrings(C.fido_cbor_info_extensions_ptr(ci), C.fido_cbor_info_extensions_len(ci)),
		Options:               map[string]bool{},
		MaxMsgSize:            int(C.fido_cbor_info_maxmsgsiz(ci)),
		MaxCredsInList:        int(C.fido_cbor_info_maxcredcntlst(ci)),
		MaxCredIDLength:       int(C.fido_cbor_info_maxcredidlen(ci)),
		Transports:            goStrings(C.fido_cbor_info_transports_ptr(ci), C.fido_cbor_info_transports_len(ci)),
		MinPINLength:          int(C.fido_cbor_info_minpinlen(ci)),
		FirmwareVersion:       uint64(C.fido_cbor_info_fwversion(ci)),
		RemainingDiscoverable: int(C.fido_cbor_info_rk_remaining(ci)),
		ForcePINChange:        bool(C.fido_cbor_info_new_pin_required(ci)),
	}
	copy(info.AAGUID[:], goBytes(C.fido_cbor_info_aaguid_ptr(ci), C.fido_cbor_info_aaguid_len(ci)))
	if n := C.fido_cbor_info_options_len(ci); n > 0 {
		names := goStrings(C.fido_cbor_info_options_name_ptr(ci), n)
		values := unsafe.Slice(C.fido_cbor_info_options_value_ptr(ci), int(n))
		for i, name := range names {
			info.Options[name] = bool(values[i])
		}
	}
	if n := C.fido_cbor_info_protocols_len(ci); n > 0 {
		for _, p := range unsafe.Slice(C.fido_cbor_info_protocols_ptr(ci), int(n)) {
			info.PINProtocols = append(info.PINProtocols, int(p))
		}
	}
	for i := C.size_t(0); i < C.fido_cbor_info_algorithm_count(ci); i++ {
		if C.GoString(C.fido_cbor_info_algorithm_type(ci, i)) == "public-key" {
			info.Algorithms = append(info.Algorithms, int(C.fido_cbor_info_algorithm_cose(ci, i)))
		}
	}
	return info, codeOK
}

// credParams is an authenticatorMakeCredential request as the handle
// sends it: the algorithm chosen, UV by PIN or built in decided.
type credParams struct {
	alg         int
	cdh         []byte
	rp          fido.RelyingParty
	user        fido.User
	exclude     []fido.CredentialDescriptor
	rk          bool
	builtinUV   bool // ask the key's own UV (no PIN)
	credProtect int
}

// makeCred is authenticatorMakeCredential; pin nil sends none. It returns
// the attestation with its format, authenticator data, credential ID,
// signature and leaf certificate, and the raw attStmt for the caller to
// read the algorithm from.
func (h *handle) makeCred(p *credParams, pin []byte) (*fido.Attestation, []byte, int) {
	cred := C.fido_cred_new()
	if cred == nil {
		return nil, nil, codeInternal
	}
	defer C.fido_cred_free(&cred)
	rpID, rpName := C.CString(p.rp.ID), optCString(p.rp.Name)
	defer C.free(unsafe.Pointer(rpID))
	defer C.free(unsafe.Pointer(rpName))
	name, display := optCString(p.user.Name), optCString(p.user.DisplayName)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(display))

	set := []func() C.int{
		func() C.int { return C.fido_cred_set_type(cred, C.int(p.alg)) },
		func() C.int { return C.fido_cred_set_clientdata_hash(cred, bytesPtr(p.cdh), C.size_t(len(p.cdh))) },
		func() C.int { return C.fido_cred_set_rp(cred, rpID, rpName) },
		func() C.int {
			return C.fido_cred_set_user(cred, bytesPtr(p.user.ID), C.size_t(len(p.user.ID)), name, display, nil)
		},
	}
	if p.rk {
		set = append(set, func() C.int { return C.fido_cred_set_rk(cred, C.FIDO_OPT_TRUE) })
	}
	if p.builtinUV {
		set = append(set, func() C.int { return C.fido_cred_set_uv(cred, C.FIDO_OPT_TRUE) })
	}
	if p.credProtect != 0 {
		set = append(set, func() C.int { return C.fido_cred_set_prot(cred, C.int(p.credProtect)) })
	}
	for _, ex := range p.exclude {
		set = append(set, func() C.int { return C.fido_cred_exclude(cred, bytesPtr(ex.ID), C.size_t(len(ex.ID))) })
	}
	for _, f := range set {
		if rc := f(); rc != C.FIDO_OK {
			return nil, nil, int(rc)
		}
	}

	s := newSecret(pin)
	rc := C.fido_dev_make_cred(h.dev, cred, s.p)
	s.free()
	if rc != C.FIDO_OK {
		return nil, nil, int(rc)
	}
	att := &fido.Attestation{
		Format:       C.GoString(C.fido_cred_fmt(cred)),
		AuthData:     goBytes(C.fido_cred_authdata_raw_ptr(cred), C.fido_cred_authdata_raw_len(cred)),
		CredentialID: goBytes(C.fido_cred_id_ptr(cred), C.fido_cred_id_len(cred)),
		Algorithm:    int(C.fido_cred_type(cred)),
		Signature:    goBytes(C.fido_cred_sig_ptr(cred), C.fido_cred_sig_len(cred)),
	}
	if x5c := goBytes(C.fido_cred_x5c_ptr(cred), C.fido_cred_x5c_len(cred)); x5c != nil {
		att.X5C = [][]byte{x5c}
	}
	return att, goBytes(C.fido_cred_attstmt_ptr(cred), C.fido_cred_attstmt_len(cred)), codeOK
}

// assertParams is an authenticatorGetAssertion request as the handle
// sends it.
type assertParams struct {
	rpID      string
	cdh       []byte
	allow     []fido.CredentialDescriptor
	builtinUV bool
	silent    bool // up=false: no touch asked, none given (CTAP 2.1 §6.2.2)
}

// getAssert is authenticatorGetAssertion followed by every
// authenticatorGetNextAssertion (libfido2 collects them). Each assertion's
// authenticator data is returned as the CBOR byte string libfido2 keeps.
func (h *handle) getAssert(p *assertParams, pin []byte) ([]fido.Assertion, [][]byte, int) {
	a := C.fido_assert_new()
	if a == nil {
		return nil, nil, codeInternal
	}
	defer C.fido_assert_free(&a)
	rpID := C.CString(p.rpID)
	defer C.free(unsafe.Pointer(rpID))
	if rc := C.fido_assert_set_rp(a, rpID); rc != C.FIDO_OK {
		return nil, nil, int(rc)
	}
	if rc := C.fido_assert_set_clientdata_hash(a, bytesPtr(p.cdh), C.size_t(len(p.cdh))); rc != C.FIDO_OK {
		return nil, nil, int(rc)
	}
	for _, c := range p.allow {
		if rc := C.fido_assert_allow_cred(a, bytesPtr(c.ID), C.size_t(len(c.ID))); rc != C.FIDO_OK {
			return nil, nil, int(rc)
		}
	}
	if p.builtinUV {
		if rc := C.fido_assert_set_uv(a, C.FIDO_OPT_TRUE); rc != C.FIDO_OK {
			return nil, nil, int(rc)
		}
	}
	if p.silent {
		if rc := C.fido_assert_set_up(a, C.FIDO_OPT_FALSE); rc != C.FIDO_OK {
			return nil, nil, int(rc)
		}
	}
	s := newSecret(pin)
	rc := C.fido_dev_get_assert(h.dev, a, s.p)
	s.free()
	if rc != C.FIDO_OK {
		return nil, nil, int(rc)
	}
	n := C.fido_assert_count(a)
	out := make([]fido.Assertion, 0, int(n))
	cborAuthData := make([][]byte, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		out = append(out, fido.Assertion{
			CredentialID: goBytes(C.fido_assert_id_ptr(a, i), C.fido_assert_id_len(a, i)),
			Signature:    goBytes(C.fido_assert_sig_ptr(a, i), C.fido_assert_sig_len(a, i)),
			User: fido.User{
				ID:          goBytes(C.fido_assert_user_id_ptr(a, i), C.fido_assert_user_id_len(a, i)),
				Name:        C.GoString(C.fido_assert_user_name(a, i)),
				DisplayName: C.GoString(C.fido_assert_user_display_name(a, i)),
			},
		})
		cborAuthData = append(cborAuthData, goBytes(C.fido_assert_authdata_ptr(a, i), C.fido_assert_authdata_len(a, i)))
	}
	return out, cborAuthData, codeOK
}

// testOnlyVerifyCredential checks an attestation with libfido2's own
// fido_cred_verify (x5c present) or fido_cred_verify_self, and returns the
// credential's public key as fido_cred_pubkey_ptr gives it. credProtect
// is the level asked for, 0 for none.
func testOnlyVerifyCredential(rpID string, cdh []byte, att *fido.Attestation, rk, uv bool, credProtect int) ([]byte, error) {
	crp, cfmt := C.CString(rpID), C.CString(att.Format)
	defer C.free(unsafe.Pointer(crp))
	defer C.free(unsafe.Pointer(cfmt))
	var x5c []byte
	if len(att.X5C) > 0 {
		x5c = att.X5C[0]
	}
	var pk [1024]byte
	pkLen := C.size_t(len(pk))
	rc := C.pd_verify_cred(crp, bytesPtr(cdh), C.size_t(len(cdh)), C.int(att.Algorithm), cfmt,
		bytesPtr(att.AuthData), C.size_t(len(att.AuthData)), bytesPtr(att.Signature), C.size_t(len(att.Signature)),
		bytesPtr(x5c), C.size_t(len(x5c)), cBool(rk), cBool(uv), C.int(credProtect), (*C.uchar)(unsafe.Pointer(&pk[0])), &pkLen)
	if err := codeError("verifying a credential", int(rc)); err != nil {
		return nil, err
	}
	return append([]byte(nil), pk[:pkLen]...), nil
}

// testOnlyVerifyAssertion checks an ES256 assertion with libfido2's own
// fido_assert_verify.
func testOnlyVerifyAssertion(rpID string, cdh []byte, a *fido.Assertion, uv bool, pk []byte) error {
	crp := C.CString(rpID)
	defer C.free(unsafe.Pointer(crp))
	rc := C.pd_verify_assert(crp, bytesPtr(cdh), C.size_t(len(cdh)), bytesPtr(a.AuthData), C.size_t(len(a.AuthData)),
		bytesPtr(a.Signature), C.size_t(len(a.Signature)), cBool(uv), bytesPtr(pk), C.size_t(len(pk)))
	return codeError("verifying an assertion", int(rc))
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
