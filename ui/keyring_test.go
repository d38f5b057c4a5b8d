package ui

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// TestKeyringTokensRoundTrip runs against a real Secret Service: make test
// starts one (.ci/with-session: a private D-Bus session with an unlocked,
// throwaway gnome-keyring) and sets PASSKEYDESK_TEST_KEYRING=1. Without it
// the test skips, except in CI, where a missing keyring is a failure.
func TestKeyringTokensRoundTrip(t *testing.T) {
	requireKeyring(t)
	// A service name of the test's own, so it never touches the app's item.
	b := make([]byte, 8)
	rand.Read(b)
	k := KeyringTokens{Service: "io.passkeydesk.app.test-" + hex.EncodeToString(b)}
	t.Cleanup(func() { k.Clear() })

	if tok, err := k.Load(); err != nil || tok != "" {
		t.Fatalf("Load of an empty keyring = %q, %v; want \"\", nil", tok, err)
	}
	const token = "pd_session_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
	if err := k.Save(token); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if tok, err := (KeyringTokens{Service: k.Service}).Load(); err != nil || tok != token {
		t.Fatalf("Load after Save = %q, %v; want the token", tok, err)
	}
	if err := k.Save(token + "2"); err != nil {
		t.Fatalf("Save over an existing token: %v", err)
	}
	if tok, _ := k.Load(); tok != token+"2" {
		t.Fatalf("Load after a second Save = %q", tok)
	}
	if err := k.Clear(); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if tok, err := k.Load(); err != nil || tok != "" {
		t.Fatalf("Load after Clear = %q, %v; want \"\", nil", tok, err)
	}
	if err := k.Clear(); err != nil {
		t.Fatalf("Clear of an empty keyring: %v", err)
	}
}

// Two items under one service, as two data folders have, keep their
// tokens apart: saving or clearing one leaves the other.
func TestKeyringTokensPerFolder(t *testing.T) {
	requireKeyring(t)
	b := make([]byte, 8)
	rand.Read(b)
	service := "io.passkeydesk.app.test-" + hex.EncodeToString(b)
	first, second := KeyringTokens{Service: service}, KeyringTokens{Service: service, User: KeyringUser + ":/tmp/other"}
	t.Cleanup(func() { first.Clear(); second.Clear() })
	if err := first.Save("pd_session_first"); err != nil {
		t.Fatal(err)
	}
	if err := second.Save("pd_session_second"); err != nil {
		t.Fatal(err)
	}
	if tok, err := first.Load(); err != nil || tok != "pd_session_first" {
		t.Fatalf("the first folder's token is %q, %v after the second saved its own", tok, err)
	}
	if err := second.Clear(); err != nil {
		t.Fatal(err)
	}
	if tok, err := first.Load(); err != nil || tok != "pd_session_first" {
		t.Fatalf("clearing the second folder's token took the first's: %q, %v", tok, err)
	}
}

// requireKeyring stops t without a Secret Service: a skip, except in CI,
// where a missing keyring is a failure.
func requireKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("PASSKEYDESK_TEST_KEYRING") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Secret Service for the keyring test: run the tests through .ci/with-session")
		}
		t.Skip("no Secret Service: run through .ci/with-session (make test) to test the real keyring")
	}
}
