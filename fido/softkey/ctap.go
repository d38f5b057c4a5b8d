package softkey

import (
	"bytes"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/fido"
)

// authenticator API commands (CTAP 2.1 §6).
const (
	cmdMakeCredential   = 0x01
	cmdGetAssertion     = 0x02
	cmdGetInfo          = 0x04
	cmdClientPIN        = 0x06
	cmdReset            = 0x07
	cmdGetNextAssertion = 0x08
	cmdCredMgmt         = 0x0a
	cmdSelection        = 0x0b
	cmdConfig           = 0x0d
	cmdCredMgmtPreview  = 0x41 // CTAP 2.1-PRE, sent by libfido2 1.12–1.14
	// bio enrollment: cmdBioEnroll, cmdBioEnrollPreview in bio.go
)

// CTAP status codes (§8.2).
const (
	statusOK                     = 0x00
	statusInvalidCommand         = 0x01
	statusInvalidParameter       = 0x02
	statusCBORUnexpectedType     = 0x11
	statusInvalidCBOR            = 0x12
	statusMissingParameter       = 0x14
	statusCredentialExcluded     = 0x19
	statusUnsupportedAlgorithm   = 0x26
	statusOperationDenied        = 0x27
	statusKeyStoreFull           = 0x28
	statusUnsupportedOption      = 0x2b
	statusInvalidOption          = 0x2c
	statusKeepaliveCancel        = 0x2d
	statusNoCredentials          = 0x2e
	statusUserActionTimeout      = 0x2f
	statusNotAllowed             = 0x30
	statusPINInvalid             = 0x31
	statusPINBlocked             = 0x32
	statusPINAuthInvalid         = 0x33
	statusPINAuthBlocked         = 0x34
	statusPINNotSet              = 0x35
	statusPUATRequired           = 0x36
	statusPINPolicyViolation     = 0x37
	statusInvalidSubcommand      = 0x3e
	statusUVBlocked              = 0x3c
	statusUVInvalid              = 0x3f
	statusUnauthorizedPermission = 0x40
	statusOther                  = 0x7f
)

// Firmware version, reported by CTAPHID_INIT and getInfo.
const firmwareMajor, firmwareMinor, firmwareBuild = 1, 0, 0

const (
	// maxCredsInList is getInfo's maxCredentialCountInList: the longest
	// allow or exclude list a client should send (longer ones are taken
	// while they fit maxMsgSize).
	maxCredsInList = 8
	// maxListElements bounds every CBOR array the key decodes.
	maxListElements    = 256
	nextAssertionLimit = 30 * time.Second // §6.3: authenticatorGetNextAssertion timer
)

// authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
	flagED = 0x80
)

var (
	// encMode writes CTAP2 canonical CBOR (§8).
	encMode = must(cbor.CTAP2EncOptions().EncMode())
	// decMode reads requests strictly and within small limits, since
	// they come from outside.
	decMode = must(cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  8,
		MaxArrayElements: maxListElements,
		MaxMapPairs:      64,
	}.DecMode())
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// request is a command's parameter map (integer keys, §6), decoded field by
// field so a missing parameter and a wrong type give their own statuses.
type request struct {
	m      map[int]cbor.RawMessage
	status byte
}

// parseRequest decodes a parameter map. Malformed CBOR is remembered as
// INVALID_CBOR, which the command's first decoded parameter reports.
func parseRequest(body []byte) *request {
	r := &request{}
	if len(body) > 0 && decMode.Unmarshal(body, &r.m) != nil {
		r.status = statusInvalidCBOR
	}
	return r
}

// opt decodes parameter key into v and reports whether it was present.
func (r *request) opt(key int, v any) bool {
	raw, ok := r.m[key]
	if !ok || r.status != statusOK {
		return false
	}
	if err := decMode.Unmarshal(raw, v); err != nil {
		r.status = statusCBORUnexpectedType
		return false
	}
	return true
}

// need decodes a mandatory parameter.
func (r *request) need(key int, v any) {
	if !r.opt(key, v) && r.status == statusOK {
		r.status = statusMissingParameter
	}
}

