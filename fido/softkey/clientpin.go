package softkey

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"unicode/utf8"
)

// authenticatorClientPIN subcommands (CTAP 2.1 §6.5.5).
const (
	pinGetRetries        = 0x01
	pinGetKeyAgreement   = 0x02
	pinSetPIN            = 0x03
	pinChangePIN         = 0x04
	pinGetToken          = 0x05
	pinGetUVToken        = 0x06
	pinGetUVRetries      = 0x07
	pinGetTokenWithPerms = 0x09
)

// pinUvAuthToken permissions (§6.5.5.7); the key grants no others.
const (
	permMakeCredential       = 0x01
	permGetAssertion         = 0x02
	permCredentialManagement = 0x04
	permBioEnrollment        = 0x08 // only on a key with a fingerprint sensor
	permAuthenticatorConfig  = 0x20
	permsGranted             = permMakeCredential | permGetAssertion | permCredentialManagement | permAuthenticatorConfig
)

// permsFor is the permissions this key grants.
func (k *Key) permsFor() int {
	if k.opts.Fingerprint {
		return permsGranted | permBioEnrollment
	}
	return permsGranted
}

const (
	minPINLength           = 4  // code points
	maxPINBytes            = 63 // §6.5.5.5: the padded PIN keeps a zero byte
	paddedPINLength        = 64
	leftPINHashLength      = 16
	maxWrongPINsInARow     = 3
	pinUvAuthTokenLength   = 32
	ecdhESHKDF256          = -25 // COSE alg of the key agreement key
	protocolOneHMACLength  = 16
	protocolTwoSecretBytes = 64 // HMAC key ‖ AES key
)

// pinSession is the ClientPIN state a power cycle clears.
type pinSession struct {
	agreement   *ecdh.PrivateKey
	token       []byte // nil: no valid pinUvAuthToken
	tokenProto  pinProtocol
	perms       int
	rpID        string // the token's permissions RP ID; "" for any
	legacy      bool   // the token came from getPinToken (no permissions asked)
	userPresent bool   // the token came from built-in UV, which saw the user
	wrongInARow int
}

// regenerate makes a new key agreement key and drops the token
// (§6.5.5.1, initialize and resetPinUvAuthToken).
func (s *pinSession) regenerate() {
	s.agreement = newAgreementKey()
	s.token = nil
}

// usedWithPresence clears the token's permissions after a makeCredential
// or getAssertion with user presence (clearPinUvAuthTokenPermissionsExceptLbw,
// §6.1.2 step 14.4, §6.2.2 step 9.4); the key grants no lbw permission, so
// none is left: the next operation needs a new token.
func (s *pinSession) usedWithPresence() {
	s.perms, s.legacy, s.userPresent = 0, false, false
}

