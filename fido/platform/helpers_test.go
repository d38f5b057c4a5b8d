package platform

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
)

// memKeyring is an in-memory Keyring. It exists because the unit tests
// must make the keyring lose, replace or refuse the master key, which a
// real Secret Service cannot be told to do, and because go-keyring's own
// MockInit swaps a process-wide provider with no way back. The tests that
// need the real Secret Service are in keyring_test.go.
type memKeyring struct {
	mu      sync.Mutex
	secrets map[string]string
	err     error // returned by every call when set
	gets    int
}

func newMemKeyring() *memKeyring { return &memKeyring{secrets: map[string]string{}} }

func (m *memKeyring) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.err != nil {
		return "", m.err
	}
	s, ok := m.secrets[service+"/"+user]
	if !ok {
		return "", ErrSecretNotFound
	}
	return s, nil
}

func (m *memKeyring) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.secrets[service+"/"+user] = secret
	return nil
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const testPIN = "246810"

func thisComputerAAGUID(t testing.TB) fido.AAGUID {
	t.Helper()
	id, err := assets.ParseAAGUID(assets.ThisComputerAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// newAuth returns an authenticator on dir with keyring kr, the local PIN
// set when setPIN.
func newAuth(t testing.TB, dir string, kr Keyring, now func() time.Time) *Authenticator {
	t.Helper()
	a, err := New(Options{Dir: dir, AAGUID: thisComputerAAGUID(t), Keyring: kr, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// pinPrompt answers with pins in turn (the last one repeated) and counts.
type pinPrompt struct {
	mu    sync.Mutex
	pins  []string
	asked []fido.PINRequest
}

func answer(pins ...string) *pinPrompt { return &pinPrompt{pins: pins} }

func (pp *pinPrompt) prompt() fido.Prompt {
	return fido.Prompt{PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
		pp.mu.Lock()
		defer pp.mu.Unlock()
		pp.asked = append(pp.asked, req)
		pin := pp.pins[min(len(pp.asked), len(pp.pins))-1]
		return []byte(pin), nil
	}}
}

func (pp *pinPrompt) count() int {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return len(pp.asked)
}

// makeReq is a MakeCredentialRequest for user name on localhost.
func makeReq(name string) *fido.MakeCredentialRequest {
	return &fido.MakeCredentialRequest{
		ClientDataHash:   bytes.Repeat([]byte{1}, 32),
		RP:               fido.RelyingParty{ID: "localhost", Name: "Passkey Desk"},
		User:             fido.User{ID: []byte("handle-" + name), Name: name, DisplayName: "Test " + name},
		Algorithms:       []int{fido.ES256},
		ResidentKey:      true,
		UserVerification: true,
	}
}

func getReq(allow ...[]byte) *fido.GetAssertionRequest {
	req := &fido.GetAssertionRequest{RPID: "localhost", ClientDataHash: bytes.Repeat([]byte{2}, 32), UserVerification: true}
	for _, id := range allow {
		req.Allow = append(req.Allow, fido.CredentialDescriptor{ID: id})
	}
	return req
}

func storePath(dir string) string { return filepath.Join(dir, FileName) }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unchanged fails the test when the file at path no longer holds want.
func unchanged(t testing.TB, path string, want []byte) {
	t.Helper()
	if got := readFile(t, path); !bytes.Equal(got, want) {
		t.Errorf("%s changed: %d bytes, was %d", path, len(got), len(want))
	}
}

// registerWith binds a passkey on dev to u through the real service:
// BeginRegistration → Client.Create → FinishRegistration.
func registerWith(t testing.TB, svc *account.Service, u *accounttest.User, c *client.Client, dev fido.Device, p fido.Prompt) *account.Passkey {
	t.Helper()
	ctx := context.Background()
	grant := u.Grant(t, account.PurposeAddPasskey)
	opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindThisComputer)
	if err != nil {
		t.Fatalf("beginning registration: %v", err)
	}
	cred, err := c.Create(ctx, dev, opts, p)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	pk, err := svc.FinishRegistration(ctx, u.Session.Token, grant, cred, "")
	if err != nil {
		t.Fatalf("finishing registration: %v\ncredential: %s", err, cred)
	}
	return pk
}

// signIn signs in through the real service with email ("" for a
// discoverable sign-in), picking the candidate for pick.
func signIn(t testing.TB, svc *account.Service, c *client.Client, dev fido.Device, p fido.Prompt, email, pick string) *account.Session {
	t.Helper()
	ctx := context.Background()
	opts, err := svc.BeginLogin(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	cands, err := c.Get(ctx, dev, opts, p)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	for _, cand := range cands {
		if cand.User.Name == pick {
			sess, err := svc.FinishLogin(ctx, cand.Credential)
			if err != nil {
				t.Fatalf("finishing login: %v", err)
			}
			return sess
		}
	}
	t.Fatalf("no candidate for %q among %d", pick, len(cands))
	return nil
}

func newClient(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// needKeyring reports whether the real Secret Service may be used: it
// fails the test under CI=true without one, and skips it elsewhere.
func needKeyring(t testing.TB) {
	t.Helper()
	if os.Getenv("PASSKEYDESK_TEST_KEYRING") == "1" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("PASSKEYDESK_TEST_KEYRING is not 1 under CI=true: run the tests through .ci/with-session (make test)")
	}
	t.Skip("no Secret Service for tests; run through .ci/with-session (make test)")
}

var errLocked = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
