package ui

import "testing"

// TestIdentityCheckCancelAfterChoosingCodes: once password and codes are
// chosen, Cancel is enabled and leaves the check.
func TestIdentityCheckCancelAfterChoosingCodes(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.signedIn(h.user("ivy@example.com"))
	h.tap("Settings")
	h.tap("Recovery codes…")
	h.tap("Make new codes")
	h.tap("Verify with password and codes")
	h.wantText("Confirm it is you", "Verify and make new codes")
	h.tap("Cancel")
	h.notText("Confirm it is you", "Verify with password and codes")
	h.wantText("10 of your 10 recovery codes are left")
}
