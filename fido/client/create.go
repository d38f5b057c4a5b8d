package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/passkeydesk/passkeydesk/fido"
)

// registrationResponseJSON is RegistrationResponseJSON (WebAuthn §5.1,
// PublicKeyCredential.toJSON), members in the order browsers emit them.
type registrationResponseJSON struct {
	ID                      string                  `json:"id"`
	RawID                   string                  `json:"rawId"`
	Response                attestationResponseJSON `json:"response"`
	AuthenticatorAttachment string                  `json:"authenticatorAttachment"`
	ClientExtensionResults  extensionResultsJSON    `json:"clientExtensionResults"`
	Type                    string                  `json:"type"`
}

// attestationResponseJSON is AuthenticatorAttestationResponseJSON
// (WebAuthn §5.2.1.1).
type attestationResponseJSON struct {
	ClientDataJSON     string   `json:"clientDataJSON"`
	AuthenticatorData  string   `json:"authenticatorData"`
	Transports         []string `json:"transports"`
	PublicKey          string   `json:"publicKey,omitempty"`
	PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
	AttestationObject  string   `json:"attestationObject"`
}

// extensionResultsJSON is AuthenticationExtensionsClientOutputsJSON; only
// credProps (WebAuthn §10.1.3) has a client output here.
type extensionResultsJSON struct {
	CredProps *credPropsJSON `json:"credProps,omitempty"`
}

type credPropsJSON struct {
	RK bool `json:"rk"`
}

var b64url = base64.RawURLEncoding

// Create runs navigator.credentials.create (WebAuthn §5.1.3) with dev as
// the only authenticator: it parses the creation options (see
// ParseCreationOptions), builds and hashes the client data, asks dev for a
// credential (CTAP 2.1 §6.1) and returns the RegistrationResponseJSON a
// browser would send to the relying party.
//
// The options map to the request as a browser maps them: rp and user as
// given; excludeCredentials without the IDs longer than the key's
// maxCredentialIdLength, and probed in batches when it is longer than the
// key takes (see batches); pubKeyCredParams as the algorithm list in
// the RP's order; residentKey "required" (or "preferred" on a key that
// can store one) as a discoverable credential; userVerification
// "required" (or "preferred" on a key with a PIN or built-in
// verification) as user verification; the credProtect extension when the
// key has it. With attestation "none" the statement is dropped and the
// AAGUID zeroed (§5.4.7), as browsers do; "indirect", "direct" and
// "enterprise" keep what the key made.
//
// The key's attachment (response.authenticatorAttachment) is "platform"
// when its getInfo transports list "internal", else "cross-platform".
func (c *Client) Create(ctx context.Context, dev fido.Device, optionsJSON []byte, p fido.Prompt) ([]byte, error) {
	o, err := c.ParseCreationOptions(optionsJSON)
	if err != nil {
		return nil, err
	}
	info, err := dev.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: reading the key's info: %w", err)
	}
	req, err := makeCredentialRequest(o, info)
	if err != nil {
		return nil, err
	}
	clientData := clientDataJSON(typeCreate, o.Challenge, c.origin)
	hash := sha256.Sum256(clientData)
	req.ClientDataHash = hash[:]

	tctx, cancel, timedOut := withTimeout(ctx, o.Timeout)
	defer cancel()
	exclude := usable(req.Exclude, info)
	req.Exclude = nil
	if bs := batches(exclude, info, req.EncodedSize()); len(bs) == 1 {
		req.Exclude = bs[0]
	} else {
		// Longer than the key takes: probe it batch by batch, and send
		// the credential it holds alone, so that it answers
		// CREDENTIAL_EXCLUDED; none, and the list is left out.
		var forget func()
		p, forget = askOnce(p)
		defer forget()
		hit, err := probe(tctx, dev, req.RP.ID, bs, probeUV(req.UserVerification, info), p)
		if err != nil {
			return nil, fmt.Errorf("client: checking the exclude list: %w", timedOut(err))
		}
		if hit != nil {
			req.Exclude = []fido.CredentialDescriptor{*hit}
		}
	}
	att, err := dev.MakeCredential(tctx, req, p)
	if err != nil {
		return nil, fmt.Errorf("client: making the credential: %w", timedOut(err))
	}
	return registrationResponse(o, info, req, att, clientData)
}