// coseEC2 is the platform's key agreement key (COSE_Key, §6.5.6).
type coseEC2 struct {
	Kty int    `cbor:"1,keyasint"`
	Crv int    `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

// clientPIN answers authenticatorClientPIN (§6.5.5).
func (k *Key) clientPIN(tx *transaction, r *request) (any, byte) {
	var proto, sub int
	hasProto := r.opt(0x01, &proto)
	r.need(0x02, &sub)
	if r.status != statusOK {
		return nil, r.status
	}
	if sub == pinGetRetries {
		return map[int]any{0x03: k.st.PINRetries, 0x04: k.pin.wrongInARow >= maxWrongPINsInARow}, statusOK
	}
	if sub == pinGetUVRetries {
		if !k.hasUV() {
			return nil, statusInvalidSubcommand
		}
		return map[int]any{0x05: k.st.uvRetries()}, statusOK
	}
	if !hasProto {
		return nil, statusMissingParameter
	}
	if proto != 1 && proto != 2 {
		return nil, statusInvalidParameter
	}
	p := pinProtocol(proto)
	switch sub {
	case pinGetKeyAgreement:
		pub := k.pin.agreement.PublicKey().Bytes() // 0x04 ‖ x ‖ y
		return map[int]any{0x01: map[int]any{1: 2, 3: ecdhESHKDF256, -1: 1, -2: pub[1:33], -3: pub[33:65]}}, statusOK
	case pinSetPIN:
		return nil, k.setPIN(p, r)
	case pinChangePIN:
		return nil, k.changePIN(p, r)
	case pinGetToken:
		return k.getPINToken(p, r, false)
	case pinGetTokenWithPerms:
		return k.getPINToken(p, r, true)
	case pinGetUVToken:
		return k.getUVToken(tx, p, r)
	}
	return nil, statusInvalidSubcommand
}

// setPIN is §6.5.5.5.
func (k *Key) setPIN(p pinProtocol, r *request) byte {
	var (
		ka                 coseEC2
		pinAuth, newPINEnc []byte
	)
	r.need(0x03, &ka)
	r.need(0x04, &pinAuth)
	r.need(0x05, &newPINEnc)
	if r.status != statusOK {
		return r.status
	}
	if k.st.PINHash != nil {
		return statusNotAllowed
	}
	secret, status := k.sharedSecret(p, ka)
	if status != statusOK {
		return status
	}
	if !p.verify(secret, newPINEnc, pinAuth) {
		return statusPINAuthInvalid
	}
	return k.storePIN(p, secret, newPINEnc)
}

// changePIN is §6.5.5.6.
func (k *Key) changePIN(p pinProtocol, r *request) byte {
	var (
		ka                             coseEC2
		pinAuth, newPINEnc, pinHashEnc []byte
	)
	r.need(0x03, &ka)
	r.need(0x04, &pinAuth)
	r.need(0x05, &newPINEnc)
	r.need(0x06, &pinHashEnc)
	if r.status != statusOK {
		return r.status
	}
	if status := k.pinUsable(); status != statusOK {
		return status
	}
	secret, status := k.sharedSecret(p, ka)
	if status != statusOK {
		return status
	}
	if !p.verify(secret, append(bytes.Clone(newPINEnc), pinHashEnc...), pinAuth) {
		return statusPINAuthInvalid
	}
	if status := k.checkPIN(p, secret, pinHashEnc); status != statusOK {
		return status
	}
	if k.st.ForcePINChange { // the forced change must change the PIN
		if padded, ok := p.decrypt(secret, newPINEnc); ok {
			pin, _, _ := bytes.Cut(padded, []byte{0})
			h := sha256.Sum256(pin)
			clear(padded)
			if subtle.ConstantTimeCompare(h[:leftPINHashLength], k.st.PINHash) == 1 {
				return statusPINPolicyViolation
			}
		}
	}
	return k.storePIN(p, secret, newPINEnc)
}

// getPINToken is getPinToken (§6.5.5.7.1) and, withPerms,
// getPinUvAuthTokenUsingPinWithPermissions (§6.5.5.7.2).
func (k *Key) getPINToken(p pinProtocol, r *request, withPerms bool) (any, byte) {
	var (
		ka         coseEC2
		pinHashEnc []byte
		rpID       string
	)
	perms := permMakeCredential | permGetAssertion
	r.need(0x03, &ka)
	r.need(0x06, &pinHashEnc)
	if withPerms {
		r.need(0x09, &perms)
		r.opt(0x0a, &rpID)
	}
	if r.status != statusOK {
		return nil, r.status
	}
	if perms == 0 {
		return nil, statusInvalidParameter
	}
	if perms&^k.permsFor() != 0 {
		return nil, statusUnauthorizedPermission
	}
	if status := k.pinUsable(); status != statusOK {
		return nil, status
	}
	secret, status := k.sharedSecret(p, ka)
	if status != statusOK {
		return nil, status
	}
	if status := k.checkPIN(p, secret, pinHashEnc); status != statusOK {
		return nil, status
	}
	if k.st.ForcePINChange { // §6.5.5.7: no token until the PIN is changed
		return nil, statusPINPolicyViolation
	}
	return k.issueToken(p, secret, perms, rpID, !withPerms), statusOK
}

// issueToken makes a new pinUvAuthToken and returns it encrypted for the
// platform.
func (k *Key) issueToken(p pinProtocol, secret []byte, perms int, rpID string, legacy bool) map[int]any {
	k.pin.token = random(pinUvAuthTokenLength)
	k.pin.tokenProto, k.pin.perms, k.pin.rpID, k.pin.legacy = p, perms, rpID, legacy
	k.pin.userPresent = false
	return map[int]any{0x02: p.encrypt(secret, k.pin.token)}
}

// getUVToken is getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.7.3):
// the key's built-in verification instead of the PIN. A failed
// verification costs a UV retry; at zero the key answers UV_BLOCKED. A
// sensor with no fingerprint enrolled answers NOT_ALLOWED; fingerprint
// management (be) takes the PIN. The token says the user was present, so
// one touch of the sensor serves the next makeCredential or getAssertion.
func (k *Key) getUVToken(tx *transaction, p pinProtocol, r *request) (any, byte) {
	var (
		ka    coseEC2
		perms int
		rpID  string
	)
	r.need(0x03, &ka)
	r.need(0x09, &perms)
	r.opt(0x0a, &rpID)
	if r.status != statusOK {
		return nil, r.status
	}
	if !k.hasUV() {
		return nil, statusInvalidSubcommand
	}
	if !k.uvEnabled() {
		return nil, statusNotAllowed
	}
	if perms == 0 {
		return nil, statusInvalidParameter
	}
	if perms&^permsGranted != 0 {
		return nil, statusUnauthorizedPermission
	}
	secret, status := k.sharedSecret(p, ka)
	if status != statusOK {
		return nil, status
	}
	if status := k.builtInUV(tx); status != statusOK {
		return nil, status
	}
	resp := k.issueToken(p, secret, perms, rpID, false)
	k.pin.userPresent = k.opts.Fingerprint
	return resp, statusOK
}

// builtInUV verifies the user with the simulated built-in UV: by
// fingerprint (fingerprintUV) on a key with a sensor, else as FailUV
// says. k.mu is held, and released while a finger is awaited.
func (k *Key) builtInUV(tx *transaction) byte {
	if k.opts.Fingerprint {
		return k.fingerprintUV(tx)
	}
	if k.st.uvRetries() == 0 {
		return statusUVBlocked
	}
	if k.failUV > 0 {
		k.failUV--
		k.st.UVFailures++
		if k.persist() != nil {
			return statusOther
		}
		if k.st.uvRetries() == 0 {
			return statusUVBlocked
		}
		return statusUVInvalid
	}
	k.st.UVFailures = 0
	if k.persist() != nil {
		return statusOther
	}
	return statusOK
}

// pinUsable says whether a PIN can be tried now.
func (k *Key) pinUsable() byte {
	switch {
	case k.st.PINHash == nil:
		return statusPINNotSet
	case k.st.PINRetries == 0:
		return statusPINBlocked
	case k.pin.wrongInARow >= maxWrongPINsInARow:
		return statusPINAuthBlocked
	}
	return statusOK
}

// checkPIN compares the encrypted PIN hash with the stored one, counting
// retries (§6.5.5.6, §6.5.5.7.1): a wrong PIN costs a retry and the
// key agreement key; the third in a row blocks PIN use until power-up.
func (k *Key) checkPIN(p pinProtocol, secret, pinHashEnc []byte) byte {
	k.st.PINRetries--
	hash, ok := p.decrypt(secret, pinHashEnc)
	if ok && len(hash) == leftPINHashLength && subtle.ConstantTimeCompare(hash, k.st.PINHash) == 1 {
		k.st.PINRetries = maxPINRetries
		k.st.UVFailures = 0 // the PIN unblocks built-in UV (§6.5.5.7.2)
		k.pin.wrongInARow = 0
		if k.persist() != nil {
			return statusOther
		}
		return statusOK
	}
	k.pin.regenerate()
	k.pin.wrongInARow++
	if k.persist() != nil {
		return statusOther
	}
	switch {
	case k.st.PINRetries == 0:
		return statusPINBlocked
	case k.pin.wrongInARow >= maxWrongPINsInARow:
		return statusPINAuthBlocked
	}
	return statusPINInvalid
}

// storePIN decrypts a padded new PIN, checks the PIN policy and stores
// its hash; the pinUvAuthToken becomes invalid.
func (k *Key) storePIN(p pinProtocol, secret, newPINEnc []byte) byte {
	padded, ok := p.decrypt(secret, newPINEnc)
	if !ok || len(padded) != paddedPINLength {
		return statusInvalidParameter
	}
	pin, _, _ := bytes.Cut(padded, []byte{0})
	if len(pin) > maxPINBytes || !utf8.Valid(pin) || utf8.RuneCount(pin) < k.st.minPINLength() {
		return statusPINPolicyViolation
	}
	h := sha256.Sum256(pin)
	k.st.PINHash = h[:leftPINHashLength]
	k.st.PINLength = utf8.RuneCount(pin)
	k.st.ForcePINChange = false
	clear(padded)
	k.st.PINRetries = maxPINRetries
	k.pin.token = nil
	if k.persist() != nil {
		return statusOther
	}
	return statusOK
}

// verifyToken checks a pinUvAuthParam over the clientDataHash with the
// pinUvAuthToken, its permission and its RP ID (§6.1.2 step 11, §6.2.2
// step 5). A token without an RP ID is bound to the first it serves.
func (k *Key) verifyToken(proto int, cdh, param []byte, perm int, rpID string) byte {
	s := &k.pin
	switch {
	case k.st.PINHash == nil && !k.uvEnabled():
		return statusPINNotSet
	case s.token == nil || s.tokenProto != pinProtocol(proto) || !s.tokenProto.verify(s.token, cdh, param):
		return statusPINAuthInvalid
	case s.perms&perm == 0 || s.rpID != "" && s.rpID != rpID:
		return statusPINAuthInvalid
	}
	s.rpID = rpID
	return statusOK
}

// sharedSecret does ECDH with the platform's key and derives the shared
// secret (§6.5.6 and §6.5.7, "decapsulate").
func (k *Key) sharedSecret(p pinProtocol, ka coseEC2) ([]byte, byte) {
	if ka.Kty != 2 || ka.Crv != 1 || len(ka.X) != 32 || len(ka.Y) != 32 {
		return nil, statusInvalidParameter
	}
	pub, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, ka.X...), ka.Y...))
	if err != nil {
		return nil, statusInvalidParameter
	}
	z, err := k.pin.agreement.ECDH(pub)
	if err != nil {
		return nil, statusInvalidParameter
	}
	return p.kdf(z), statusOK
}

// pinProtocol is PIN/UV auth protocol 1 (§6.5.6) or 2 (§6.5.7).
type pinProtocol int

// kdf turns the ECDH x-coordinate Z into the shared secret: SHA-256(Z) in
// protocol 1; in protocol 2, HKDF-SHA-256 with a salt of 32 zero bytes,
// "CTAP2 HMAC key" then "CTAP2 AES key", 32 bytes each.
func (p pinProtocol) kdf(z []byte) []byte {
	if p == 1 {
		h := sha256.Sum256(z)
		return h[:]
	}
	salt := make([]byte, 32)
	hmacKey := must(hkdf.Key(sha256.New, z, salt, "CTAP2 HMAC key", 32))
	aesKey := must(hkdf.Key(sha256.New, z, salt, "CTAP2 AES key", 32))
	return append(hmacKey, aesKey...)
}

// aesKey is the AES-256 key within a shared secret or token.
func (p pinProtocol) aesKey(key []byte) cipher.Block {
	if p == 2 && len(key) == protocolTwoSecretBytes {
		key = key[32:]
	}
	return must(aes.NewCipher(key))
}

// encrypt is AES-256-CBC: with a zero IV in protocol 1, with a random IV
// put in front in protocol 2. len(plain) is a multiple of 16.
func (p pinProtocol) encrypt(key, plain []byte) []byte {
	iv := make([]byte, aes.BlockSize)
	if p == 2 {
		iv = random(aes.BlockSize)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(p.aesKey(key), iv).CryptBlocks(out, plain)
	if p == 2 {
		return append(iv, out...)
	}
	return out
}

// decrypt undoes encrypt; false when ct is not whole blocks.
func (p pinProtocol) decrypt(key, ct []byte) ([]byte, bool) {
	iv := make([]byte, aes.BlockSize)
	if p == 2 {
		if len(ct) < aes.BlockSize {
			return nil, false
		}
		iv, ct = ct[:aes.BlockSize], ct[aes.BlockSize:]
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, false
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(p.aesKey(key), iv).CryptBlocks(out, ct)
	return out, true
}

// verify checks HMAC-SHA-256(key, msg), keyed with the first 32 bytes of
// key: its first 16 bytes in protocol 1, all 32 in protocol 2.
func (p pinProtocol) verify(key, msg, sig []byte) bool {
	mac := hmac.New(sha256.New, key[:32])
	mac.Write(msg)
	want := mac.Sum(nil)
	if p == 1 {
		want = want[:protocolOneHMACLength]
	}
	return hmac.Equal(want, sig)
}
