package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// pinObjects is the PIN part of the panel: unlock (to list the passkeys),
// change, or set a first PIN; a blocked PIN explained.
func (p *keyPanel) pinObjects() []fyne.CanvasObject {
	_, canPIN := p.info.Options["clientPin"]
	switch {
	case !canPIN:
		return []fyne.CanvasObject{paragraph("This key has no PIN feature.")}
	case p.pinSt.Set && p.pinSt.Retries == 0:
		return []fyne.CanvasObject{paragraph("The PIN is blocked after too many wrong tries. Only a reset makes the key usable again, and a reset deletes every passkey on it.")}
	case !p.pinSt.Set:
		set := newButtonWithIcon("Set PIN…", theme.AccountIcon(), func() { p.showPINForm(false) })
		return []fyne.CanvasObject{paragraph("This key has no PIN. Set one to protect the passkeys on it and to manage them here."), container.NewHBox(set)}
	}
	change := newButtonWithIcon("Change PIN…", theme.AccountIcon(), func() { p.showPINForm(true) })
	if p.credsRead {
		return []fyne.CanvasObject{container.NewHBox(change)}
	}
	// The entry outlives a render: after a wrong PIN it keeps the focus.
	pin := p.pinEntry
	unlock := newButtonWithIcon("Show passkeys", theme.VisibilityIcon(), nil)
	unlock.Importance = widget.HighImportance
	unlock.OnTapped = func() {
		if pin.Text != "" && p.op == nil {
			p.step(atPIN)
			p.unlock([]byte(pin.Text))
			pin.SetText("")
		}
	}
	pin.OnSubmitted = func(string) { unlock.OnTapped() }
	return []fyne.CanvasObject{
		paragraph("Enter the key's PIN to see and manage the passkeys on it."),
		widget.NewForm(widget.NewFormItem("PIN", pin)),
		container.NewHBox(unlock, change),
	}
}

// unlock reads the passkeys on the key with pin, and keeps pin for the
// changes made to them until the key is forgotten.
func (p *keyPanel) unlock(pin []byte) {
	m := p.manager()
	if m == nil {
		p.step(atPIN)
		p.fb.show(describe(errManagementUnsupported))
		return
	}
	p.fb.busy("Reading the passkeys on the key…")
	gen := p.gen
	var (
		creds         []fido.StoredCredential
		exist, remain int
		prompt        = p.prompt(pin)
		pinState      fido.PINState
		dev           = p.dev
		held          map[string]bool
		pks, rpID     = p.accountPKs, p.accountRPID()
		log           = p.app.log
		keys, others  = p.app.keys, p.otherPaths()
		elsewhere     map[string]string
	)
	p.runOp(func(ctx context.Context) (err error) {
		// The key counts the tries again after the right PIN, and down
		// after a wrong one: the PIN row shows what it counts now.
		defer func() {
			if err == nil || errors.Is(err, fido.ErrPINInvalid) || errors.Is(err, fido.ErrPINBlocked) || errors.Is(err, fido.ErrPINAuthBlocked) {
				pinState, _ = dev.PINState(ctx)
			}
		}()
		if creds, exist, remain, err = readCreds(ctx, m, prompt); err != nil {
			return err
		}
		// The probe only sharpens the joined view: a key that refuses it
		// still shows its list.
		var perr error
		if held, perr = probeAccount(ctx, m, prompt, rpID, pks, creds); perr != nil {
			if errors.Is(perr, fido.ErrKeyRemoved) || ctx.Err() != nil {
				return perr
			}
			log.Info("probing the key for the account's passkeys failed", "err", perr)
			held = nil
		}
		elsewhere = probeOtherKeys(ctx, keys, others, rpID, pks, creds, held)
		return nil
	}, func(err error) {
		if p.gen != gen {
			clear(pin)
			return
		}
		if err != nil {
			clear(pin)
			if pinState.Set {
				p.pinSt = pinState
			}
			p.app.fail(p.fb, "reading the passkeys on a key", err)
			p.render()
			if errors.Is(err, fido.ErrPINInvalid) {
				// The field to fix keeps the focus, next to the message.
				p.app.focus(p.pinEntry)
			}
			return
		}
		p.fb.clear()
		if pinState.Set {
			p.pinSt = pinState
		}
		p.pin, p.creds, p.credsRead, p.held, p.elsewhere = pin, creds, true, held, elsewhere
		p.existing, p.remaining = exist, remain
		p.render()
		p.loadFingerprints()
	})
}

