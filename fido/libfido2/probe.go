//go:build cgo

package libfido2

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Holds implements fido.Manager with a silent getAssertion (up=false).
func (d *device) Holds(ctx context.Context, rpID string, id []byte, p fido.Prompt) (bool, error) {
	if rpID == "" || len(id) == 0 {
		return false, fmt.Errorf("probe for a passkey: an RP ID and a credential ID are needed: %w", fido.ErrUnsupported)
	}
	ctx, end, err := d.begin(ctx)
	if err != nil {
		return false, err
	}
	defer end()
	info, err := d.info(ctx)
	if err != nil {
		return false, err
	}
	mode := uvNone
	if p.PIN != nil && info.HasOption("clientPin") {
		mode = uvPIN
	}
	cdh := make([]byte, 32)
	rand.Read(cdh)
	params := &assertParams{rpID: rpID, cdh: cdh, allow: []fido.CredentialDescriptor{{ID: id}}, silent: true}
	var got []fido.Assertion
	err = d.withPIN(ctx, "probe for a passkey", mode, info, p, nil, func(h *handle, pin []byte) (rc int) {
		got, _, rc = h.getAssert(params, pin)
		return rc
	})
	switch {
	case errors.Is(err, fido.ErrNoCredentials):
		return false, nil
	case err != nil:
		return false, err
	}
	return len(got) > 0, nil
}
