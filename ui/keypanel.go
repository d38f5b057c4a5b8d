package ui

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido"
)

// keyPanel is the "Security keys" section: everything about a plugged-in
// key, joined with the account's passkeys. It shows the keys plugged in
// (following plug and unplug through Provider.Watch), the chosen key's
// card (getInfo and PIN state, shown as soon as they are read), its PIN,
// the passkeys on it (credential management, CTAP 2.1 §6.8, unlocked with
// the PIN), its policy (authenticatorConfig, §6.11) and a guided reset
// (§6.6; keyreset.go). Credential views are in keycreds.go; marking the
// account's passkeys lost after a reset or a delete, in keylost.go.
//
// Every key call runs off the UI goroutine through App.runIn under a
// context that ends when the key leaves the list (cause
// fido.ErrKeyRemoved) or the panel closes. The screen is drawn from the
// fields below by render, so what a removed key leaves behind is cleared
// with them; they are read and written on the UI goroutine only.
type keyPanel struct {
	app   *App
	shell *shell

	ctx   context.Context
	stop  context.CancelFunc
	ended bool

	devices []fido.DeviceInfo
	watched bool
	chosen  string // path of the key on display, "" for none

	// keySession holds the key on display (dev), the operation under
	// way on it (op), the order of all key work and the handoff of a key
	// being opened (keysession.go).
	keySession
	info  *fido.Info
	pinSt fido.PINState
	gen   int // bumped whenever the key on display changes

	// keyCredsView is the view of the passkeys on the key (keycreds.go).
	keyCredsView
	accountPKs []account.Passkey
	accountErr error
	// keyFingerprintsView is the view of the fingerprints (keyfingerprints.go).
	keyFingerprintsView

	mode   panelMode
	target fido.StoredCredential // of modeDelete and modeEdit
	reset  *keyReset             // the guided reset, while under way
	// keyPick is the pick by touch (keypick.go).
	keyPick

	// lost asks for the identity check that marking the account's last
	// passkeys lost needs (keylost.go), or is nil.
	lost *lostMark

	// fb says what the work under way waits for, or why it failed;
	// result says what the last change did. Both stand next to the part
	// of the panel whose step made them (at), and a new step clears them.
	fb      *feedback
	result  *feedback
	at      panelPart
	body    *fyne.Container
	pinForm *pinChangeForm
}

// panelPart is a part of the panel the feedback stands next to.
type panelPart int

const (
	atKeys         panelPart = iota // the key list: listing, opening, a key pulled out
	atPIN                           // unlocking with the PIN, setting or changing it
	atCreds                         // the passkeys on the key: editing, deleting one
	atPolicy                        // the key's policy
	atFingerprints                  // the fingerprints of a key with a sensor
)

// step starts a step in part at: what earlier steps said goes, and what
// this one says stands next to it.
func (p *keyPanel) step(at panelPart) {
	p.fb.clear()
	p.result.clear()
	p.at = at
}

// keyCredsView is the keys panel's view of the passkeys on the key on
// display, once unlocked with pin, joined with the account's passkeys,
// with its search and sort.
type keyCredsView struct {
	pinEntry *widget.Entry // the PIN that unlocks the list, as typed
	// minLength and forceChange are the policy's PIN rules as set on
	// screen, until applied (keypolicy.go).
	minLength   *widget.Entry
	forceChange *widget.Check
	pin         []byte
	creds       []fido.StoredCredential
	credsRead   bool
	held        map[string]bool   // account passkey ID → the key holds it (silent probe)
	elsewhere   map[string]string // account passkey ID → path of another plugged key holding it
	existing    int
	remaining   int
	search      *widget.Entry
	sortBy      *widget.Select
}

// keyPick is the keys panel's pick by touch: with several keys plugged
// in, the one touched is shown.
type keyPick struct {
	// picking ends the pick by touch under way, or is nil.
	picking    context.CancelFunc
	pickReady  bool   // every key of the pick waits for the touch
	pickEnding bool   // the pick was ended; its keys are being closed
	pickNext   string // the key to show once the pick has ended, "" for the first
	pickGen    int    // bumped by each pick
}

// panelMode is what the panel shows below the key card.
type panelMode int

