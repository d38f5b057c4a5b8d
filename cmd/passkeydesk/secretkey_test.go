package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestSealingKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")

	// Several first runs at once agree on one key.
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := sealingKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("run %d got key %x; run 0 got %x", i, k, keys[0])
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v; want 0600", fi.Mode().Perm())
	}
	if again, err := sealingKey(path); err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("a later run read %x, %v; want the same key", again, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secret-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sealingKey(path); err == nil {
		t.Error("a damaged key file was accepted")
	}
}
