package client_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
)

// memDevice is a small in-memory fido.Device: ES256 credentials with
// packed self attestation (WebAuthn §8.2), an optional PIN, and knobs for
// errors. It exists because the real key stack (fido/libfido2 over
// fido/softkey) lands separately; the end-to-end test through real
// libfido2 and the soft key is in libfido2_test.go here and in
// fido/libfido2's own tests. It checks what the client sends it, so the
// tests can see the CTAP request a set of options became.
type memDevice struct {
	mu      sync.Mutex
	info    fido.Info
	pin     []byte // nil: no PIN set
	creds   []*memCred
	counter uint32

	makeErr error // returned by MakeCredential when set
	getErr  error // returned by GetAssertion when set

	lastMake *fido.MakeCredentialRequest
	lastGet  *fido.GetAssertionRequest
	touches  int
}

type memCred struct {
	id           []byte
	key          *ecdsa.PrivateKey
	rpID         string
	user         fido.User
	discoverable bool
}

var memAAGUID = fido.AAGUID{0x6d, 0x65, 0x6d, 0x2d, 0x64, 0x65, 0x76, 0x69, 0x63, 0x65, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x21}

func newMemDevice() *memDevice {
	return &memDevice{info: fido.Info{
		Versions:              []string{"FIDO_2_0", "FIDO_2_1"},
		Extensions:            []string{"credProtect"},
		AAGUID:                memAAGUID,
		Options:               map[string]bool{"rk": true, "up": true, "clientPin": false},
		PINProtocols:          []int{2, 1},
		Transports:            []string{"usb"},
		Algorithms:            []int{fido.ES256},
		MinPINLength:          4,
		RemainingDiscoverable: 25,
	}}
}

func (d *memDevice) Path() string { return "mem://test" }

func (d *memDevice) Info(ctx context.Context) (*fido.Info, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	info := d.info
	info.Options = map[string]bool{}
	for k, v := range d.info.Options {
		info.Options[k] = v
	}
	if _, ok := info.Options["clientPin"]; ok {
		info.Options["clientPin"] = d.pin != nil
	}
	return &info, nil
}

// verify asks for the PIN as a libfido2 device would.
func (d *memDevice) verify(ctx context.Context, p fido.Prompt) error {
	if d.pin == nil {
		return fido.ErrPINNotSet
	}
	if p.PIN == nil {
		return fido.ErrPINRequired
	}
	pin, err := p.PIN(ctx, fido.PINRequest{Retries: 8, MinLength: 4})
	if err != nil {
		return err
	}
	defer clear(pin)
	if !bytes.Equal(pin, d.pin) {
		return &fido.PINError{Retries: 7}
	}
	return nil
}

func (d *memDevice) MakeCredential(ctx context.Context, req *fido.MakeCredentialRequest, p fido.Prompt) (*fido.Attestation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastMake = req
	if d.makeErr != nil {
		return nil, d.makeErr
	}
	for _, ex := range req.Exclude {
		for _, c := range d.creds {
			if c.rpID == req.RP.ID && bytes.Equal(c.id, ex.ID) {
				return nil, fido.ErrCredentialExcluded
			}
		}
	}
	if !slices.Contains(req.Algorithms, fido.ES256) {
		return nil, &fido.DeviceError{Op: "make credential", Status: 0x26} // CTAP2_ERR_UNSUPPORTED_ALGORITHM
	}
	if req.UserVerification {
		if err := d.verify(ctx, p); err != nil {
			return nil, err
		}
	}
	if p.Touch != nil {
		p.Touch()
	}
	d.touches++
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c := &memCred{id: make([]byte, 48), key: key, rpID: req.RP.ID, user: req.User, discoverable: req.ResidentKey}
	rand.Read(c.id)
	if req.ResidentKey { // a key keeps one discoverable credential per RP and user
		d.creds = slices.DeleteFunc(d.creds, func(o *memCred) bool {
			return o.discoverable && o.rpID == c.rpID && bytes.Equal(o.user.ID, c.user.ID)
		})
	}
	d.creds = append(d.creds, c)

	authData := d.authData(c.rpID, flagsFor(req.UserVerification)|0x40)
	authData = append(authData, d.info.AAGUID[:]...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(c.id)))
	authData = append(authData, c.id...)
	point, err := key.PublicKey.Bytes() // 0x04 ‖ x ‖ y
	if err != nil {
		return nil, err
	}
	coseKey, err := cbor.Marshal(map[int]any{
		1: 2, 3: fido.ES256, -1: 1, // kty EC2, alg ES256, crv P-256
		-2: point[1:33],
		-3: point[33:65],
	})
	if err != nil {
		return nil, err
	}
	authData = append(authData, coseKey...)
	sig, err := sign(key, authData, req.ClientDataHash)
	if err != nil {
		return nil, err
	}
	return &fido.Attestation{
		Format:       "packed",
		AuthData:     authData,
		CredentialID: c.id,
		Algorithm:    fido.ES256,
		Signature:    sig,
	}, nil
}

