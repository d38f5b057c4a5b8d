package ui_test

import (
	"strings"
	"testing"
	"time"
)

// TestRealWindowOneCopyPerDataFolder: a second passkeydesk on the same
// data folder brings the first one's window back (here: maps it again
// after it was taken off the screen) and exits at once, saying so; it
// never runs beside the first without the phone page.
func TestRealWindowOneCopyPerDataFolder(t *testing.T) {
	requireXTools(t)
	bin := buildCommand(t, "./cmd/passkeydesk", t.TempDir())
	x := startXvfb(t)
	dir := t.TempDir()
	first, win := launchPainted(t, x, bin, "--data-dir", dir, "--phone-addr", "127.0.0.1:0")
	if _, err := x.xtool("xdotool", "windowunmap", "--sync", win); err != nil {
		t.Fatal(err)
	}
	if x.findWindow("Passkey Desk") != "" {
		t.Fatal("the window is still on screen after unmapping it")
	}

	second := x.launch(t, bin, "--data-dir", dir, "--phone-addr", "127.0.0.1:0")
	select {
	case <-second.done:
	case <-time.After(20 * time.Second):
		second.stop()
		t.Fatalf("the second copy is still running:\n%s", second.output())
	}
	if code := second.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(second.output(), "already open on this data folder") {
		t.Fatalf("the second copy exited with %d and said:\n%s", code, second.output())
	}
	if strings.Contains(second.output(), "phone enrollment page") {
		t.Fatalf("the second copy started the phone page:\n%s", second.output())
	}
	back := ""
	for deadline := time.Now().Add(10 * time.Second); back == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		back = x.findWindow("Passkey Desk")
	}
	if back != win {
		t.Fatalf("the first copy's window is not back on screen (found %q, want %s)", back, win)
	}
	if first.exited() {
		t.Fatalf("the first copy exited:\n%s", first.output())
	}
}