const (
	modeOverview panelMode = iota
	modeChangePIN
	modeDelete
	modeEdit
	modeReset
	modeFingerprint // keyfingerprints.go
)

func newKeyPanel(a *App, s *shell) *keyPanel {
	p := &keyPanel{app: a, shell: s, keySession: newKeySession(a)}
	p.ctx, p.stop = context.WithCancel(a.ctx)
	return p
}

// build returns the panel's content and starts following the key list.
func (p *keyPanel) build() fyne.CanvasObject {
	p.fb = newFeedback()
	p.result = newFeedback()
	p.body = container.NewVBox()
	p.pinEntry = widget.NewPasswordEntry()
	p.pinEntry.SetPlaceHolder("PIN of the key")
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search by site or user")
	p.search.OnChanged = func(string) { p.render() }
	p.sortBy = widget.NewSelect([]string{"Site", "User name"}, func(string) { p.render() })
	p.sortBy.Selected = "Site"
	p.render()
	p.start()
	p.loadAccount()
	return page(p.body)
}

// start lists the keys, then keeps the list current.
func (p *keyPanel) start() {
	p.app.watchKeys(p.ctx, func() bool { return p.ended }, p.setDevices, func(err error) {
		p.app.fail(p.fb, "listing security keys", err)
	})
}

// loadAccount reads the account's passkeys for the joined view.
func (p *keyPanel) loadAccount() {
	token := p.app.token
	var list []account.Passkey
	p.app.run(func(ctx context.Context) error {
		var err error
		list, err = p.app.api.Passkeys(ctx, token)
		return err
	}, func(err error) {
		if p.ended {
			return
		}
		p.accountPKs, p.accountErr = list, err
		if err != nil {
			p.app.log.Info("reading the account's passkeys failed", "err", err)
		}
		p.render()
	})
}

// close stops the panel: the watch, any operation, the open key.
func (p *keyPanel) close() {
	if p.ended {
		return
	}
	p.ended = true
	p.stop()
	p.forget()
	if p.lost != nil {
		p.lost.close()
	}
}

// setDevices takes a new key listing. A key on display that is gone is
// forgotten at once; the operation on it ends as fido.ErrKeyRemoved.
func (p *keyPanel) setDevices(list []fido.DeviceInfo) {
	prev := p.devices
	p.devices, p.watched = list, true
	if p.reset != nil {
		p.reset.devicesChanged(prev, list)
		p.render()
		return
	}
	if p.picking != nil {
		if len(list) < 2 {
			p.endPick("")
		}
		p.render()
		return
	}
	present := slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == p.chosen })
	if p.chosen != "" && !present {
		if p.op != nil {
			p.op(fido.ErrKeyRemoved)
		} else {
			p.fb.show(describe(fido.ErrKeyRemoved))
		}
		p.forget()
		p.chosen = ""
	}
	if p.chosen == "" && len(list) > 0 && p.op == nil {
		p.choose(list[0].Path)
		return
	}
	p.render()
}

// forget closes the key on display and drops everything read from it.
// The key (or the one a choose under way has just opened) is closed off
// the UI goroutine; the channel returned is closed once it is and all
// earlier key work is over. Work that opens a key again waits for it
// (runOp does): a key opened while another connection to it is still
// busy answers as busy.
func (p *keyPanel) forget() <-chan struct{} {
	p.gen++
	settled := p.drop(fido.ErrKeyRemoved)
	p.info = nil
	p.pinSt = fido.PINState{}
	p.forgetCreds()
	p.mode = modeOverview
	p.pinForm = nil
	p.result.clear()
	p.at = atKeys
	if p.pinEntry != nil {
		p.pinEntry.SetText("")
	}
	return settled
}

// forgetCreds drops the passkey list and the PIN that unlocked it.
func (p *keyPanel) forgetCreds() {
	clear(p.pin)
	p.pin = nil
	p.creds, p.credsRead, p.held, p.elsewhere = nil, false, nil, nil
	p.minLength, p.forceChange = nil, nil
	p.existing, p.remaining = 0, 0
	p.forgetFingerprints()
}

