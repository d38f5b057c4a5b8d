//go:build cgo

package ui

import (
	"context"
	"crypto/sha256"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The security-key method, driven through the headless window against the
// real account service and a soft key reached through real libfido2
// (libfido2.Register and its I/O hook): nothing here is faked.

const (
	keyPIN   = "2468"
	simModel = "Passkey Desk simulated security key"
	// watchLimit is how soon a plugged or pulled key must show. It is
	// proven by the watch interval (TestKeyWatchIntervalKeepsThePromise),
	// not by timing tests on a loaded machine.
	watchLimit = time.Second
)

// keyTest is a signed-in app with the security-key method and a soft key.
type keyTest struct {
	*harness
	key        *softkey.Key
	user       *accounttest.User
	unregister func()
}

// plugKey registers a fresh soft key under a name unique to the test.
func plugKey(t *testing.T, name string, opts softkey.Options) (*softkey.Key, func()) {
	t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		t.Fatal(err)
	}
	opts.Name = name
	opts.AAGUID = aaguid
	key := softkey.New(opts)
	unregister := libfido2.Register(name, key)
	t.Cleanup(unregister)
	return key, unregister
}

// unplug pulls the key out as a USB key is pulled out: it leaves the
// device list (libfido2's registry) and its open connections fail.
func (k *keyTest) unplug() {
	k.key.Unplug()
	k.unregister()
}

// plug puts it back.
func (k *keyTest) plug() {
	k.key.Plug()
	k.unregister = libfido2.Register(k.key.HIDInfo().Path[len(libfido2.SimScheme):], k.key)
	k.t.Cleanup(k.unregister)
}

func newKeyTest(t *testing.T, opts softkey.Options) *keyTest {
	t.Helper()
	return newKeyTestWith(t, opts, harnessOptions{})
}

// newKeyTestWith is newKeyTest with more of the harness's options (the
// key, the client and the model are set here).
func newKeyTestWith(t *testing.T, opts softkey.Options, ho harnessOptions) *keyTest {
	t.Helper()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	ho.keys, ho.client, ho.model = keyProvider{t.Name()}, c, assets.ModelName
	h := newHarness(t, ho)
	kt := &keyTest{harness: h}
	kt.key, kt.unregister = plugKey(t, "ui-"+t.Name(), opts)
	kt.user = h.user("walt@example.com")
	h.signedIn(kt.user)
	h.secrets = append(h.secrets, keyPIN)
	return kt
}

// keyProvider is the real libfido2 provider, limited to this test's soft
// keys: the tests run in parallel processes with their own registries, but
// a developer's USB key must not show up in a test's list.
type keyProvider struct{ test string }

func (p keyProvider) mine(list []fido.DeviceInfo) []fido.DeviceInfo {
	var out []fido.DeviceInfo
	for _, d := range list {
		if strings.HasPrefix(d.Path, libfido2.SimScheme+"ui-"+p.test) {
			out = append(out, d)
		}
	}
	return out
}

func (p keyProvider) Devices(ctx context.Context) ([]fido.DeviceInfo, error) {
	list, err := libfido2.NewProvider().Devices(ctx)
	return p.mine(list), err
}

func (p keyProvider) Open(ctx context.Context, path string) (fido.Device, error) {
	return libfido2.NewProvider().Open(ctx, path)
}

