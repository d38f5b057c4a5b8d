package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// OptionsError is creation or request options that a browser would refuse
// (a TypeError, SecurityError or NotSupportedError in WebAuthn §5.1.3 and
// §5.1.4). Field is the JSON path of the offending member, "" for the
// document as a whole.
type OptionsError struct {
	Field  string
	Reason string
}

func (e *OptionsError) Error() string {
	if e.Field == "" {
		return "client: options: " + e.Reason
	}
	return "client: options: " + e.Field + ": " + e.Reason
}

// Requirement is a residentKey or userVerification requirement (WebAuthn
// §5.4.6, §5.8.6).
type Requirement string

// The requirements.
const (
	Required    Requirement = "required"
	Preferred   Requirement = "preferred"
	Discouraged Requirement = "discouraged"
)

// Attestation conveyance preferences (WebAuthn §5.4.7).
const (
	AttestationNone       = "none"
	AttestationIndirect   = "indirect"
	AttestationDirect     = "direct"
	AttestationEnterprise = "enterprise"
)

// CreationOptions are PublicKeyCredentialCreationOptions (WebAuthn §5.4)
// after a browser's checks and defaults.
type CreationOptions struct {
	RP        fido.RelyingParty // ID defaulted to the origin's host
	User      fido.User
	Challenge []byte
	// Algorithms are the COSE algorithms of pubKeyCredParams that this
	// client knows, in the RP's order (ES256 and RS256 when it gave none).
	Algorithms []int
	Exclude    []fido.CredentialDescriptor
	Timeout    time.Duration // 0 when the RP gave none
	// Attachment is the authenticatorAttachment asked for, "" for any.
	Attachment       string
	ResidentKey      Requirement
	UserVerification Requirement
	Attestation      string // one of the Attestation* constants
	// CredProps is the credProps extension (WebAuthn §10.1.3).
	CredProps bool
	// CredProtect is the credProtect level asked for (CTAP 2.1 §12.1), 0
	// for none; EnforceCredProtect refuses keys without the extension.
	CredProtect        int
	EnforceCredProtect bool
}

// RequestOptions are PublicKeyCredentialRequestOptions (WebAuthn §5.5)
// after a browser's checks and defaults.
type RequestOptions struct {
	RPID             string // defaulted to the origin's host
	Challenge        []byte
	Allow            []fido.CredentialDescriptor // empty: discoverable credentials
	Timeout          time.Duration
	UserVerification Requirement
}

// The JSON forms (WebAuthn §5.1.1 PublicKeyCredentialCreationOptionsJSON,
// §5.1.2 PublicKeyCredentialRequestOptionsJSON). Pointers tell a member
// that is absent from one that is empty.
type (
	creationJSON struct {
		RP *struct {
			ID   *string `json:"id"`
			Name *string `json:"name"`
		} `json:"rp"`
		User *struct {
			ID          *string `json:"id"`
			Name        *string `json:"name"`
			DisplayName *string `json:"displayName"`
		} `json:"user"`
		Challenge        *string                    `json:"challenge"`
		PubKeyCredParams *[]credParamJSON           `json:"pubKeyCredParams"`
		Timeout          *float64                   `json:"timeout"`
		Exclude          []descriptorJSON           `json:"excludeCredentials"`
		Selection        *authenticatorSelJSON      `json:"authenticatorSelection"`
		Attestation      *string                    `json:"attestation"`
		Extensions       map[string]json.RawMessage `json:"extensions"`
	}
	credParamJSON struct {
		Type string   `json:"type"`
		Alg  *float64 `json:"alg"`
	}
	descriptorJSON struct {
		Type       *string  `json:"type"`
		ID         *string  `json:"id"`
		Transports []string `json:"transports"`
	}
	authenticatorSelJSON struct {
		Attachment         *string `json:"authenticatorAttachment"`
		ResidentKey        *string `json:"residentKey"`
		RequireResidentKey *bool   `json:"requireResidentKey"`
		UserVerification   *string `json:"userVerification"`
	}
	requestJSON struct {
		Challenge        *string          `json:"challenge"`
		Timeout          *float64         `json:"timeout"`
		RPID             *string          `json:"rpId"`
		Allow            []descriptorJSON `json:"allowCredentials"`
		UserVerification *string          `json:"userVerification"`
	}
)

