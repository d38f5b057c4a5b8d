package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

// callTimeout bounds one call to the account service or the keyring.
const callTimeout = 30 * time.Second

// prefKnownAccount is the preference set once an account has signed in on
// this computer; without it the app opens on account creation (first run).
// It is kept per data folder (knownAccountPref): a new folder is a new
// account database, so it opens on first run even when another folder has
// accounts. Versions before that kept the plain key for every folder.
const prefKnownAccount = "account.known"

// knownAccountPref is the preference key of prefKnownAccount for the data
// folder dir.
func knownAccountPref(dir string) string {
	if dir == "" {
		return prefKnownAccount
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // a relative --data-dir is the same folder from anywhere
	}
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	return prefKnownAccount + "." + hex.EncodeToString(sum[:8])
}

// knownAccount says whether an account has signed in with this data
// folder. The plain key an earlier version set is taken over by the first
// folder opened after the upgrade, which is the one it was set for unless
// the user has since switched folders.
func (a *App) knownAccount() bool {
	prefs := a.fyne.Preferences()
	key := knownAccountPref(a.dataDir)
	if prefs.Bool(key) {
		return true
	}
	if key != prefKnownAccount && prefs.Bool(prefKnownAccount) {
		prefs.RemoveValue(prefKnownAccount)
		prefs.SetBool(key, true)
		return true
	}
	return false
}

// setKnownAccount records that an account has signed in with this data
// folder. It also retires the earlier versions' flag, which a folder
// opened signed in (its session restored) never read.
func (a *App) setKnownAccount() {
	prefs := a.fyne.Preferences()
	key := knownAccountPref(a.dataDir)
	prefs.SetBool(key, true)
	if key != prefKnownAccount {
		prefs.RemoveValue(prefKnownAccount)
	}
}

// Deps are what the UI is built on.
type Deps struct {
	// API is the account service.
	API account.API
	// Tokens keeps the session token between runs.
	Tokens TokenStore
	// DataDir is the folder of the app's data, shown in settings.
	DataDir string
	// SealingKeyInFile says the key that seals the authenticator secrets
	// lies in a file in DataDir, as no OS keyring could keep it; Settings
	// warns about it.
	SealingKeyInFile bool
	// Logger receives failure details; nil means slog.Default().
	Logger *slog.Logger
	// Keys finds security keys; nil means the add-passkey wizard offers
	// no security-key method. Client must be set with it.
	Keys fido.Provider
	// Client is the WebAuthn client that drives a key for the account
	// service's origin.
	Client *client.Client
	// Phone offers the phone-or-tablet method: the account service's
	// enrollment page is served where its links point (the public URL).
	// PhoneUnavailable, when set, is why the page cannot be served; the
	// method is then shown disabled with the reason.
	Phone            bool
	PhoneUnavailable error
	// ThisComputer is this computer's platform authenticator
	// (fido/platform); nil means the wizard offers no this-computer
	// method. Client must be set with it.
	ThisComputer ThisComputer
	// Server is the URL of the account server API talks to; "" when the
	// account service is embedded in the app.
	Server string
	// Notify sends a desktop notification; nil means the Fyne app's
	// SendNotification.
	Notify func(*fyne.Notification)
	// PublicURL is where the embedded service's page and API are served
	// (the approvals API's address in Settings); "" with a Server.
	PublicURL string
	// Backup backs up and restores the embedded service's data folder;
	// nil with a Server. Restart ends the app and starts it again, to put
	// a restored backup in place.
	Backup  Backup
	Restart func()
	// SimulatedKey is the simulated security key (--simulated-key), whose
	// controls Security keys opens in a small window; nil when it is off.
	SimulatedKey SimulatedKey
}

// ThisComputer is a platform authenticator: a fido.Device that can say
// why it cannot be used before it is tried.
type ThisComputer interface {
	fido.Device
	// Check reports why this computer's passkeys cannot be used (the OS
	// keyring unavailable, its master key not the store's, the store
	// damaged), or nil.
	Check(ctx context.Context) error
	// StartOver deletes every passkey kept on this computer and the local
	// PIN; a store that cannot be opened is set aside instead, and its new
	// file name returned.
	StartOver(ctx context.Context) (string, error)
	// DeleteCredential deletes the passkey with this credential ID, its
	// private key with it; fido.ErrNoCredentials when this computer does
	// not hold it.
	DeleteCredential(ctx context.Context, id []byte) error
}

