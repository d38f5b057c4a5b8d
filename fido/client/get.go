package client

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Candidate is one assertion a key gave, as the AuthenticationResponseJSON
// a browser would send, with the account it is for. A key holding several
// accounts for the relying party gives several candidates to a
// discoverable request; the user picks one, as in a browser's account
// chooser, and only that one goes to the relying party.
type Candidate struct {
	CredentialID []byte
	// User is the account the key stored with the credential (WebAuthn
	// §5.4.3). Its ID is empty when the key did not say, as keys may for
	// a request with an allow list.
	User fido.User
	// Credential is the AuthenticationResponseJSON to send.
	Credential json.RawMessage
}

// authenticationResponseJSON is AuthenticationResponseJSON (WebAuthn §5.1,
// PublicKeyCredential.toJSON), members in the order browsers emit them.
type authenticationResponseJSON struct {
	ID                      string                `json:"id"`
	RawID                   string                `json:"rawId"`
	Response                assertionResponseJSON `json:"response"`
	AuthenticatorAttachment string                `json:"authenticatorAttachment"`
	ClientExtensionResults  struct{}              `json:"clientExtensionResults"`
	Type                    string                `json:"type"`
}

// assertionResponseJSON is AuthenticatorAssertionResponseJSON (WebAuthn
// §5.2.2).
type assertionResponseJSON struct {
	ClientDataJSON    string `json:"clientDataJSON"`
	AuthenticatorData string `json:"authenticatorData"`
	Signature         string `json:"signature"`
	UserHandle        string `json:"userHandle,omitempty"`
}

// Get runs navigator.credentials.get (WebAuthn §5.1.4) with dev as the
// only authenticator: it parses the request options (see
// ParseRequestOptions), builds and hashes the client data, asks dev for
// assertions (CTAP 2.1 §6.2, with §6.3 authenticatorGetNextAssertion
// behind it) and returns every one the key gave, each as the
// AuthenticationResponseJSON a browser would send.
//
// allowCredentials goes to the key as the allow list (empty: discoverable
// credentials), without the IDs longer than the key's
// maxCredentialIdLength, and in batches when it is longer than the key
// takes (see batches); userVerification "required", or "preferred" on a
// key with a PIN or built-in verification, asks the key to verify its
// user.
func (c *Client) Get(ctx context.Context, dev fido.Device, optionsJSON []byte, p fido.Prompt) ([]Candidate, error) {
	o, err := c.ParseRequestOptions(optionsJSON)
	if err != nil {
		return nil, err
	}
	info, err := dev.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: reading the key's info: %w", err)
	}
	req := &fido.GetAssertionRequest{RPID: o.RPID}
	switch o.UserVerification {
	case Required:
		if !offersVerification(info) {
			return nil, fmt.Errorf("client: the key has neither a PIN nor built-in verification: %w", fido.ErrUnsupported)
		}
		req.UserVerification = true
	case Preferred:
		req.UserVerification = canVerify(info)
	}
	clientData := clientDataJSON(typeGet, o.Challenge, c.origin)
	hash := sha256.Sum256(clientData)
	req.ClientDataHash = hash[:]

	tctx, cancel, timedOut := withTimeout(ctx, o.Timeout)
	defer cancel()
	allow := usable(o.Allow, info)
	if len(o.Allow) > 0 && len(allow) == 0 {
		// None can be the key's; an empty list would ask for any.
		return nil, fmt.Errorf("client: getting an assertion: %w", fido.ErrNoCredentials)
	}
	if bs := batches(allow, info, req.EncodedSize()); len(bs) == 1 {
		req.Allow = bs[0]
	} else {
		// Longer than the key takes: probe it batch by batch, and ask
		// for the assertion with the credential it holds alone.
		var forget func()
		p, forget = askOnce(p)
		defer forget()
		hit, err := probe(tctx, dev, req.RPID, bs, probeUV(req.UserVerification, info), p)
		if err != nil {
			return nil, fmt.Errorf("client: getting an assertion: %w", timedOut(err))
		}
		if hit == nil {
			return nil, fmt.Errorf("client: getting an assertion: %w", fido.ErrNoCredentials)
		}
		req.Allow = []fido.CredentialDescriptor{*hit}
	}
	assertions, err := dev.GetAssertion(tctx, req, p)
	if err != nil {
		return nil, fmt.Errorf("client: getting an assertion: %w", timedOut(err))
	}
	if len(assertions) == 0 {
		return nil, fmt.Errorf("client: getting an assertion: %w", fido.ErrNoCredentials)
	}
	out := make([]Candidate, 0, len(assertions))
	for _, a := range assertions {
		id := a.CredentialID
		if len(id) == 0 && len(req.Allow) == 1 {
			// CTAP 2.1 §6.2.2: the key may leave out the credential
			// when the allow list named exactly one.
			id = req.Allow[0].ID
		}
		if len(id) == 0 {
			return nil, fmt.Errorf("client: the key returned an assertion without its credential ID")
		}
		if len(a.AuthData) < 37 || len(a.Signature) == 0 {
			return nil, fmt.Errorf("%w: assertion of %d bytes, signature of %d", errAuthData, len(a.AuthData), len(a.Signature))
		}
		resp := authenticationResponseJSON{
			ID:    b64url.EncodeToString(id),
			RawID: b64url.EncodeToString(id),
			Response: assertionResponseJSON{
				ClientDataJSON:    b64url.EncodeToString(clientData),
				AuthenticatorData: b64url.EncodeToString(a.AuthData),
				Signature:         b64url.EncodeToString(a.Signature),
				UserHandle:        b64url.EncodeToString(a.User.ID),
			},
			AuthenticatorAttachment: keyAttachment(info),
			Type:                    "public-key",
		}
		raw, err := json.Marshal(resp)
		if err != nil {
			return nil, err
		}
		out = append(out, Candidate{CredentialID: id, User: a.User, Credential: raw})
	}
	return out, nil
}