// readCreds lists every discoverable credential on the key.
func readCreds(ctx context.Context, m fido.Manager, prompt fido.Prompt) (creds []fido.StoredCredential, exist, remain int, err error) {
	if exist, remain, err = m.CredentialsMetadata(ctx, prompt); err != nil {
		return nil, 0, 0, err
	}
	rps, err := m.RelyingParties(ctx, prompt)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, rp := range rps {
		list, err := m.Credentials(ctx, rp.ID, prompt)
		if err != nil {
			return nil, 0, 0, err
		}
		for _, c := range list {
			if c.RPID == "" {
				c.RPID = rp.ID
			}
			creds = append(creds, c)
		}
	}
	return creds, exist, remain, nil
}

// probeAccount asks the key, without a touch, whether it holds each of
// the account's security-key passkeys that its passkey list leaves out (a
// passkey that is not discoverable is not listed). Passkeys marked lost
// are not asked about.
func probeAccount(ctx context.Context, m fido.Manager, prompt fido.Prompt, rpID string, pks []account.Passkey,
	creds []fido.StoredCredential) (map[string]bool, error) {
	held := map[string]bool{}
	if rpID == "" {
		return held, nil
	}
	for _, pk := range pks {
		if pk.Kind != account.KindSecurityKey || pk.Lost() || onKey(creds, pk) {
			continue
		}
		ok, err := m.Holds(ctx, rpID, pk.CredentialID, prompt)
		if err != nil {
			return nil, err
		}
		held[pk.ID] = ok
	}
	return held, nil
}

// otherPaths lists the keys plugged in besides the one on display.
func (p *keyPanel) otherPaths() []string {
	var out []string
	for _, d := range p.devices {
		if d.Path != p.chosen {
			out = append(out, d.Path)
		}
	}
	return out
}

// probeOtherKeys asks the other keys plugged in, silently and without a
// PIN, for the account's security-key passkeys that the key on display
// does not hold; it returns where each one found is (passkey ID → path).
// A key that cannot be asked is passed over: this only sharpens words.
func probeOtherKeys(ctx context.Context, keys fido.Provider, paths []string, rpID string, pks []account.Passkey,
	creds []fido.StoredCredential, held map[string]bool) map[string]string {
	found := map[string]string{}
	if rpID == "" {
		return found
	}
	for _, path := range paths {
		dev, err := keys.Open(ctx, path)
		if err != nil {
			continue
		}
		if m, ok := dev.(fido.Manager); ok {
			for _, pk := range pks {
				if pk.Kind != account.KindSecurityKey || pk.Lost() || onKey(creds, pk) || held[pk.ID] || found[pk.ID] != "" {
					continue
				}
				if ok, err := m.Holds(ctx, rpID, pk.CredentialID, fido.Prompt{}); err == nil && ok {
					found[pk.ID] = path
				}
			}
		}
		dev.Close()
	}
	return found
}

// deviceLabel is the list's label of the key at path.
func (p *keyPanel) deviceLabel(path string) string {
	labels := keyLabels(p.devices)
	for i, d := range p.devices {
		if d.Path == path {
			return labels[i]
		}
	}
	return "another key"
}

// onKey reports whether the key's passkey list holds pk.
func onKey(creds []fido.StoredCredential, pk account.Passkey) bool {
	return slices.ContainsFunc(creds, func(c fido.StoredCredential) bool { return bytes.Equal(c.ID, pk.CredentialID) })
}

// credObjects is the passkeys on the key, grouped by site, joined with the
// account's passkeys.
func (p *keyPanel) credObjects() []fyne.CanvasObject {
	if !p.credsRead {
		return nil
	}
	objs := []fyne.CanvasObject{headingText("Passkeys on this key")}
	if len(p.creds) == 0 {
		objs = append(objs, paragraph("This key holds no passkeys that sign in without a user name."))
	} else {
		objs = append(objs, container.NewBorder(nil, nil, nil, p.sortBy, p.search))
	}
	q := strings.ToLower(strings.TrimSpace(p.search.Text))
	shown := slices.Clone(p.creds)
	shown = slices.DeleteFunc(shown, func(c fido.StoredCredential) bool {
		return q != "" && !strings.Contains(strings.ToLower(c.RPID+" "+c.User.Name+" "+c.User.DisplayName), q)
	})
	byUser := p.sortBy.Selected == "User name"
	slices.SortStableFunc(shown, func(a, b fido.StoredCredential) int {
		if c := strings.Compare(a.RPID, b.RPID); c != 0 {
			return c
		}
		if byUser {
			return strings.Compare(strings.ToLower(a.User.Name), strings.ToLower(b.User.Name))
		}
		return 0
	})
	site := ""
	for _, c := range shown {
		if c.RPID != site {
			site = c.RPID
			objs = append(objs, widget.NewLabelWithStyle(site, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		}
		objs = append(objs, p.credRow(c))
	}
	if q != "" && len(shown) == 0 && len(p.creds) > 0 {
		objs = append(objs, paragraph("No passkey on this key matches “"+p.search.Text+"”."))
	}
	objs = append(objs, p.otherAccountKeys()...)
	return objs
}

// credRow is one passkey on the key.
func (p *keyPanel) credRow(c fido.StoredCredential) fyne.CanvasObject {
	line := c.User.Name
	if c.User.DisplayName != "" && c.User.DisplayName != c.User.Name {
		line += " (" + c.User.DisplayName + ")"
	}
	details := "ID " + shortID(c.ID)
	if c.CredProtect > 0 {
		details += " · " + credProtectWords(c.CredProtect, p.info.HasOption("alwaysUv"))
	}
	if j := p.joinWords(c); j != "" {
		details += " · " + j
	}
	del := newButtonWithIcon("Delete", theme.DeleteIcon(), func() {
		p.step(atCreds)
		p.mode, p.target = modeDelete, c
		p.render()
	})
	edit := newButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
		p.step(atCreds)
		p.mode, p.target = modeEdit, c
		p.render()
	})
	// The buttons keep their own height at the top of the row, not the
	// row's.
	return container.NewBorder(nil, nil, nil, container.NewVBox(container.NewHBox(edit, del)),
		container.NewVBox(widget.NewLabel(line), paragraph(details)))
}