// App is Passkey Desk's window and the state of its session.
type App struct {
	fyne    fyne.App
	win     fyne.Window
	api     account.API
	tokens  TokenStore
	dataDir string
	keyFile bool // Deps.SealingKeyInFile
	log     *slog.Logger
	keys    fido.Provider  // nil: no security-key method
	client  *client.Client // set with keys or thisComputer

	phone            bool         // the phone-or-tablet method is offered
	phoneUnavailable error        // why it cannot be used, or nil
	thisComputer     ThisComputer // nil: no this-computer method
	server           string       // the account server's URL, "" when embedded
	// now is the clock the phone enrollment's countdown runs on; the
	// headless tests set the account service's test clock.
	now func() time.Time
	// openURL opens a link in the system's browser (fyne's OpenURL); the
	// headless tests record it.
	openURL func(*url.URL) error
	// notify sends a desktop notification (Deps.Notify).
	notify func(*fyne.Notification)
	// publicURL is Deps.PublicURL.
	publicURL string
	// backup and restart are Deps.Backup and Deps.Restart.
	backup  Backup
	restart func()
	// simKey is Deps.SimulatedKey; simWin its control window while open.
	simKey SimulatedKey
	simWin *simKeyWindow

	ctx    context.Context
	cancel context.CancelFunc
	// deliver runs a function on the UI goroutine: fyne.Do, or in tests a
	// queue the test drains on its own goroutine.
	deliver func(func())
	// after runs a function on the UI goroutine once a time has passed
	// (time.AfterFunc, then deliver); the tests run it when they choose.
	after func(d time.Duration, f func())
	// stationReplug waits for a key's replug in the enrollment station's
	// guided reset; nil: watch the keys (enroll.WatchReplug). The tests
	// replug soft keys by power-cycling them.
	stationReplug enroll.ReplugFunc
	// stationName names this computer in batch logs; "" for its host
	// name. The tests run two stations on one host.
	stationName string
	// inflight counts work started by run whose result has not yet been
	// handled on the UI goroutine.
	inflight atomic.Int64

	// Read and written on the UI goroutine only.
	token        string          // the session token; "" when signed out
	me           account.Account // the signed-in account
	tokenProblem error           // why the session cannot be remembered, or nil
	shell        *shell          // the signed-in shell, nil when signed out
	signInScreen *signInScreen   // the sign-in screen on display, or nil
	signUpScreen *signUpScreen   // the first-run screen on display, or nil
}

// every runs f on the UI goroutine each time d has passed, through
// App.after (so the tests' clock drives it), until ctx ends or f says
// to stop by returning false. One run is pending at a time: the next is
// set only once f has returned.
func (a *App) every(ctx context.Context, d time.Duration, f func() bool) {
	var run func()
	run = func() {
		if ctx.Err() == nil && f() {
			a.after(d, run)
		}
	}
	a.after(d, run)
}

// New builds the window on deps, applies the saved theme and starts
// restoring a saved session: with a valid one the window opens signed in,
// otherwise on sign-in (or account creation on first run). Show the window
// with Show, then run the Fyne app.
func New(fa fyne.App, deps Deps) *App {
	return newApp(fa, deps, fyne.Do)
}