type rpEntity struct {
	ID   string `cbor:"id"`
	Name string `cbor:"name"`
}

type userEntity struct {
	ID          []byte `cbor:"id"`
	Name        string `cbor:"name"`
	DisplayName string `cbor:"displayName"`
}

type credParam struct {
	Type string `cbor:"type"`
	Alg  int    `cbor:"alg"`
}

type credDescriptor struct {
	Type string `cbor:"type"`
	ID   []byte `cbor:"id"`
}

// execute runs one CBOR request and returns the response message: a
// status byte, then the CBOR response if any. k.mu is held.
func (k *Key) execute(tx *transaction) []byte {
	cmd := tx.data[0]
	k.commands[cmd]++
	if st := k.stall; st != nil && st.cmd == cmd {
		if st.skip > 0 {
			st.skip--
		} else {
			k.stall = nil
			return k.stallUntilUnplugged(tx)
		}
	}
	if cmd != cmdGetNextAssertion {
		k.next = nil
	}
	if cmd != cmdCredMgmt && cmd != cmdCredMgmtPreview {
		k.cm = nil
	}
	var (
		resp   any
		status byte
	)
	switch cmd {
	case cmdGetInfo:
		resp = k.configOptions(k.getInfo())
	case cmdMakeCredential:
		resp, status = k.makeCredential(tx, parseRequest(tx.data[1:]))
	case cmdGetAssertion:
		resp, status = k.getAssertion(tx, parseRequest(tx.data[1:]))
	case cmdGetNextAssertion:
		resp, status = k.getNextAssertion(tx)
	case cmdClientPIN:
		resp, status = k.clientPIN(tx, parseRequest(tx.data[1:]))
	case cmdReset:
		status = k.reset(tx)
	case cmdSelection:
		status = k.waitTouch(tx)
	case cmdCredMgmt, cmdCredMgmtPreview:
		resp, status = k.credentialManagement(tx, parseRequest(tx.data[1:]), cmd == cmdCredMgmtPreview)
	case cmdBioEnroll, cmdBioEnrollPreview:
		resp, status = k.bioEnrollment(tx, parseRequest(tx.data[1:]), cmd == cmdBioEnrollPreview)
	case cmdConfig:
		resp, status = k.authenticatorConfig(parseRequest(tx.data[1:]))
	default:
		status = statusInvalidCommand
	}
	if status != statusOK || resp == nil {
		return []byte{status}
	}
	b, err := encMode.Marshal(resp)
	if err != nil {
		return []byte{statusOther}
	}
	return append([]byte{statusOK}, b...)
}

// getInfo answers authenticatorGetInfo (§6.4).
func (k *Key) getInfo() map[int]any {
	opts := map[string]bool{
		"rk":                    true,
		"up":                    true,
		"plat":                  false,
		"clientPin":             k.st.PINHash != nil,
		"pinUvAuthToken":        true,
		"makeCredUvNotRqd":      !k.st.AlwaysUV,
		"credMgmt":              true,
		"credentialMgmtPreview": true,
		"authnrCfg":             true,
		"alwaysUv":              k.st.AlwaysUV,
		"setMinPINLength":       true,
	}
	if k.hasUV() {
		opts["uv"] = k.uvEnabled()
	}
	if k.opts.Fingerprint {
		opts["bioEnroll"] = len(k.st.Templates) > 0
		opts["userVerificationMgmtPreview"] = len(k.st.Templates) > 0
	}
	info := map[int]any{
		0x01: []string{"FIDO_2_0", "FIDO_2_1"},
		0x02: []string{"credProtect"},
		0x03: k.st.AAGUID[:],
		0x04: opts,
		0x05: maxMsgSize,
		0x06: []int{2, 1},
		0x07: maxCredsInList,
		0x08: credIDLength,
		0x09: []string{"usb"},
		0x0a: []map[string]any{{"type": "public-key", "alg": fido.ES256}},
		0x0c: k.st.ForcePINChange,
		0x0d: k.st.minPINLength(),
		0x0e: firmwareMajor<<16 | firmwareMinor<<8 | firmwareBuild,
		0x14: k.opts.Slots - k.st.discoverableCount(),
	}
	if k.hasUV() {
		info[0x11] = 1 // preferredPlatformUvAttempts
		info[0x12] = 2 // uvModality: fingerprint (FIDO Registry §3.1)
	}
	return info
}