// makeCredentialRequest maps creation options to authenticatorMakeCredential
// for a key described by info (WebAuthn §5.1.3 steps 20–21, §6.3.2).
func makeCredentialRequest(o *CreationOptions, info *fido.Info) (*fido.MakeCredentialRequest, error) {
	if o.Attachment != "" && o.Attachment != keyAttachment(info) {
		return nil, fmt.Errorf("client: the relying party asks for a %s authenticator: %w", o.Attachment, fido.ErrUnsupported)
	}
	req := &fido.MakeCredentialRequest{
		RP:      o.RP,
		User:    o.User,
		Exclude: o.Exclude,
	}
	switch o.ResidentKey {
	case Required:
		if !info.HasOption("rk") {
			return nil, fmt.Errorf("client: the key cannot store discoverable credentials: %w", fido.ErrUnsupported)
		}
		req.ResidentKey = true
	case Preferred:
		req.ResidentKey = info.HasOption("rk")
	}
	switch o.UserVerification {
	case Required:
		if !offersVerification(info) {
			return nil, fmt.Errorf("client: the key has neither a PIN nor built-in verification: %w", fido.ErrUnsupported)
		}
		req.UserVerification = true
	case Preferred:
		req.UserVerification = canVerify(info)
	}
	req.Algorithms = o.Algorithms
	if len(info.Algorithms) > 0 {
		req.Algorithms = nil
		for _, alg := range o.Algorithms {
			if slices.Contains(info.Algorithms, alg) {
				req.Algorithms = append(req.Algorithms, alg)
			}
		}
		if len(req.Algorithms) == 0 {
			return nil, fmt.Errorf("client: the key supports none of the relying party's algorithms %v: %w", o.Algorithms, fido.ErrUnsupported)
		}
	}
	if o.CredProtect > 0 {
		switch {
		case slices.Contains(info.Extensions, "credProtect"):
			req.CredProtect = o.CredProtect
		case o.EnforceCredProtect && o.CredProtect > fido.CredProtectOptional:
			return nil, fmt.Errorf("client: the key cannot protect credentials as the relying party requires: %w", fido.ErrUnsupported)
		}
	}
	return req, nil
}

// registrationResponse builds the attestation object and the JSON around
// it (WebAuthn §5.1.3 steps 22–23, §5.2.1.1).
func registrationResponse(o *CreationOptions, info *fido.Info, req *fido.MakeCredentialRequest, att *fido.Attestation, clientData []byte) ([]byte, error) {
	authData := bytes.Clone(att.AuthData)
	ad, err := parseAttested(authData)
	if err != nil {
		return nil, err
	}
	id := att.CredentialID
	if len(id) == 0 {
		id = ad.credentialID
	} else if !bytes.Equal(id, ad.credentialID) {
		return nil, fmt.Errorf("%w: credential ID differs from the attested one", errAuthData)
	}
	format := att.Format
	if format == "" {
		return nil, fmt.Errorf("client: the key returned no attestation format")
	}
	if o.Attestation == AttestationNone && format != "none" {
		// §5.4.7 "none": replace the statement and zero the AAGUID.
		format = "none"
		clear(authData[ad.aaguidAt : ad.aaguidAt+16])
	}
	attObj, err := attestationObject(format, att, authData)
	if err != nil {
		return nil, fmt.Errorf("client: encoding the attestation object: %w", err)
	}
	alg, err := coseAlgorithm(ad.publicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: credential public key: %v", errAuthData, err)
	}
	resp := registrationResponseJSON{
		ID:    b64url.EncodeToString(id),
		RawID: b64url.EncodeToString(id),
		Response: attestationResponseJSON{
			ClientDataJSON:     b64url.EncodeToString(clientData),
			AuthenticatorData:  b64url.EncodeToString(authData),
			Transports:         keyTransports(info),
			PublicKeyAlgorithm: alg,
			AttestationObject:  b64url.EncodeToString(attObj),
		},
		AuthenticatorAttachment: keyAttachment(info),
		Type:                    "public-key",
	}
	if der, err := spki(ad.publicKey, alg); err == nil {
		resp.Response.PublicKey = b64url.EncodeToString(der)
	}
	if o.CredProps {
		resp.ClientExtensionResults.CredProps = &credPropsJSON{RK: req.ResidentKey}
	}
	return json.Marshal(resp)
}