// newApp is New with the way results reach the UI goroutine. The tests
// pass a queue: Fyne's test driver runs fyne.Do at once on the calling
// goroutine, which would make the worker goroutines touch widgets.
func newApp(fa fyne.App, deps Deps, deliver func(func())) *App {
	a := &App{
		deliver: deliver,
		fyne:    fa,
		api:     deps.API,
		tokens:  deps.Tokens,
		dataDir: deps.DataDir,
		keyFile: deps.SealingKeyInFile,
		log:     deps.Logger,
		keys:    deps.Keys,
		client:  deps.Client,

		phone:            deps.Phone || deps.PhoneUnavailable != nil,
		phoneUnavailable: deps.PhoneUnavailable,
		thisComputer:     deps.ThisComputer,
		server:           deps.Server,
		now:              time.Now,
		openURL:          fa.OpenURL,
		notify:           deps.Notify,
		publicURL:        deps.PublicURL,
		backup:           deps.Backup,
		restart:          deps.Restart,
		simKey:           deps.SimulatedKey,
	}
	if a.notify == nil {
		a.notify = fa.SendNotification
	}
	a.after = func(d time.Duration, f func()) {
		time.AfterFunc(d, func() { a.deliver(f) })
	}
	if a.client == nil {
		a.keys = nil
		a.thisComputer = nil
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	applyTheme(fa, savedTheme(fa.Preferences()))

	a.win = fa.NewWindow("Passkey Desk")
	a.win.Resize(fyne.NewSize(900, 640))
	a.win.SetOnClosed(func() {
		a.closeSimulatedKey()
		a.cancel()
	})
	a.startSimulatedKey()
	a.restore()
	return a
}

// Window returns the app's window.
func (a *App) Window() fyne.Window { return a.win }

// Show shows the window.
func (a *App) Show() { a.win.Show() }

// run calls work off the UI goroutine and then done with its error on the
// UI goroutine. Results travel in variables the two closures share: work
// writes them, done reads them after work has returned.
func (a *App) run(work func(ctx context.Context) error, done func(err error)) {
	a.runIn(a.ctx, callTimeout, work, done)
}

// runIn is run under ctx (which must descend from the app's context) with
// its own limit: key work waits for a person, so it gets longer than
// callTimeout and a context its Cancel button ends.
func (a *App) runIn(ctx context.Context, limit time.Duration, work func(ctx context.Context) error, done func(err error)) {
	a.inflight.Add(1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, limit)
		err := work(ctx)
		cancel()
		a.deliver(func() {
			defer a.inflight.Add(-1)
			done(err)
		})
	}()
}

// fail shows err on fb and logs it. When the session has ended it signs out
// and explains why on the sign-in screen instead.
func (a *App) fail(fb *feedback, op string, err error) {
	m := describeAt(err, a.server)
	if m.internal {
		a.log.Error(op+" failed", "err", err)
	} else {
		a.log.Info(op+" failed", "err", err)
	}
	if errors.Is(err, account.ErrUnauthenticated) && a.token != "" {
		a.endSession(m)
		return
	}
	if errors.Is(err, account.ErrSessionRestricted) {
		a.noteRestricted()
	}
	fb.show(m)
}

// focus puts the keyboard focus on obj. An object that is not in the
// window (yet), or is hidden or disabled, cannot take it, and Fyne says
// so only on standard error; that is a screen focusing before it is shown
// or on the wrong widget, and is logged here, where the tests look.
func (a *App) focus(obj fyne.Focusable) {
	c := a.win.Canvas()
	c.Focus(obj)
	if c.Focused() != obj {
		a.log.Warn("focus not taken: the object is not in the window, or hidden or disabled", "object", fmt.Sprintf("%T", obj))
	}
}

// laterFocus holds the focus a part of a screen asks for before its
// caller has put it in the window, where it cannot take it yet, and gives
// it once the part is shown.
type laterFocus struct {
	shown   bool
	pending fyne.Focusable
}

// focus focuses obj (if not nil) at once when the part is shown, else
// once it is.
func (l *laterFocus) focus(a *App, obj fyne.Focusable) {
	switch {
	case obj == nil:
	case l.shown:
		a.focus(obj)
	default:
		l.pending = obj
	}
}

// show records that the part is in the window, and gives it the focus it
// asked for meanwhile.
func (l *laterFocus) show(a *App) {
	l.shown = true
	if l.pending != nil {
		a.focus(l.pending)
		l.pending = nil
	}
}

// setContent replaces the window's content and puts the keyboard focus on
// first, when given.
func (a *App) setContent(c fyne.CanvasObject, first fyne.Focusable) {
	a.win.SetContent(c)
	// Again: the first layout gives wrapped paragraphs their width, and
	// only then their height, which the page must make room for.
	c.Refresh()
	if first != nil {
		a.focus(first)
	}
}

