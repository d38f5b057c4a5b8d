//go:build cgo

package client_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// benchKey is a soft key with a PIN, touch answered at once, room for
// every discoverable credential a benchmark makes, opened through libfido2.
func benchKey(b *testing.B) fido.Device {
	b.Helper()
	aaguid, _ := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	name := "client-" + b.Name()
	key := softkey.New(softkey.Options{Name: name, AAGUID: aaguid, Slots: 1 << 20})
	b.Cleanup(libfido2.Register(name, key))
	dev, err := libfido2.NewProvider().Open(context.Background(), libfido2.SimScheme+name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dev.Close() })
	if err := dev.SetPIN(context.Background(), []byte("4321")); err != nil {
		b.Fatal(err)
	}
	return dev
}

// BenchmarkSecurityKeyRegistration times a whole registration: the
// service's BeginRegistration, Client.Create through libfido2 and the soft
// key (PIN, touch at once) and FinishRegistration on SQLite. Each
// iteration binds a new account, made with the timer stopped.
func BenchmarkSecurityKeyRegistration(b *testing.B) {
	dev := benchKey(b)
	svc, clock, _ := accounttest.NewService(b, accounttest.Options{Model: assets.ModelName})
	c, err := client.New(accounttest.Origin)
	if err != nil {
		b.Fatal(err)
	}
	pp := &pinPrompt{pin: "4321"}
	accounttest.BenchRegistrations(b, svc, clock, account.KindSecurityKey, func(ctx context.Context, opts json.RawMessage) (json.RawMessage, error) {
		return c.Create(ctx, dev, opts, pp.prompt())
	})
}

// BenchmarkSecurityKeySignIn times a sign-in with an email (allow list):
// BeginLogin, Client.Get through libfido2 and the soft key, FinishLogin.
func BenchmarkSecurityKeySignIn(b *testing.B) {
	ctx := context.Background()
	dev := benchKey(b)
	svc, clock, _ := accounttest.NewService(b, accounttest.Options{})
	c, err := client.New(accounttest.Origin)
	if err != nil {
		b.Fatal(err)
	}
	pp := &pinPrompt{pin: "4321"}
	u := accounttest.SignUp(b, svc, clock, "alice@example.com")
	grant := u.Grant(b, account.PurposeAddPasskey)
	opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindSecurityKey)
	if err != nil {
		b.Fatal(err)
	}
	cred, err := c.Create(ctx, dev, opts, pp.prompt())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.FinishRegistration(ctx, u.Session.Token, grant, cred, ""); err != nil {
		b.Fatal(err)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		opts, err := svc.BeginLogin(ctx, "alice@example.com")
		if err != nil {
			b.Fatal(err)
		}
		cands, err := c.Get(ctx, dev, opts, pp.prompt())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.FinishLogin(ctx, cands[0].Credential); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	accounttest.ReportMedian(b, times)
}