func (p keyProvider) Watch(ctx context.Context, interval time.Duration) <-chan []fido.DeviceInfo {
	in := libfido2.NewProvider().Watch(ctx, interval)
	out := make(chan []fido.DeviceInfo)
	go func() {
		defer close(out)
		var last []fido.DeviceInfo
		first := true
		for list := range in {
			list = p.mine(list)
			if !first && sameDevices(list, last) {
				continue
			}
			first, last = false, list
			select {
			case out <- list:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func sameDevices(a, b []fido.DeviceInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// setKeyPIN gives the soft key a PIN through libfido2, as if set earlier.
func (k *keyTest) setKeyPIN(pin string) {
	k.t.Helper()
	dev := k.openKey()
	defer dev.Close()
	if err := dev.SetPIN(context.Background(), []byte(pin)); err != nil {
		k.t.Fatal(err)
	}
}

func (k *keyTest) openKey() fido.Device {
	k.t.Helper()
	dev, err := libfido2.NewProvider().Open(context.Background(), k.key.HIDInfo().Path)
	if err != nil {
		k.t.Fatal(err)
	}
	return dev
}

// toKeyList goes from the passkeys list through identity verification to
// the security-key method's key list.
func (k *keyTest) toKeyList() {
	k.t.Helper()
	h := k.harness
	h.tap("Passkeys")
	h.tap("Add passkey")
	w := h.app.shell.wizard
	h.wantText("Step 1 of 3: verify your identity")
	h.typeInto(w.password, k.user.Password)
	h.typeInto(w.totp, h.code(k.user.Secret))
	h.tap("Verify")
	h.wantText("Step 2 of 3: choose how to add it")
	h.secrets = append(h.secrets, w.grant.Token)
	h.tap("Security key")
	h.waitText(5*time.Second, "Step 3 of 3: add your security key", simulatedKeyLabel)
}

// enterPIN types pin into the PIN step and submits it.
func (k *keyTest) enterPIN(pin string) {
	k.t.Helper()
	k.wantText("Enter your key's PIN")
	k.typeFocused(pin)
	k.press(fyne.KeyReturn)
}

// passkeys are the account's passkeys, from the service.
func (k *keyTest) passkeys() []account.Passkey {
	k.t.Helper()
	list, err := k.svc.Passkeys(context.Background(), k.user.Session.Token)
	if err != nil {
		k.t.Fatal(err)
	}
	return list
}

// register goes the whole way with a key whose PIN is keyPIN and that is
// touched at once, and saves the passkey under its suggested name.
func (k *keyTest) register() {
	k.t.Helper()
	k.toKeyList()
	k.tap("Continue")
	k.enterPIN(keyPIN)
	k.waitText(5*time.Second, "Name your passkey")
	k.tap("Save")
	k.waitText(5*time.Second, "Security key · "+simModel)
}

func TestSecurityKeyWizard(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.key.SetTouch(softkey.TouchNever, 0)
	h := k.harness
	h.tap("Passkeys")
	h.wantText("You have no passkeys yet.")
	k.toKeyList()
	h.wantText("This key is plugged in:", simulatedKeyLabel)

	// A fresh key has no PIN: one is set first, typed twice, the key's
	// minimum length enforced before the key is asked.
	h.tap("Continue")
	h.wantText("Set a PIN for your key", simulatedKeyLabel+" has no PIN yet", "at least 4 characters")
	k.fillSetPIN("12", "12")
	h.tap("Set PIN")
	h.wantText("PIN too short", "at least 4 characters")
	if st := k.pinState(); st.Set {
		t.Fatal("a PIN was set although it was too short")
	}
	k.fillSetPIN(keyPIN, keyPIN+"0")
	h.tap("Set PIN")
	h.wantText("The PINs differ")
	k.fillSetPIN(keyPIN, keyPIN)
	h.tap("Set PIN")

	// The PIN just set answers the key's request; then the key waits for
	// a touch.
	h.wantText("Touch your key", "Cancel")
	h.notText("Enter your key's PIN")
	if len(k.passkeys()) != 0 {
		t.Fatal("a passkey was stored before it was named")
	}
	k.key.Press()
	h.waitText(5*time.Second, "Name your passkey")
	name := focusedEntryText(t, h)
	if name != simModel {
		t.Errorf("name prefilled with %q; want the model %q", name, simModel)
	}
	h.tap("Save")
	h.waitText(5*time.Second, "Passkeys", simModel, "Security key · "+simModel)
	if h.app.shell.passkeys == nil {
		t.Fatalf("not back on the passkeys list; the window shows:\n%s", h.text())
	}
	list := k.passkeys()
	if len(list) != 1 || list[0].Kind != account.KindSecurityKey || list[0].Model != simModel || list[0].Name != simModel {
		t.Fatalf("passkeys %+v", list)
	}
	if st := k.pinState(); !st.Set {
		t.Error("the key has no PIN after the wizard")
	}
}

// pinState reads the soft key's PIN state through libfido2.
func (k *keyTest) pinState() fido.PINState {
	k.t.Helper()
	dev := k.openKey()
	defer dev.Close()
	st, err := dev.PINState(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	return st
}

// fillSetPIN types into the set-PIN step's two entries.
func (k *keyTest) fillSetPIN(pin, again string) {
	k.t.Helper()
	var entries []*widget.Entry
	walkVisible(k.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	})
	if len(entries) != 2 {
		k.t.Fatalf("want the two PIN entries, found %d", len(entries))
	}
	for i, s := range []string{pin, again} {
		k.typeInto(entries[i], s)
	}
}

// focusedEntryText is the text of the focused entry.
func focusedEntryText(t *testing.T, h *harness) string {
	t.Helper()
	e, ok := h.canvas().Focused().(*widget.Entry)
	if !ok {
		t.Fatalf("no entry has the focus")
	}
	return e.Text
}

func TestSecurityKeySeveralKeys(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	k.toKeyList()
	h := k.harness

	// A second key plugged in shows within a second; the user picks one.
	second, _ := plugKey(t, "ui-"+t.Name()+"-second", softkey.Options{})
	h.waitText(5*time.Second, "2 keys are plugged in", simulatedKeyLabel+" (1)", simulatedKeyLabel+" (2)")
	list := h.app.shell.wizard.keys.list
	if !list.next.Disabled() {
		t.Error("Continue is enabled before a key is chosen")
	}
	list.radio.SetSelected(simulatedKeyLabel + " (2)")
	h.tap("Continue")
	// The second key has no PIN: the wizard talks to the chosen one.
	h.wantText("Set a PIN for your key")
	if st := k.pinState(); !st.Set {
		t.Error("the first key lost its PIN")
	}
	h.tap("Cancel")
	if h.app.shell.passkeys == nil {
		t.Fatalf("Cancel did not lead back to the passkeys; the window shows:\n%s", h.text())
	}
	if second.Plugged() != true {
		t.Error("the second key was unplugged")
	}
}

// keyErrorCase is one way a registration on the key goes wrong.
type keyErrorCase struct {
	name  string
	opts  softkey.Options
	setup func(k *keyTest)
	// act drives the wizard from the key list to the error.
	act  func(k *keyTest)
	want []string
	// after, when set, checks the app is usable instead of afterError.
	after func(k *keyTest)
}

func TestSecurityKeyErrors(t *testing.T) {
	for _, tc := range []keyErrorCase{
		{
			name:  "wrong PIN then right",
			setup: func(k *keyTest) { k.setKeyPIN(keyPIN) },
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN("0000")
				k.wantText("Wrong PIN", "7 tries left before the key blocks its PIN")
				k.enterPIN(keyPIN)
				k.waitText(5*time.Second, "Name your passkey")
				k.tap("Save")
			},
			want: []string{"Security key · " + simModel},
		},
		{
			name:  "three wrong PINs soft-lock the key",
			setup: func(k *keyTest) { k.setKeyPIN(keyPIN) },
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN("0000")
				k.enterPIN("0000")
				k.enterPIN("0000")
			},
			want: []string{"Key locked until reinserted", "Remove and reinsert the key"},
		},
		{
			name: "PIN blocked",
			setup: func(k *keyTest) {
				k.setKeyPIN(keyPIN)
				k.blockPIN()
			},
			act:  func(k *keyTest) { k.tap("Continue") },
			want: []string{"PIN blocked", "Only a reset of the key helps"},
		},
		{
			name: "already bound to this account",
			setup: func(k *keyTest) {
				k.setKeyPIN(keyPIN)
				k.register()
			},
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN(keyPIN)
			},
			want: []string{"Key already added", "already holds a passkey for your account"},
		},
		{
			name: "key full",
			opts: softkey.Options{Slots: 1},
			setup: func(k *keyTest) {
				k.setKeyPIN(keyPIN)
				k.fillKey()
			},
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN(keyPIN)
			},
			want: []string{"Key is full", "no room left"},
		},
		{
			name: "no touch in time",
			opts: softkey.Options{TouchTimeout: 300 * time.Millisecond},
			setup: func(k *keyTest) {
				k.setKeyPIN(keyPIN)
				k.key.SetTouch(softkey.TouchNever, 0)
			},
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN(keyPIN)
				k.waitText(5*time.Second, "No touch in time")
			},
			want: []string{"No touch in time", "touch the key as soon as"},
		},
		{
			name: "touch denied",
			setup: func(k *keyTest) {
				k.setKeyPIN(keyPIN)
				k.key.SetTouch(softkey.TouchDenied, 0)
			},
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN(keyPIN)
			},
			want: []string{"Declined on the key"},
		},
		{
			name: "cancel while waiting for a touch",
			setup: func(k *keyTest) {
				k.setKeyPIN(keyPIN)
				k.key.SetTouch(softkey.TouchNever, 0)
			},
			act: func(k *keyTest) {
				k.tap("Continue")
				k.enterPIN(keyPIN)
				k.wantText("Touch your key")
				k.tap("Cancel")
				// The key would wait 30 s for a touch: the answer within
				// 5 s is the cancel reaching the key.
				k.waitText(5*time.Second, "Cancelled")
			},
			want: []string{"Cancelled", "Nothing was added to your account"},
			after: func(k *keyTest) {
				// The key is free again: the next attempt goes through.
				k.key.SetTouch(softkey.TouchAtOnce, 0)
				k.tap("Continue")
				k.enterPIN(keyPIN)
				k.waitText(5*time.Second, "Name your passkey")
				k.tap("Save")
				k.waitText(5*time.Second, "Security key · "+simModel)
			},
		},
		{
			name:  "cancel at the PIN",
			setup: func(k *keyTest) { k.setKeyPIN(keyPIN) },
			act: func(k *keyTest) {
				k.tap("Continue")
				k.wantText("Enter your key's PIN")
				k.tap("Cancel")
				k.waitText(5*time.Second, "Cancelled")
			},
			want: []string{"Cancelled"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeyTest(t, tc.opts)
			if tc.setup != nil {
				tc.setup(k)
			}
			before := len(k.passkeys())
			k.toKeyList()
			tc.act(k)
			k.wantText(tc.want...)
			if strings.HasPrefix(tc.name, "wrong PIN then right") {
				if n := len(k.passkeys()); n != before+1 {
					t.Errorf("%d passkeys; want %d", n, before+1)
				}
				return
			}
			if n := len(k.passkeys()); n != before {
				t.Errorf("%d passkeys after the error; want %d (unchanged)", n, before)
			}
			if tc.after != nil {
				tc.after(k)
				return
			}
			k.afterError()
		})
	}
}