// choose opens the key at path and shows its card.
func (p *keyPanel) choose(path string) {
	p.forget()
	p.chosen = path
	p.step(atKeys)
	p.fb.busy("Reading the key…")
	p.render()
	gen := p.gen
	h := &handoff{}
	p.opening = h
	var (
		info *fido.Info
		st   fido.PINState
	)
	// runOp starts the work once the keys that earlier work opened are
	// closed, the one forget has just let go included.
	p.runOp(func(ctx context.Context) error {
		dev, err := p.app.keys.Open(ctx, path)
		if err != nil {
			return err
		}
		if info, err = dev.Info(ctx); err == nil {
			st, err = dev.PINState(ctx)
		}
		if err == nil && !h.give(dev) {
			err = fmt.Errorf("%w: another key was chosen", fido.ErrCanceled)
		}
		if err != nil {
			p.shut(dev)
		}
		return err
	}, func(err error) {
		if p.gen != gen {
			return // forget took the key, if it was handed over
		}
		p.opening = nil
		if err != nil {
			// Only an operation cut short after the worker had handed
			// the key over leaves it in h.
			p.closeKey(h.take())
			p.app.fail(p.fb, "opening a security key", err)
			p.render()
			return
		}
		p.fb.clear()
		p.dev, p.info, p.pinSt = h.take(), info, st
		p.render()
	})
}

// runOp runs one key operation. Its work starts once all earlier key
// work has closed the keys it opened (queueKeyWork), and must itself
// close, before it returns, every key it opens (the key on display is
// closed by forget). done is not called once the panel has ended; an
// operation cut short by the key leaving ends with fido.ErrKeyRemoved
// whatever the key call returned.
func (p *keyPanel) runOp(work func(ctx context.Context) error, done func(err error)) {
	ctx, cancel, id := p.startOp(p.ctx)
	p.result.clear()
	path, keys := p.chosen, p.app.keys
	before, settled := p.queueKeyWork()
	p.app.runIn(ctx, keyCeremonyTimeout, func(ctx context.Context) error {
		err := waitClosed(ctx, before)
		if err == nil {
			err = work(ctx)
		}
		settled()
		if err == nil || errors.Is(err, fido.ErrKeyRemoved) || path == "" {
			return err
		}
		if keyAnswered(err) {
			return err
		}
		// A key pulled out mid-operation may end it (as a timeout, a
		// cancel) before the system's list drops it: look twice.
		for range 2 {
			lctx, lcancel := context.WithTimeout(context.Background(), keyOpenTimeout)
			list, lerr := keys.Devices(lctx)
			lcancel()
			if lerr == nil && !slices.ContainsFunc(list, func(d fido.DeviceInfo) bool { return d.Path == path }) {
				return fido.ErrKeyRemoved
			}
			time.Sleep(2 * keyWatchInterval)
		}
		return err
	}, func(err error) {
		cause := context.Cause(ctx)
		cancel(nil)
		p.endOp(id)
		if p.ended {
			return
		}
		if errors.Is(cause, fido.ErrKeyRemoved) {
			done(cause)
			// forget ends an operation with this cause also when a later
			// one (a choose) supersedes it: the key then on display was
			// not pulled out, and its own operation says how it went.
			if p.opID == id {
				p.at = atKeys
				p.fb.show(describe(cause))
			}
			p.render()
			return
		}
		done(err)
	})
}

// keyAnswered reports whether err is an answer of a key still plugged in
// (a wrong PIN, a rule), which needs no check for removal.
func keyAnswered(err error) bool {
	for _, e := range []error{fido.ErrPINInvalid, fido.ErrPINBlocked, fido.ErrPINAuthBlocked, fido.ErrPINPolicy,
		fido.ErrPINRequired, fido.ErrResetTooLate, fido.ErrNoCredentials, fido.ErrUnsupported,
		fido.ErrFingerprintsFull, fido.ErrNoFingerprint} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// prompt answers the key's PIN requests with pin (a copy each time: the
// device zeroes what it is given); a wrong PIN ends the operation with
// the retries left instead of asking again. A touch shows on fb.
func (p *keyPanel) prompt(pin []byte) fido.Prompt {
	pin = bytes.Clone(pin)
	return fido.Prompt{
		PIN: func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
			if req.Wrong {
				return nil, &fido.PINError{Retries: req.Retries}
			}
			if len(pin) == 0 {
				return nil, fido.ErrPINRequired
			}
			return bytes.Clone(pin), nil
		},
		Touch: func() {
			p.app.deliver(func() {
				if !p.ended {
					p.fb.busy("Touch your key now: its button or metal contact.")
				}
			})
		},
	}
}

