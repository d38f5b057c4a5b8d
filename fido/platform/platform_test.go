package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
)

// TestCeremoniesThroughClient registers and signs in through fido/client
// and the real account service on SQLite, with kind this-computer.
func TestCeremoniesThroughClient(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := newAuth(t, dir, newMemKeyring(), nil)
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	testCeremonies(t, a)
	if fi, err := os.Stat(storePath(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store %v, mode %v; want 0600", err, fi.Mode())
	}
}

func testCeremonies(t *testing.T, a *Authenticator) {
	t.Helper()
	svc, clk, _ := accounttest.NewService(t, accounttest.Options{Model: assets.ModelName})
	c := newClient(t)
	pp := answer(testPIN)

	alice := accounttest.SignUp(t, svc, clk, "alice@example.com")
	pk := registerWith(t, svc, alice, c, a, pp.prompt())
	if pk.Kind != account.KindThisComputer || !slices.Equal(pk.Transports, []string{"internal"}) {
		t.Errorf("passkey kind %q, transports %v; want this-computer, [internal]", pk.Kind, pk.Transports)
	}
	want := thisComputerAAGUID(t)
	if !bytes.Equal(pk.AAGUID, want[:]) || pk.Model == "" {
		t.Errorf("AAGUID %x model %q; want %x and the catalog's name", pk.AAGUID, pk.Model, want)
	}
	if pk.BackupEligible || pk.BackedUp {
		t.Errorf("backup eligible %v, backed up %v; want device-bound", pk.BackupEligible, pk.BackedUp)
	}

	sess := signIn(t, svc, c, a, pp.prompt(), "alice@example.com", "alice@example.com")
	if sess.Account.Email != "alice@example.com" {
		t.Errorf("signed in as %q", sess.Account.Email)
	}
	bob := accounttest.SignUp(t, svc, clk, "bob@example.com")
	registerWith(t, svc, bob, c, a, pp.prompt())
	sess = signIn(t, svc, c, a, pp.prompt(), "", "bob@example.com")
	if sess.Account.Email != "bob@example.com" {
		t.Errorf("discoverable: signed in as %q", sess.Account.Email)
	}
	sess = signIn(t, svc, c, a, pp.prompt(), "", "alice@example.com")
	if sess.Account.Email != "alice@example.com" {
		t.Errorf("discoverable: signed in as %q", sess.Account.Email)
	}
	if n := pp.count(); n != 5 {
		t.Errorf("PIN asked %d times; want once per ceremony (5)", n)
	}
}

// TestCredentialShape checks the bytes of a registration and assertions:
// flags UP and UV without BE, BS; "none" attestation; the counter.
func TestCredentialShape(t *testing.T) {
	ctx := context.Background()
	a := newAuth(t, t.TempDir(), newMemKeyring(), nil)
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	info, err := a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Transports, []string{"internal"}) || !info.HasOption("rk") || !info.HasOption("uv") || !slices.Equal(info.Algorithms, []int{fido.ES256}) {
		t.Errorf("info %+v", info)
	}
	att, err := a.MakeCredential(ctx, makeReq("alice"), answer(testPIN).prompt())
	if err != nil {
		t.Fatal(err)
	}
	if att.Format != "none" || att.Signature != nil || att.X5C != nil {
		t.Errorf("attestation format %q, sig %x, x5c %d", att.Format, att.Signature, len(att.X5C))
	}
	if flags := att.AuthData[32]; flags != flagUP|flagUV|flagAT {
		t.Errorf("registration flags %#x; want UP|UV|AT and no BE, BS", flags)
	}
	if !bytes.Equal(att.AuthData[37:53], info.AAGUID[:]) {
		t.Errorf("AAGUID %x", att.AuthData[37:53])
	}
	raw := readFile(t, a.path)
	for _, secret := range []string{"localhost", "alice", testPIN} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the store holds %q in the clear", secret)
		}
	}
	for i := 1; i <= 3; i++ {
		as, err := a.GetAssertion(ctx, getReq(att.CredentialID), answer(testPIN).prompt())
		if err != nil {
			t.Fatal(err)
		}
		ad := as[0].AuthData
		if ad[32] != flagUP|flagUV || int(ad[36]) != i || as[0].User.Name != "alice" {
			t.Errorf("assertion %d: flags %#x counter %d user %+v", i, ad[32], ad[33:37], as[0].User)
		}
	}
}