// restore loads a saved session token and, when the service still knows
// it, opens the window signed in.
func (a *App) restore() {
	fb := newFeedback()
	fb.busy("Starting…")
	a.setContent(container.NewCenter(fb.object()), nil)

	var (
		me       *account.Account
		token    string
		storeErr error
	)
	a.run(func(ctx context.Context) error {
		tok, err := a.tokens.Load()
		if err != nil {
			storeErr = &tokenStoreError{err}
			return nil
		}
		if tok == "" {
			return nil
		}
		me, err = a.api.Me(ctx, tok)
		if errors.Is(err, account.ErrUnauthenticated) {
			// Expired or signed out elsewhere: forget it quietly.
			if cerr := a.tokens.Clear(); cerr != nil {
				storeErr = &tokenStoreError{cerr}
			}
			return nil
		}
		token = tok
		return err
	}, func(err error) {
		a.setTokenProblem(storeErr)
		switch {
		case err != nil:
			a.showSignIn()
			a.fail(a.signInScreen.fb, "restoring the session", err)
		case me != nil:
			a.enter(token, *me)
		case a.knownAccount():
			a.showSignIn()
		default:
			a.showSignUp()
		}
	})
}

// remember saves a new session token. It runs in the work goroutine (the
// keyring may be slow); a failure is not the sign-in's: it comes back as the
// reason the session is not remembered.
func (a *App) remember(token string) (problem error) {
	if err := a.tokens.Save(token); err != nil {
		return &tokenStoreError{err}
	}
	return nil
}

// setTokenProblem records why the session cannot be remembered (nil: it
// can).
func (a *App) setTokenProblem(err error) {
	if err != nil {
		a.log.Warn("session cannot be remembered", "err", err)
	}
	a.tokenProblem = err
}

// enter opens the signed-in shell for the session.
func (a *App) enter(token string, me account.Account) {
	if me.SetupRequired {
		a.showSetUp(token, me)
		return
	}
	a.token = token
	a.me = me
	a.setKnownAccount()
	a.signInScreen, a.signUpScreen = nil, nil
	a.shell = newShell(a)
	a.shell.show()
}

// endSession forgets the session on this side (the service has already
// ended it or will) and shows sign-in with why.
func (a *App) endSession(why message) {
	a.token = ""
	a.me = account.Account{}
	if a.shell != nil {
		a.shell.close()
		a.shell = nil
	}
	a.showSignIn()
	a.signInScreen.fb.show(why)
	a.run(func(context.Context) error {
		return a.tokens.Clear()
	}, func(err error) {
		if err != nil {
			a.log.Warn("clearing the saved session failed", "err", err)
		}
	})
}

// signOut ends the session at the service and in the keyring. The app
// signs out even when the service cannot be reached: the token is gone
// from this computer either way, and the session expires on its own.
func (a *App) signOut(fb *feedback, button *button) {
	if n := a.unsavedPINSlips(); n > 0 {
		// Those keys already have their PINs: lost, they would have to
		// be reset.
		fb.show(message{Title: "PIN slips not saved",
			Sentence: pinsOnlyHere(n) + ", and signing out forgets them.",
			Next:     "Open Enrollment station and save their PIN slips first."})
		return
	}
	token := a.token
	fb.busy("Signing out…")
	button.Disable()
	var clearErr error
	a.run(func(ctx context.Context) error {
		clearErr = a.tokens.Clear()
		return a.api.SignOut(ctx, token)
	}, func(err error) {
		if clearErr != nil {
			a.log.Warn("clearing the saved session failed", "err", clearErr)
		}
		if err != nil {
			a.log.Warn("signing out at the account service failed", "err", err)
		}
		a.token = ""
		a.me = account.Account{}
		if a.shell != nil {
			a.shell.close()
			a.shell = nil
		}
		a.showSignIn()
	})
}

// showSignIn shows the sign-in screen.
func (a *App) showSignIn() {
	s := &signInScreen{app: a}
	a.signInScreen, a.signUpScreen = s, nil
	a.setContent(s.build(), s.email)
}

// showSignUp shows account creation.
func (a *App) showSignUp() {
	s := &signUpScreen{app: a}
	a.signInScreen, a.signUpScreen = nil, s
	a.setContent(s.build(), s.email)
}

// noticeLine is a visible line saying why the session is not remembered,
// or nil when it is.
func (a *App) noticeLine() fyne.CanvasObject {
	if a.tokenProblem == nil {
		return nil
	}
	m := describe(a.tokenProblem)
	l := widget.NewLabel(m.Title + ". " + m.Sentence + " " + m.Next)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return l
}
