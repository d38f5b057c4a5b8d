package softkey

import (
	"bytes"
	"crypto/sha256"

	"github.com/fxamacker/cbor/v2"
)

// authenticatorCredentialManagement subcommands (CTAP 2.1 §6.8).
const (
	cmGetCredsMetadata          = 0x01
	cmEnumerateRPsBegin         = 0x02
	cmEnumerateRPsGetNextRP     = 0x03
	cmEnumerateCredentialsBegin = 0x04
	cmEnumerateCredentialsNext  = 0x05
	cmDeleteCredential          = 0x06
	cmUpdateUserInformation     = 0x07
)

// cmQueue holds what enumerateRPsGetNextRP or
// enumerateCredentialsGetNextCredential still have to return.
type cmQueue struct {
	cid   uint32
	sub   int // the GetNext subcommand that may follow
	items []map[int]any
}

// credentialManagement answers authenticatorCredentialManagement (§6.8),
// under command 0x0A and under the CTAP 2.1 preview command 0x41 that
// libfido2 1.12–1.14 sends. The preview command also takes a
// pinUvAuthToken from getPinToken (no permissions), as keys of that time
// did; 0x0A needs the cm permission.
func (k *Key) credentialManagement(tx *transaction, r *request, preview bool) (any, byte) {
	var (
		sub     int
		params  map[int]cbor.RawMessage
		proto   int
		pinAuth []byte
	)
	r.need(0x01, &sub)
	hasParams := r.opt(0x02, &params)
	hasProto := r.opt(0x03, &proto)
	hasPinAuth := r.opt(0x04, &pinAuth)
	if r.status != statusOK {
		return nil, r.status
	}
	q := k.cm
	k.cm = nil
	switch sub {
	case cmEnumerateRPsGetNextRP, cmEnumerateCredentialsNext:
		if q == nil || q.cid != tx.cid || q.sub != sub || len(q.items) == 0 {
			return nil, statusNotAllowed
		}
		item := q.items[0]
		if q.items = q.items[1:]; len(q.items) > 0 {
			k.cm = q
		}
		return item, statusOK
	case cmGetCredsMetadata, cmEnumerateRPsBegin, cmEnumerateCredentialsBegin, cmDeleteCredential, cmUpdateUserInformation:
	default:
		return nil, statusInvalidSubcommand
	}

	// §6.8.1 ff.: pinUvAuthParam over subCommand ‖ subCommandParams.
	if !hasPinAuth {
		return nil, statusPUATRequired
	}
	if !hasProto {
		return nil, statusMissingParameter
	}
	if proto != 1 && proto != 2 {
		return nil, statusInvalidParameter
	}
	msg := []byte{byte(sub)}
	if hasParams {
		msg = append(msg, r.m[0x02]...)
	}
	if status := k.verifyCMToken(proto, msg, pinAuth, preview); status != statusOK {
		return nil, status
	}
	tokenRP := k.pin.rpID

	switch sub {
	case cmGetCredsMetadata:
		if tokenRP != "" {
			return nil, statusPINAuthInvalid
		}
		n := k.st.discoverableCount()
		return map[int]any{0x01: n, 0x02: max(k.opts.Slots-n, 0)}, statusOK

	case cmEnumerateRPsBegin:
		if tokenRP != "" {
			return nil, statusPINAuthInvalid
		}
		var items []map[int]any
		seen := map[string]bool{}
		for _, c := range k.st.Credentials {
			if !c.Discoverable || seen[c.RPID] {
				continue
			}
			seen[c.RPID] = true
			rp := map[string]any{"id": c.RPID}
			if c.RPName != "" {
				rp["name"] = c.RPName
			}
			h := sha256.Sum256([]byte(c.RPID))
			items = append(items, map[int]any{0x03: rp, 0x04: h[:]})
		}
		if len(items) == 0 {
			return nil, statusNoCredentials
		}
		items[0][0x05] = len(items)
		if len(items) > 1 {
			k.cm = &cmQueue{cid: tx.cid, sub: cmEnumerateRPsGetNextRP, items: items[1:]}
		}
		return items[0], statusOK

	case cmEnumerateCredentialsBegin:
		var hash []byte
		if !hasParams || !decodeParam(params, 0x01, &hash) {
			return nil, statusMissingParameter
		}
		var items []map[int]any
		for _, c := range k.st.Credentials {
			h := sha256.Sum256([]byte(c.RPID))
			if !c.Discoverable || !bytes.Equal(h[:], hash) {
				continue
			}
			if tokenRP != "" && tokenRP != c.RPID {
				return nil, statusPINAuthInvalid
			}
			item, ok := credentialItem(c)
			if !ok {
				return nil, statusOther
			}
			items = append(items, item)
		}
		if len(items) == 0 {
			return nil, statusNoCredentials
		}
		items[0][0x09] = len(items)
		if len(items) > 1 {
			k.cm = &cmQueue{cid: tx.cid, sub: cmEnumerateCredentialsNext, items: items[1:]}
		}
		return items[0], statusOK

	case cmDeleteCredential, cmUpdateUserInformation:
		var desc credDescriptor
		if !hasParams || !decodeParam(params, 0x02, &desc) {
			return nil, statusMissingParameter
		}
		c := k.st.find(desc.ID)
		if c == nil || !c.Discoverable {
			return nil, statusNoCredentials
		}
		if tokenRP != "" && tokenRP != c.RPID {
			return nil, statusPINAuthInvalid
		}
		if sub == cmDeleteCredential {
			k.st.Credentials = removeCredential(k.st.Credentials, c)
		} else {
			var user userEntity
			if !decodeParam(params, 0x03, &user) {
				return nil, statusMissingParameter
			}
			if !bytes.Equal(user.ID, c.UserID) { // §6.8.6 step 5
				return nil, statusInvalidParameter
			}
			c.UserName, c.DisplayName = user.Name, user.DisplayName
		}
		if k.persist() != nil {
			return nil, statusOther
		}
		return nil, statusOK
	}
	return nil, statusInvalidSubcommand
}