// makeCredential answers authenticatorMakeCredential (§6.1.2).
func (k *Key) makeCredential(tx *transaction, r *request) (any, byte) {
	var (
		cdh     []byte
		rp      rpEntity
		user    userEntity
		algs    []credParam
		exclude []credDescriptor
		ext     map[string]cbor.RawMessage
		opts    map[string]bool
		pinAuth []byte
		proto   int
	)
	r.need(0x01, &cdh)
	r.need(0x02, &rp)
	r.need(0x03, &user)
	r.need(0x04, &algs)
	r.opt(0x05, &exclude)
	r.opt(0x06, &ext)
	r.opt(0x07, &opts)
	hasPinAuth := r.opt(0x08, &pinAuth)
	hasProto := r.opt(0x09, &proto)
	if r.status != statusOK {
		return nil, r.status
	}
	if hasPinAuth && len(pinAuth) == 0 { // §6.1.2 step 1: "touch to select"
		return nil, k.touchForPINProbe(tx)
	}
	if status := checkProtocol(hasPinAuth, hasProto, proto); status != statusOK {
		return nil, status
	}
	if rp.ID == "" || len(user.ID) == 0 {
		return nil, statusMissingParameter
	}
	if !offersES256(algs) {
		return nil, statusUnsupportedAlgorithm
	}
	if status := k.checkOptions(opts, hasPinAuth, true); status != statusOK {
		return nil, status
	}
	rk := opts["rk"]
	protect := credProtectLevel(ext)

	uv, present := false, false
	switch {
	case hasPinAuth:
		if status := k.verifyToken(proto, cdh, pinAuth, permMakeCredential, rp.ID); status != statusOK {
			return nil, status
		}
		uv = true
		present = k.pin.userPresent
	case opts["uv"]: // built-in UV asked with the option (checkOptions let it through)
		if status := k.builtInUV(tx); status != statusOK {
			return nil, status
		}
		uv = true
		present = k.opts.Fingerprint // the finger on the sensor was the touch
	case k.st.AlwaysUV:
		return nil, statusPUATRequired
	case k.st.PINHash != nil && rk: // makeCredUvNotRqd covers non-discoverable only
		return nil, statusPUATRequired
	}

	for _, d := range exclude {
		if c := k.st.find(d.ID); c != nil && c.RPID == rp.ID && (c.CredProtect != fido.CredProtectRequired || uv) {
			// §6.1.2 step 12.1.4: wait for user presence, and answer
			// CREDENTIAL_EXCLUDED whether it comes, times out or is
			// declined. Only a cancel, or the key leaving, ends otherwise.
			if status := k.waitTouch(tx); status == statusKeepaliveCancel {
				return nil, status
			}
			return nil, statusCredentialExcluded
		}
	}
	if rk && k.st.findUser(rp.ID, user.ID) < 0 && k.st.discoverableCount() >= k.opts.Slots {
		return nil, statusKeyStoreFull
	}
	if !present { // §6.1.2 step 14.2: a UV token's presence counts once
		if status := k.waitTouch(tx); status != statusOK {
			return nil, status
		}
	}
	if hasPinAuth { // §6.1.2 step 14.4: the token served its one presence
		k.pin.usedWithPresence()
	}

	c, pub, err := newCredential(k.st.Handle, rp, user, rk, protect)
	if err != nil {
		return nil, statusOther
	}
	if rk {
		if i := k.st.findUser(rp.ID, user.ID); i >= 0 { // §6.1.2 step 16: replace
			k.st.Credentials = append(k.st.Credentials[:i], k.st.Credentials[i+1:]...)
		}
	}
	k.st.Credentials = append(k.st.Credentials, c)
	k.st.SignCount++

	flags := byte(flagUP | flagAT)
	if uv {
		flags |= flagUV
	}
	var extOut []byte
	if protect != 0 {
		flags |= flagED
		extOut = must(encMode.Marshal(map[string]int{"credProtect": protect}))
	}
	attested := attestedCredentialData(k.st.AAGUID, c.ID, pub)
	ad := authData(rp.ID, flags, k.st.SignCount, attested, extOut)
	stmt, err := k.attest(c, append(bytes.Clone(ad), cdh...))
	if err != nil {
		return nil, statusOther
	}
	if k.persist() != nil {
		return nil, statusOther
	}
	return map[int]any{0x01: "packed", 0x02: ad, 0x03: stmt}, statusOK
}

