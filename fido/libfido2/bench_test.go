//go:build cgo

package libfido2

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The binding's cost: the same soft key answering getInfo through
// libfido2 (Device.Info) and straight over its HIDConn, and whole
// registrations and sign-ins through libfido2.

func BenchmarkInfo(b *testing.B) {
	b.Run("libfido2", func(b *testing.B) {
		_, d := benchKey(b)
		ctx := context.Background()
		for b.Loop() {
			if _, err := d.Info(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		k := softkey.New(softkey.Options{Name: "bench-direct"})
		conn, err := k.OpenHID()
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		nonce := []byte{1, 2, 3, 4, 5, 6, 7, 8}
		resp := hidTransact(b, conn, 0xffffffff, 0x86, nonce)
		cid := binary.BigEndian.Uint32(resp[8:12])
		for b.Loop() {
			if r := hidTransact(b, conn, cid, 0x90, []byte{0x04}); len(r) < 2 || r[0] != 0 {
				b.Fatalf("getInfo: %x", r)
			}
		}
	})
}

// hidTransact sends one short request and reads the whole answer.
func hidTransact(b *testing.B, conn fido.HIDConn, cid uint32, cmd byte, payload []byte) []byte {
	r := make([]byte, 64)
	binary.BigEndian.PutUint32(r, cid)
	r[4], r[5], r[6] = cmd, 0, byte(len(payload))
	copy(r[7:], payload)
	if err := conn.WriteReport(r); err != nil {
		b.Fatal(err)
	}
	var msg []byte
	want := -1
	for want < 0 || len(msg) < want {
		rep, err := conn.ReadReport(time.Second)
		if err != nil {
			b.Fatal(err)
		}
		if rep[4]&0x80 != 0 {
			if rep[4] != cmd {
				continue // keepalive
			}
			want = int(rep[5])<<8 | int(rep[6])
			msg = append(msg, rep[7:min(64, 7+want)]...)
		} else {
			msg = append(msg, rep[5:min(64, 5+want-len(msg))]...)
		}
	}
	return msg
}

func benchKey(b *testing.B) (*softkey.Key, fido.Device) {
	b.Helper()
	k := softkey.New(softkey.Options{Name: b.Name(), AAGUID: softAAGUID, Slots: 1 << 20})
	path := SimScheme + b.Name()
	b.Cleanup(Register(b.Name(), k))
	d, err := NewProvider().Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return k, d
}

func BenchmarkMakeCredential(b *testing.B) {
	_, d := benchKey(b)
	ctx := context.Background()
	if err := d.SetPIN(ctx, []byte(testPIN)); err != nil {
		b.Fatal(err)
	}
	p := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(testPIN), nil }}
	req := softMakeReq("ada", false)
	for b.Loop() {
		if _, err := d.MakeCredential(ctx, req, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetAssertion(b *testing.B) {
	_, d := benchKey(b)
	ctx := context.Background()
	if err := d.SetPIN(ctx, []byte(testPIN)); err != nil {
		b.Fatal(err)
	}
	p := fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(testPIN), nil }}
	att, err := d.MakeCredential(ctx, softMakeReq("ada", false), p)
	if err != nil {
		b.Fatal(err)
	}
	req := &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("x"), UserVerification: true,
		Allow: []fido.CredentialDescriptor{{ID: att.CredentialID}}}
	for b.Loop() {
		if _, err := d.GetAssertion(ctx, req, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPanelFill is what the device-management panel asks of a key
// with 25 passkeys across 10 sites: getInfo, the PIN state, the sites and
// each site's passkeys (issue 4: median under 150 ms). It reports the
// median of its iterations as median-ms.
func BenchmarkPanelFill(b *testing.B) {
	_, d := benchKey(b)
	ctx := context.Background()
	if err := d.SetPIN(ctx, []byte(testPIN)); err != nil {
		b.Fatal(err)
	}
	p := pinOnly(testPIN)
	fillSites(b, d, 25, 10, p)
	m := manager(b, d)
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := d.Info(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := d.PINState(ctx); err != nil {
			b.Fatal(err)
		}
		rps, err := m.RelyingParties(ctx, p)
		if err != nil || len(rps) != 10 {
			b.Fatalf("%d RPs, %v", len(rps), err)
		}
		n := 0
		for _, rp := range rps {
			creds, err := m.Credentials(ctx, rp.ID, p)
			if err != nil {
				b.Fatal(err)
			}
			n += len(creds)
		}
		if n != 25 {
			b.Fatalf("%d passkeys", n)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}
