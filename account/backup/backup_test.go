package backup_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account/backup"
)

// fast are the smallest parameters a file may have, to keep tests quick.
var fast = backup.Params{Time: 1, Memory: 8 * 1024, Threads: 1}

const pass = "correct horse battery staple"

func sample(t *testing.T) backup.Contents {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	db := bytes.Repeat([]byte("SQLite format 3\x00 account row alice@example.com "), 200)
	return backup.Contents{
		Manifest: backup.Manifest{
			CreatedAt:  time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC),
			Accounts:   []string{"alice@example.com"},
			LeftBehind: []backup.Passkey{{Account: "alice@example.com", Name: "Work laptop", CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}},
		},
		SealingKey: key,
		Database:   db,
	}
}

func sealed(t *testing.T, c backup.Contents) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := backup.Write(&buf, []byte(pass), fast, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTripAndNoPlaintext(t *testing.T) {
	c := sample(t)
	file := sealed(t, c)
	for _, secret := range [][]byte{c.SealingKey, []byte("alice@example.com"), []byte("SQLite format 3"), []byte("Work laptop"), []byte(pass)} {
		if bytes.Contains(file, secret) {
			t.Errorf("the file holds %q in the clear", secret)
		}
	}
	got, err := backup.Read(bytes.NewReader(file), []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.SealingKey, c.SealingKey) || !bytes.Equal(got.Database, c.Database) ||
		len(got.Manifest.LeftBehind) != 1 || got.Manifest.LeftBehind[0].Name != "Work laptop" ||
		!got.Manifest.CreatedAt.Equal(c.Manifest.CreatedAt) || got.Manifest.Accounts[0] != "alice@example.com" {
		t.Fatalf("read back %+v", got.Manifest)
	}
	// Two files of the same contents differ (fresh salt and nonce).
	if bytes.Equal(file, sealed(t, c)) {
		t.Fatal("two backups of the same contents are the same bytes")
	}
}

func TestRefusals(t *testing.T) {
	file := sealed(t, sample(t))
	flip := func(i int) []byte {
		b := bytes.Clone(file)
		b[i] ^= 0x01
		return b
	}
	withVersion := func(v byte) []byte {
		b := bytes.Clone(file)
		b[8] = v
		return b
	}
	for _, tc := range []struct {
		name string
		file []byte
		pass string
		want error
	}{
		{"wrong passphrase", file, "correct horse battery stapler", backup.ErrWrongPassphrase},
		{"empty passphrase", file, "", backup.ErrWrongPassphrase},
		{"flipped byte in the ciphertext", flip(len(file) / 2), pass, backup.ErrDamaged},
		{"flipped byte in the tag", flip(len(file) - 1), pass, backup.ErrDamaged},
		{"flipped byte in the parameters", flip(10), pass, backup.ErrDamaged},
		{"flipped byte in the salt", flip(20), pass, backup.ErrDamaged},
		{"flipped byte in the check value", flip(40), pass, backup.ErrDamaged},
		{"flipped byte in the nonce", flip(60), pass, backup.ErrDamaged},
		{"flipped byte in the magic", flip(0), pass, backup.ErrNotBackup},
		{"truncated in the ciphertext", file[:len(file)-100], pass, backup.ErrDamaged},
		{"truncated by one byte", file[:len(file)-1], pass, backup.ErrDamaged},
		{"truncated in the header", file[:30], pass, backup.ErrDamaged},
		{"only the magic", file[:9], pass, backup.ErrDamaged},
		{"empty file", nil, pass, backup.ErrNotBackup},
		{"bytes added", append(bytes.Clone(file), 0), pass, backup.ErrDamaged},
		{"newer version", withVersion(backup.Version + 1), pass, backup.ErrUnsupportedVersion},
		{"version zero", withVersion(0), pass, backup.ErrDamaged},
		{"not a backup", []byte("SQLite format 3\x00 and more bytes than a header has, surely, yes indeed"), pass, backup.ErrNotBackup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := backup.Read(bytes.NewReader(tc.file), []byte(tc.pass))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if c.SealingKey != nil || c.Database != nil {
				t.Fatal("a refused file gave contents")
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	c := sample(t)
	var buf bytes.Buffer
	if err := backup.Write(&buf, []byte("short pass"), fast, c); !errors.Is(err, backup.ErrWeakPassphrase) {
		t.Fatalf("a weak passphrase: %v", err)
	}
	if err := backup.Write(&buf, []byte(pass), backup.Params{Time: 1, Memory: 1024, Threads: 1}, c); err == nil {
		t.Fatal("too little memory was taken")
	}
	c.SealingKey = c.SealingKey[:16]
	if err := backup.Write(&buf, []byte(pass), fast, c); err == nil {
		t.Fatal("a short sealing key was taken")
	}
	if buf.Len() != 0 {
		t.Fatal("a refused write wrote bytes")
	}
}

func TestCheckPassphrase(t *testing.T) {
	for p, ok := range map[string]bool{"": false, "elevenchars": false, "twelve chars": true, "ääääääääääää": true, "ääääää": false} {
		if err := backup.CheckPassphrase([]byte(p)); (err == nil) != ok {
			t.Errorf("%q: %v", p, err)
		}
	}
}
