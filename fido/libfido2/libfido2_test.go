//go:build cgo

package libfido2

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

func TestChooseAlg(t *testing.T) {
	tests := []struct {
		name    string
		rp, key []int
		want    int
		err     error
	}{
		{"rp order wins", []int{fido.EdDSA, fido.ES256}, []int{fido.ES256, fido.EdDSA}, fido.EdDSA, nil},
		{"first supported", []int{-35, fido.RS256, fido.ES256}, []int{fido.ES256}, fido.ES256, nil},
		{"empty rp list", nil, []int{fido.RS256, fido.ES256}, fido.ES256, nil},
		{"ctap 2.0 key", []int{fido.EdDSA, fido.ES256}, nil, fido.ES256, nil},
		{"none", []int{fido.RS256}, []int{fido.ES256}, 0, fido.ErrUnsupported},
		{"libfido2 cannot", []int{-35}, []int{-35}, 0, fido.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseAlg(tt.rp, tt.key)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("got %d, %v; want %d, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestManifestNoDevices: with no USB keys, libfido2 lists none.
func TestManifestNoDevices(t *testing.T) {
	if m, _ := filepath.Glob("/dev/hidraw*"); len(m) > 0 {
		t.Skip("this machine has hidraw devices")
	}
	list, err := manifest()
	if err != nil || len(list) != 0 {
		t.Fatalf("manifest: %v, %v; want none", list, err)
	}
	list, err = NewProvider().Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		if !d.Simulated {
			t.Errorf("unexpected device %+v", d)
		}
	}
}

func TestOpenMissingUSBKey(t *testing.T) {
	_, err := NewProvider().Open(context.Background(), "/dev/hidraw-passkeydesk-missing")
	if !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("got %v, want ErrKeyRemoved", err)
	}
}

func findDevice(list []fido.DeviceInfo, path string) (fido.DeviceInfo, bool) {
	for _, d := range list {
		if d.Path == path {
			return d, true
		}
	}
	return fido.DeviceInfo{}, false
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	p := NewProvider()
	k := newFakeKey()
	unregister := Register("register-test", k)
	list, err := p.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := findDevice(list, "sim://register-test")
	want := fido.DeviceInfo{Path: "sim://register-test", VendorID: 0xf1d0, ProductID: 0xfa4e, Manufacturer: "Test", Product: "Fake key", Simulated: true}
	if !ok || d != want {
		t.Fatalf("listed %+v, want %+v", list, want)
	}

	// A second registration under the name replaces the first, and the
	// first one's unregister then leaves it alone.
	k2 := newFakeKey()
	unregister2 := Register("register-test", k2)
	unregister()
	if list, _ := p.Devices(ctx); !slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == "sim://register-test" }) {
		t.Fatal("the earlier unregister removed the later device")
	}
	unregister2()
	unregister2()
	if list, _ := p.Devices(ctx); slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == "sim://register-test" }) {
		t.Fatal("still listed after unregister")
	}
	if _, err := p.Open(ctx, "sim://register-test"); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("opening an unregistered key: %v, want ErrKeyRemoved", err)
	}
}