// afterError checks that the app is usable after an error: the key list is
// on display with Continue and Cancel, and Cancel leads back to the list.
func (k *keyTest) afterError() {
	k.t.Helper()
	k.waitText(5*time.Second, simulatedKeyLabel)
	k.button("Continue")
	k.tap("Cancel")
	if k.app.shell.passkeys == nil {
		k.t.Fatalf("Cancel did not lead back to the passkeys; the window shows:\n%s", k.text())
	}
}

// blockPIN blocks the key's PIN with eight wrong PINs, power cycling after
// each soft lock, as a careless owner would.
func (k *keyTest) blockPIN() {
	k.t.Helper()
	ctx := context.Background()
	for wrong := 0; wrong < 8; {
		dev := k.openKey()
		for i := 0; i < 3 && wrong < 8; i++ {
			dev.ChangePIN(ctx, []byte("0000"), []byte("99999"))
			wrong++
		}
		dev.Close()
		k.key.PowerCycle()
	}
	if st := k.pinState(); st.Retries != 0 {
		k.t.Fatalf("PIN retries %d after blocking", st.Retries)
	}
}

// fillKey takes the key's one slot with a passkey for another site.
func (k *keyTest) fillKey() {
	k.t.Helper()
	dev := k.openKey()
	defer dev.Close()
	cdh := sha256.Sum256([]byte("other"))
	_, err := dev.MakeCredential(context.Background(), &fido.MakeCredentialRequest{
		ClientDataHash:   cdh[:],
		RP:               fido.RelyingParty{ID: "other.example"},
		User:             fido.User{ID: []byte{1}, Name: "someone"},
		Algorithms:       []int{fido.ES256},
		ResidentKey:      true,
		UserVerification: true,
	}, fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(keyPIN), nil }})
	if err != nil {
		k.t.Fatal(err)
	}
}

