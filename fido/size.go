package fido

// Message sizes (CTAP 2.1 §6.4 maxMsgSize, §8 CBOR encoding). A key takes
// requests up to its maxMsgSize; a client that sends a longer one gets it
// refused, so it sends a long allow or exclude list in batches and uses
// these sizes to cut them.

// DefaultMaxMsgSize is the longest request a key that does not report
// maxMsgSize takes (CTAP 2.1 §6.4).
const DefaultMaxMsgSize = 1024

// MsgSizeLimit is the longest request the key takes: its maxMsgSize, or
// DefaultMaxMsgSize when it reports none.
func (i *Info) MsgSizeLimit() int {
	if i.MaxMsgSize > 0 {
		return i.MaxMsgSize
	}
	return DefaultMaxMsgSize
}

// EncodedSize is the size in bytes of d in an allow or exclude list, as
// the CBOR map {"id": …, "type": "public-key"} clients send (transports
// are not sent).
func (d CredentialDescriptor) EncodedSize() int {
	return 1 + cborText("id") + cborBytes(len(d.ID)) + cborText("type") + cborText("public-key")
}

// EncodedSize is the size in bytes of r as an authenticatorGetAssertion
// message, counting the command byte, the RP ID, the client data hash and
// the allow list (CTAP 2.1 §6.2.1). The options, PIN/UV auth and
// extensions a device adds are not counted: the message sent is at least
// this long.
func (r *GetAssertionRequest) EncodedSize() int {
	fields := 2
	n := 1 + cborText(r.RPID) + 1 + cborBytes(len(r.ClientDataHash))
	if len(r.Allow) > 0 {
		fields++
		n += 1 + listSize(r.Allow)
	}
	return 1 + cborHead(fields) + n
}

// EncodedSize is the size in bytes of r as an authenticatorMakeCredential
// message, counting the command byte, the client data hash, the relying
// party, the user, one algorithm of pubKeyCredParams and the exclude list
// (CTAP 2.1 §6.1.1). The options, PIN/UV auth and extensions a device
// adds, and further algorithms, are not counted: the message sent is at
// least this long.
func (r *MakeCredentialRequest) EncodedSize() int {
	fields := 4
	n := 1 + cborBytes(len(r.ClientDataHash))
	rp, rpFields := cborText("id")+cborText(r.RP.ID), 1
	if r.RP.Name != "" {
		rp, rpFields = rp+cborText("name")+cborText(r.RP.Name), 2
	}
	n += 1 + cborHead(rpFields) + rp
	user, userFields := cborText("id")+cborBytes(len(r.User.ID)), 1
	if r.User.Name != "" {
		user, userFields = user+cborText("name")+cborText(r.User.Name), userFields+1
	}
	if r.User.DisplayName != "" {
		user, userFields = user+cborText("displayName")+cborText(r.User.DisplayName), userFields+1
	}
	n += 1 + cborHead(userFields) + user
	// [{"alg": a, "type": "public-key"}], with the shortest alg (ES256
	// and EdDSA take one byte).
	n += 1 + 1 + 1 + cborText("alg") + 1 + cborText("type") + cborText("public-key")
	if len(r.Exclude) > 0 {
		fields++
		n += 1 + listSize(r.Exclude)
	}
	return 1 + cborHead(fields) + n
}

// listSize is the size in bytes of list as a CBOR array of descriptors.
func listSize(list []CredentialDescriptor) int {
	n := cborHead(len(list))
	for _, d := range list {
		n += d.EncodedSize()
	}
	return n
}

// cborHead is the size of a CBOR head with argument n (RFC 8949 §3).
func cborHead(n int) int {
	switch {
	case n < 24:
		return 1
	case n < 1<<8:
		return 2
	case n < 1<<16:
		return 3
	case n < 1<<32:
		return 5
	}
	return 9
}

func cborText(s string) int { return cborHead(len(s)) + len(s) }
func cborBytes(n int) int   { return cborHead(n) + n }
