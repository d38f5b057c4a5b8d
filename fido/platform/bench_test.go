package platform

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
)

// benchKeyring is the real Secret Service when the harness provides one
// (PASSKEYDESK_TEST_KEYRING=1, under .ci/with-session), else the
// in-memory keyring; the sub-benchmark's name says which.
func benchKeyring(b *testing.B) (Keyring, string, string) {
	if os.Getenv("PASSKEYDESK_TEST_KEYRING") == "1" {
		user := realKeyringUser(b)
		b.Cleanup(func() { keyring.Delete(KeyringService, user) })
		return SystemKeyring{}, user, "secret-service"
	}
	return newMemKeyring(), "", "memory"
}

// BenchmarkRegistration times a whole registration with this computer:
// the service's BeginRegistration, Client.Create through the platform
// authenticator (keyring read, local PIN, key generation, sealing, atomic
// write of the store) and FinishRegistration on SQLite. Each iteration
// binds a new account, made with the timer stopped. Budgets (median):
// 30 ms with the keyring read every time, 10 ms with the master key
// cached for the session.
func BenchmarkRegistration(b *testing.B) {
	for _, cached := range []bool{false, true} {
		kr, user, kind := benchKeyring(b)
		name := "keyring=" + kind
		if cached {
			name += "/cached-master-key"
		}
		b.Run(name, func(b *testing.B) { benchRegistration(b, kr, user, cached) })
	}
}

func benchRegistration(b *testing.B, kr Keyring, user string, cached bool) {
	ctx := context.Background()
	a, err := New(Options{Dir: b.TempDir(), AAGUID: thisComputerAAGUID(b), Keyring: kr, KeyringUser: user, CacheMasterKey: cached})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		b.Fatal(err)
	}
	svc, clk, _ := accounttest.NewService(b, accounttest.Options{Model: assets.ModelName})
	c := newClient(b)
	pp := answer(testPIN)
	accounttest.BenchRegistrations(b, svc, clk, account.KindThisComputer, func(ctx context.Context, opts json.RawMessage) (json.RawMessage, error) {
		return c.Create(ctx, a, opts, pp.prompt())
	})
}

// BenchmarkPINFirstUnlock times what the first PIN of a session costs:
// argon2id at pinCost and the PIN key opening the verifier. Later PINs of
// the session are checked against the remembered HMAC (see the package
// doc).
func BenchmarkPINFirstUnlock(b *testing.B) {
	k, err := deriveKeys(fuzzMaster)
	if err != nil {
		b.Fatal(err)
	}
	pf, _, err := k.newPIN([]byte(testPIN))
	if err != nil {
		b.Fatal(err)
	}
	times := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if kek, err := k.openPIN(pf, []byte(testPIN)); err != nil || kek == nil {
			b.Fatal("the PIN does not open the verifier", err)
		}
		times = append(times, time.Since(start))
	}
	accounttest.ReportMedian(b, times)
}