func (d *memDevice) GetAssertion(ctx context.Context, req *fido.GetAssertionRequest, p fido.Prompt) ([]fido.Assertion, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastGet = req
	if d.getErr != nil {
		return nil, d.getErr
	}
	var found []*memCred
	for _, c := range d.creds {
		if c.rpID != req.RPID {
			continue
		}
		if len(req.Allow) == 0 && c.discoverable {
			found = append(found, c)
		}
		for _, a := range req.Allow {
			if bytes.Equal(a.ID, c.id) {
				found = append(found, c)
			}
		}
	}
	if len(found) == 0 {
		return nil, fido.ErrNoCredentials
	}
	if req.UserVerification {
		if err := d.verify(ctx, p); err != nil {
			return nil, err
		}
	}
	if p.Touch != nil {
		p.Touch()
	}
	d.touches++
	if len(req.Allow) > 0 {
		found = found[:1] // CTAP 2.1 §6.2.2: one assertion for an allow list
	}
	var out []fido.Assertion
	for _, c := range found {
		authData := d.authData(c.rpID, flagsFor(req.UserVerification))
		sig, err := sign(c.key, authData, req.ClientDataHash)
		if err != nil {
			return nil, err
		}
		a := fido.Assertion{CredentialID: c.id, AuthData: authData, Signature: sig}
		if c.discoverable {
			a.User = c.user
		}
		out = append(out, a)
	}
	return out, nil
}

func flagsFor(uv bool) byte {
	if uv {
		return 0x05 // UP, UV
	}
	return 0x01
}

func (d *memDevice) authData(rpID string, flags byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	d.counter++
	return binary.BigEndian.AppendUint32(append(h[:], flags), d.counter)
}

func sign(key *ecdsa.PrivateKey, authData, clientDataHash []byte) ([]byte, error) {
	digest := sha256.Sum256(append(bytes.Clone(authData), clientDataHash...))
	return ecdsa.SignASN1(rand.Reader, key, digest[:])
}

func (d *memDevice) PINState(ctx context.Context) (fido.PINState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fido.PINState{Set: d.pin != nil, Retries: 8, UVRetries: -1}, nil
}

func (d *memDevice) SetPIN(ctx context.Context, pin []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(pin) < 4 {
		return fido.ErrPINPolicy
	}
	d.pin = bytes.Clone(pin)
	return nil
}

func (d *memDevice) ChangePIN(ctx context.Context, old, new []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !bytes.Equal(old, d.pin) {
		return &fido.PINError{Retries: 7}
	}
	d.pin = bytes.Clone(new)
	return nil
}

func (d *memDevice) Cancel() error { return nil }
func (d *memDevice) Close() error  { return nil }

// pinPrompt answers PIN requests with pin and counts the calls.
type pinPrompt struct {
	pin            string
	asked, touched int
}

func (pp *pinPrompt) prompt() fido.Prompt {
	return fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			pp.asked++
			return []byte(pp.pin), nil
		},
		Touch: func() { pp.touched++ },
	}
}