// TestSecurityKeyUnplug pulls the key out at each step of the wizard: the
// app stays usable (the key plugged back in registers) and the account's
// passkeys do not change until Save.
func TestSecurityKeyUnplug(t *testing.T) {
	for _, tc := range []struct {
		name string
		// reach drives from the key list to the step, with the key still
		// plugged in.
		reach func(k *keyTest)
		// after is what the window shows once the key is out.
		after []string
	}{
		{"key list", func(k *keyTest) {}, []string{"No security key found"}},
		{"PIN", func(k *keyTest) {
			k.tap("Continue")
			k.wantText("Enter your key's PIN")
		}, []string{"Key removed", "Plug it back in and try again"}},
		{"touch", func(k *keyTest) {
			k.key.SetTouch(softkey.TouchNever, 0)
			k.tap("Continue")
			k.enterPIN(keyPIN)
			k.wantText("Touch your key")
		}, []string{"Key removed", "Plug it back in and try again"}},
		{"name", func(k *keyTest) {
			k.tap("Continue")
			k.enterPIN(keyPIN)
			k.waitText(5*time.Second, "Name your passkey")
		}, []string{"Name your passkey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeyTest(t, softkey.Options{})
			k.setKeyPIN(keyPIN)
			k.toKeyList()
			tc.reach(k)

			k.unplug()
			k.waitText(5*time.Second, tc.after...)
			if tc.name != "name" {
				k.waitText(5*time.Second, "No security key found")
			}
			if n := len(k.passkeys()); n != 0 {
				t.Fatalf("%d passkeys after the unplug; want none", n)
			}
			if tc.name == "name" {
				// The key made the passkey before it was pulled out:
				// naming needs no key, and the step has no Cancel that
				// would leave the passkey on the key unknown to the
				// account. The default name saves it.
				k.tap(skipNamingLabel)
				if n := len(k.passkeys()); n != 1 || k.app.shell.passkeys == nil {
					t.Fatalf("%d passkeys after saving under the default name; want 1, on the list:\n%s", n, k.text())
				}
				return
			}

			// Usable: leave, come back with the key plugged in, and
			// register.
			k.tap("Cancel")
			if k.app.shell.passkeys == nil {
				t.Fatalf("Cancel did not lead back to the passkeys; the window shows:\n%s", k.text())
			}
			if n := len(k.passkeys()); n != 0 {
				t.Fatalf("%d passkeys after leaving; want none", n)
			}
			k.plug()
			k.key.SetTouch(softkey.TouchAtOnce, 0)
			k.register()
			if n := len(k.passkeys()); n != 1 {
				t.Errorf("%d passkeys after registering again; want 1", n)
			}
		})
	}
}