// manager is the key on display as a fido.Manager, or nil.
func (p *keyPanel) manager() fido.Manager {
	m, _ := p.dev.(fido.Manager)
	return m
}

// render draws the panel from its fields.
func (p *keyPanel) render() {
	if p.ended {
		return
	}
	objs := []fyne.CanvasObject{pageTitle("Security keys")}
	objs = append(objs, p.keyList()...)
	// The feedback stands under the part its step is about (p.at), or
	// under the key list when that part is not shown.
	top, placed := len(objs), false
	here := func(at panelPart) {
		if !placed && (at == p.at || p.reset != nil) {
			objs = append(objs, p.fb.object(), p.result.object())
			placed = true
		}
	}
	if p.lost != nil {
		objs = append(objs, p.lost.objects()...)
	}
	if p.reset != nil {
		objs = append(objs, p.reset.objects()...)
		here(p.at)
	} else if p.picking != nil {
		objs = append(objs, p.pickObjects()...)
	} else if p.info != nil {
		objs = append(objs, p.card()...)
		switch p.mode {
		case modeChangePIN:
			objs = append(objs, p.pinForm.objects()...)
			here(atPIN)
		case modeDelete:
			objs = append(objs, p.deleteObjects()...)
			here(atCreds)
		case modeEdit:
			objs = append(objs, p.editObjects()...)
			here(atCreds)
		case modeFingerprint:
			objs = append(objs, p.fingerprintModeObjects()...)
			here(atFingerprints)
		default:
			objs = append(objs, p.pinObjects()...)
			here(atPIN)
			// A change to a passkey is said under the list's title,
			// or where the list comes back while it is read again.
			creds := p.credObjects()
			if len(creds) > 0 {
				objs = append(objs, creds[0])
				creds = creds[1:]
			}
			here(atCreds)
			objs = append(objs, creds...)
			objs = append(objs, p.fingerprintObjects()...)
			here(atFingerprints)
			objs = append(objs, p.policyObjects()...)
			here(atPolicy)
			objs = append(objs, p.resetButton()...)
		}
	}
	if !placed {
		objs = slices.Insert(objs, top, p.fb.object(), p.result.object())
	}
	// Last, so the keyboard reaches the key's own parts first.
	objs = append(objs, p.app.simKeyObjects()...)
	p.body.Objects = objs
	p.body.Refresh()
}

// keyList is the list of keys plugged in.
func (p *keyPanel) keyList() []fyne.CanvasObject {
	switch {
	case !p.watched:
		return []fyne.CanvasObject{paragraph("Looking for security keys…")}
	case len(p.devices) == 0:
		return []fyne.CanvasObject{paragraph("No security key is plugged in. Plug one in to manage it.")}
	case len(p.devices) == 1:
		return []fyne.CanvasObject{paragraph("This key is plugged in: " + keyLabel(p.devices[0]))}
	}
	labels := keyLabels(p.devices)
	sel := widget.NewSelect(labels, nil)
	for i, d := range p.devices {
		if d.Path == p.chosen {
			sel.Selected = labels[i]
		}
	}
	sel.OnChanged = func(l string) {
		if i := slices.Index(labels, l); i >= 0 && p.devices[i].Path != p.chosen && p.reset == nil {
			if p.picking != nil {
				p.endPick(p.devices[i].Path)
				return
			}
			p.choose(p.devices[i].Path)
		}
	}
	return []fyne.CanvasObject{
		paragraph(strconv.Itoa(len(p.devices)) + " keys are plugged in. Pick the one to manage from the list, or touch it:"),
		container.NewBorder(nil, nil, nil, p.pickButton(), sel),
	}
}

// chosenDevice is the listing of the key on display.
func (p *keyPanel) chosenDevice() fido.DeviceInfo {
	for _, d := range p.devices {
		if d.Path == p.chosen {
			return d
		}
	}
	return fido.DeviceInfo{Path: p.chosen}
}

