package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/passkeydesk/passkeydesk/fido"
)

// yubicoVendorID is Yubico's USB vendor ID.
const yubicoVendorID = 0x1050

// firmwareWords is a key's firmware version (getInfo's firmwareVersion,
// CTAP 2.1 §6.4, an integer whose meaning the vendor chooses) as its
// vendor writes it where the encoding is known, the raw integer
// otherwise, "" when the key does not say. Yubico keys and Passkey Desk's
// simulated key pack major.minor.patch into one byte each
// (5.4.3 is 0x050403); model is the key's model name from the AAGUID
// catalog, which names keys whose listing lacks the vendor ID.
func firmwareWords(v uint64, d fido.DeviceInfo, model string) string {
	if v == 0 {
		return ""
	}
	packed := d.Simulated || d.VendorID == yubicoVendorID ||
		strings.HasPrefix(model, "YubiKey") || strings.Contains(model, "by Yubico")
	if packed && v <= 0xffffff {
		return fmt.Sprintf("%d.%d.%d", v>>16, v>>8&0xff, v&0xff)
	}
	return strconv.FormatUint(v, 10)
}
