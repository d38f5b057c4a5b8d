package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/draw"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/backup"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/pgstore"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
	"github.com/passkeydesk/passkeydesk/account/remote"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
)

// memTokens is a TokenStore in memory. It exists because the headless UI
// tests must not touch an OS keyring: go-keyring's only test seam
// (MockInit) swaps a package-wide provider for good, and a developer's
// keyring is not the tests' to change. The real KeyringTokens is tested on
// its own, against gnome-keyring under a private D-Bus session
// (keyring_test.go). Setting err makes every call fail, as when no keyring
// service is running.
type memTokens struct {
	mu    sync.Mutex
	token string
	err   error
}

func (m *memTokens) Load() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token, m.err
}

func (m *memTokens) Save(token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.token = token
	return nil
}

func (m *memTokens) Clear() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.token = ""
	return nil
}

func (m *memTokens) get() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token
}

// syncBuffer collects the app's log; the worker goroutines write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is the app in Fyne's headless test driver on the real account
// service (a temp SQLite file, cheap argon2id, a settable clock).
//
// The test goroutine plays the UI goroutine: results of background work
// queue up and settle runs them here, as fyne.Do runs them on the main
// goroutine in the real driver.
type harness struct {
	t      *testing.T
	fa     fyne.App
	app    *App
	svc    *account.Service
	clock  *accounttest.Clock
	tokens *memTokens
	queue  chan func()
	log    *syncBuffer
	wrap   func(account.API) account.API
	keys   fido.Provider
	client *client.Client
	phone  bool
	local  ThisComputer
	// dataDir is the data folder the next start gives the app.
	dataDir string
	// keyFile is Deps.SealingKeyInFile of the next start.
	keyFile bool
	// timers are the functions the app asked to run later (App.after), in
	// order: a test runs one when it chooses, with runTimer.
	timers []pendingTimer
	// server is the URL of the service's HTTP API when the app talks to
	// it over HTTP, "" otherwise.
	server string

	// store is the service's store (on PostgreSQL with
	// PASSKEYDESK_UI_STORE=postgres; then dbPath is an unused file).
	store account.Store

	// secrets are strings that must never reach the log.
	secrets []string
	// mailer is the service's, when it sends email.
	mailer account.Mailer

	// backup is Deps.Backup (harnessOptions.backup); restarts counts
	// Deps.Restart's calls.
	backup   *backup.Folder
	restarts int
	// dbPath and sealingKey are the service's SQLite file and key.
	dbPath     string
	sealingKey []byte
}

type harnessOptions struct {
	// wrap, when set, stands between the app and the real service, to
	// make failures the real service cannot be made to produce.
	wrap   func(account.API) account.API
	mailer account.Mailer
	model  func([]byte) string
	tokens *memTokens
	// keys and client, when set, give the app the security-key method.
	keys   fido.Provider
	client *client.Client
	// publicURL, when set, is the service's phone enrollment base (and an
	// allowed origin); phone offers the phone-or-tablet method.
	publicURL string
	phone     bool
	// thisComputer, with client, gives the app the this-computer method.
	thisComputer ThisComputer
	// overHTTP puts the service behind its HTTP API (package httpapi) and
	// gives the app the HTTP client (package account/remote), as on a
	// server. PASSKEYDESK_UI_OVER_HTTP=1 does it for every harness.
	overHTTP bool
	// httpWrap, with overHTTP, stands between the HTTP client and the
	// API's handler, as a proxy or a failing server would.
	httpWrap func(http.Handler) http.Handler
	// backup gives the app backups of the service's SQLite file.
	backup bool
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	sealingKey := make([]byte, 32)
	rand.Read(sealingKey)
	var store account.Store
	keep := func(s account.Store) account.Store {
		if f := storeFor(t); f != nil {
			s = f(s)
		}
		store = s
		return s
	}
	svc, clock, dbPath := accounttest.NewService(t, accounttest.Options{Mailer: opts.mailer, Model: opts.model, PublicURL: opts.publicURL,
		Store: keep, SecretKey: sealingKey})
	h := &harness{
		t:      t,
		fa:     test.NewTempApp(t),
		svc:    svc,
		store:  store,
		clock:  clock,
		tokens: opts.tokens,
		queue:  make(chan func(), 64),
		log:    &syncBuffer{},
		wrap:   opts.wrap,
		keys:   opts.keys,
		client: opts.client,
		phone:  opts.phone,
		local:  opts.thisComputer,
		mailer: opts.mailer,

		dataDir: "/home/user/.config/passkeydesk",
	}
	if h.tokens == nil {
		h.tokens = &memTokens{}
	}
	h.dbPath, h.sealingKey = dbPath, sealingKey
	if opts.backup {
		h.withBackup()
	}
	if opts.overHTTP || os.Getenv("PASSKEYDESK_UI_OVER_HTTP") == "1" {
		h.server = serveOverHTTP(t, svc, opts.publicURL, opts.httpWrap)
		inner := h.wrap
		h.wrap = func(api account.API) account.API {
			c, err := remote.New(h.server, nil)
			if err != nil {
				t.Fatal(err)
			}
			if inner != nil {
				return inner(c)
			}
			return c
		}
	}
	t.Cleanup(func() {
		if strings.Contains(h.log.String(), "focus not taken") {
			t.Errorf("a screen put the focus on something not in the window:\n%s", h.log.String())
		}
		for _, s := range h.secrets {
			if s != "" && strings.Contains(h.log.String(), s) {
				t.Errorf("the log contains a secret:\n%s", h.log.String())
			}
		}
	})
	h.start()
	// The test driver panics when a window closes twice: close only the
	// last one here; start closes the others.
	t.Cleanup(func() { h.app.Window().Close() })
	return h
}