// card is the key card: what getInfo and the PIN state say.
func (p *keyPanel) card() []fyne.CanvasObject {
	info, d := p.info, p.chosenDevice()
	form := widget.NewForm()
	add := func(label, value string) {
		if value == "" {
			value = "—"
		}
		v := widget.NewLabel(value)
		v.Wrapping = fyne.TextWrapWord
		form.Append(label, v)
	}
	model := assets.ModelName(info.AAGUID[:])
	if model == "" {
		model = keyLabel(d)
	}
	// Plain words first; the spec's words (version strings, AAGUID,
	// algorithms) follow under their own title, kept for those who look
	// a key up.
	add("Model", model)
	add("Product", d.Product)
	add("PIN", p.pinWords())
	if p.pinSt.UVRetries >= 0 && info.HasOption("uv") {
		add("Built-in verification", retriesWords(p.pinSt.UVRetries)+" left")
	}
	if w := p.fingerprintCardWords(); w != "" {
		add("Fingerprints", w)
	}
	if info.MinPINLength > 0 {
		add("Minimum PIN length", strconv.Itoa(info.MinPINLength))
	}
	add("Passkey slots", p.slotWords())
	add("Works with", versionWords(info.Versions))
	tech := widget.NewForm()
	add = func(label, value string) {
		if value == "" {
			value = "—"
		}
		v := widget.NewLabel(value)
		v.Wrapping = fyne.TextWrapWord
		tech.Append(label, v)
	}
	add("Firmware", firmwareWords(info.FirmwareVersion, d, model))
	add("FIDO versions", strings.Join(info.Versions, ", "))
	add("AAGUID", aaguidWords(info.AAGUID))
	add("Transports", strings.Join(info.Transports, ", "))
	add("Algorithms", algorithmWords(info.Algorithms))
	add("Extensions", strings.Join(info.Extensions, ", "))
	return []fyne.CanvasObject{headingText(model), form, heading("Technical details"), tech}
}

// versionWords says in plain words which standards a key speaks, from
// getInfo's version strings.
func versionWords(versions []string) string {
	var fido2, u2f bool
	for _, v := range versions {
		switch {
		case strings.HasPrefix(v, "FIDO_2"):
			fido2 = true
		case strings.HasPrefix(v, "U2F"):
			u2f = true
		}
	}
	switch {
	case fido2 && u2f:
		return "Passkeys (FIDO2), and older two-step sign-in (U2F)"
	case fido2:
		return "Passkeys (FIDO2)"
	case u2f:
		return "Only older two-step sign-in (U2F): no passkeys"
	}
	return ""
}

// pinWords is the PIN state in words.
func (p *keyPanel) pinWords() string {
	st := p.pinSt
	switch {
	case !st.Set:
		return "Not set"
	case st.Retries == 0:
		return "Blocked: only a reset makes the key usable again"
	case p.info.ForcePINChange:
		return "Set; a change is required before the key can be used"
	case st.Retries > 0:
		return "Set (" + retriesWords(st.Retries) + " left)"
	}
	return "Set"
}

// slotWords says how many discoverable passkeys the key holds and how many
// more fit, as far as is known.
func (p *keyPanel) slotWords() string {
	if p.credsRead {
		return strconv.Itoa(p.existing) + " used, " + strconv.Itoa(p.remaining) + " free"
	}
	if p.info.RemainingDiscoverable >= 0 {
		return strconv.Itoa(p.info.RemainingDiscoverable) + " free (unlock with the PIN to see those used)"
	}
	return "Unlock with the PIN to see them"
}

func aaguidWords(a fido.AAGUID) string {
	h := hex.EncodeToString(a[:])
	if len(h) != 32 {
		return h
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// algorithmWords names COSE algorithm identifiers (RFC 9053).
func algorithmWords(algs []int) string {
	names := map[int]string{-7: "ES256", -8: "EdDSA", -35: "ES384", -36: "ES512", -257: "RS256", -47: "ES256K"}
	var out []string
	for _, a := range algs {
		if n, ok := names[a]; ok {
			out = append(out, n)
		} else {
			out = append(out, strconv.Itoa(a))
		}
	}
	return strings.Join(out, ", ")
}

// accountRPID is the account service's RP ID, as the service says it.
func (p *keyPanel) accountRPID() string { return p.app.me.RPID }