// joinWords says how a passkey on the key relates to the signed-in
// account: one of its passkeys; for the account's site, an orphan (made
// for the account, which no longer knows it) or another account's.
func (p *keyPanel) joinWords(c fido.StoredCredential) string {
	if p.accountErr != nil || p.accountPKs == nil && c.RPID != p.accountRPID() {
		return ""
	}
	if pk := p.boundPasskey(c); pk != nil {
		return "Bound to your account as “" + pk.Name + "”"
	}
	switch {
	case c.RPID != p.accountRPID():
		return ""
	case p.anotherAccounts(c):
		return "Another account's passkey for this site"
	case len(p.app.me.UserHandle) == 0:
		return "Not one of your account's passkeys"
	}
	return "Orphan: your account no longer knows this passkey"
}

// anotherAccounts reports whether c is a passkey for the account's site
// made for another account: its user ID is not the signed-in account's
// user handle.
func (p *keyPanel) anotherAccounts(c fido.StoredCredential) bool {
	handle := p.app.me.UserHandle
	return len(handle) > 0 && c.RPID == p.accountRPID() && !bytes.Equal(c.User.ID, handle) && p.boundPasskey(c) == nil
}

// otherAccountKeys lists the account's security-key passkeys that the
// key's passkey list leaves out, each with where it is: on this key all
// the same (not discoverable), lost (marked so after a reset or a
// delete), not on this key although it is the same model (the silent
// probe says no), or on a key that is not plugged in.
func (p *keyPanel) otherAccountKeys() []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, pk := range p.accountPKs {
		if pk.Kind != account.KindSecurityKey || onKey(p.creds, pk) {
			continue
		}
		if len(objs) == 0 {
			objs = append(objs, headingText("Your account's other security-key passkeys"))
		}
		name := "“" + pk.Name + "”"
		held, probed := p.held[pk.ID]
		other := p.elsewhere[pk.ID]
		sameModel := len(pk.AAGUID) == 16 && bytes.Equal(pk.AAGUID, p.info.AAGUID[:]) && p.info.AAGUID != (fido.AAGUID{})
		switch {
		case pk.Lost():
			line := paragraph(name + " · " + lostWords(pk) + ". It can no longer sign in: remove it from your account.")
			line.Importance = widget.WarningImportance
			remove := newButtonWithIcon("Remove in Passkeys…", theme.DeleteIcon(), func() { p.shell.open(sectionPasskeys) })
			objs = append(objs, container.NewBorder(nil, nil, nil, container.NewHBox(remove), line))
		case probed && held:
			objs = append(objs, paragraph(name+" · on this key (it is not listed above: it signs in after you give your user name)"))
		case other != "":
			objs = append(objs, paragraph(name+" · on another key plugged in: "+p.deviceLabel(other)+". Pick that key to manage it."))
		case probed && sameModel:
			objs = append(objs, paragraph(name+" · not on this key. If you made it with this key, the key no longer holds it; otherwise plug in the key you made it with."))
		default:
			objs = append(objs, paragraph(name+" · not connected: the key that holds it is not plugged in"))
		}
	}
	return objs
}

// shortID names a credential in ten characters: the first five bytes of
// the SHA-256 of its whole ID, in hex. Keys lay their IDs out in their own
// ways (the soft key starts each with its 16-byte handle; others start
// with a version byte or end with a tag), so no fixed slice of the ID is
// sure to tell two credentials of one key apart; a hash of it is.
func shortID(id []byte) string {
	h := sha256.Sum256(id)
	return hex.EncodeToString(h[:5])
}

