package ui_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

// TestRealWindowSecurityKey runs passkeydesk --simulated-key in a real
// window and drives it by keyboard, as a user would, from sign-in through
// identity verification to the security-key step, whose screenshot must
// not be blank, and on through setting the simulated key's first PIN and
// saving the passkey. Screenshots of each step go to
// $PASSKEYDESK_SCREENSHOT_DIR when set.
//
// The account is made before launch in the data folder's database, with
// the data folder's own sealing key, through the same account service the
// app embeds; the test knows its TOTP secret and so can type codes. The
// service takes a code for the current step and one either side, each
// step once: sign-up confirms with the previous step's code, sign-in uses
// the current one and the identity check the next.
func TestRealWindowSecurityKey(t *testing.T) {
	requireXTools(t)
	bin := buildCommand(t, "./cmd/passkeydesk", t.TempDir())
	x := startXvfb(t)
	dataDir := t.TempDir()
	const email, password = "kim@example.com", "correct horse battery"
	secret := makeAccount(t, dataDir, email, password)
	d := launchKnownAccount(t, x, bin, dataDir)
	app, win, shots, shot, typeText, key := d.app, d.win, d.shots, d.shot, d.typeText, d.key

	// Sign in: the email entry has the focus; Enter moves on, and submits
	// from the code.
	now := time.Now()
	typeText(email)
	key("Return")
	typeText(password)
	key("Return")
	typeText(totp(t, secret, now))
	key("Return")
	time.Sleep(3 * time.Second)
	shot("key-1-signed-in")

	// Passkeys (Ctrl+2), then Tab past Settings, Security keys and Sign
	// out to Add passkey.
	key("ctrl+2")
	key("Tab")
	key("Tab")
	key("Tab")
	key("Tab")
	key("space")
	time.Sleep(time.Second)
	shot("key-2-verify")

	// Verify: password, Enter, code, Enter.
	typeText(password)
	key("Return")
	typeText(totp(t, secret, now.Add(30*time.Second)))
	key("Return")
	time.Sleep(3 * time.Second)
	shot("key-3-methods")

	// "Security key" has the focus.
	key("space")
	time.Sleep(2 * time.Second)
	img, err := x.capture(win)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(shots, "key-4-security-key.png")
	if err := writePNG(path, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the key step: %s", path)
	if app.exited() {
		t.Fatal("passkeydesk exited")
	}
	s := colourStats(img)
	if s.distinct < 32 || s.dominantShare > 0.985 {
		t.Errorf("the key step looks blank: %d colours, the commonest covers %.1f%%", s.distinct, 100*s.dominantShare)
	}

	// On through the whole method: Continue has the focus once a key is
	// chosen; the fresh simulated key gets a PIN, typed twice; the key,
	// touched at once, makes the passkey; Enter saves it under the
	// suggested name.
	key("space")
	time.Sleep(2 * time.Second)
	shot("key-5-set-pin")
	typeText("2468")
	key("Return")
	typeText("2468")
	key("Return")
	time.Sleep(3 * time.Second)
	shot("key-6-name")
	key("Return")
	time.Sleep(2 * time.Second)
	shot("key-7-listed")

	// The simulated key keeps its state in the data folder: its PIN and
	// the new passkey for this relying party.
	state, err := os.ReadFile(filepath.Join(dataDir, "simulated-key.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(state), `"RPID": "localhost"`) || strings.Contains(string(state), `"PINHash": null`) {
		t.Errorf("the simulated key's state holds no PIN or no passkey for localhost:\n%.400s", state)
	}
	if out := app.output(); strings.Contains(out, "level=ERROR") {
		t.Errorf("passkeydesk logged an error:\n%s", out)
	}
}

// makeAccount creates an active account in dataDir's database the way the
// app would, with a sealing key file the app then uses, and returns its
// TOTP secret.
func makeAccount(t *testing.T, dataDir, email, password string) string {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(dataDir, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(filepath.Join(dataDir, "passkeydesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := account.New(account.Config{
		RPID:      "localhost",
		RPName:    "Passkey Desk",
		Origins:   []string{"http://localhost"},
		SecretKey: key,
	}, store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	enr, err := svc.SignUp(ctx, account.SignUpRequest{Email: email, DisplayName: "Kim", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConfirmSignUp(ctx, enr.ID, totp(t, enr.Secret, time.Now().Add(-30*time.Second))); err != nil {
		t.Fatal(err)
	}
	return enr.Secret
}

func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := account.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keyboardSession is passkeydesk running in a real window, focused, with
// the small vocabulary the keyboard-driven tests use.
type keyboardSession struct {
	app      *xprocess
	win      string
	shots    string // where shot writes its PNGs
	shot     func(name string)
	do       func(args ...string)
	typeText func(s string)
	key      func(k string)
}

// launchKnownAccount starts passkeydesk --simulated-key on dataDir as if
// it had run before (it opens on sign-in, not account creation), waits for
// its first painted frame and focuses its window.
func launchKnownAccount(t *testing.T, x *xvfb, bin, dataDir string) *keyboardSession {
	t.Helper()
	prefs := filepath.Join(x.configDir, "fyne", "io.passkeydesk.app")
	if err := os.MkdirAll(prefs, 0o700); err != nil {
		t.Fatal(err)
	}
	// The machine-wide flag of earlier versions, which the first folder
	// opened takes over: the real window runs that upgrade path too.
	if err := os.WriteFile(filepath.Join(prefs, "preferences.json"), []byte(`{"account.known":true}`), 0o600); err != nil {
		t.Fatal(err)
	}

	app, win := launchPainted(t, x, bin, "--data-dir", dataDir, "--simulated-key")
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
	return &keyboardSession{app: app, win: win, shots: shots, shot: shot, do: do, typeText: typeText, key: key}
}