// setKnownAccount sets whether an account has signed in with the
// harness's data folder, as an earlier run would have left it.
func (h *harness) setKnownAccount(known bool) {
	h.fa.Preferences().SetBool(knownAccountPref(h.dataDir), known)
}

// start opens a new window of the app, as a new run of the program on the
// same service, preferences and token store would.
func (h *harness) start() {
	h.t.Helper()
	if h.app != nil {
		h.app.Window().Close()
	}
	var api account.API = h.svc
	if h.wrap != nil {
		api = h.wrap(api)
	}
	h.app = newApp(h.fa, Deps{
		API:     api,
		Tokens:  h.tokens,
		DataDir: h.dataDir,
		Logger:  slog.New(slog.NewTextHandler(h.log, nil)),

		SealingKeyInFile: h.keyFile,
		Keys:             h.keys,
		Client:           h.client,

		Phone:        h.phone,
		ThisComputer: h.local,
		Server:       h.server,

		Backup:  h.backupDep(),
		Restart: func() { h.restarts++ },
	}, func(fn func()) { h.queue <- fn })
	h.app.now = h.clock.Now
	h.app.after = func(d time.Duration, f func()) { h.timers = append(h.timers, pendingTimer{d, f}) }
	h.app.Window().Resize(fyne.NewSize(800, 600))
	h.settle()
}

// pendingTimer is a function the app asked to run after d.
type pendingTimer struct {
	d time.Duration
	f func()
}

// runTimer runs the oldest pending timer set for d, as if its time had
// passed.
func (h *harness) runTimer(d time.Duration) {
	h.t.Helper()
	i := slices.IndexFunc(h.timers, func(p pendingTimer) bool { return p.d == d })
	if i < 0 {
		h.t.Fatalf("no timer is pending for %v (pending: %d)", d, len(h.timers))
	}
	next := h.timers[i]
	h.timers = slices.Delete(h.timers, i, i+1)
	next.f()
	h.settle()
}

// tick lets one countdownTick pass: it runs every timer then pending for
// it (the countdowns on screen), not the ones they set again.
func (h *harness) tick() {
	h.t.Helper()
	n := 0
	for _, p := range h.timers {
		if p.d == countdownTick {
			n++
		}
	}
	if n == 0 {
		h.t.Fatal("no countdown is ticking")
	}
	for range n {
		h.runTimer(countdownTick)
	}
}

// settle runs the results of background work on the test goroutine until
// none is in flight.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for h.app.inflight.Load() > 0 {
		select {
		case fn := <-h.queue:
			fn()
		case <-time.After(5 * time.Millisecond):
			// A worker that parks to wait for the person (userWait)
			// leaves the count without a message: look again.
		case <-deadline:
			h.t.Fatalf("background work did not finish within 30 s (%d in flight); the window shows:\n%s", h.app.inflight.Load(), h.text())
		}
	}
}

