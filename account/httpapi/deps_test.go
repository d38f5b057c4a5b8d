package httpapi_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerDoesNotLinkTheGUI: the HTTP API is what a separate account
// server will run; it must not pull in the GUI toolkit or the key stack.
func TestServerDoesNotLinkTheGUI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/") || strings.HasPrefix(pkg, "github.com/passkeydesk/passkeydesk/ui") ||
			strings.HasPrefix(pkg, "github.com/passkeydesk/passkeydesk/fido") {
			t.Errorf("account/httpapi depends on %s", pkg)
		}
	}
}
