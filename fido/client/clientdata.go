package client

import (
	"encoding/base64"
	"strings"
)

// Client data types (WebAuthn §5.8.1).
const (
	typeCreate = "webauthn.create"
	typeGet    = "webauthn.get"
)

// clientDataJSON serializes CollectedClientData the way WebAuthn §5.8.1.1
// specifies and browsers do: the members type, challenge (base64url,
// unpadded), origin and crossOrigin, in that order, with no white space.
// This client never runs in a frame, so crossOrigin is false and there is
// no topOrigin.
func clientDataJSON(typ string, challenge []byte, origin string) []byte {
	var b strings.Builder
	b.WriteString(`{"type":`)
	ccdString(&b, typ)
	b.WriteString(`,"challenge":`)
	ccdString(&b, base64.RawURLEncoding.EncodeToString(challenge))
	b.WriteString(`,"origin":`)
	ccdString(&b, origin)
	b.WriteString(`,"crossOrigin":false}`)
	return []byte(b.String())
}

// ccdString is CCDToString (WebAuthn §5.8.1.1): a JSON string in which
// only '"', '\' and code points below U+0020 are escaped, the latter as
// \u and four lowercase hex digits.
func ccdString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