func TestPINPolicyAndPrompt(t *testing.T) {
	ctx := context.Background()
	a := newAuth(t, t.TempDir(), newMemKeyring(), nil)
	if _, err := a.MakeCredential(ctx, makeReq("alice"), answer(testPIN).prompt()); !errors.Is(err, fido.ErrPINNotSet) {
		t.Errorf("before a PIN: %v, want ErrPINNotSet", err)
	}
	for _, bad := range []string{"", "12345", "12345a", "abcdef", "123 456"} {
		if err := a.SetPIN(ctx, []byte(bad)); !errors.Is(err, fido.ErrPINPolicy) {
			t.Errorf("SetPIN(%q): %v, want ErrPINPolicy", bad, err)
		}
	}
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPIN(ctx, []byte("999999")); !errors.Is(err, fido.ErrUnsupported) {
		t.Errorf("second SetPIN: %v, want ErrUnsupported", err)
	}
	if _, err := a.MakeCredential(ctx, makeReq("alice"), fido.Prompt{}); !errors.Is(err, fido.ErrPINRequired) {
		t.Errorf("no PIN prompt: %v, want ErrPINRequired", err)
	}
	if err := a.ChangePIN(ctx, []byte("000000"), []byte("135790")); !errors.As(err, new(*fido.PINError)) {
		t.Errorf("ChangePIN with a wrong PIN: %v, want *PINError", err)
	}
	if err := a.ChangePIN(ctx, []byte(testPIN), []byte("135790")); err != nil {
		t.Fatal(err)
	}
	// A fresh session (no remembered PIN) checks the argon2id hash.
	b := newAuth(t, a.path[:len(a.path)-len(FileName)-1], a.keyring, nil)
	if _, err := b.MakeCredential(ctx, makeReq("alice"), answer("135790").prompt()); err != nil {
		t.Errorf("new PIN in a new session: %v", err)
	}
	if st, err := b.PINState(ctx); err != nil || !st.Set || st.Retries != maxWrongPINs {
		t.Errorf("PIN state %+v, %v", st, err)
	}
}

