package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
)

// TestDescribeKeyErrors: every security-key error the wizard can meet has
// its own words and a next step, also when wrapped as fido/client and
// fido/libfido2 wrap them.
func TestDescribeKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		title    string
		contains []string
	}{
		{"excluded", fido.ErrCredentialExcluded, "Key already added", []string{"already holds a passkey for your account"}},
		{"full", fido.ErrKeyStoreFull, "Key is full", []string{"no room left", "Your account is unchanged."}},
		{"wrong PIN", &fido.PINError{Retries: 5}, "Wrong PIN", []string{"5 tries left"}},
		{"wrong PIN, one left", &fido.PINError{Retries: 1}, "Wrong PIN", []string{"1 try left"}},
		{"wrong PIN, retries unknown", &fido.PINError{Retries: -1}, "Wrong PIN", []string{"The PIN is wrong."}},
		{"blocked", fido.ErrPINBlocked, "PIN blocked", []string{"Only a reset of the key helps"}},
		{"soft-locked", fido.ErrPINAuthBlocked, "Key locked until reinserted", []string{"Remove and reinsert the key"}},
		{"timeout", fmt.Errorf("client: making the credential: %w", fido.ErrTimeout), "No touch in time", []string{"Touch your key"}},
		{"denied", fido.ErrDenied, "Declined on the key", nil},
		{"removed", fido.ErrKeyRemoved, "Key removed", []string{"Plug it back in"}},
		{"request too large", fmt.Errorf("client: getting an assertion: get assertion: %w", fido.ErrRequestTooLarge), "Request too large for this key", []string{"was not removed", "Use another security key"}},
		{"not FIDO2", fmt.Errorf("opening /dev/hidraw3: %w", fido.ErrNotFIDO2), "Not a FIDO2 security key", nil},
		{"canceled", fido.ErrCanceled, "Cancelled", []string{"Nothing was added"}},
		{"key's PIN policy", fido.ErrPINPolicy, "PIN not accepted", nil},
		{"too short", &pinRuleError{MinLength: 6}, "PIN too short", []string{"at least 6 characters"}},
		{"too long", &pinRuleError{MinLength: 4, TooLong: true}, "PIN too long", []string{"63 bytes"}},
		{"mismatch", &pinRuleError{MinLength: 4, Mismatch: true}, "The PINs differ", nil},
		{"unsupported", fido.ErrUnsupported, "Key cannot do this", nil},
		{"busy", fido.ErrBusy, "Key busy", []string{"busy with another request", "Finish or cancel that request"}},
		{"busy when opened", fmt.Errorf("opening sim://key: %w", fido.ErrBusy), "Key busy", []string{"busy with another request"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := describe(tc.err)
			if m.Title != tc.title {
				t.Errorf("title %q; want %q", m.Title, tc.title)
			}
			if m.internal {
				t.Error("a key error is described as internal")
			}
			if !strings.HasSuffix(m.Sentence, ".") || !strings.HasSuffix(m.Next, ".") {
				t.Errorf("message %+v: sentence and next step end with a full stop", m)
			}
			all := m.Title + " " + m.Sentence + " " + m.Next
			for _, c := range tc.contains {
				if !strings.Contains(all, c) {
					t.Errorf("message %q lacks %q", all, c)
				}
			}
			if strings.Contains(all, "fido:") || strings.Contains(all, "hidraw") {
				t.Errorf("message %q repeats the error's detail", all)
			}
		})
	}
}

func TestCheckNewPIN(t *testing.T) {
	for _, tc := range []struct {
		name, pin, again string
		min              int
		ok               bool
	}{
		{"fine", "1234", "1234", 4, true},
		{"default minimum", "123", "123", 0, false},
		{"short for this key", "12345", "12345", 6, false},
		{"code points, not bytes", "ééé", "ééé", 4, false},
		{"four code points", "éééé", "éééé", 4, true},
		{"too long", strings.Repeat("1", 64), strings.Repeat("1", 64), 4, false},
		{"differ", "1234", "1243", 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkNewPIN(tc.pin, tc.again, tc.min); (err == nil) != tc.ok {
				t.Errorf("checkNewPIN: %v; want ok=%v", err, tc.ok)
			}
		})
	}
}