// TestSecurityKeyStepsFit800x600: each step of the method fits the
// smallest window. With PASSKEYDESK_SCREENSHOT_DIR set, the headless
// renderings are written there to be looked at.
func TestSecurityKeyStepsFit800x600(t *testing.T) {
	k := newKeyTest(t, softkey.Options{})
	k.setKeyPIN(keyPIN)
	h := k.harness
	dir := os.Getenv("PASSKEYDESK_SCREENSHOT_DIR")
	check := func(step string) {
		t.Helper()
		if min := h.app.Window().Content().MinSize(); min.Width > 800 || min.Height > 600 {
			t.Errorf("%s needs %v; more than 800×600", step, min)
		}
		if dir != "" {
			if err := writeCapture(filepath.Join(dir, "key-"+strings.ReplaceAll(step, " ", "-")+".png"), h.canvas().Capture()); err != nil {
				t.Error(err)
			}
		}
	}
	k.toKeyList()
	plugKey(t, "ui-"+t.Name()+"-2", softkey.Options{})
	h.waitText(5*time.Second, "2 keys are plugged in")
	check("list")
	h.app.shell.wizard.keys.list.radio.SetSelected(simulatedKeyLabel + " (2)")
	h.tap("Continue")
	k.fillSetPIN("12", "12")
	h.tap("Set PIN")
	check("set pin")
	h.tap("Cancel")

	k.key.SetTouch(softkey.TouchNever, 0)
	k.toKeyList()
	h.app.shell.wizard.keys.list.radio.SetSelected(simulatedKeyLabel + " (1)")
	h.tap("Continue")
	k.enterPIN("0000")
	check("pin")
	k.enterPIN(keyPIN)
	h.wantText("Touch your key")
	check("touch")
	k.key.Press()
	h.waitText(5*time.Second, "Name your passkey")
	check("name")
	h.tap(skipNamingLabel)
	k.toKeyList()
	h.app.shell.wizard.keys.list.radio.SetSelected(simulatedKeyLabel + " (1)")
	h.tap("Continue")
	k.enterPIN(keyPIN)
	h.tap("Cancel")
	h.waitText(5*time.Second, "Cancelled")
	check("error")
}