// credProtectWords says when a passkey on the key needs the PIN: its
// credProtect level (CTAP 2.1 §12.1), unless the key's "Always require
// the PIN" (alwaysUv) asks for it every time whatever the level.
func credProtectWords(level int, alwaysUV bool) string {
	spec := "credProtect " + strconv.Itoa(level)
	switch {
	case alwaysUV:
		return "PIN always needed, as \u201cAlways require the PIN or built-in verification\u201d is on (" + spec + ")"
	case level == 1:
		return "usable without the PIN (credProtect 1)"
	case level == 2:
		return "PIN needed unless the site names this passkey (credProtect 2)"
	case level == 3:
		return "PIN always needed (credProtect 3)"
	}
	return spec
}

// deleteObjects asks to confirm deleting p.target.
func (p *keyPanel) deleteObjects() []fyne.CanvasObject {
	c := p.target
	words := "Delete the passkey of " + c.User.Name + " on " + c.RPID + " from this key? It cannot be undone."
	bound := p.boundPasskey(c)
	switch {
	case bound != nil:
		words += " It is one of your account's passkeys: it will no longer sign in, and your account will list it as lost until you remove it there."
	case p.anotherAccounts(c):
		words += " It belongs to another account on this site: that account will no longer be able to sign in with it."
	}
	ok := newButtonWithIcon("Delete passkey", theme.DeleteIcon(), nil)
	ok.Importance = widget.DangerImportance
	keep := newButtonWithIcon("Keep it", theme.CancelIcon(), p.back)
	ok.OnTapped = func() {
		if p.op != nil {
			return
		}
		m, id := p.manager(), slices.Clone(c.ID)
		prompt := p.prompt(p.pin)
		p.fb.busy("Deleting the passkey…")
		ok.Disable()
		p.runOp(func(ctx context.Context) error {
			return m.DeleteCredential(ctx, id, prompt)
		}, func(err error) {
			if err == nil && bound != nil {
				p.markLost([]string{bound.ID}, "deleted from the security key")
			}
			p.afterChange("deleting a passkey on a key", err, "Passkey deleted from the key.")
		})
	}
	return []fyne.CanvasObject{headingText("Delete a passkey"), paragraph(words), container.NewHBox(ok, keep)}
}

// boundPasskey is the account's passkey that c is, or nil.
func (p *keyPanel) boundPasskey(c fido.StoredCredential) *account.Passkey {
	for i := range p.accountPKs {
		if bytes.Equal(p.accountPKs[i].CredentialID, c.ID) {
			return &p.accountPKs[i]
		}
	}
	return nil
}

// editObjects edits the user name and display name of p.target.
func (p *keyPanel) editObjects() []fyne.CanvasObject {
	c := p.target
	name, display := widget.NewEntry(), widget.NewEntry()
	name.SetText(c.User.Name)
	display.SetText(c.User.DisplayName)
	save := newButtonWithIcon("Save user", theme.DocumentSaveIcon(), nil)
	save.Importance = widget.HighImportance
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), p.back)
	save.OnTapped = func() {
		if p.op != nil {
			return
		}
		m := p.manager()
		u := fido.User{ID: slices.Clone(c.User.ID), Name: name.Text, DisplayName: display.Text}
		id, prompt := slices.Clone(c.ID), p.prompt(p.pin)
		p.fb.busy("Saving on the key…")
		save.Disable()
		p.runOp(func(ctx context.Context) error {
			return m.UpdateUser(ctx, id, u, prompt)
		}, func(err error) {
			p.afterChange("updating a passkey's user on a key", err, "User saved on the key.")
		})
	}
	return []fyne.CanvasObject{
		headingText("Edit the user of a passkey on " + c.RPID),
		widget.NewForm(widget.NewFormItem("User name", name), widget.NewFormItem("Display name", display)),
		container.NewHBox(save, cancel),
	}
}

// back returns to the overview of the key.
func (p *keyPanel) back() {
	p.mode = modeOverview
	p.pinForm = nil
	p.step(p.at)
	p.render()
}

// afterChange ends a change to the key: on success it says so and reads
// the passkeys again; on failure it shows why.
func (p *keyPanel) afterChange(op string, err error, success string) {
	if p.info == nil {
		return
	}
	if err != nil {
		p.app.fail(p.fb, op, err)
		p.render()
		return
	}
	p.mode = modeOverview
	pin := bytes.Clone(p.pin)
	p.forgetCreds()
	p.render()
	if pin != nil {
		p.unlock(pin)
	}
	p.result.note(success)
}
