package ui

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
)

// The words and numbers of security keys and PINs, in one place: how a key
// is named, how long key work may take, the rules of a new PIN (a key's
// and this computer's local PIN), and tries and times as people read them.

// Timing of the security-key method.
const (
	// keyWatchInterval is how often the key list is checked: a key
	// plugged in or pulled out shows within a second.
	keyWatchInterval = 250 * time.Millisecond
	// keyOpenTimeout bounds opening a key and reading its info and PIN
	// state.
	keyOpenTimeout = 15 * time.Second
	// keyCeremonyTimeout bounds one registration on a key, PIN entry and
	// touch included; the relying party's own timeout (account.CeremonyLifetime)
	// is shorter and ends the wait for a touch first.
	keyCeremonyTimeout = account.CeremonyLifetime + time.Minute
)

// simulatedKeyLabel is how a simulated key is called wherever it appears.
const simulatedKeyLabel = "Simulated security key"

// keyLabel names a key in a list: a simulated key is always "Simulated
// security key"; a USB key by its product string, else "Security key".
func keyLabel(d fido.DeviceInfo) string {
	switch {
	case d.Simulated:
		return simulatedKeyLabel
	case d.Product != "":
		return d.Product
	}
	return "Security key"
}

// keyLabels labels each key, numbering keys that would look the same.
func keyLabels(list []fido.DeviceInfo) []string {
	labels := make([]string, len(list))
	count := map[string]int{}
	for _, d := range list {
		count[keyLabel(d)]++
	}
	seen := map[string]int{}
	for i, d := range list {
		l := keyLabel(d)
		if count[l] > 1 {
			seen[l]++
			l += " (" + strconv.Itoa(seen[l]) + ")"
		}
		labels[i] = l
	}
	return labels
}

// modelName is the passkey name to suggest for a key: the model from the
// AAGUID catalog, else the key's product string, else "Security key".
func modelName(info *fido.Info, d fido.DeviceInfo) string {
	if info != nil {
		if m := assets.ModelName(info.AAGUID[:]); m != "" {
			return m
		}
	}
	if d.Simulated {
		return simulatedKeyLabel
	}
	if d.Product != "" {
		return d.Product
	}
	return "Security key"
}

// keyCloseWait bounds how long later key work waits for a key's Close: a
// Close that hangs (a key or a driver that stopped answering) is left to
// end on its own goroutine, logged, and the work queued after it goes on
// instead of waiting for a close that may never come.
var keyCloseWait = 5 * time.Second

// retriesWords is "1 try" or "N tries".
func retriesWords(n int) string {
	if n == 1 {
		return "1 try"
	}
	return strconv.Itoa(n) + " tries"
}

// holdTime is when a hold ends, in local time, as people read it.
func holdTime(t time.Time) string {
	return t.Local().Format("Mon 2 Jan 15:04")
}

// Limits of a PIN (CTAP 2.1 §6.5.5.1): at least the key's minimum length
// in Unicode code points (4 when the key does not say), at most 63 bytes
// of UTF-8.
const (
	defaultMinPINLength = 4
	maxPINBytes         = 63
)

// checkNewPIN applies the key's rules to a new PIN typed twice.
func checkNewPIN(pin, again string, minLength int) error {
	if minLength <= 0 {
		minLength = defaultMinPINLength
	}
	switch {
	case utf8.RuneCountInString(pin) < minLength:
		return &pinRuleError{MinLength: minLength}
	case len(pin) > maxPINBytes:
		return &pinRuleError{MinLength: minLength, TooLong: true}
	case pin != again:
		return &pinRuleError{MinLength: minLength, Mismatch: true}
	}
	return nil
}

// localMinPINLength is the shortest local PIN of this computer's passkeys
// (fido/platform's MinPINLength): digits only.
const localMinPINLength = 6

// checkLocalPIN applies the local PIN's rules to a new PIN typed twice:
// at least localMinPINLength digits, digits only, both the same.
func checkLocalPIN(pin, again string) error {
	if err := checkNewPIN(pin, again, localMinPINLength); err != nil {
		var r *pinRuleError
		if errors.As(err, &r) {
			r.Local = true
		}
		return err
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return &pinRuleError{MinLength: localMinPINLength, Local: true, Digits: true}
		}
	}
	return nil
}