func openFake(t *testing.T, name string, k *fakeKey) fido.Device {
	t.Helper()
	path := register(t, name, k)
	d, err := NewProvider().Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestHookInfo runs libfido2's open and getInfo through the I/O hook
// against hand-encoded answers.
func TestHookInfo(t *testing.T) {
	d := openFake(t, "hook-info", newFakeKey())
	if d.Path() != "sim://hook-info" {
		t.Errorf("Path %q", d.Path())
	}
	info, err := d.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !equalAny(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("Versions", info.Versions, []string{"FIDO_2_0", "FIDO_2_1"})
	check("Extensions", info.Extensions, []string{"credProtect", "hmac-secret"})
	check("AAGUID", info.AAGUID, fakeAAGUID)
	check("Options", sortedKeys(info.Options), []string{"clientPin", "plat", "rk", "up"})
	check("rk", info.HasOption("rk"), true)
	check("plat", info.HasOption("plat"), false)
	check("MaxMsgSize", info.MaxMsgSize, 1200)
	check("PINProtocols", info.PINProtocols, []int{2, 1})
	check("MaxCredsInList", info.MaxCredsInList, 8)
	check("MaxCredIDLength", info.MaxCredIDLength, 128)
	check("Transports", info.Transports, []string{"usb"})
	check("Algorithms", info.Algorithms, []int{fido.ES256, fido.EdDSA})
	check("ForcePINChange", info.ForcePINChange, true)
	check("MinPINLength", info.MinPINLength, 6)
	check("FirmwareVersion", info.FirmwareVersion, uint64(0x010203))
	check("RemainingDiscoverable", info.RemainingDiscoverable, 25)

	st, err := d.PINState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st != (fido.PINState{Set: true, Retries: 5, UVRetries: -1}) {
		t.Errorf("PINState %+v", st)
	}
}

func equalAny(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case []int:
		return slices.Equal(a, b.([]int))
	}
	return a == b
}

func makeReq() *fido.MakeCredentialRequest {
	h := sha256.Sum256([]byte("client data"))
	return &fido.MakeCredentialRequest{
		ClientDataHash: h[:],
		RP:             fido.RelyingParty{ID: fakeRPID, Name: "Example"},
		User:           fido.User{ID: []byte{1, 2, 3, 4}, Name: "ada", DisplayName: "Ada"},
		Algorithms:     []int{fido.ES256},
	}
}

// TestHookTouch: the first keepalive UPNEEDED calls Prompt.Touch once,
// and the answer comes back through the hook.
func TestHookTouch(t *testing.T) {
	k := newFakeKey()
	k.touchAfter = 3
	d := openFake(t, "hook-touch", k)
	var touches atomic.Int32
	att, err := d.MakeCredential(context.Background(), makeReq(), fido.Prompt{Touch: func() { touches.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if n := touches.Load(); n != 1 {
		t.Errorf("Touch called %d times, want 1", n)
	}
	if att.Format != "none" || att.Algorithm != fido.ES256 || string(att.CredentialID) != string(fakeCredID) ||
		len(att.Signature) != 0 || len(att.X5C) != 0 || len(att.AuthData) < 37+16+2+16 {
		t.Errorf("attestation %+v", att)
	}
}

// waitTouch starts MakeCredential on a key that never gets touched and
// returns once the key asked for a touch, with the operation's result.
func waitTouch(t *testing.T, ctx context.Context, d fido.Device) <-chan error {
	t.Helper()
	touched := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		_, err := d.MakeCredential(ctx, makeReq(), fido.Prompt{Touch: func() { close(touched) }})
		res <- err
	}()
	select {
	case <-touched:
	case err := <-res:
		t.Fatalf("MakeCredential ended before the touch: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no touch prompt")
	}
	return res
}

func result(t *testing.T, res <-chan error) error {
	t.Helper()
	select {
	case err := <-res:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the operation did not end")
		return nil
	}
}

func TestCancelDuringTouch(t *testing.T) {
	t.Run("Cancel", func(t *testing.T) {
		d := openFake(t, "cancel-touch", newFakeKey())
		res := waitTouch(t, context.Background(), d)
		if err := d.Cancel(); err != nil {
			t.Fatal(err)
		}
		if err := result(t, res); !errors.Is(err, fido.ErrCanceled) {
			t.Fatalf("got %v, want ErrCanceled", err)
		}
		// The device is still usable.
		if _, err := d.Info(context.Background()); err != nil {
			t.Fatalf("Info after cancel: %v", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		d := openFake(t, "cancel-ctx", newFakeKey())
		ctx, cancel := context.WithCancel(context.Background())
		res := waitTouch(t, ctx, d)
		cancel()
		if err := result(t, res); !errors.Is(err, fido.ErrCanceled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want ErrCanceled", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		d := openFake(t, "cancel-deadline", newFakeKey())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		res := waitTouch(t, ctx, d)
		if err := result(t, res); !errors.Is(err, fido.ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
	})
	t.Run("Close", func(t *testing.T) {
		d := openFake(t, "cancel-close", newFakeKey())
		res := waitTouch(t, context.Background(), d)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if err := result(t, res); !errors.Is(err, fido.ErrCanceled) {
			t.Fatalf("got %v, want ErrCanceled", err)
		}
		if err := d.Cancel(); err != nil {
			t.Fatalf("Cancel after Close: %v", err)
		}
		if _, err := d.Info(context.Background()); err == nil {
			t.Fatal("Info after Close worked")
		}
	})
}

func TestUnplugDuringTouch(t *testing.T) {
	k := newFakeKey()
	d := openFake(t, "unplug-touch", k)
	res := waitTouch(t, context.Background(), d)
	k.unplug()
	if err := result(t, res); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("got %v, want ErrKeyRemoved", err)
	}
	if _, err := d.Info(context.Background()); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("Info after unplug: %v, want ErrKeyRemoved", err)
	}
	path := d.Path()
	if _, err := NewProvider().Open(context.Background(), path); !errors.Is(err, fido.ErrKeyRemoved) {
		t.Fatalf("open after unplug: %v, want ErrKeyRemoved", err)
	}
}

// TestCancelCloseRace runs Cancel and Close from many goroutines against
// an operation in flight; run it with -race.
func TestCancelCloseRace(t *testing.T) {
	for i := 0; i < 5; i++ {
		d := openFake(t, "race", newFakeKey())
		res := waitTouch(t, context.Background(), d)
		var wg sync.WaitGroup
		for j := 0; j < 8; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.Cancel()
				if j%2 == 0 {
					d.Close()
				}
				d.Cancel()
			}()
		}
		wg.Wait()
		if err := result(t, res); !errors.Is(err, fido.ErrCanceled) {
			t.Fatalf("got %v, want ErrCanceled", err)
		}
	}
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := NewProvider().Watch(ctx, 20*time.Millisecond)
	next := func() []fido.DeviceInfo {
		t.Helper()
		select {
		case l := <-ch:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no list from Watch")
			return nil
		}
	}
	first := next()
	if _, ok := findDevice(first, "sim://watch"); ok {
		t.Fatal("listed before registration")
	}
	unregister := Register("watch", newFakeKey())
	if _, ok := findDevice(next(), "sim://watch"); !ok {
		t.Fatal("not listed after registration")
	}
	unregister()
	if _, ok := findDevice(next(), "sim://watch"); ok {
		t.Fatal("listed after unregistration")
	}
	cancel()
	for range ch {
	}
}
