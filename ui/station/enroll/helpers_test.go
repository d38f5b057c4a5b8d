//go:build cgo

package enroll_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

// world is the account service on SQLite and the station around real
// libfido2 and soft keys.
type world struct {
	t       testing.TB
	svc     *account.Service
	clock   *accounttest.Clock
	station *enroll.Station
	mu      sync.Mutex
	keys    map[string]*softkey.Key // by sim:// path
}

func newWorld(t testing.TB) *world {
	t.Helper()
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Model: assets.ModelName})
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, svc: svc, clock: clock, keys: map[string]*softkey.Key{}}
	w.station = &enroll.Station{Client: c, Keys: libfido2.NewProvider(),
		Replug: enroll.SimulatedReplug(w.simKey, nil)}
	return w
}

func (w *world) simKey(path string) enroll.PowerCycler {
	w.mu.Lock()
	defer w.mu.Unlock()
	if k, ok := w.keys[path]; ok {
		return k
	}
	return nil
}

// plug registers a fresh soft key with the simulated key's AAGUID and
// returns it and its path.
func (w *world) plug(name string, opts softkey.Options) (*softkey.Key, string) {
	w.t.Helper()
	aaguid, err := assets.ParseAAGUID(assets.SimulatedKeyAAGUID)
	if err != nil {
		w.t.Fatal(err)
	}
	opts.Name = "enroll-" + strings.NewReplacer("/", "-", " ", "-").Replace(w.t.Name()) + "-" + name
	opts.AAGUID = aaguid
	k := softkey.New(opts)
	w.t.Cleanup(libfido2.Register(opts.Name, k))
	path := libfido2.SimScheme + opts.Name
	w.mu.Lock()
	w.keys[path] = k
	w.mu.Unlock()
	return k, path
}

// open opens path through libfido2, closed at the end of the test.
func (w *world) open(path string) fido.Device {
	w.t.Helper()
	dev, err := libfido2.NewProvider().Open(context.Background(), path)
	if err != nil {
		w.t.Fatalf("opening %s: %v", path, err)
	}
	w.t.Cleanup(func() { dev.Close() })
	return dev
}

// registrar registers passkeys for one signed-up person through the
// account service, with an add-passkey grant; failFinish makes that many
// finishes fail first (after the service took them or not: before).
type registrar struct {
	w          *world
	user       *accounttest.User
	grant      string
	begins     atomic.Int32
	finishes   atomic.Int32
	failFinish atomic.Int32
	passkey    *account.Passkey
}

var errFinishDown = errors.New("test: the account service is not reachable")

func (w *world) person(email string) *registrar {
	w.t.Helper()
	u := accounttest.SignUp(w.t, w.svc, w.clock, email)
	return &registrar{w: w, user: u, grant: u.Grant(w.t, account.PurposeAddPasskey)}
}

// people signs up n people, then verifies each for a passkey: grants
// last 10 minutes and every TOTP code moves the test clock 30 s, so the
// grants come after all the sign-ups (20 people fit).
func (w *world) people(n int, prefix string) []*registrar {
	w.t.Helper()
	var regs []*registrar
	for i := range n {
		u := accounttest.SignUp(w.t, w.svc, w.clock, fmt.Sprintf("%s%d@example.com", prefix, i))
		regs = append(regs, &registrar{w: w, user: u})
	}
	for _, r := range regs {
		r.grant = r.user.Grant(w.t, account.PurposeAddPasskey)
	}
	return regs
}

func (r *registrar) Begin(ctx context.Context) ([]byte, error) {
	r.begins.Add(1)
	return r.w.svc.BeginRegistration(ctx, r.user.Session.Token, r.grant, account.KindSecurityKey)
}

func (r *registrar) Finish(ctx context.Context, resp []byte, _ enroll.Result) error {
	r.finishes.Add(1)
	if r.failFinish.Load() > 0 {
		r.failFinish.Add(-1)
		return errFinishDown
	}
	pk, err := r.w.svc.FinishRegistration(ctx, r.user.Session.Token, r.grant, resp, "")
	if err != nil {
		return err
	}
	r.passkey = pk
	return nil
}

// events collects a run's progress.
type events struct {
	mu   sync.Mutex
	list []enroll.Event
}

func (e *events) add(ev enroll.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) all() []enroll.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]enroll.Event(nil), e.list...)
}

func pinPrompt(pin []byte) fido.Prompt {
	return fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return append([]byte(nil), pin...), nil }}
}

// signIn signs in with a discoverable request on dev with pin.
func (w *world) signIn(dev fido.Device, pin []byte) (*account.Session, error) {
	ctx := context.Background()
	opts, err := w.svc.BeginLogin(ctx, "")
	if err != nil {
		return nil, err
	}
	cands, err := w.station.Client.Get(ctx, dev, opts, pinPrompt(pin))
	if err != nil {
		return nil, err
	}
	if len(cands) != 1 {
		return nil, errors.New("not one candidate")
	}
	return w.svc.FinishLogin(ctx, cands[0].Credential)
}