// TestWrongPINBackoff: five wrong PINs start a 30 s wait, each further
// one doubles it, the wait survives a restart and a right PIN ends it.
func TestWrongPINBackoff(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := newMemKeyring()
	clk := &clock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	a := newAuth(t, dir, kr, clk.Now)
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	cred, err := a.MakeCredential(ctx, makeReq("alice"), answer(testPIN).prompt())
	if err != nil {
		t.Fatal(err)
	}

	wrong := answer("000000")
	_, err = a.GetAssertion(ctx, getReq(cred.CredentialID), wrong.prompt())
	var be *fido.PINBackoffError
	if !errors.As(err, &be) || !be.Until.Equal(clk.Now().Add(30*time.Second)) {
		t.Fatalf("five wrong PINs: %v, want PINBackoffError until +30s", err)
	}
	if wrong.count() != 5 {
		t.Errorf("asked %d times, want 5", wrong.count())
	}
	for i, req := range wrong.asked {
		if req.Retries != 5-i || req.Wrong != (i > 0) || req.MinLength != MinPINLength {
			t.Errorf("request %d: %+v", i, req)
		}
	}
	before := readFile(t, storePath(dir))

	// During the wait, even the right PIN is not asked for; a restart
	// does not end the wait.
	b := newAuth(t, dir, kr, clk.Now)
	right := answer(testPIN)
	clk.Advance(29 * time.Second)
	if _, err := b.GetAssertion(ctx, getReq(cred.CredentialID), right.prompt()); !errors.As(err, &be) || right.count() != 0 {
		t.Fatalf("during the wait: %v, asked %d; want PINBackoffError, not asked", err, right.count())
	}
	if err := b.ChangePIN(ctx, []byte(testPIN), []byte("135790")); !errors.As(err, &be) {
		t.Errorf("ChangePIN during the wait: %v", err)
	}
	unchanged(t, storePath(dir), before)

	// After it, one more wrong PIN waits 60 s, the next 120 s.
	clk.Advance(time.Second)
	for _, d := range []time.Duration{60 * time.Second, 120 * time.Second} {
		once := answer("111111")
		if _, err := b.GetAssertion(ctx, getReq(cred.CredentialID), once.prompt()); !errors.As(err, &be) || !be.Until.Equal(clk.Now().Add(d)) || once.count() != 1 {
			t.Fatalf("wrong PIN after a wait: %v, asked %d; want a wait of %v", err, once.count(), d)
		}
		clk.Advance(d)
	}
	// The right PIN resets the count.
	if _, err := b.GetAssertion(ctx, getReq(cred.CredentialID), answer(testPIN).prompt()); err != nil {
		t.Fatalf("right PIN after the wait: %v", err)
	}
	if st, _ := b.PINState(ctx); st.Retries != maxWrongPINs {
		t.Errorf("retries after a right PIN: %d", st.Retries)
	}
	// Wrong, then right: asked again, with Wrong set.
	two := answer("000000", testPIN)
	if _, err := b.GetAssertion(ctx, getReq(cred.CredentialID), two.prompt()); err != nil || two.count() != 2 || !two.asked[1].Wrong || two.asked[1].Retries != 4 {
		t.Errorf("wrong then right: %v, asked %+v", err, two.asked)
	}
}

func TestBackoffDurations(t *testing.T) {
	for wrong, want := range map[int]time.Duration{0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 100: maxBackoff} {
		if got := backoff(wrong); got != want {
			t.Errorf("backoff(%d) = %v, want %v", wrong, got, want)
		}
	}
}

// setup makes a store with a PIN and credentials for names, and returns
// the authenticator, its keyring and the credential IDs.
func setup(t *testing.T, names ...string) (*Authenticator, *memKeyring, [][]byte) {
	t.Helper()
	ctx := context.Background()
	kr := newMemKeyring()
	a := newAuth(t, t.TempDir(), kr, nil)
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	var ids [][]byte
	for _, n := range names {
		att, err := a.MakeCredential(ctx, makeReq(n), answer(testPIN).prompt())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, att.CredentialID)
	}
	return a, kr, ids
}

