package fido

import "fmt"

// COSE algorithm identifiers (RFC 9053, IANA COSE registry).
const (
	ES256 = -7
	EdDSA = -8
	RS256 = -257
)

// credProtect levels (CTAP 2.1 §12.1).
const (
	CredProtectOptional         = 1 // userVerificationOptional
	CredProtectOptionalWithList = 2 // userVerificationOptionalWithCredentialIDList
	CredProtectRequired         = 3 // userVerificationRequired
)

// AAGUID identifies an authenticator model (WebAuthn §6.5.1).
type AAGUID [16]byte

// String formats the AAGUID as a UUID.
func (a AAGUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", a[0:4], a[4:6], a[6:8], a[8:10], a[10:16])
}

// DeviceInfo is what a Provider lists before a device is opened.
type DeviceInfo struct {
	Path         string // a hidraw path, or sim://NAME for a simulated key
	VendorID     uint16
	ProductID    uint16
	Manufacturer string
	Product      string
	Simulated    bool
}

// Info is authenticatorGetInfo (CTAP 2.1 §6.4).
type Info struct {
	Versions        []string
	Extensions      []string
	AAGUID          AAGUID
	Options         map[string]bool // rk, up, uv, clientPin, credMgmt, alwaysUv, …
	MaxMsgSize      int
	PINProtocols    []int
	MaxCredsInList  int
	MaxCredIDLength int
	Transports      []string
	Algorithms      []int // COSE identifiers, the key's order
	MinPINLength    int
	FirmwareVersion uint64
	// RemainingDiscoverable is how many more discoverable credentials fit;
	// -1 when the key does not say.
	RemainingDiscoverable int
	ForcePINChange        bool
}

// HasOption reports whether the key lists option name as true.
func (i *Info) HasOption(name string) bool { return i.Options[name] }

// PINState is the key's PIN and built-in verification state.
type PINState struct {
	Set       bool
	Retries   int // PIN retries left; -1 when unknown
	UVRetries int // built-in UV retries left; -1 when the key has none
}

// RelyingParty is the site a credential belongs to.
type RelyingParty struct {
	ID   string
	Name string
}

// User is the account a credential is for (WebAuthn §5.4.3).
type User struct {
	ID          []byte
	Name        string
	DisplayName string
}

// CredentialDescriptor names a credential in an allow or exclude list.
type CredentialDescriptor struct {
	ID         []byte
	Transports []string
}

// MakeCredentialRequest is authenticatorMakeCredential (CTAP 2.1 §6.1).
type MakeCredentialRequest struct {
	ClientDataHash   []byte // SHA-256 of clientDataJSON
	RP               RelyingParty
	User             User
	Algorithms       []int // the RP's preference order
	Exclude          []CredentialDescriptor
	ResidentKey      bool
	UserVerification bool // verify the user (PIN or built-in)
	CredProtect      int  // 0: not requested
	// SelfAttestation asks for packed self attestation where the key can
	// choose (soft key only); real keys decide for themselves.
	SelfAttestation bool
}

// Attestation is what authenticatorMakeCredential returns, in the parts an
// attestation object is built from (WebAuthn §6.5).
type Attestation struct {
	Format       string // "packed", "fido-u2f", "none", …
	AuthData     []byte // raw authenticator data
	CredentialID []byte
	Algorithm    int      // attStmt alg
	Signature    []byte   // attStmt sig
	X5C          [][]byte // attStmt x5c, leaf first; empty for self attestation
}

// GetAssertionRequest is authenticatorGetAssertion (CTAP 2.1 §6.2).
type GetAssertionRequest struct {
	RPID             string
	ClientDataHash   []byte
	Allow            []CredentialDescriptor // empty: discoverable
	UserVerification bool
	// Silent asks for no user presence (the "up" option false, §6.2.2):
	// the key answers at once, without a touch, so the assertion proves
	// only that it holds the credential. A client probes a long allow or
	// exclude list this way, batch by batch. fido/libfido2 honours it; a
	// device that cannot answer without its user (fido/platform asks its
	// PIN) ignores it.
	Silent bool
}

// Assertion is one assertion the key returned.
type Assertion struct {
	CredentialID []byte
	AuthData     []byte // raw authenticator data
	Signature    []byte
	User         User // filled for discoverable credentials
}
