//go:build cgo

package libfido2

import (
	"context"
	"errors"
	"fmt"

	"github.com/passkeydesk/passkeydesk/fido"
)

// The device's fido.Manager side: credential management, authenticatorConfig
// and reset. libfido2 1.12 sends credential management as the CTAP 2.1
// preview command 0x41 to every key; later versions send 0x0A to keys that
// list credMgmt. Either way libfido2 gets the pinUvAuthToken itself, from
// the PIN given or, with none, from the key's built-in UV.

var _ fido.Manager = (*device)(nil)

// statusNotAllowed is CTAP2_ERR_NOT_ALLOWED.
const statusNotAllowed = codeNotAllowed

// manage runs one PIN-protected management request: it checks that the key
// lists one of the options (none: no check), then runs f with the PIN (or
// the key's built-in UV) as withPIN does. With auth false the request goes
// without user verification when the key has neither PIN nor UV.
func (d *device) manage(ctx context.Context, op string, p fido.Prompt, options []string, auth bool,
	f func(h *handle, pin []byte) int) error {
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return err
	}
	return d.manageWith(ctx, info, op, p, options, auth, f)
}

func (d *device) manageWith(ctx context.Context, info *fido.Info, op string, p fido.Prompt, options []string, auth bool,
	f func(h *handle, pin []byte) int) error {
	if !hasAnyOption(info, options) {
		return fmt.Errorf("%s: %w", op, fido.ErrUnsupported)
	}
	mode := uvNone
	if auth || info.HasOption("clientPin") || info.HasOption("uv") {
		var err error
		if mode, err = chooseUV(info, true); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return d.withPIN(ctx, op, mode, info, p, nil, f)
}

func hasAnyOption(info *fido.Info, options []string) bool {
	if len(options) == 0 {
		return true
	}
	for _, o := range options {
		if info.HasOption(o) {
			return true
		}
	}
	return false
}

var credMgmtOptions = []string{"credMgmt", "credentialMgmtPreview"}

// CredentialsMetadata is getCredsMetadata (CTAP 2.1 §6.8.2).
func (d *device) CredentialsMetadata(ctx context.Context, p fido.Prompt) (existing, remaining int, err error) {
	err = d.manage(ctx, "credential metadata", p, credMgmtOptions, true, func(h *handle, pin []byte) (rc int) {
		existing, remaining, rc = h.credMetadata(pin)
		return rc
	})
	return existing, remaining, err
}

// RelyingParties is enumerateRPs (§6.8.3); a key with none gives an
// empty list.
func (d *device) RelyingParties(ctx context.Context, p fido.Prompt) ([]fido.StoredRP, error) {
	var rps []fido.StoredRP
	err := d.manage(ctx, "list sites", p, credMgmtOptions, true, func(h *handle, pin []byte) (rc int) {
		rps, rc = h.credRPs(pin)
		return rc
	})
	if errors.Is(err, fido.ErrNoCredentials) {
		return []fido.StoredRP{}, nil
	}
	return rps, err
}

// Credentials is enumerateCredentials (§6.8.4) for one RP ID; none is an
// empty list.
func (d *device) Credentials(ctx context.Context, rpID string, p fido.Prompt) ([]fido.StoredCredential, error) {
	if rpID == "" {
		return nil, fmt.Errorf("list passkeys: no RP ID: %w", fido.ErrUnsupported)
	}
	var creds []fido.StoredCredential
	err := d.manage(ctx, "list passkeys", p, credMgmtOptions, true, func(h *handle, pin []byte) (rc int) {
		creds, rc = h.credRKs(rpID, pin)
		return rc
	})
	if errors.Is(err, fido.ErrNoCredentials) {
		return []fido.StoredCredential{}, nil
	}
	return creds, err
}

// DeleteCredential is deleteCredential (§6.8.5).
func (d *device) DeleteCredential(ctx context.Context, id []byte, p fido.Prompt) error {
	if len(id) == 0 {
		return fmt.Errorf("delete passkey: no credential ID: %w", fido.ErrNoCredentials)
	}
	return d.manage(ctx, "delete passkey", p, credMgmtOptions, true, func(h *handle, pin []byte) int {
		return h.credDelete(id, pin)
	})
}

// UpdateUser is updateUserInformation (§6.8.6), through
// fido_credman_set_dev_rk.
func (d *device) UpdateUser(ctx context.Context, id []byte, user fido.User, p fido.Prompt) error {
	if len(id) == 0 || len(user.ID) == 0 {
		return fmt.Errorf("update passkey user: a credential ID and a user ID are needed: %w", fido.ErrUnsupported)
	}
	return d.manage(ctx, "update passkey user", p, credMgmtOptions, true, func(h *handle, pin []byte) int {
		return h.credUpdateUser(id, user, pin)
	})
}

// SetAlwaysUV is toggleAlwaysUv (§6.11.2), sent only when the key's
// alwaysUv differs from on.
func (d *device) SetAlwaysUV(ctx context.Context, on bool, p fido.Prompt) error {
	const op = "set always-UV"
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return err
	}
	if _, ok := info.Options["alwaysUv"]; !ok || !info.HasOption("authnrCfg") {
		return fmt.Errorf("%s: %w", op, fido.ErrUnsupported)
	}
	if info.HasOption("alwaysUv") == on {
		return nil
	}
	return d.manageWith(ctx, info, op, p, nil, false, func(h *handle, pin []byte) int { return h.toggleAlwaysUV(pin) })
}

// SetMinPINLength is setMinPINLength (§6.11.4): a new minimum n (0 keeps
// it) and, with forceChange, forceChangePin. libfido2 sends these as two
// requests; when the new minimum already forced a change (the PIN is
// shorter), the second is not sent, since the key gives no token until
// the PIN is changed.
func (d *device) SetMinPINLength(ctx context.Context, n int, forceChange bool, p fido.Prompt) error {
	const op = "set minimum PIN length"
	if n < 0 || n > 63 {
		return fmt.Errorf("%s: %d: %w", op, n, fido.ErrPINPolicy)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return err
	}
	if !info.HasOption("authnrCfg") || !info.HasOption("setMinPINLength") {
		return fmt.Errorf("%s: %w", op, fido.ErrUnsupported)
	}
	if n > 0 {
		err := d.manageWith(ctx, info, op, p, nil, false, func(h *handle, pin []byte) int { return h.setPINMinLen(n, pin) })
		if err != nil || !forceChange {
			return err
		}
		if info, err = d.info(ctx); err != nil {
			return err
		}
		if info.ForcePINChange {
			return nil
		}
	}
	if !forceChange {
		return nil
	}
	return d.manageWith(ctx, info, "force PIN change", p, nil, true, func(h *handle, pin []byte) int { return h.forcePINChange(pin) })
}

// Reset is authenticatorReset (§6.6). Touch as for MakeCredential.
func (d *device) Reset(ctx context.Context, p fido.Prompt) error {
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	err = d.call(ctx, "reset", touchOnce(p), func(h *handle) int { return h.reset() })
	var de *fido.DeviceError
	if errors.As(err, &de) && de.Status == statusNotAllowed {
		return fmt.Errorf("reset: %w", fido.ErrResetTooLate)
	}
	return err
}