// editStore rewrites the store's JSON through edit, as an attacker with
// the file (but not the keyring) could.
func editStore(t *testing.T, path string, edit func(s *storeFile)) []byte {
	t.Helper()
	s, err := decodeStore(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	edit(s)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDamagedStore: records edited or swapped and files cut short give
// ErrStoreCorrupt, before any PIN is asked, and leave the file as it was.
func TestDamagedStore(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(s *storeFile)
		raw  func(b []byte) []byte
		// ok lists the users whose sign-in must still work.
		ok []string
	}{
		{name: "tampered record", edit: func(s *storeFile) { s.Records[0].Sealed[nonceLen+3] ^= 1 }, ok: []string{"bob"}},
		{name: "swapped sealed bodies", edit: func(s *storeFile) {
			s.Records[0].Sealed, s.Records[1].Sealed = s.Records[1].Sealed, s.Records[0].Sealed
		}},
		{name: "swapped credential IDs", edit: func(s *storeFile) {
			s.Records[0].ID, s.Records[1].ID = s.Records[1].ID, s.Records[0].ID
		}},
		{name: "user handle changed", edit: func(s *storeFile) { s.Records[1].UserHandle = []byte("handle-alice") }, ok: []string{"alice"}},
		{name: "tampered PIN", edit: func(s *storeFile) { s.PIN[len(s.PIN)-1] ^= 0x80 }},
		{name: "truncated", raw: func(b []byte) []byte { return b[:len(b)/2] }},
		{name: "empty", raw: func(b []byte) []byte { return nil }},
		{name: "garbled", raw: func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"`), []byte(`'`)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, ids := setup(t, "alice", "bob")
			path := a.path
			var damaged []byte
			if tc.edit != nil {
				damaged = editStore(t, path, tc.edit)
			} else {
				damaged = tc.raw(readFile(t, path))
				if err := os.WriteFile(path, damaged, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			pp := answer(testPIN)
			for i, name := range []string{"alice", "bob"} {
				_, err := a.GetAssertion(ctx, getReq(ids[i]), pp.prompt())
				if slices.Contains(tc.ok, name) {
					if err != nil {
						t.Errorf("%s's sign-in: %v", name, err)
					}
					damaged = readFile(t, path) // the counter moved on
					continue
				}
				if !errors.Is(err, ErrStoreCorrupt) {
					t.Errorf("%s's sign-in: %v, want ErrStoreCorrupt", name, err)
				}
			}
			if len(tc.ok) == 0 {
				if pp.count() != 0 {
					t.Errorf("PIN asked %d times over a damaged store", pp.count())
				}
				if _, err := a.GetAssertion(ctx, getReq(), pp.prompt()); !errors.Is(err, ErrStoreCorrupt) {
					t.Errorf("discoverable sign-in: %v, want ErrStoreCorrupt", err)
				}
			}
			unchanged(t, path, damaged)
		})
	}
}

// TestMasterKeyMissingOrReplaced: the passkeys are reported unusable, no
// new key is made over the old one, the store is kept, and putting the
// key back makes everything work again.
func TestMasterKeyMissingOrReplaced(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		secret *string // nil: remove the entry
	}{
		{"missing", nil},
		{"replaced", ptr(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))},
		{"not a key", ptr("hunter2")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, kr, ids := setup(t, "alice")
			dir := a.path[:len(a.path)-len(FileName)-1]
			before := readFile(t, a.path)
			entry := KeyringService + "/" + KeyringUser
			orig := kr.secrets[entry]
			if tc.secret == nil {
				delete(kr.secrets, entry)
			} else {
				kr.secrets[entry] = *tc.secret
			}
			b := newAuth(t, dir, kr, nil)
			pp := answer(testPIN)
			if _, err := b.Info(ctx); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Errorf("Info: %v, want ErrMasterKeyMismatch", err)
			}
			if _, err := b.GetAssertion(ctx, getReq(ids[0]), pp.prompt()); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Errorf("GetAssertion: %v, want ErrMasterKeyMismatch", err)
			}
			if _, err := b.MakeCredential(ctx, makeReq("bob"), pp.prompt()); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Errorf("MakeCredential: %v, want ErrMasterKeyMismatch", err)
			}
			if err := b.Check(ctx); !errors.Is(err, ErrMasterKeyMismatch) {
				t.Errorf("Check: %v", err)
			}
			if got, ok := kr.secrets[entry]; (tc.secret == nil && ok) || (tc.secret != nil && got != *tc.secret) {
				t.Errorf("the keyring entry was changed to %q", got)
			}
			unchanged(t, a.path, before)

			kr.secrets[entry] = orig
			if _, err := b.GetAssertion(ctx, getReq(ids[0]), pp.prompt()); err != nil {
				t.Errorf("with the key back: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestKeyringUnavailable: no keyring means ErrKeyringUnavailable, with the
// keyring's reason, and never a key or a store on disk.
func TestKeyringUnavailable(t *testing.T) {
	ctx := context.Background()
	t.Run("first use", func(t *testing.T) {
		kr := newMemKeyring()
		kr.err = errLocked
		dir := t.TempDir()
		a := newAuth(t, dir, kr, nil)
		for name, op := range map[string]func() error{
			"Info":   func() error { _, err := a.Info(ctx); return err },
			"SetPIN": func() error { return a.SetPIN(ctx, []byte(testPIN)) },
			"Make": func() error {
				_, err := a.MakeCredential(ctx, makeReq("alice"), answer(testPIN).prompt())
				return err
			},
			"Check": func() error { return a.Check(ctx) },
		} {
			if err := op(); !errors.Is(err, ErrKeyringUnavailable) || !errors.Is(err, errLocked) {
				t.Errorf("%s: %v, want ErrKeyringUnavailable wrapping the cause", name, err)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 0 {
			t.Errorf("files written without a keyring: %v", entries)
		}
	})
	t.Run("set refused", func(t *testing.T) {
		kr := &refusingKeyring{memKeyring: newMemKeyring()}
		dir := t.TempDir()
		a := newAuth(t, dir, kr, nil)
		if err := a.SetPIN(ctx, []byte(testPIN)); !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("SetPIN: %v", err)
		}
		if _, err := os.Stat(storePath(dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("store written although the key was not kept: %v", err)
		}
	})
	t.Run("later", func(t *testing.T) {
		a, kr, ids := setup(t, "alice")
		before := readFile(t, a.path)
		kr.err = errLocked
		if _, err := a.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt()); !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("GetAssertion: %v", err)
		}
		unchanged(t, a.path, before)
		kr.err = nil
		if _, err := a.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt()); err != nil {
			t.Errorf("unlocked again: %v", err)
		}
	})
}

// refusingKeyring reads but refuses to store (an access denial).
type refusingKeyring struct{ *memKeyring }

func (refusingKeyring) Set(service, user, secret string) error {
	return errors.New("access denied")
}

// TestCachedMasterKey: with CacheMasterKey the master key is read once;
// the entry is read again only for its wrong-PIN count, once for each
// operation that asks for the PIN.
func TestCachedMasterKey(t *testing.T) {
	ctx := context.Background()
	kr := newMemKeyring()
	a, err := New(Options{Dir: t.TempDir(), AAGUID: thisComputerAAGUID(t), Keyring: kr, CacheMasterKey: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.SetPIN(ctx, []byte(testPIN))
	for range 3 {
		if _, err := a.MakeCredential(ctx, makeReq("alice"), answer(testPIN).prompt()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Info(ctx); err != nil {
		t.Fatal(err)
	}
	if kr.gets != 1+3 {
		t.Errorf("keyring read %d times, want 4: the master key once, the count for each of 3 PINs", kr.gets)
	}
}

func TestExcludeAndReplace(t *testing.T) {
	ctx := context.Background()
	a, _, ids := setup(t, "alice")
	req := makeReq("alice")
	req.Exclude = []fido.CredentialDescriptor{{ID: ids[0]}}
	if _, err := a.MakeCredential(ctx, req, answer(testPIN).prompt()); !errors.Is(err, fido.ErrCredentialExcluded) {
		t.Errorf("excluded: %v", err)
	}
	// Same RP and user again: the new credential replaces the old.
	att, err := a.MakeCredential(ctx, makeReq("alice"), answer(testPIN).prompt())
	if err != nil {
		t.Fatal(err)
	}
	as, err := a.GetAssertion(ctx, getReq(), answer(testPIN).prompt())
	if err != nil || len(as) != 1 || !bytes.Equal(as[0].CredentialID, att.CredentialID) {
		t.Errorf("after replacing: %d assertions, %v", len(as), err)
	}
	if _, err := a.GetAssertion(ctx, &fido.GetAssertionRequest{RPID: "example.com", ClientDataHash: make([]byte, 32)}, answer(testPIN).prompt()); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("other RP: %v", err)
	}
}

// TestStartOverUnusable: an unusable store is set aside (kept byte for
// byte), the computer makes passkeys again, and the old store still opens
// with its old key. (A usable store: TestStartOverDeletesKeys.)
func TestStartOverUnusable(t *testing.T) {
	ctx := context.Background()
	a, kr, ids := setup(t, "alice")
	entry := KeyringService + "/" + KeyringUser
	oldKey := kr.secrets[entry]
	before := readFile(t, a.path)
	delete(kr.secrets, entry)

	aside, err := a.StartOver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unchanged(t, aside, before)
	if err := a.SetPIN(ctx, []byte("135790")); err != nil {
		t.Fatalf("SetPIN after starting over: %v", err)
	}
	if _, err := a.MakeCredential(ctx, makeReq("alice"), answer("135790").prompt()); err != nil {
		t.Fatalf("MakeCredential after starting over: %v", err)
	}
	if kr.secrets[entry] == "" || kr.secrets[entry] == oldKey {
		t.Error("no new master key after starting over")
	}

	// The old store and key, put back, still work.
	dir := t.TempDir()
	if err := os.WriteFile(storePath(dir), readFile(t, aside), 0o600); err != nil {
		t.Fatal(err)
	}
	old := newMemKeyring()
	old.secrets[entry] = oldKey
	b := newAuth(t, dir, old, nil)
	if _, err := b.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt()); err != nil {
		t.Errorf("old store with its old key: %v", err)
	}

	// A damaged file is set aside too; an unavailable keyring is not a
	// reason to.
	if err := os.WriteFile(b.path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.StartOver(ctx); err != nil {
		t.Errorf("StartOver on a damaged file: %v", err)
	}
	old.err = errLocked
	if _, err := b.StartOver(ctx); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("StartOver without a keyring: %v", err)
	}
}

// TestPromptCanceled: a PIN prompt that ends with its context gives
// fido.ErrCanceled and writes nothing.
func TestPromptCanceled(t *testing.T) {
	a, _, ids := setup(t, "alice")
	before := readFile(t, a.path)
	ctx, cancel := context.WithCancel(context.Background())
	p := fido.Prompt{PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	if _, err := a.GetAssertion(ctx, getReq(ids[0]), p); !errors.Is(err, fido.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled prompt: %v, want ErrCanceled", err)
	}
	unchanged(t, a.path, before)
}

// TestTwoInstances: two authenticators on one data directory (as two
// instances of the app) never lose each other's counter updates.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	a, kr, ids := setup(t, "alice")
	b := newAuth(t, a.path[:len(a.path)-len(FileName)-1], kr, nil)
	const each = 10
	errs := make(chan error, 2)
	for _, dev := range []*Authenticator{a, b} {
		go func() {
			for range each {
				if _, err := dev.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt()); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	as, err := a.GetAssertion(ctx, getReq(ids[0]), answer(testPIN).prompt())
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint32(as[0].AuthData[33:37]); n != 2*each+1 {
		t.Errorf("counter %d after %d assertions", n, 2*each+1)
	}
}

// TestFirstUseThroughClient: before the local PIN is set, a registration
// through fido/client fails with fido.ErrPINNotSet (the UI then asks for
// a new PIN twice and calls SetPIN), and works after.
func TestFirstUseThroughClient(t *testing.T) {
	ctx := context.Background()
	a := newAuth(t, t.TempDir(), newMemKeyring(), nil)
	svc, clk, _ := accounttest.NewService(t, accounttest.Options{})
	c := newClient(t)
	u := accounttest.SignUp(t, svc, clk, "carol@example.com")
	grant := u.Grant(t, account.PurposeAddPasskey)
	opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindThisComputer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, a, opts, answer(testPIN).prompt()); !errors.Is(err, fido.ErrPINNotSet) {
		t.Fatalf("create before a PIN: %v, want ErrPINNotSet", err)
	}
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	cred, err := c.Create(ctx, a, opts, answer(testPIN).prompt())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FinishRegistration(ctx, u.Session.Token, grant, cred, "laptop — this computer"); err != nil {
		t.Fatal(err)
	}
}
