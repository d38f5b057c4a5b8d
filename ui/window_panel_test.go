//go:build cgo

package ui_test

import (
	"context"
	"crypto/sha256"
	"image"
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
	d := launchKnownAccount(t, x, bin, dataDir)
	win, shots, shot, typeText, key := d.win, d.shots, d.shot, d.typeText, d.key

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
	// The list is below the card, taller than the window: the page
	// brings its new title, "Passkeys on this key", to the top of the
	// view (pageLayout), with the search box right under it. Click into
	// it.
	time.Sleep(time.Second)
	shot("panel-4-passkeys")
	d.do("mousemove", "--window", win, "480", "75")
	d.do("click", "1")

	// One site, then the other, through the search box: each screenshot
	// shows one site's group, and the two differ below the search box.
	search := func(text, name string) *image.RGBA {
		t.Helper()
		key("ctrl+a")
		typeText(text)
		time.Sleep(time.Second)
		img, err := x.capture(win)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(shots, name+".png")
		if err := writePNG(path, img); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the key panel searched for %q: %s", text, path)
		if s := colourStats(img); s.distinct < 32 || s.dominantShare > 0.985 {
			t.Errorf("the key panel searched for %q looks blank: %d colours, the commonest covers %.1f%%", text, s.distinct, 100*s.dominantShare)
		}
		return img
	}
	org := search("example.org", "panel-5-example-org")
	local := search("localhost", "panel-6-localhost")
	if d.app.exited() {
		t.Fatal("passkeydesk exited")
	}
	if share := differentShare(org, local); share < 0.02 {
		t.Errorf("the list looks the same for both sites: %.2f%% of the pixels differ", 100*share)
	}
}

// differentShare is the share of pixels that differ between two images of
// the same size (1 when the sizes differ).
func differentShare(a, b *image.RGBA) float64 {
	if a.Bounds() != b.Bounds() || len(a.Pix) == 0 {
		return 1
	}
	n := 0
	for i := 0; i+3 < len(a.Pix); i += 4 {
		if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
			n++
		}
	}
	return float64(n) / float64(len(a.Pix)/4)
}
