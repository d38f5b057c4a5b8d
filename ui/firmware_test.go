package ui

import (
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
)

func TestFirmwareWords(t *testing.T) {
	yubico := fido.DeviceInfo{VendorID: 0x1050, Product: "YubiKey OTP+FIDO+CCID"}
	other := fido.DeviceInfo{VendorID: 0x096e, Product: "FT-JCOS BioPass FIDO2"}
	for _, tc := range []struct {
		name  string
		v     uint64
		d     fido.DeviceInfo
		model string
		want  string
	}{
		{"simulated 1.0.0", 65536, fido.DeviceInfo{Simulated: true}, "", "1.0.0"},
		{"Yubico by vendor ID", 0x050403, yubico, "", "5.4.3"},
		{"Yubico by model", 0x050702, fido.DeviceInfo{}, "YubiKey 5 NFC", "5.7.2"},
		{"Yubico security key by model", 0x050206, fido.DeviceInfo{}, "Security Key NFC by Yubico", "5.2.6"},
		{"unknown vendor: raw", 0x050403, other, "", "328707"},
		{"unknown vendor, small: raw", 7, other, "Some key", "7"},
		{"Yubico but too large to be packed: raw", 0x01050403, yubico, "", "17105923"},
		{"not reported", 0, yubico, "", ""},
	} {
		if got := firmwareWords(tc.v, tc.d, tc.model); got != tc.want {
			t.Errorf("%s: firmwareWords(%#x) = %q, want %q", tc.name, tc.v, got, tc.want)
		}
	}
}