// assertionQueue holds the credentials authenticatorGetNextAssertion
// still has to return (§6.3).
type assertionQueue struct {
	cid     uint32
	rpID    string
	cdh     []byte
	flags   byte
	creds   []*credential
	expires time.Time
}

// getAssertion answers authenticatorGetAssertion (§6.2.2).
func (k *Key) getAssertion(tx *transaction, r *request) (any, byte) {
	var (
		rpID    string
		cdh     []byte
		allow   []credDescriptor
		opts    map[string]bool
		pinAuth []byte
		proto   int
	)
	r.need(0x01, &rpID)
	r.need(0x02, &cdh)
	r.opt(0x03, &allow)
	r.opt(0x05, &opts)
	hasPinAuth := r.opt(0x06, &pinAuth)
	hasProto := r.opt(0x07, &proto)
	if r.status != statusOK {
		return nil, r.status
	}
	if hasPinAuth && len(pinAuth) == 0 {
		return nil, k.touchForPINProbe(tx)
	}
	if status := checkProtocol(hasPinAuth, hasProto, proto); status != statusOK {
		return nil, status
	}
	if status := k.checkOptions(opts, hasPinAuth, false); status != statusOK {
		return nil, status
	}
	up := true
	if v, ok := opts["up"]; ok {
		up = v
	}
	var flags byte
	present := false
	switch {
	case hasPinAuth:
		if status := k.verifyToken(proto, cdh, pinAuth, permGetAssertion, rpID); status != statusOK {
			return nil, status
		}
		flags |= flagUV
		present = k.pin.userPresent
	case opts["uv"]:
		if status := k.builtInUV(tx); status != statusOK {
			return nil, status
		}
		flags |= flagUV
		present = k.opts.Fingerprint
	case k.st.AlwaysUV:
		return nil, statusPUATRequired
	}
	creds := k.st.applicable(rpID, allow, flags&flagUV != 0)
	if len(creds) == 0 {
		return nil, statusNoCredentials
	}
	if up {
		if !present { // §6.2.2 step 9.2
			if status := k.waitTouch(tx); status != statusOK {
				return nil, status
			}
		}
		flags |= flagUP
		if hasPinAuth { // §6.2.2 step 9.4
			k.pin.usedWithPresence()
		}
	}
	resp, status := k.assertion(creds[0], rpID, cdh, flags)
	if status != statusOK {
		return nil, status
	}
	if len(allow) == 0 && len(creds) > 1 {
		resp[0x05] = len(creds)
		k.next = &assertionQueue{cid: tx.cid, rpID: rpID, cdh: cdh, flags: flags, creds: creds[1:], expires: time.Now().Add(nextAssertionLimit)}
	}
	return resp, statusOK
}

// getNextAssertion answers authenticatorGetNextAssertion (§6.3).
func (k *Key) getNextAssertion(tx *transaction) (any, byte) {
	q := k.next
	if q == nil || q.cid != tx.cid || time.Now().After(q.expires) {
		k.next = nil
		return nil, statusNotAllowed
	}
	c := q.creds[0]
	if q.creds = q.creds[1:]; len(q.creds) == 0 {
		k.next = nil
	}
	resp, status := k.assertion(c, q.rpID, q.cdh, q.flags)
	if status != statusOK {
		return nil, status
	}
	return resp, statusOK
}

