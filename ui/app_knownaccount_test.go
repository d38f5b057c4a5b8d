package ui

import (
	"os"
	"path/filepath"
	"testing"
)

// The app opens on first run (account creation) until an account has
// signed in with the data folder it was started with; another folder is
// another account database and has its own first run.
func TestFirstRunIsPerDataFolder(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	if h.app.signUpScreen == nil {
		t.Fatalf("a new data folder does not open on first run; the window shows:\n%s", h.text())
	}
	h.signedIn(h.user("kate@example.com"))
	h.tap("Settings")
	h.tap("Sign out")

	h.start()
	if h.app.signInScreen == nil {
		t.Fatalf("a folder an account has signed in with opens on first run again; the window shows:\n%s", h.text())
	}

	first := h.dataDir
	h.dataDir = t.TempDir()
	h.start()
	if h.app.signUpScreen == nil {
		t.Fatalf("another data folder does not open on first run; the window shows:\n%s", h.text())
	}

	h.dataDir = first
	h.start()
	if h.app.signInScreen == nil {
		t.Fatalf("going back to the first folder opens on first run; the window shows:\n%s", h.text())
	}
}

// An earlier version kept one "known account" flag for every folder: the
// first folder opened after the upgrade takes it over, and other folders
// then have their own first run.
func TestKnownAccountFlagOfEarlierVersionIsTakenOver(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	prefs := h.fa.Preferences()
	prefs.SetBool(prefKnownAccount, true)
	h.start()
	if h.app.signInScreen == nil {
		t.Fatalf("the earlier flag is not honoured; the window shows:\n%s", h.text())
	}
	if prefs.Bool(prefKnownAccount) || !prefs.Bool(knownAccountPref(h.dataDir)) {
		t.Errorf("the earlier flag was not moved to the folder's own (plain %v, folder's %v)",
			prefs.Bool(prefKnownAccount), prefs.Bool(knownAccountPref(h.dataDir)))
	}
	h.dataDir = t.TempDir()
	h.start()
	if h.app.signUpScreen == nil {
		t.Fatalf("after the takeover, another folder does not open on first run; the window shows:\n%s", h.text())
	}
}

// The usual upgrade opens signed in, its session restored: the earlier
// flag is retired then too, so a new folder later has its first run.
func TestKnownAccountFlagOfEarlierVersionRetiredWhenSignedIn(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	prefs := h.fa.Preferences()
	prefs.SetBool(prefKnownAccount, true)
	h.signedIn(h.user("lea@example.com"))
	if prefs.Bool(prefKnownAccount) || !prefs.Bool(knownAccountPref(h.dataDir)) {
		t.Errorf("signed in, the earlier flag was not moved to the folder's own (plain %v, folder's %v)",
			prefs.Bool(prefKnownAccount), prefs.Bool(knownAccountPref(h.dataDir)))
	}
	h.tap("Settings")
	h.tap("Sign out")
	h.dataDir = t.TempDir()
	h.start()
	if h.app.signUpScreen == nil {
		t.Fatalf("a new folder does not open on first run; the window shows:\n%s", h.text())
	}
}

// A relative data folder is the same folder whatever the working
// directory's spelling of it.
func TestKnownAccountPrefOfRelativeFolder(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if knownAccountPref("data") != knownAccountPref(filepath.Join(wd, "data")) {
		t.Error("a relative folder and its absolute path have different flags")
	}
	if knownAccountPref("data") == knownAccountPref("other") {
		t.Error("two folders share a flag")
	}
}