// verifyCMToken checks a credential management pinUvAuthParam: the token
// must carry the cm permission, or, under the preview command, come from
// getPinToken.
func (k *Key) verifyCMToken(proto int, msg, param []byte, preview bool) byte {
	s := &k.pin
	switch {
	case k.st.PINHash == nil && !k.uvEnabled():
		return statusPINNotSet
	case s.token == nil || s.tokenProto != pinProtocol(proto) || !s.tokenProto.verify(s.token, msg, param):
		return statusPINAuthInvalid
	case s.perms&permCredentialManagement == 0 && !(preview && s.legacy):
		return statusPINAuthInvalid
	}
	return statusOK
}

// credentialItem is one enumerateCredentials answer for c.
func credentialItem(c *credential) (map[int]any, bool) {
	priv, err := parseKey(c.Key)
	if err != nil {
		return nil, false
	}
	user := map[string]any{"id": c.UserID}
	if c.UserName != "" {
		user["name"] = c.UserName
	}
	if c.DisplayName != "" {
		user["displayName"] = c.DisplayName
	}
	protect := c.CredProtect
	if protect == 0 {
		protect = 1 // §12.1: userVerificationOptional when none was asked
	}
	return map[int]any{
		0x06: user,
		0x07: map[string]any{"id": c.ID, "type": "public-key"},
		0x08: coseKey(&priv.PublicKey, -7),
		0x0a: protect,
	}, true
}

// decodeParam decodes subCommandParams[key] into v.
func decodeParam(params map[int]cbor.RawMessage, key int, v any) bool {
	raw, ok := params[key]
	return ok && decMode.Unmarshal(raw, v) == nil
}

func removeCredential(list []*credential, c *credential) []*credential {
	out := list[:0]
	for _, x := range list {
		if x != c {
			out = append(out, x)
		}
	}
	return out
}