// ParseCreationOptions checks creation options JSON as a browser does in
// WebAuthn §5.1.3 steps 1–10 and returns them with defaults filled in. It
// takes the object itself or the {"publicKey": …} wrapper that
// navigator.credentials.create receives.
func (c *Client) ParseCreationOptions(optionsJSON []byte) (*CreationOptions, error) {
	var j creationJSON
	if err := decodeOptions(optionsJSON, &j); err != nil {
		return nil, err
	}
	o := &CreationOptions{
		ResidentKey:      Discouraged,
		UserVerification: Preferred,
		Attestation:      AttestationNone,
	}
	var err error
	if j.RP == nil {
		return nil, &OptionsError{Field: "rp", Reason: "missing"}
	}
	if j.RP.Name == nil {
		return nil, &OptionsError{Field: "rp.name", Reason: "missing"}
	}
	o.RP.Name = *j.RP.Name
	rpID := ""
	if j.RP.ID != nil {
		if *j.RP.ID == "" {
			return nil, &OptionsError{Field: "rp.id", Reason: "empty"}
		}
		rpID = *j.RP.ID
	}
	if o.RP.ID, err = c.checkRPID("rp.id", rpID); err != nil {
		return nil, err
	}
	if j.User == nil {
		return nil, &OptionsError{Field: "user", Reason: "missing"}
	}
	if o.User.ID, err = decodeB64("user.id", j.User.ID); err != nil {
		return nil, err
	}
	if n := len(o.User.ID); n < 1 || n > 64 { // §5.1.3 step 5
		return nil, &OptionsError{Field: "user.id", Reason: fmt.Sprintf("%d bytes; want 1 to 64", n)}
	}
	if j.User.Name == nil {
		return nil, &OptionsError{Field: "user.name", Reason: "missing"}
	}
	if j.User.DisplayName == nil {
		return nil, &OptionsError{Field: "user.displayName", Reason: "missing"}
	}
	o.User.Name, o.User.DisplayName = *j.User.Name, *j.User.DisplayName
	if o.Challenge, err = decodeChallenge(j.Challenge); err != nil {
		return nil, err
	}
	if j.PubKeyCredParams == nil {
		return nil, &OptionsError{Field: "pubKeyCredParams", Reason: "missing"}
	}
	if o.Algorithms, err = algorithms(*j.PubKeyCredParams); err != nil {
		return nil, err
	}
	if o.Timeout, err = timeout(j.Timeout); err != nil {
		return nil, err
	}
	if o.Exclude, err = descriptors("excludeCredentials", j.Exclude); err != nil {
		return nil, err
	}
	if s := j.Selection; s != nil {
		if s.Attachment != nil && (*s.Attachment == AttachmentPlatform || *s.Attachment == AttachmentCrossPlatform) {
			o.Attachment = *s.Attachment
		}
		// §5.4.4: residentKey wins; requireResidentKey only when it is
		// absent or not a known value.
		switch rk := requirement(s.ResidentKey); {
		case rk != "":
			o.ResidentKey = rk
		case s.RequireResidentKey != nil && *s.RequireResidentKey:
			o.ResidentKey = Required
		}
		if uv := requirement(s.UserVerification); uv != "" {
			o.UserVerification = uv
		}
	}
	if j.Attestation != nil {
		switch a := *j.Attestation; a {
		case AttestationNone, AttestationIndirect, AttestationDirect, AttestationEnterprise:
			o.Attestation = a
		} // unknown values are ignored (WebIDL DOMString enum, §5.4.7)
	}
	if err := creationExtensions(o, j.Extensions); err != nil {
		return nil, err
	}
	return o, nil
}

// ParseRequestOptions checks request options JSON as a browser does in
// WebAuthn §5.1.4.1 steps 1–8. It takes the object itself or the
// {"publicKey": …} wrapper that navigator.credentials.get receives.
func (c *Client) ParseRequestOptions(optionsJSON []byte) (*RequestOptions, error) {
	var j requestJSON
	if err := decodeOptions(optionsJSON, &j); err != nil {
		return nil, err
	}
	o := &RequestOptions{UserVerification: Preferred}
	var err error
	if o.Challenge, err = decodeChallenge(j.Challenge); err != nil {
		return nil, err
	}
	rpID := ""
	if j.RPID != nil {
		if *j.RPID == "" {
			return nil, &OptionsError{Field: "rpId", Reason: "empty"}
		}
		rpID = *j.RPID
	}
	if o.RPID, err = c.checkRPID("rpId", rpID); err != nil {
		return nil, err
	}
	if o.Timeout, err = timeout(j.Timeout); err != nil {
		return nil, err
	}
	if o.Allow, err = descriptors("allowCredentials", j.Allow); err != nil {
		return nil, err
	}
	if uv := requirement(j.UserVerification); uv != "" {
		o.UserVerification = uv
	}
	return o, nil
}

