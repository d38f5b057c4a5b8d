package enroll

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLabelFits: a label keeps the key ID whole and shortens a long model
// name so that the whole fits a batch entry's 64 characters.
func TestLabelFits(t *testing.T) {
	for _, tc := range []struct{ model, id, want string }{
		{"YubiKey 5 NFC", "AbCdEfGhIj", "YubiKey 5 NFC #AbCdEfGhIj"},
		{"YubiKey 5 NFC", "", "YubiKey 5 NFC"},
		{strings.Repeat("Ä", 70), "AbCdEfGhIj", strings.Repeat("Ä", 51) + "… #AbCdEfGhIj"},
		{strings.Repeat("x", 70), "", strings.Repeat("x", 63) + "…"},
	} {
		got := label(tc.model, tc.id)
		if got != tc.want || utf8.RuneCountInString(got) > MaxLabel {
			t.Errorf("label(%d runes, %q) = %q (%d runes)", utf8.RuneCountInString(tc.model), tc.id, got, utf8.RuneCountInString(got))
		}
	}
}
