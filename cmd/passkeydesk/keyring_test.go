package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/passkeydesk/passkeydesk/ui"
)

func TestKeyringUserPerDataFolder(t *testing.T) {
	def := filepath.Join(t.TempDir(), "passkeydesk")
	if got := keyringUser(def, def); got != ui.KeyringUser {
		t.Errorf("the default folder's item is %q, want the earlier versions' %q", got, ui.KeyringUser)
	}
	if got := keyringUser(def+"/", def); got != ui.KeyringUser {
		t.Errorf("the default folder spelled with a slash gets %q", got)
	}
	other := t.TempDir()
	if got := keyringUser(other, def); got == ui.KeyringUser || got != ui.KeyringUser+":"+other {
		t.Errorf("another folder's item is %q", got)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if keyringUser("data", def) != keyringUser(filepath.Join(wd, "data"), def) {
		t.Error("a relative folder and its absolute path get different items")
	}
}