// decodeOptions unwraps {"publicKey": …} when present and decodes the
// options object into v.
func decodeOptions(data []byte, v any) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return jsonError(err)
	}
	if top == nil {
		return &OptionsError{Reason: "not a JSON object"}
	}
	if pk, ok := top["publicKey"]; ok {
		data = pk
		if bytes.Equal(bytes.TrimSpace(pk), []byte("null")) {
			return &OptionsError{Field: "publicKey", Reason: "not a JSON object"}
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &OptionsError{Field: te.Field, Reason: "want a JSON " + jsonKind(te.Type.Kind().String()) + ", got " + te.Value}
	}
	return &OptionsError{Reason: "not a JSON object: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "float64", "int":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	}
	return "object"
}

// b64 decodes base64url, with or without padding (WebAuthn §5.1.1 uses
// Base64URLString, which browsers accept both ways).
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func decodeB64(field string, s *string) ([]byte, error) {
	if s == nil {
		return nil, &OptionsError{Field: field, Reason: "missing"}
	}
	b, err := b64(*s)
	if err != nil {
		return nil, &OptionsError{Field: field, Reason: "not base64url"}
	}
	return b, nil
}

func decodeChallenge(s *string) ([]byte, error) {
	ch, err := decodeB64("challenge", s)
	if err != nil {
		return nil, err
	}
	if len(ch) == 0 {
		return nil, &OptionsError{Field: "challenge", Reason: "empty"}
	}
	return ch, nil
}

// knownAlgorithms are the COSE algorithms this client and the keys it
// drives know (fido.ES256, fido.EdDSA, fido.RS256).
var knownAlgorithms = map[int]bool{fido.ES256: true, fido.EdDSA: true, fido.RS256: true}

// algorithms applies WebAuthn §5.1.3 step 10: an empty list means ES256
// and RS256; entries of an unknown type or algorithm are skipped; a
// non-empty list with nothing left is NotSupportedError.
func algorithms(params []credParamJSON) ([]int, error) {
	if len(params) == 0 {
		return []int{fido.ES256, fido.RS256}, nil
	}
	var out []int
	for i, p := range params {
		if p.Alg == nil {
			return nil, &OptionsError{Field: fmt.Sprintf("pubKeyCredParams[%d].alg", i), Reason: "missing"}
		}
		alg := int(*p.Alg)
		if float64(alg) != *p.Alg {
			return nil, &OptionsError{Field: fmt.Sprintf("pubKeyCredParams[%d].alg", i), Reason: "not an integer"}
		}
		if p.Type != "public-key" || !knownAlgorithms[alg] {
			continue
		}
		if !slices.Contains(out, alg) {
			out = append(out, alg)
		}
	}
	if len(out) == 0 {
		return nil, &OptionsError{Field: "pubKeyCredParams", Reason: "no supported algorithm (ES256, EdDSA or RS256)"}
	}
	return out, nil
}

func timeout(ms *float64) (time.Duration, error) {
	if ms == nil {
		return 0, nil
	}
	if *ms < 0 || *ms > float64(1<<32-1) { // unsigned long
		return 0, &OptionsError{Field: "timeout", Reason: "out of range"}
	}
	return time.Duration(*ms) * time.Millisecond, nil
}

// descriptors decodes an allow or exclude list, skipping entries whose
// type is not "public-key" (WebAuthn §5.8.3).
func descriptors(field string, in []descriptorJSON) ([]fido.CredentialDescriptor, error) {
	var out []fido.CredentialDescriptor
	for i, d := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		if d.Type == nil {
			return nil, &OptionsError{Field: f + ".type", Reason: "missing"}
		}
		id, err := decodeB64(f+".id", d.ID)
		if err != nil {
			return nil, err
		}
		if *d.Type != "public-key" {
			continue
		}
		if len(id) == 0 {
			return nil, &OptionsError{Field: f + ".id", Reason: "empty"}
		}
		out = append(out, fido.CredentialDescriptor{ID: id, Transports: d.Transports})
	}
	return out, nil
}

// requirement reads a residentKey or userVerification member; unknown
// values read as absent ("").
func requirement(s *string) Requirement {
	if s == nil {
		return ""
	}
	switch r := Requirement(*s); r {
	case Required, Preferred, Discouraged:
		return r
	}
	return ""
}

// credProtect policies by their WebAuthn names (CTAP 2.1 §12.1).
var credProtectPolicies = map[string]int{
	"userVerificationOptional":                     fido.CredProtectOptional,
	"userVerificationOptionalWithCredentialIDList": fido.CredProtectOptionalWithList,
	"userVerificationRequired":                     fido.CredProtectRequired,
}

func creationExtensions(o *CreationOptions, ext map[string]json.RawMessage) error {
	if raw, ok := ext["credProps"]; ok {
		if err := json.Unmarshal(raw, &o.CredProps); err != nil {
			return &OptionsError{Field: "extensions.credProps", Reason: "want a boolean"}
		}
	}
	if raw, ok := ext["credentialProtectionPolicy"]; ok {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return &OptionsError{Field: "extensions.credentialProtectionPolicy", Reason: "want a string"}
		}
		level, known := credProtectPolicies[name]
		if !known {
			return &OptionsError{Field: "extensions.credentialProtectionPolicy", Reason: fmt.Sprintf("unknown policy %q", name)}
		}
		o.CredProtect = level
	}
	if raw, ok := ext["enforceCredentialProtectionPolicy"]; ok {
		if err := json.Unmarshal(raw, &o.EnforceCredProtect); err != nil {
			return &OptionsError{Field: "extensions.enforceCredentialProtectionPolicy", Reason: "want a boolean"}
		}
	}
	return nil
}
