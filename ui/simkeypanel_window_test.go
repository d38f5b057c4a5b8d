//go:build cgo

package ui_test

import (
	"path/filepath"
	"testing"
	"time"
)

// TestRealWindowSimulatedKeyControls runs passkeydesk --simulated-key in a
// real window, goes by keyboard to Security keys and opens the simulated
// key's controls: a window of their own, which must not be blank; its
// Unplug (the first control that can act, as nothing waits for a touch)
// changes it to offer Plug in. Screenshots go to
// $PASSKEYDESK_SCREENSHOT_DIR when set.
func TestRealWindowSimulatedKeyControls(t *testing.T) {
	requireXTools(t)
	bin := buildCommand(t, "./cmd/passkeydesk", t.TempDir())
	x := startXvfb(t)
	dataDir := t.TempDir()
	const email, password = "kim@example.com", "correct horse battery"
	secret := makeAccount(t, dataDir, email, password)
	d := launchKnownAccount(t, x, bin, dataDir)
	shots, shot, typeText, key := d.shots, d.shot, d.typeText, d.key

	typeText(email)
	key("Return")
	typeText(password)
	key("Return")
	typeText(totp(t, secret, time.Now()))
	key("Return")
	time.Sleep(3 * time.Second)

	// Passkeys (Ctrl+2), then Tab past Settings to Security keys.
	key("ctrl+2")
	key("Tab")
	key("Tab")
	key("space")
	time.Sleep(2 * time.Second)
	// Past Sign out, the fresh key's "Set PIN…" and "Reset key…" to the
	// controls, last on the page.
	for range 4 {
		key("Tab")
	}
	key("space")
	shot("simkey-1-panel")
	win, err := d.app.waitWindow("Simulated key controls", 50*time.Millisecond, 10*time.Second)
	if err != nil {
		t.Fatalf("the simulated key's controls did not open: %v", err)
	}
	time.Sleep(time.Second)
	capture := func(name string) []byte {
		t.Helper()
		img, err := x.capture(win)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(shots, name+".png")
		if err := writePNG(path, img); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the simulated key's controls: %s", path)
		if s := colourStats(img); s.distinct < 32 || s.dominantShare > 0.985 {
			t.Errorf("the controls look blank: %d colours, the commonest covers %.1f%%", s.distinct, 100*s.dominantShare)
		}
		return img.Pix
	}
	before := capture("simkey-2-controls")

	d.do("windowfocus", "--sync", win)
	key("Tab")
	key("space")
	time.Sleep(time.Second)
	after := capture("simkey-3-unplugged")
	if string(before) == string(after) {
		t.Error("the controls look the same after Unplug")
	}
	shot("simkey-4-panel-unplugged")
	if d.app.exited() {
		t.Fatal("passkeydesk exited")
	}
}
