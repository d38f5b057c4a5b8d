package softkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

const (
	stateVersion  = 1
	handleLength  = 16
	credIDLength  = handleLength + 32
	maxPINRetries = 8
	maxUVRetries  = 5
)

// state is what the key keeps across power cycles, and what its state
// file holds (JSON; byte slices in base64). Private keys are PKCS#8 DER.
type state struct {
	Version         int
	AAGUID          fido.AAGUID
	Handle          []byte // starts every credential ID this key makes
	AttestationKey  []byte
	AttestationCert []byte
	PINHash         []byte // LEFT(SHA-256(PIN), 16); nil when no PIN is set
	PINRetries      int
	SignCount       uint32
	Credentials     []*credential

	// authenticatorConfig and built-in UV (absent in older state files,
	// whose zero values mean the defaults).
	PINLength      int  `json:",omitempty"` // code points of the PIN; 0 when unknown
	MinPINLength   int  `json:",omitempty"` // 0: the default minPINLength
	ForcePINChange bool `json:",omitempty"`
	AlwaysUV       bool `json:",omitempty"`
	UVFailures     int  `json:",omitempty"` // built-in UV retries used up

	// Templates are the enrolled fingerprints (Options.Fingerprint).
	Templates []*template `json:",omitempty"`
}

// minPINLength is the current minimum PIN length in code points.
func (st *state) minPINLength() int {
	return max(st.MinPINLength, minPINLength)
}

// uvRetries is how many built-in UV attempts are left.
func (st *state) uvRetries() int {
	return max(maxUVRetries-st.UVFailures, 0)
}

// credential is one credential the key made.
type credential struct {
	ID           []byte
	RPID         string
	RPName       string `json:",omitempty"`
	UserID       []byte
	UserName     string `json:",omitempty"`
	DisplayName  string `json:",omitempty"`
	Key          []byte
	Discoverable bool
	CredProtect  int `json:",omitempty"`
	Created      time.Time
}

func newState(aaguid fido.AAGUID) (*state, error) {
	priv, cert, err := newAttestation(aaguid)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &state{
		Version:         stateVersion,
		AAGUID:          aaguid,
		Handle:          random(handleLength),
		AttestationKey:  der,
		AttestationCert: cert,
		PINRetries:      maxPINRetries,
	}, nil
}

// loadState reads a state file; nil, nil when there is none.
func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("softkey: loading state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("softkey: loading state %s: %w", path, err)
	}
	if st.Version != stateVersion || len(st.Handle) != handleLength || st.PINRetries < 0 || st.PINRetries > maxPINRetries {
		return nil, fmt.Errorf("softkey: loading state %s: not a version %d soft key state", path, stateVersion)
	}
	if _, err := parseKey(st.AttestationKey); err != nil {
		return nil, fmt.Errorf("softkey: loading state %s: attestation key: %w", path, err)
	}
	return &st, nil
}

// save writes the state to path atomically, readable by the owner only.
func (st *state) save(path string) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return fmt.Errorf("softkey: saving state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".softkey-*")
	if err != nil {
		return fmt.Errorf("softkey: saving state: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("softkey: saving state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("softkey: saving state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("softkey: saving state: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("softkey: saving state: %w", err)
	}
	return nil
}

// newCredential makes an ES256 credential; its ID is the key's handle
// followed by 32 random bytes.
func newCredential(handle []byte, rp rpEntity, user userEntity, discoverable bool, protect int) (*credential, *ecdsa.PublicKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return &credential{
		ID:           append(bytes.Clone(handle), random(credIDLength-handleLength)...),
		RPID:         rp.ID,
		RPName:       rp.Name,
		UserID:       user.ID,
		UserName:     user.Name,
		DisplayName:  user.DisplayName,
		Key:          der,
		Discoverable: discoverable,
		CredProtect:  protect,
		Created:      time.Now().UTC(),
	}, &priv.PublicKey, nil
}

func (c *credential) sign(msg []byte) ([]byte, error) {
	priv, err := parseKey(c.Key)
	if err != nil {
		return nil, err
	}
	return signES256(priv, msg)
}

// find returns the credential with this ID, or nil.
func (st *state) find(id []byte) *credential {
	for _, c := range st.Credentials {
		if bytes.Equal(c.ID, id) {
			return c
		}
	}
	return nil
}

// findUser returns the index of the discoverable credential for this RP
// and user, or -1.
func (st *state) findUser(rpID string, userID []byte) int {
	return slices.IndexFunc(st.Credentials, func(c *credential) bool {
		return c.Discoverable && c.RPID == rpID && bytes.Equal(c.UserID, userID)
	})
}

func (st *state) discoverableCount() int {
	n := 0
	for _, c := range st.Credentials {
		if c.Discoverable {
			n++
		}
	}
	return n
}

// applicable lists the credentials an assertion for rpID may use (CTAP 2.1
// §6.2.2 step 7): from the allow list, the first that matches; without
// one, every discoverable credential, newest first. credProtect (§12.1)
// hides credentials that need user verification when uv is false.
func (st *state) applicable(rpID string, allow []credDescriptor, uv bool) []*credential {
	usable := func(c *credential, listed bool) bool {
		switch c.CredProtect {
		case fido.CredProtectRequired:
			return uv
		case fido.CredProtectOptionalWithList:
			return uv || listed
		}
		return true
	}
	if len(allow) > 0 {
		for _, d := range allow {
			if c := st.find(d.ID); c != nil && c.RPID == rpID && usable(c, true) {
				return []*credential{c}
			}
		}
		return nil
	}
	var found []*credential
	for i := len(st.Credentials) - 1; i >= 0; i-- {
		if c := st.Credentials[i]; c.Discoverable && c.RPID == rpID && usable(c, false) {
			found = append(found, c)
		}
	}
	return found
}
