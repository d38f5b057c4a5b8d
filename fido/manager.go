package fido

import "context"

// Manager is what a device-management screen needs beyond Device: the
// passkeys stored on a key (credential management, CTAP 2.1 §6.8), the
// key's policy (authenticatorConfig, §6.11) and reset (§6.6). It is a
// separate interface so that Device stays as it is; a device that can do
// this implements both, and callers find out with a type assertion:
//
//	if m, ok := dev.(fido.Manager); ok { … }
//
// Fingerprints on a key with a sensor are a third interface, BioManager
// (bio.go), found the same way.
//
// Errors: as for Device. A key that lacks the feature (no credMgmt, no
// authnrCfg in its getInfo options) gives ErrUnsupported; a key without a
// PIN or built-in verification gives ErrPINNotSet for the operations that
// need one; a wrong PIN is asked again through p.PIN, as for Device, and
// ends in *PINError or ErrPINBlocked. A PIN the key refuses because a
// change is forced gives ErrPINPolicy.
type Manager interface {
	// CredentialsMetadata returns how many discoverable credentials the
	// key holds and how many more fit.
	CredentialsMetadata(ctx context.Context, p Prompt) (existing, remaining int, err error)
	// RelyingParties lists the sites the key holds discoverable
	// credentials for; none is an empty list, not an error.
	RelyingParties(ctx context.Context, p Prompt) ([]StoredRP, error)
	// Credentials lists the discoverable credentials for one RP ID; none
	// is an empty list.
	Credentials(ctx context.Context, rpID string, p Prompt) ([]StoredCredential, error)
	// Holds reports whether the key holds the credential with this ID for
	// rpID, discoverable or not, without a touch: a getAssertion with
	// up=false and the credential alone in the allow list, which a key
	// answers with NO_CREDENTIALS when it does not hold it (CTAP 2.1
	// §6.2.2). Nothing is signed for anyone: the client data hash is
	// random. With p.PIN the probe is made with the PIN, so a credential
	// that needs verification (credProtect 3) is found too.
	Holds(ctx context.Context, rpID string, id []byte, p Prompt) (bool, error)
	// DeleteCredential deletes the discoverable credential with this ID;
	// ErrNoCredentials when the key has none such.
	DeleteCredential(ctx context.Context, id []byte, p Prompt) error
	// UpdateUser replaces the user name and display name of a stored
	// credential (updateUserInformation). user.ID must be the credential's
	// user ID.
	UpdateUser(ctx context.Context, id []byte, user User, p Prompt) error
	// SetAlwaysUV turns the key's alwaysUv option on or off (nothing is
	// sent when it already is).
	SetAlwaysUV(ctx context.Context, on bool, p Prompt) error
	// SetMinPINLength raises the key's minimum PIN length to n (0: keep
	// it) and, with forceChange, makes the PIN unusable until it is
	// changed. ErrPINPolicy when n is below the current minimum.
	SetMinPINLength(ctx context.Context, n int, forceChange bool, p Prompt) error
	// WaitTouch makes the key wait for a touch that does nothing but pick
	// it, and returns nil once it is touched: a screen asks every key
	// plugged in at once and manages the one touched. ErrCanceled when ctx
	// ends or Cancel is called (the key stops waiting), ErrTimeout when
	// the key gives up waiting, ErrKeyRemoved when it is pulled out.
	WaitTouch(ctx context.Context) error
	// Reset deletes every credential and the PIN. Keys allow it only
	// shortly after being plugged in (ErrResetTooLate otherwise) and only
	// with a touch (p.Touch is called when the key waits for it; ErrDenied
	// or ErrTimeout without one).
	Reset(ctx context.Context, p Prompt) error
}

// StoredRP is a relying party as a key's credential management lists it.
type StoredRP struct {
	RelyingParty
	IDHash []byte // SHA-256 of the RP ID, as the key reports it
}

// StoredCredential is a discoverable credential as a key's credential
// management lists it.
type StoredCredential struct {
	ID          []byte
	RPID        string
	User        User
	CredProtect int // credProtect level, 0 when the key does not say
}