// waitFor runs the results of background work on the test goroutine,
// also those not counted as in flight (such as key list updates), until
// cond holds, then settles. It fails after timeout.
func (h *harness) waitFor(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case fn := <-h.queue:
			fn()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("%s did not happen within %v; the window shows:\n%s", what, timeout, h.text())
		}
	}
	h.settle()
}

// waitText waits until each phrase is visible in the window.
func (h *harness) waitText(timeout time.Duration, phrases ...string) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("showing %q", phrases), timeout, func() bool {
		got := h.text()
		for _, p := range phrases {
			if !strings.Contains(got, p) {
				return false
			}
		}
		return true
	})
}

// canvas is the window's canvas.
func (h *harness) canvas() fyne.Canvas { return h.app.Window().Canvas() }

// text is every visible word in the window, joined by single spaces.
func (h *harness) text() string {
	return visibleText(h.app.Window().Content())
}

// wantText fails unless each phrase is visible in the window.
func (h *harness) wantText(phrases ...string) {
	h.t.Helper()
	got := h.text()
	for _, p := range phrases {
		if !strings.Contains(got, p) {
			h.t.Errorf("window does not show %q; it shows:\n%s", p, got)
		}
	}
}

// notText fails if a phrase is visible in the window.
func (h *harness) notText(phrases ...string) {
	h.t.Helper()
	got := h.text()
	for _, p := range phrases {
		if strings.Contains(got, p) {
			h.t.Errorf("window shows %q, and should not; it shows:\n%s", p, got)
		}
	}
}

// button finds the visible button labelled text.
func (h *harness) button(text string) *button {
	h.t.Helper()
	var found []*button
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*button); ok && b.Text == text {
			found = append(found, b)
		}
	})
	if len(found) != 1 {
		h.t.Fatalf("want one visible %q button, found %d; the window shows:\n%s", text, len(found), h.text())
	}
	return found[0]
}

// buttons lists the labels of the visible buttons.
func (h *harness) buttons() []string {
	var labels []string
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*button); ok {
			labels = append(labels, b.Text)
		}
	})
	return labels
}

// tap taps the visible button labelled text and lets its work finish.
func (h *harness) tap(text string) {
	h.t.Helper()
	b := h.button(text)
	if b.Disabled() {
		h.t.Fatalf("button %q is disabled", text)
	}
	test.Tap(b)
	h.settle()
}

// typeInto types s into e, as a user does after clicking it.
func (h *harness) typeInto(e *widget.Entry, s string) {
	h.t.Helper()
	h.canvas().Focus(e)
	e.SetText("")
	test.Type(e, s)
}

// typeFocused types s into whatever has the keyboard focus.
func (h *harness) typeFocused(s string) {
	h.t.Helper()
	f := h.canvas().Focused()
	if f == nil {
		h.t.Fatalf("no widget has the keyboard focus")
	}
	test.Type(f, s)
}

// press sends a key to the focused widget and lets its work finish.
func (h *harness) press(key fyne.KeyName) {
	h.t.Helper()
	f := h.canvas().Focused()
	if f == nil {
		h.t.Fatalf("no widget has the keyboard focus")
	}
	f.TypedKey(&fyne.KeyEvent{Name: key})
	h.settle()
}

// code is the code the user's authenticator app shows for secret in the
// next time step (the service accepts each step once).
func (h *harness) code(secret string) string {
	h.t.Helper()
	h.clock.Advance(30 * time.Second)
	c, err := account.TOTPCode(secret, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	h.secrets = append(h.secrets, c)
	return c
}

// user makes an active account through the service, as if created earlier.
func (h *harness) user(email string) *accounttest.User {
	h.t.Helper()
	u := accounttest.SignUp(h.t, h.svc, h.clock, email)
	h.secrets = append(h.secrets, u.Password, u.Secret, u.Session.Token)
	h.secrets = append(h.secrets, u.Session.RecoveryCodes...)
	if mb, ok := h.mailer.(*mailbox); ok {
		// The address is confirmed, so the email code is a factor.
		if _, err := h.svc.ConfirmEmail(context.Background(), u.Session.Token, mb.lastCode(h.t)); err != nil {
			h.t.Fatalf("confirming the email: %v", err)
		}
	}
	return u
}

// signedIn starts the app with u's session in the token store, so it opens
// signed in.
func (h *harness) signedIn(u *accounttest.User) {
	h.t.Helper()
	h.tokens.Save(u.Session.Token)
	h.start()
	if h.app.shell == nil {
		h.t.Fatalf("the app did not open signed in; it shows:\n%s", h.text())
	}
}

// me is the account of the app's session, from the service.
func (h *harness) me() (*account.Account, error) {
	return h.svc.Me(context.Background(), h.app.token)
}

// walkVisible calls fn for o and every visible object inside it.
func walkVisible(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkVisible(c, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkVisible(c, fn)
		}
	}
}

