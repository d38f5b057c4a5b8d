package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido"
)

// pinChangeForm sets a first PIN or changes the PIN (a pinForm): current
// (when changing), new, and the new one again. The key's minimum length
// is checked before the key is asked.
type pinChangeForm struct {
	panel  *keyPanel
	change bool
	*pinForm
}

func (p *keyPanel) showPINForm(change bool) {
	label := "Set PIN"
	if change {
		label = "Change PIN"
	}
	f := &pinChangeForm{panel: p, change: change, pinForm: newPINForm(p.app, change, label, "New PIN again")}
	f.check = func(pin, again string) error { return checkNewPIN(pin, again, p.info.MinPINLength) }
	f.ready = func() bool { return p.op == nil && p.dev != nil }
	f.refused = func(err error) { p.fb.show(describe(err)) }
	f.save = f.saveOnKey
	p.pinForm, p.mode = f, modeChangePIN
	p.step(atPIN)
	p.render()
	p.app.focus(f.first())
}

func (f *pinChangeForm) objects() []fyne.CanvasObject {
	p := f.panel
	min := max(p.info.MinPINLength, defaultMinPINLength)
	title := "Set a PIN for the key"
	if f.change {
		title = "Change the key's PIN"
	}
	cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), p.back)
	objs := []fyne.CanvasObject{
		headingText(title),
		paragraph("The new PIN must have at least " + strconv.Itoa(min) + " characters. It stays on the key and is never sent to the account service."),
	}
	if f.change && p.pinSt.Retries > 0 && p.pinSt.Retries <= 3 {
		objs = append(objs, infoLine(retriesWords(p.pinSt.Retries)+" left before the PIN is blocked."))
	}
	return append(objs, f.form(), container.NewHBox(f.ok, cancel))
}

// saveOnKey sets or changes the PIN on the key on display.
func (f *pinChangeForm) saveOnKey(old, next []byte) {
	p := f.panel
	dev, gen := p.dev, p.gen
	var st fido.PINState
	p.fb.busy("Asking the key…")
	p.runOp(func(ctx context.Context) error {
		defer clear(old)
		defer clear(next)
		var err error
		if f.change {
			err = dev.ChangePIN(ctx, old, next)
		} else {
			err = dev.SetPIN(ctx, next)
		}
		if !errors.Is(err, fido.ErrKeyRemoved) {
			st, _ = dev.PINState(ctx)
		}
		return err
	}, func(err error) {
		if p.gen != gen {
			return
		}
		if st.Set || st.Retries > 0 {
			p.pinSt = st
		}
		if err != nil {
			p.app.fail(p.fb, "changing a key's PIN", err)
			if p.pinForm != f {
				p.render()
				return
			}
			// A wrong current PIN is typed again; the new one stays.
			// Anything else starts the form afresh.
			fix := f.first()
			if errors.Is(err, fido.ErrPINInvalid) && f.current != nil {
				f.current.SetText("")
			} else {
				f.clear()
			}
			p.render()
			p.app.focus(fix)
			return
		}
		f.clear()
		p.fb.clear()
		p.forgetCreds()
		p.mode, p.pinForm = modeOverview, nil
		p.info.ForcePINChange = false
		p.result.note("PIN saved on the key.")
		p.render()
	})
}

// policyObjects is the key's policy (authenticatorConfig), shown only
// where the key supports it.
func (p *keyPanel) policyObjects() []fyne.CanvasObject {
	info := p.info
	if !info.HasOption("authnrCfg") || p.manager() == nil {
		return nil
	}
	_, hasAlwaysUV := info.Options["alwaysUv"]
	_, hasMinPIN := info.Options["setMinPINLength"]
	if !hasAlwaysUV && !hasMinPIN {
		return nil
	}
	objs := []fyne.CanvasObject{headingText("Key policy")}
	if !p.credsRead {
		return append(objs, paragraph("Enter the key's PIN above to change its policy."))
	}
	if hasAlwaysUV {
		on := info.HasOption("alwaysUv")
		check := widget.NewCheck("Always require the PIN or built-in verification", nil)
		check.SetChecked(on)
		check.OnChanged = func(want bool) {
			if p.op != nil {
				return
			}
			p.applyPolicy("Saving the policy…", func(ctx context.Context, m fido.Manager, pr fido.Prompt) error {
				return m.SetAlwaysUV(ctx, want, pr)
			})
		}
		objs = append(objs, check)
	}
	if hasMinPIN {
		// The entries outlive a render: a length refused keeps its
		// field, with the focus, next to the message.
		if p.minLength == nil {
			p.minLength = widget.NewEntry()
			p.forceChange = widget.NewCheck("Require a new PIN at next use", nil)
		}
		length, force := p.minLength, p.forceChange
		length.SetPlaceHolder(strconv.Itoa(max(info.MinPINLength, defaultMinPINLength)))
		apply := newButton("Apply PIN rules", func() {
			if p.op != nil {
				return
			}
			n := 0
			if t := strings.TrimSpace(length.Text); t != "" {
				v, err := strconv.Atoi(t)
				if err != nil || v < max(info.MinPINLength, defaultMinPINLength) || v > 63 {
					p.step(atPolicy)
					p.fb.show(describe(&minLengthError{min: max(info.MinPINLength, defaultMinPINLength)}))
					p.render()
					p.app.focus(length)
					return
				}
				n = v
			}
			forced := force.Checked
			p.applyPolicy("Saving the PIN rules…", func(ctx context.Context, m fido.Manager, pr fido.Prompt) error {
				return m.SetMinPINLength(ctx, n, forced, pr)
			})
		})
		objs = append(objs, widget.NewForm(widget.NewFormItem("Minimum PIN length", length)), force, container.NewHBox(apply))
	}
	return objs
}

// applyPolicy runs one authenticatorConfig change, then reads the key's
// info again so the card and policy show what the key now says.
func (p *keyPanel) applyPolicy(busy string, change func(context.Context, fido.Manager, fido.Prompt) error) {
	m, dev, gen, prompt := p.manager(), p.dev, p.gen, p.prompt(p.pin)
	var (
		info *fido.Info
		st   fido.PINState
	)
	moved := p.at != atPolicy
	p.step(atPolicy)
	p.fb.busy(busy)
	if moved {
		p.render()
	}
	p.runOp(func(ctx context.Context) error {
		if err := change(ctx, m, prompt); err != nil {
			return err
		}
		var err error
		if info, err = dev.Info(ctx); err == nil {
			st, err = dev.PINState(ctx)
		}
		return err
	}, func(err error) {
		if p.gen != gen {
			return
		}
		if err != nil {
			p.app.fail(p.fb, "changing a key's policy", err)
			p.render()
			return
		}
		p.fb.clear()
		p.info, p.pinSt = info, st
		p.minLength, p.forceChange = nil, nil // a change made starts the rules afresh
		p.result.note("Policy saved on the key.")
		if info.ForcePINChange {
			p.forgetCreds()
		}
		p.render()
	})
}
