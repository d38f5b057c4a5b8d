package softkey_test

import (
	"testing"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestConfigSupportOff: a key without authenticatorConfig lists none of
// its options and refuses the command, PIN or not; turned back on, it
// takes it again.
func TestConfigSupportOff(t *testing.T) {
	k := newKey(t, softkey.Options{})
	c := dial(t, k)
	p := &platform{t: t, c: c, proto: 2}
	k.SetConfigSupport(false)
	for _, o := range []string{"authnrCfg", "setMinPINLength", "alwaysUv"} {
		if _, ok := infoOptions(t, c)[o]; ok {
			t.Errorf("getInfo lists %s with authenticatorConfig off", o)
		}
	}
	if st := p.config(3, rawCBOR(t, map[int]any{1: 6}), nil); st != stInvalidCommand {
		t.Errorf("setMinPINLength without a PIN: %#x, want INVALID_COMMAND", st)
	}
	p.setPIN("1234")
	tok, _ := p.token("1234", permACfg, "")
	if st := p.config(3, rawCBOR(t, map[int]any{3: true}), tok); st != stInvalidCommand {
		t.Errorf("forceChangePin with a token: %#x, want INVALID_COMMAND", st)
	}
	var force bool
	decode(t, getInfoMap(t, c)[0x0c], &force)
	if force {
		t.Error("forcePINChange set by a refused command")
	}
	k.SetConfigSupport(true)
	if !infoOptions(t, c)["authnrCfg"] {
		t.Error("authnrCfg missing once turned back on")
	}
	if st := p.config(3, rawCBOR(t, map[int]any{3: true}), tok); st != stOK {
		t.Errorf("forceChangePin once turned back on: %#x", st)
	}
}
