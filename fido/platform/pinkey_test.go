package platform

// The tests of the PIN key, the wrong-PIN count in the keyring entry, the
// upgrade of format 1 stores and starting over, against the real Secret
// Service (gnome-keyring under .ci/with-session).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/passkeydesk/passkeydesk/fido"
)

// realAuth is an authenticator on dir whose master key is an entry of the
// test's own in the real keyring, removed at the end.
func realAuth(t *testing.T, dir, user string) *Authenticator {
	t.Helper()
	a, err := New(Options{Dir: dir, AAGUID: thisComputerAAGUID(t), KeyringUser: user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// realEntry makes a keyring entry name of the test's own, removed at the end.
func realEntry(t *testing.T) string {
	t.Helper()
	needKeyring(t)
	user := realKeyringUser(t)
	t.Cleanup(func() { keyring.Delete(KeyringService, user) })
	return user
}

// realItem reads the test's keyring entry.
func realItem(t *testing.T, user string) *keyringItem {
	t.Helper()
	secret, err := SystemKeyring{}.Get(KeyringService, user)
	if err != nil {
		t.Fatal(err)
	}
	item, err := parseItem(secret)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// realSetup makes a store with the local PIN and passkeys for names in a
// new folder, keyed in the real keyring.
func realSetup(t *testing.T, names ...string) (a *Authenticator, user string, ids [][]byte) {
	t.Helper()
	ctx := context.Background()
	user = realEntry(t)
	a = realAuth(t, t.TempDir(), user)
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		att, err := a.MakeCredential(ctx, makeReq(n), answer(testPIN).prompt())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, att.CredentialID)
	}
	return a, user, ids
}

// openAll opens every record of the store at path with the master key
// alone, as someone holding the keyring and a copy of the data folder,
// but not the PIN, can.
func openAll(t *testing.T, path string, master []byte) (*storeFile, *keys, []*record) {
	t.Helper()
	s, err := decodeStore(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	k, err := deriveKeys(master)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*record
	for i := range s.Records {
		rec, err := k.openRecord(&s.Records[i], s.v1())
		if err != nil {
			t.Fatalf("record %d does not open with the master key: %v", i, err)
		}
		recs = append(recs, rec)
	}
	return s, k, recs
}

// TestPrivateKeysNeedThePIN: the master key alone opens a record's names
// and counter, never its private key; and a PIN part replaced by someone
// who holds the master key, with a PIN of their own, gives no signature.
func TestPrivateKeysNeedThePIN(t *testing.T) {
	ctx := context.Background()
	a, user, ids := realSetup(t, "alice", "bob")
	master := realItem(t, user).Key
	s, k, recs := openAll(t, a.path, master)
	for i, rec := range recs {
		if _, err := x509.ParsePKCS8PrivateKey(rec.PrivateKey); err == nil {
			t.Fatalf("record %d: the master key alone gives its private key", i)
		}
		if len(rec.PrivateKey) != 0 || len(rec.Key) == 0 {
			t.Fatalf("record %d: a bare private key of %d bytes, a sealed one of %d", i, len(rec.PrivateKey), len(rec.Key))
		}
		if _, err := k.open(rec.Key, keyAD(s.Records[i].ID)); err == nil {
			t.Errorf("record %d: its private key opens with the master key's sealing key", i)
		}
		pf, err := k.openPINFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if kek, err := k.openPIN(pf, []byte("000000")); err != nil || kek != nil {
			t.Errorf("a wrong PIN opens the verifier: %v", err)
		}
		kek, err := k.openPIN(pf, []byte(testPIN))
		if err != nil || kek == nil {
			t.Fatalf("the right PIN does not open the verifier: %v", err)
		}
		der, err := kek.openKey(s.Records[i].ID, rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
			t.Errorf("record %d: the PIN key gives no private key: %v", i, err)
		}
		// Moved under another credential ID, the sealed key does not open.
		if _, err := kek.openKey(s.Records[1-i].ID, rec); err == nil {
			t.Errorf("record %d: its sealed key opens under another credential ID", i)
		}
	}

	// With the keyring and the file, but not the PIN: seal a PIN part of
	// one's own. The app takes that PIN, but cannot sign.
	pf, _, err := k.newPIN([]byte("999999"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.sealPINFile(s, pf); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	if err := os.WriteFile(a.path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	thief := realAuth(t, filepath.Dir(a.path), user)
	as, err := thief.GetAssertion(ctx, getReq(ids[0]), answer("999999").prompt())
	if !errors.Is(err, ErrStoreCorrupt) || len(as) != 0 {
		t.Fatalf("signing with a PIN part of the thief's own: %d assertions, %v; want ErrStoreCorrupt", len(as), err)
	}
}

// failPINs types n wrong PINs into GetAssertion and then gives up.
func failPINs(t *testing.T, a *Authenticator, id []byte, n int) {
	t.Helper()
	typed := 0
	p := fido.Prompt{PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
		if typed == n {
			return nil, fido.ErrCanceled
		}
		typed++
		return []byte("000000"), nil
	}}
	if _, err := a.GetAssertion(context.Background(), getReq(id), p); !errors.Is(err, fido.ErrCanceled) {
		t.Fatalf("after %d wrong PINs: %v", n, err)
	}
}

// TestWrongPINCountSurvivesRestore: the wrong-PIN count lives in the
// keyring entry, so putting back a copy of the store made before the
// wrong PINs does not reset it.
func TestWrongPINCountSurvivesRestore(t *testing.T) {
	ctx := context.Background()
	a, user, ids := realSetup(t, "alice")
	dir := filepath.Dir(a.path)
	saved := readFile(t, a.path)
	const n = 3
	failPINs(t, a, ids[0], n)
	if err := os.WriteFile(a.path, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	b := realAuth(t, dir, user) // a new session, as after a restart
	if st, err := b.PINState(ctx); err != nil || st.Retries != maxWrongPINs-n {
		t.Fatalf("after restoring the store: %+v, %v; want %d retries", st, err, maxWrongPINs-n)
	}
	if item := realItem(t, user); item.WrongPINs != n {
		t.Errorf("keyring entry counts %d wrong PINs, want %d", item.WrongPINs, n)
	}
	// Two more wrong PINs start the wait, restored file or not.
	failPINs(t, b, ids[0], 1)
	if err := os.WriteFile(a.path, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	var be *fido.PINBackoffError
	if _, err := b.GetAssertion(ctx, getReq(ids[0]), answer("000000").prompt()); !errors.As(err, &be) {
		t.Fatalf("fifth wrong PIN: %v, want a wait", err)
	}
	if err := os.WriteFile(a.path, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	c := realAuth(t, dir, user)
	right := answer(testPIN)
	if _, err := c.GetAssertion(ctx, getReq(ids[0]), right.prompt()); !errors.As(err, &be) || right.count() != 0 {
		t.Fatalf("during the wait, with the store restored: %v, asked %d; want the wait, not asked", err, right.count())
	}
}

// TestUpgradeFromFormat1 opens testdata/store-v1.json, written by the
// format 1 code (a master key of 32 bytes 0x5a, a throwaway; PIN 246810;
// passkeys for alice and bob; two wrong PINs), with its master key in the
// real keyring as format 1 wrote it: bare base64. It works at once, keeps
// its wrong PINs, stays as it is until the right PIN, then becomes format
// 2 in one write, its private keys sealed under the PIN key.
func TestUpgradeFromFormat1(t *testing.T) {
	ctx := context.Background()
	user := realEntry(t)
	if err := (SystemKeyring{}).Set(KeyringService, user, base64.StdEncoding.EncodeToString(fuzzMaster)); err != nil {
		t.Fatal(err)
	}
	var creds []struct {
		ID   []byte `json:"id"`
		User string `json:"user"`
		X, Y []byte
	}
	if err := json.Unmarshal(readFile(t, "testdata/store-v1-credentials.json"), &creds); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v1 := readFile(t, "testdata/store-v1.json")
	if err := os.WriteFile(storePath(dir), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	a := realAuth(t, dir, user)
	if info, err := a.Info(ctx); err != nil || !info.HasOption("uv") {
		t.Fatalf("info of a format 1 store: %+v, %v", info, err)
	}
	if st, err := a.PINState(ctx); err != nil || !st.Set || st.Retries != maxWrongPINs-2 {
		t.Fatalf("PIN state of a format 1 store: %+v, %v; want set, %d retries", st, err, maxWrongPINs-2)
	}
	// A wrong PIN is counted in the keyring entry (carrying over the
	// store's two); the store is not written.
	failPINs(t, a, creds[0].ID, 1)
	unchanged(t, storePath(dir), v1)
	if item := realItem(t, user); item.V != itemVersion || item.WrongPINs != 3 || !bytes.Equal(item.Key, fuzzMaster) {
		t.Fatalf("keyring entry after a wrong PIN: version %d, %d wrong, same key %v", item.V, item.WrongPINs, bytes.Equal(item.Key, fuzzMaster))
	}

	// The right PIN upgrades the store and signs.
	pp := answer(testPIN)
	as, err := a.GetAssertion(ctx, getReq(creds[0].ID), pp.prompt())
	if err != nil {
		t.Fatalf("first sign-in after the upgrade: %v", err)
	}
	if pp.asked[0].Retries != maxWrongPINs-3 {
		t.Errorf("asked with %d retries, want %d", pp.asked[0].Retries, maxWrongPINs-3)
	}
	verifySig(t, creds[0].X, creds[0].Y, as[0], 1)
	if item := realItem(t, user); item.WrongPINs != 0 {
		t.Errorf("right PIN left %d wrong PINs", item.WrongPINs)
	}
	s, _, recs := openAll(t, storePath(dir), fuzzMaster)
	if s.Format != storeFormat || s.State != nil || s.PIN == nil || len(recs) != 2 {
		t.Fatalf("after the upgrade: format %q, state %d bytes, PIN %d bytes, %d records", s.Format, len(s.State), len(s.PIN), len(recs))
	}
	for i, rec := range recs {
		if len(rec.PrivateKey) != 0 {
			t.Errorf("record %d keeps its private key under the master key alone", i)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files beside the store: %v", entries)
	}

	// A new session: bob's passkey too, with the PIN's key.
	b := realAuth(t, dir, user)
	as, err = b.GetAssertion(ctx, getReq(creds[1].ID), answer(testPIN).prompt())
	if err != nil {
		t.Fatal(err)
	}
	verifySig(t, creds[1].X, creds[1].Y, as[0], 1)
	if _, err := b.GetAssertion(ctx, getReq(creds[1].ID), answer("000000", testPIN).prompt()); err != nil {
		t.Fatal(err)
	}
}

// verifySig checks an assertion's signature with the public key (x, y)
// and its counter.
func verifySig(t *testing.T, x, y []byte, as fido.Assertion, counter uint32) {
	t.Helper()
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	digest := sha256.Sum256(append(bytes.Clone(as.AuthData), getReq().ClientDataHash...))
	if !ecdsa.VerifyASN1(pub, digest[:], as.Signature) {
		t.Errorf("signature of %x… does not verify", as.CredentialID[:4])
	}
	if got := binary.BigEndian.Uint32(as.AuthData[33:37]); got != counter {
		t.Errorf("counter %d, want %d", got, counter)
	}
}

// TestChangePINReseals: changing the PIN seals every private key again
// under the new PIN's key, in one write: afterwards the old PIN's key
// opens none of them and the new one opens all.
func TestChangePINReseals(t *testing.T) {
	ctx := context.Background()
	a, user, ids := realSetup(t, "alice", "bob")
	master := realItem(t, user).Key
	sOld, k, _ := openAll(t, a.path, master)
	pfOld, err := k.openPINFile(sOld)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := k.openPIN(pfOld, []byte(testPIN))
	if err != nil || oldKey == nil {
		t.Fatal("the old PIN does not open its own store", err)
	}

	const newPIN = "13572468"
	if err := a.ChangePIN(ctx, []byte(testPIN), []byte(newPIN)); err != nil {
		t.Fatal(err)
	}
	s, _, recs := openAll(t, a.path, master)
	pf, err := k.openPINFile(s)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := k.openPIN(pf, []byte(newPIN))
	if err != nil || newKey == nil {
		t.Fatal("the new PIN does not open the store", err)
	}
	if kek, _ := k.openPIN(pf, []byte(testPIN)); kek != nil {
		t.Error("the old PIN still opens the store")
	}
	for i, rec := range recs {
		id := s.Records[i].ID
		if _, err := oldKey.openKey(id, rec); err == nil {
			t.Errorf("record %d: the old PIN's key still opens its private key", i)
		}
		der, err := newKey.openKey(id, rec)
		if err != nil {
			t.Errorf("record %d: %v", i, err)
		}
		clear(der)
	}
	if entries, _ := os.ReadDir(filepath.Dir(a.path)); len(entries) != 1 {
		t.Errorf("files beside the store: %v", entries)
	}

	// A new session signs with the new PIN; the old PIN is wrong.
	b := realAuth(t, filepath.Dir(a.path), user)
	pp := answer(testPIN, newPIN)
	for _, id := range ids {
		if _, err := b.GetAssertion(ctx, getReq(id), pp.prompt()); err != nil {
			t.Fatal(err)
		}
	}
	if len(pp.asked) != 3 || !pp.asked[1].Wrong {
		t.Errorf("asked %+v; want the old PIN refused once", pp.asked)
	}
}

// TestStartOverDeletesKeys: starting over a usable store deletes every
// private key and the PIN, resets the wrong-PIN count and replaces the
// master key, so that not even a copy of the old store opens again.
func TestStartOverDeletesKeys(t *testing.T) {
	ctx := context.Background()
	a, user, ids := realSetup(t, "alice")
	failPINs(t, a, ids[0], 2)
	oldMaster := realItem(t, user).Key
	saved := readFile(t, a.path)
	aside, err := a.StartOver(ctx)
	if err != nil || aside != "" {
		t.Fatalf("StartOver: %q, %v", aside, err)
	}
	item := realItem(t, user)
	if bytes.Equal(item.Key, oldMaster) || item.WrongPINs != 0 {
		t.Errorf("after starting over: same master key %v, %d wrong PINs", bytes.Equal(item.Key, oldMaster), item.WrongPINs)
	}
	if st, err := a.PINState(ctx); err != nil || st.Set || st.Retries != maxWrongPINs {
		t.Errorf("PIN state after starting over: %+v, %v", st, err)
	}
	s, _, recs := openAll(t, a.path, item.Key)
	if len(recs) != 0 || s.PIN != nil {
		t.Errorf("after starting over: %d records, PIN %d bytes", len(recs), len(s.PIN))
	}
	if entries, _ := os.ReadDir(filepath.Dir(a.path)); len(entries) != 1 {
		t.Errorf("files beside the store: %v", entries)
	}
	if _, err := a.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt()); !errors.Is(err, fido.ErrPINNotSet) && !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("old passkey after starting over: %v", err)
	}
	// The old store put back does not open under the new master key.
	if err := os.WriteFile(a.path, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := realAuth(t, filepath.Dir(a.path), user).Check(ctx); !errors.Is(err, ErrMasterKeyMismatch) {
		t.Errorf("old store put back: %v, want ErrMasterKeyMismatch", err)
	}
	if err := os.Remove(a.path); err != nil {
		t.Fatal(err)
	}
	// And a new PIN and passkey work.
	if err := a.SetPIN(ctx, []byte("135790")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.MakeCredential(ctx, makeReq("alice"), answer("135790").prompt()); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteCredential: a passkey deleted from the store is gone with its
// private key; the others stay; it needs neither the PIN nor the keyring.
func TestDeleteCredential(t *testing.T) {
	ctx := context.Background()
	a, kr, ids := setup(t, "alice", "bob")
	kr.err = errLocked
	if err := a.DeleteCredential(ctx, ids[0]); err != nil {
		t.Fatalf("DeleteCredential with the keyring locked: %v", err)
	}
	if err := a.DeleteCredential(ctx, ids[0]); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("deleting it again: %v, want ErrNoCredentials", err)
	}
	kr.err = nil
	s, err := decodeStore(readFile(t, a.path))
	if err != nil || len(s.Records) != 1 || !bytes.Equal(s.Records[0].ID, ids[1]) {
		t.Fatalf("store after deleting: %v", err)
	}
	if _, err := a.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt()); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("deleted passkey: %v, want ErrNoCredentials", err)
	}
	if _, err := a.GetAssertion(ctx, getReq(ids[1]), answer(testPIN).prompt()); err != nil {
		t.Errorf("the other passkey: %v", err)
	}
	if err := newAuth(t, t.TempDir(), newMemKeyring(), nil).DeleteCredential(ctx, ids[1]); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("no store: %v", err)
	}
}

// TestKeyringItemVersions: version 1 entries (bare base64) still load,
// version 2 round-trips, a newer version is refused with a reason that
// does not quote the entry.
func TestKeyringItemVersions(t *testing.T) {
	v1 := base64.StdEncoding.EncodeToString(fuzzMaster)
	item, err := parseItem(v1)
	if err != nil || item.V != 1 || !bytes.Equal(item.Key, fuzzMaster) || item.WrongPINs != 0 {
		t.Fatalf("version 1: %+v, %v", item, err)
	}
	item.WrongPINs = 4
	back, err := parseItem(item.encode())
	if err != nil || back.V != 2 || back.WrongPINs != 4 || !bytes.Equal(back.Key, fuzzMaster) {
		t.Fatalf("version 2: %+v, %v", back, err)
	}
	newer := strings.Replace(item.encode(), `"v":2`, `"v":3`, 1)
	if _, err := parseItem(newer); err == nil || !strings.Contains(err.Error(), "newer") || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(fuzzMaster)) {
		t.Errorf("version 3: %v", err)
	}
	for _, bad := range []string{"", "hunter2", `{"v":2}`, `{"v":2,"key":"` + v1 + `","wrongPins":-1}`, `{"v":2,"key":"` + v1 + `","extra":1}`} {
		if _, err := parseItem(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
