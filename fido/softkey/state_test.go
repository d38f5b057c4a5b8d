package softkey_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k, err := softkey.Open(path, softkey.Options{Name: "saved", AAGUID: testAAGUID})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, k)
	p := &platform{t: t, c: c, proto: 2}
	p.setPIN("1234")
	tok, _ := p.token("1234", 0x03, "example.com")
	mc := mcRequest("example.com", "alice", true)
	mc[8], mc[9] = p.authenticate(tok, mc[1].([]byte)), 2
	reg := makeCredential(t, c, mc)
	p.token("0000", 0, "") // one wrong PIN: 7 retries left
	if err := k.SetSignCount(41); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	k.Unplug()

	// The same file, another Key: same credential, PIN, retries, counter
	// and attestation certificate.
	k2, err := softkey.Open(path, softkey.Options{Name: "saved"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.AttestationCertificate(), k2.AttestationCertificate()) {
		t.Error("attestation certificate changed")
	}
	c2 := dial(t, k2)
	p2 := &platform{t: t, c: c2, proto: 2}
	if n, _ := p2.retries(); n != 7 {
		t.Errorf("retries %d, want 7", n)
	}
	tok, st := p2.token("1234", 0x02, "example.com")
	if st != stOK {
		t.Fatalf("PIN after reload: %#x", st)
	}
	ga := gaRequest("example.com")
	ga[6], ga[7] = p2.authenticate(tok, ga[2].([]byte)), 2
	st, a := getAssertion(t, c2, ctapGetAssertion, ga)
	if st != stOK || a.user["displayName"] != "User alice" {
		t.Fatalf("status %#x user %v", st, a.user)
	}
	if f := verifyAssertion(t, reg.pub, ga, a); f.count != 42 {
		t.Errorf("counter %d, want 42", f.count)
	}

	// Save writes a copy anywhere.
	copyPath := filepath.Join(t.TempDir(), "copy.json")
	if err := k2.Save(copyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := softkey.Open(copyPath, softkey.Options{Name: "copy"}); err != nil {
		t.Fatal(err)
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
	}{
		{"not JSON", "{"},
		{"wrong version", `{"Version": 9}`},
		{"no attestation key", `{"Version": 1, "Handle": "AAAAAAAAAAAAAAAAAAAAAA==", "PINRetries": 8}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := softkey.Open(path, softkey.Options{Name: "bad"}); err == nil {
				t.Fatal("Open accepted a bad state file")
			}
		})
	}
}

func TestDefaultAAGUID(t *testing.T) {
	want, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	if softkey.DefaultAAGUID != want {
		t.Fatalf("DefaultAAGUID %v, the catalog says %s", softkey.DefaultAAGUID, assets.SimulatedKeyAAGUID)
	}
	c := dial(t, newKey(t, softkey.Options{}))
	if reg := makeCredential(t, c, mcRequest("example.com", "alice", false)); !bytes.Equal(reg.aaguid, want[:]) {
		t.Fatalf("credential AAGUID %x", reg.aaguid)
	}
}