// assertion signs authData ‖ clientDataHash with credential c (§6.2.2
// steps 11–13).
func (k *Key) assertion(c *credential, rpID string, cdh []byte, flags byte) (map[int]any, byte) {
	k.st.SignCount++
	ad := authData(rpID, flags, k.st.SignCount, nil, nil)
	sig, err := c.sign(append(bytes.Clone(ad), cdh...))
	if err != nil || k.persist() != nil {
		return nil, statusOther
	}
	resp := map[int]any{
		0x01: map[string]any{"id": c.ID, "type": "public-key"},
		0x02: ad,
		0x03: sig,
	}
	if c.Discoverable {
		user := map[string]any{"id": c.UserID}
		if flags&flagUV != 0 { // no names without user verification
			if c.UserName != "" {
				user["name"] = c.UserName
			}
			if c.DisplayName != "" {
				user["displayName"] = c.DisplayName
			}
		}
		resp[0x04] = user
	}
	return resp, statusOK
}

// reset answers authenticatorReset (§6.6): allowed only within the reset
// window after power-up, and only with a touch.
func (k *Key) reset(tx *transaction) byte {
	if time.Since(k.poweredAt) > k.opts.ResetWindow {
		return statusNotAllowed
	}
	if status := k.waitTouch(tx); status != statusOK {
		return status
	}
	k.st.Credentials = nil
	k.st.PINHash = nil
	k.st.PINLength = 0
	k.st.PINRetries = maxPINRetries
	k.st.MinPINLength = 0
	k.st.ForcePINChange = false
	k.st.AlwaysUV = false
	k.st.UVFailures = 0
	k.st.Templates = nil
	k.cm = nil
	k.enroll = nil
	k.pin = pinSession{}
	k.pin.regenerate()
	if k.persist() != nil {
		return statusOther
	}
	return statusOK
}

// touchForPINProbe answers a request whose pinUvAuthParam is empty: the
// platform is asking the user to pick this key (§6.1.2 step 1).
func (k *Key) touchForPINProbe(tx *transaction) byte {
	if status := k.waitTouch(tx); status != statusOK {
		return status
	}
	if k.st.PINHash == nil {
		return statusPINNotSet
	}
	return statusPINInvalid
}

// checkProtocol checks pinUvAuthProtocol when pinUvAuthParam is present.
func checkProtocol(hasPinAuth, hasProto bool, proto int) byte {
	switch {
	case !hasPinAuth:
		return statusOK
	case !hasProto:
		return statusMissingParameter
	case proto != 1 && proto != 2:
		return statusInvalidParameter
	}
	return statusOK
}

// checkOptions processes the options of makeCredential and getAssertion
// (§6.1.2 step 5, §6.2.2 step 5): with a pinUvAuthParam the "uv" option
// is treated as false (and deleted from opts); "uv" on a key without
// built-in user verification is INVALID_OPTION; a registration without
// user presence is INVALID_OPTION; "rk" in an assertion is
// UNSUPPORTED_OPTION.
func (k *Key) checkOptions(opts map[string]bool, hasPinAuth, registering bool) byte {
	if hasPinAuth {
		delete(opts, "uv")
	}
	if opts["uv"] && !k.uvEnabled() { // also a sensor with no fingerprint yet
		return statusInvalidOption
	}
	if up, ok := opts["up"]; registering && ok && !up {
		return statusInvalidOption
	}
	if _, ok := opts["rk"]; !registering && ok {
		return statusUnsupportedOption
	}
	return statusOK
}

func offersES256(algs []credParam) bool {
	for _, a := range algs {
		if a.Type == "public-key" && a.Alg == fido.ES256 {
			return true
		}
	}
	return false
}

// credProtectLevel reads the credProtect extension input (§12.1); an
// unknown level is ignored.
func credProtectLevel(ext map[string]cbor.RawMessage) int {
	var level int
	if raw, ok := ext["credProtect"]; ok && decMode.Unmarshal(raw, &level) == nil &&
		level >= fido.CredProtectOptional && level <= fido.CredProtectRequired {
		return level
	}
	return 0
}
