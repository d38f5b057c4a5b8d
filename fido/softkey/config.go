package softkey

import (
	"bytes"

	"github.com/fxamacker/cbor/v2"
)

// authenticatorConfig subcommands (CTAP 2.1 §6.11).
const (
	cfgToggleAlwaysUV   = 0x02
	cfgSetMinPINLength  = 0x03
	maxMinPINLength     = maxPINBytes
	configAuthPrefixLen = 32
)

// authenticatorConfig answers authenticatorConfig (§6.11): toggleAlwaysUv
// and setMinPINLength. A key with a PIN or built-in UV needs a
// pinUvAuthParam from a token with the acfg permission over
// 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams; a key with neither
// takes the command without one (§6.11, step 4).
func (k *Key) authenticatorConfig(r *request) (any, byte) {
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
	if k.noConfig {
		return nil, statusInvalidCommand
	}
	if sub != cfgToggleAlwaysUV && sub != cfgSetMinPINLength {
		return nil, statusInvalidSubcommand
	}
	protected := k.st.PINHash != nil || k.uvEnabled()
	if protected || hasPinAuth {
		if !hasPinAuth {
			return nil, statusPUATRequired
		}
		if !hasProto {
			return nil, statusMissingParameter
		}
		if proto != 1 && proto != 2 {
			return nil, statusInvalidParameter
		}
		msg := append(bytes.Repeat([]byte{0xff}, configAuthPrefixLen), cmdConfig, byte(sub))
		if hasParams {
			msg = append(msg, r.m[0x02]...)
		}
		s := &k.pin
		switch {
		case s.token == nil || s.tokenProto != pinProtocol(proto) || !s.tokenProto.verify(s.token, msg, pinAuth):
			return nil, statusPINAuthInvalid
		case s.perms&permAuthenticatorConfig == 0:
			return nil, statusPINAuthInvalid
		}
	}

	switch sub {
	case cfgToggleAlwaysUV:
		k.st.AlwaysUV = !k.st.AlwaysUV
	case cfgSetMinPINLength:
		var (
			n     int
			force bool
		)
		hasN := decodeParam(params, 0x01, &n)
		if _, ok := params[0x02]; ok { // minPinLengthRPIDs: not supported
			return nil, statusInvalidParameter
		}
		decodeParam(params, 0x03, &force)
		cur := k.st.minPINLength()
		if !hasN {
			n = cur
		}
		if n < cur || n > maxMinPINLength { // §6.11.4 step 2: never lowered
			return nil, statusPINPolicyViolation
		}
		if force && k.st.PINHash == nil { // step 3
			return nil, statusPINNotSet
		}
		k.st.MinPINLength = n
		if force || k.st.PINHash != nil && k.st.PINLength > 0 && k.st.PINLength < n { // step 4
			k.st.ForcePINChange = true
		}
	}
	if k.persist() != nil {
		return nil, statusOther
	}
	return nil, statusOK
}

// SetConfigSupport turns authenticatorConfig on (the default) or off. Off,
// the key is as a CTAP 2.0 key or one without the feature: getInfo lists
// neither authnrCfg nor setMinPINLength nor alwaysUv, and the command is
// answered INVALID_COMMAND, so it can neither raise its minimum PIN
// length nor force a PIN change.
func (k *Key) SetConfigSupport(on bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.noConfig = !on
}

// configOptions drops the authenticatorConfig options from a getInfo
// answer when the feature is off, and returns the answer. k.mu is held.
func (k *Key) configOptions(info map[int]any) map[int]any {
	if opts, ok := info[0x04].(map[string]bool); ok && k.noConfig {
		delete(opts, "authnrCfg")
		delete(opts, "setMinPINLength")
		delete(opts, "alwaysUv")
	}
	return info
}