// visibleText is the words of every visible text in o, in order.
func visibleText(o fyne.CanvasObject) string {
	var words []string
	walkVisible(o, func(o fyne.CanvasObject) {
		if t, ok := o.(*canvas.Text); ok {
			words = append(words, strings.Fields(t.Text)...)
		}
	})
	return strings.Join(words, " ")
}

// serveOverHTTP serves svc's HTTP API on a loopback port for the test and
// returns its URL. With publicURL set (a phone test serves the page
// itself) that URL is the API's origin too. wrap, when set, stands in
// front of the API's handler.
func serveOverHTTP(t *testing.T, svc *account.Service, publicURL string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	origin := url
	if publicURL != "" {
		origin = publicURL
	}
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: origin})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	if wrap != nil {
		srv.Config.Handler = wrap(h)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return url
}

// storeFor is the store the harness's service keeps its state in: the
// SQLite file accounttest makes, or with PASSKEYDESK_UI_STORE=postgres a
// database on the throwaway PostgreSQL cluster of this test binary.
func storeFor(t *testing.T) func(account.Store) account.Store {
	if os.Getenv("PASSKEYDESK_UI_STORE") != "postgres" {
		return nil
	}
	return func(account.Store) account.Store {
		s, err := pgstore.Open(context.Background(), pgtest.Database(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// readQR reads the QR code q as a camera would: off the window, where it
// is drawn, in full view. gozxing misses about 3 in 1,000 codes as a
// camera would see them, so a miss is read again as the plain code the
// crop is (PURE_BARCODE), which it never missed in 2,000 tries.
func (h *harness) readQR(q fyne.CanvasObject) string {
	h.t.Helper()
	shot := h.canvas().Capture()
	scale := float32(shot.Bounds().Dx()) / h.canvas().Size().Width
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(q)
	r := image.Rect(int(pos.X*scale), int(pos.Y*scale),
		int((pos.X+q.Size().Width)*scale), int((pos.Y+q.Size().Height)*scale))
	if !r.In(shot.Bounds()) || r.Dx() < 100 || r.Dy() < 100 {
		h.t.Fatalf("the QR code is drawn at %v, not in full view in the window %v", r, shot.Bounds())
	}
	crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(crop, crop.Bounds(), shot, r.Min, draw.Src)
	bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		res, err = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	}
	if err != nil {
		h.t.Fatalf("no QR code read off the window: %v", err)
	}
	return res.GetText()
}

// noOverlaps fails when, in a visible vertical box of the window, a part
// starts above the end of the one before it or is shorter than it needs
// (a wrapped paragraph laid out before it knew its width runs under
// what follows). Not yet part of fits: steps swapped into a page (the
// passkey choice after a key is pulled, a reset's pick by touch) still
// lay a new paragraph out once, short, until the next layout.
func (h *harness) noOverlaps(step string) {
	h.t.Helper()
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		c, ok := o.(*fyne.Container)
		if !ok || !isVBox(c) {
			return
		}
		var above fyne.CanvasObject
		for _, below := range c.Objects {
			if !below.Visible() || below.Size().Height == 0 {
				continue
			}
			if above != nil && below.Position().Y+0.5 < above.Position().Y+above.Size().Height {
				h.t.Errorf("%s: %T at %v overlaps %T above it (at %v, %v tall)", step, below, below.Position(), above, above.Position(), above.Size().Height)
			}
			if below.Size().Height+0.5 < below.MinSize().Height {
				h.t.Errorf("%s: %T is %v tall, less than the %v it needs", step, below, below.Size().Height, below.MinSize().Height)
			}
			above = below
		}
	})
}

// isVBox reports whether c is laid out as a vertical box.
func isVBox(c *fyne.Container) bool {
	return c.Layout != nil && fmt.Sprintf("%T", c.Layout) == fmt.Sprintf("%T", layout.NewVBoxLayout())
}
