package libfido2

import (
	"bufio"
	"errors"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
)

// TestErrorTableMatchesHeader checks the table against the installed
// <fido/err.h>: every FIDO_ERR_* there has an entry with its name and
// value, and the table has nothing else.
func TestErrorTableMatchesHeader(t *testing.T) {
	f, err := os.Open("/usr/include/fido/err.h")
	if err != nil {
		t.Skipf("libfido2 headers not installed: %v", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define\s+(FIDO_ERR_\w+)\s+(-?(?:0x)?[0-9a-fA-F]+)\s*$`)
	seen := map[int]bool{codeOK: true}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil || m[1] == "FIDO_ERR_SUCCESS" {
			continue
		}
		code, err := strconv.ParseInt(m[2], 0, 32)
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		e, ok := errorTable[int(code)]
		if !ok {
			t.Errorf("%s (%d) is not in the error table", m[1], code)
			continue
		}
		if e.name != m[1] {
			t.Errorf("code %d is named %s in the table, %s in err.h", code, e.name, m[1])
		}
		seen[int(code)] = true
	}
	if len(seen) < 50 {
		t.Fatalf("read only %d codes from err.h", len(seen))
	}
	for code, e := range errorTable {
		if !seen[code] {
			t.Errorf("table entry %s (%d) is not in err.h", e.name, code)
		}
		if (e.kind == kindSentinel) != (e.sentinel != nil && e.kind != kindPIN) {
			t.Errorf("%s: kind %d with sentinel %v", e.name, e.kind, e.sentinel)
		}
	}
}

func TestCodeError(t *testing.T) {
	tests := []struct {
		name string
		code int
		want error // nil: check the type below
		pin  bool
		dev  bool
		lib  bool
	}{
		{name: "ok", code: codeOK},
		{name: "pin invalid", code: codePINInvalid, want: fido.ErrPINInvalid, pin: true},
		{name: "pin blocked", code: codePINBlocked, want: fido.ErrPINBlocked},
		{name: "pin auth blocked", code: codePINAuthBlocked, want: fido.ErrPINAuthBlocked},
		{name: "pin required", code: codePINRequired, want: fido.ErrPINRequired},
		{name: "pin not set", code: codePINNotSet, want: fido.ErrPINNotSet},
		{name: "pin policy", code: codePINPolicyViolation, want: fido.ErrPINPolicy},
		{name: "uv blocked", code: codeUVBlocked, want: fido.ErrUVBlocked},
		{name: "fingerprints full", code: codeFPDatabaseFull, want: fido.ErrFingerprintsFull},
		{name: "excluded", code: codeCredentialExcluded, want: fido.ErrCredentialExcluded},
		{name: "key store full", code: codeKeyStoreFull, want: fido.ErrKeyStoreFull},
		{name: "no credentials", code: codeNoCredentials, want: fido.ErrNoCredentials},
		{name: "user action timeout", code: codeUserActionTimeout, want: fido.ErrTimeout},
		{name: "action timeout", code: codeActionTimeout, want: fido.ErrTimeout},
		{name: "denied", code: codeOperationDenied, want: fido.ErrDenied},
		{name: "keepalive cancel", code: codeKeepaliveCancel, want: fido.ErrCanceled},
		{name: "tx", code: codeTX, want: fido.ErrKeyRemoved},
		{name: "rx", code: codeRX, want: fido.ErrKeyRemoved},
		{name: "invalid command", code: codeInvalidCommand, want: fido.ErrUnsupported},
		{name: "unsupported option", code: codeUnsupportedOption, want: fido.ErrUnsupported},
		{name: "unsupported algorithm", code: codeUnsupportedAlgorithm, want: fido.ErrUnsupported},
		{name: "channel busy", code: codeChannelBusy, want: fido.ErrBusy},
		{name: "request too large", code: codeRequestTooLarge, want: fido.ErrRequestTooLarge},
		{name: "invalid cbor", code: codeInvalidCBOR, dev: true},
		{name: "pin auth invalid", code: codePINAuthInvalid, dev: true},
		{name: "other", code: codeErrOther, dev: true},
		{name: "unknown status", code: 0x50, dev: true},
		{name: "rx not cbor", code: codeRXNotCBOR, lib: true},
		{name: "internal", code: codeInternal, lib: true},
		{name: "unknown negative", code: -99, lib: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codeError("op", tt.code)
			switch {
			case tt.code == codeOK:
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("got %v, want %v", err, tt.want)
			}
			var pe *fido.PINError
			if errors.As(err, &pe) != tt.pin {
				t.Errorf("%v: PINError %v, want %v", err, !tt.pin, tt.pin)
			}
			var de *fido.DeviceError
			if errors.As(err, &de) != tt.dev {
				t.Errorf("%v: DeviceError %v, want %v", err, !tt.dev, tt.dev)
			} else if tt.dev && int(de.Status) != tt.code {
				t.Errorf("status 0x%02x, want 0x%02x", de.Status, tt.code)
			}
			var le *Error
			if errors.As(err, &le) != tt.lib {
				t.Errorf("%v: *Error %v, want %v", err, !tt.lib, tt.lib)
			}
		})
	}
}