func writeCapture(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestSecurityKeyLeaveMidway: leaving the wizard by the navigation while
// the key waits for a touch or a PIN ends the operation on the key; the
// next attempt goes through.
func TestSecurityKeyLeaveMidway(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reach func(k *keyTest)
	}{
		{"touch", func(k *keyTest) {
			k.key.SetTouch(softkey.TouchNever, 0)
			k.tap("Continue")
			k.enterPIN(keyPIN)
			k.wantText("Touch your key")
		}},
		{"PIN", func(k *keyTest) {
			k.tap("Continue")
			k.wantText("Enter your key's PIN")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeyTest(t, softkey.Options{})
			k.setKeyPIN(keyPIN)
			k.toKeyList()
			tc.reach(k)
			k.tap("Overview")
			k.notText("Touch your key", "Enter your key's PIN")
			k.key.SetTouch(softkey.TouchAtOnce, 0)
			k.register()
			if n := len(k.passkeys()); n != 1 {
				t.Errorf("%d passkeys; want 1", n)
			}
		})
	}
}

// TestKeyWatchIntervalKeepsThePromise: the key list follows plug and unplug
// within watchLimit because the provider is polled at least that often
// (with room for one slow poll).
func TestKeyWatchIntervalKeepsThePromise(t *testing.T) {
	if 2*keyWatchInterval > watchLimit {
		t.Fatalf("keys are polled every %v: a change can take %v to show, over %v", keyWatchInterval, 2*keyWatchInterval, watchLimit)
	}
}
