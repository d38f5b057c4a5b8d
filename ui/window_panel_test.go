//go:build cgo

package ui_test

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// prepareSimulatedKey gives the simulated key in dataDir a PIN and
// discoverable passkeys for two sites, made through real libfido2 as a
// browser would have, before the app is launched.
func prepareSimulatedKey(t *testing.T, dataDir, pin string) {
	t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dataDir, "simulated-key.json")
	key, err := softkey.Open(path, softkey.Options{Name: "window-panel-prepare", AAGUID: aaguid})
	if err != nil {
		t.Fatal(err)
	}
	unregister := libfido2.Register("window-panel-prepare", key)
	defer unregister()
	ctx := context.Background()
	dev, err := libfido2.NewProvider().Open(ctx, key.HIDInfo().Path)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := dev.SetPIN(ctx, []byte(pin)); err != nil {
		t.Fatal(err)
	}
	prompt := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(pin), nil }}
	for _, c := range []struct{ rp, user, display string }{
		{"localhost", "kim@example.com", "Kim"},
		{"example.org", "ada@example.org", "Ada"},
		{"example.org", "bob@example.org", "Bob"},
	} {
		cdh := sha256.Sum256([]byte(c.rp + c.user))
		if _, err := dev.MakeCredential(ctx, &fido.MakeCredentialRequest{
			ClientDataHash:   cdh[:],
			RP:               fido.RelyingParty{ID: c.rp},
			User:             fido.User{ID: []byte(c.user), Name: c.user, DisplayName: c.display},
			Algorithms:       []int{fido.ES256},
			ResidentKey:      true,
			UserVerification: true,
		}, prompt); err != nil {
			t.Fatal(err)
		}
	}
	if err := key.Save(path); err != nil {
		t.Fatal(err)
	}
}

// TestRealWindowKeyPanel runs passkeydesk --simulated-key in a real window
// with a key holding passkeys for two sites, goes by keyboard to the
// Security keys panel, unlocks it with the PIN and screenshots the list.
func TestRealWindowKeyPanel(t *testing.T) {
	requireXTools(t)
	bin := buildCommand(t, "./cmd/passkeydesk", t.TempDir())
	x := startXvfb(t)
	dataDir := t.TempDir()
	const email, password, pin = "kim@example.com", "correct horse battery", "2468"
	secret := makeAccount(t, dataDir, email, password)
	prepareSimulatedKey(t, dataDir, pin)
	prefs := filepath.Join(x.configDir, "fyne", "io.passkeydesk.app")
	if err := os.MkdirAll(prefs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefs, "preferences.json"), []byte(`{"account.known":true}`), 0o600); err != nil {
		t.Fatal(err)
	}

	app := x.launch(t, bin, "--data-dir", dataDir, "--simulated-key")
	t.Cleanup(func() {
		app.stop()
		if t.Failed() {
			t.Logf("passkeydesk output:\n%s", app.output())
		}
	})
	win, err := app.waitWindow("Passkey Desk", 50*time.Millisecond, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.waitPainted(win, 50*time.Millisecond, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	shots := screenshotDir(t)
	shot := func(name string) {
		t.Helper()
		img, err := x.capture(win)
		if err != nil {
			t.Fatal(err)
		}
		if err := writePNG(filepath.Join(shots, name+".png"), img); err != nil {
			t.Fatal(err)
		}
	}
	do := func(args ...string) {
		t.Helper()
		if _, err := x.xtool("xdotool", args...); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	typeText := func(s string) { t.Helper(); do("type", "--delay", "20", s) }
	key := func(k string) { t.Helper(); do("key", k) }
	do("windowfocus", "--sync", win)

	typeText(email)
	key("Return")
	typeText(password)
	key("Return")
	typeText(totp(t, secret, time.Now()))
	key("Return")
	time.Sleep(3 * time.Second)
	shot("panel-1-signed-in")

	// Passkeys (Ctrl+2), then Tab past Settings to Security keys.
	key("ctrl+2")
	key("Tab")
	key("Tab")
	key("space")
	time.Sleep(2 * time.Second)
	shot("panel-2-card")

	// Past Sign out to the PIN entry; Enter unlocks.
	key("Tab")
	key("Tab")
	typeText(pin)
	key("Return")
	time.Sleep(3 * time.Second)
	shot("panel-3-unlocked")
	// The list is below the card: scroll the panel down with the wheel.
	do("mousemove", "--window", win, "600", "400")
	for range 20 {
		do("click", "5")
	}
	time.Sleep(time.Second)
	img, err := x.capture(win)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(shots, "panel-4-passkeys.png")
	if err := writePNG(path, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the key panel: %s", path)
	if app.exited() {
		t.Fatal("passkeydesk exited")
	}
	s := colourStats(img)
	if s.distinct < 32 || s.dominantShare > 0.985 {
		t.Errorf("the key panel looks blank: %d colours, the commonest covers %.1f%%", s.distinct, 100*s.dominantShare)
	}
}
