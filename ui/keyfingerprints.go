package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/fido"
)

// The key panel's Fingerprints section, on a key with a fingerprint sensor
// (authenticatorBioEnrollment, CTAP 2.1 §6.7, through fido.BioManager):
// the fingerprints by name, adding one sample by sample ("Touch the sensor
// again: 3 of 5", a sample the key refused said in words, a timeout, a
// Cancel that ends the enrollment on the key), renaming and deleting with
// confirmation. Keys manage fingerprints only with the PIN: the section
// uses the PIN the panel was unlocked with.

// fingerprintSampleTimeout is how long the key waits for each touch of
// its sensor.
const fingerprintSampleTimeout = 30 * time.Second

// keyFingerprintsView is the panel's view of the fingerprints on the key
// on display; fp is the change under way (mode modeFingerprint).
type keyFingerprintsView struct {
	fingers []fido.Fingerprint
	fpRead  bool
	fpErr   error
	fp      *fingerprintFlow
	// sampleTimeout is how long the key waits for each touch of its
	// sensor; 0 for fingerprintSampleTimeout (tests shorten it).
	sampleTimeout time.Duration
}

// sampleWait is the timeout of one sample.
func (v *keyFingerprintsView) sampleWait() time.Duration {
	if v.sampleTimeout > 0 {
		return v.sampleTimeout
	}
	return fingerprintSampleTimeout
}

// fingerprintStage is where a fingerprintFlow is.
type fingerprintStage int

const (
	fpSampling fingerprintStage = iota // the key waits for a touch of the sensor
	fpTimedOut                         // no finger came in time; go on or cancel
	fpNaming                           // enrolled: name it
	fpRenaming                         // renaming target
	fpDeleting                         // confirming the deletion of target
	fpFailed                           // the enrollment ended with an error
)

// fingerprintFlow is an enrollment, a renaming or a deletion.
type fingerprintFlow struct {
	stage     fingerprintStage
	en        fido.Enrollment // nil until the first sample
	total     int             // samples an enrollment needs
	remaining int
	refused   fido.SampleStatus // the last sample's status when not counted
	hasRefuse bool
	target    fido.Fingerprint
	name      *widget.Entry
}

// bio is the key on display as a fido.BioManager, or nil.
func (p *keyPanel) bio() fido.BioManager {
	m, _ := p.dev.(fido.BioManager)
	return m
}

// forgetFingerprints drops what was read of the fingerprints.
func (p *keyPanel) forgetFingerprints() {
	p.fingers, p.fpRead, p.fpErr, p.fp = nil, false, nil, nil
}

// fingerprintCardWords is the key card's line about the sensor; "" for a
// key without one.
func (p *keyPanel) fingerprintCardWords() string {
	switch {
	case p.info == nil || !p.info.HasSensor():
		return ""
	case p.fpRead && len(p.fingers) == 0:
		return "Sensor, no fingerprint yet"
	case p.fpRead && len(p.fingers) == 1:
		return "Sensor, 1 fingerprint"
	case p.fpRead:
		return "Sensor, " + strconv.Itoa(len(p.fingers)) + " fingerprints"
	case p.info.HasFingerprints():
		return "Sensor, fingerprints set up (enter the PIN to see them)"
	}
	return "Sensor, no fingerprint yet"
}

// loadFingerprints reads the fingerprints with the panel's PIN.
func (p *keyPanel) loadFingerprints() {
	m := p.bio()
	if m == nil || p.info == nil || !p.info.HasSensor() || p.pin == nil {
		return
	}
	gen, prompt := p.gen, p.prompt(p.pin)
	var list []fido.Fingerprint
	p.runOp(func(ctx context.Context) (err error) {
		list, err = m.Fingerprints(ctx, prompt)
		return err
	}, func(err error) {
		if p.gen != gen {
			return
		}
		p.fingers, p.fpRead, p.fpErr = list, err == nil, err
		if err != nil {
			p.app.log.Info("reading the fingerprints on a key failed", "err", err)
		}
		p.render()
	})
}

// fingerprintObjects is the Fingerprints section of the overview.
func (p *keyPanel) fingerprintObjects() []fyne.CanvasObject {
	if p.info == nil || !p.info.HasSensor() || p.bio() == nil {
		return nil
	}
	objs := []fyne.CanvasObject{headingText("Fingerprints")}
	switch {
	case !p.pinSt.Set:
		return append(objs, paragraph("Set a PIN for the key first: a key adds and removes fingerprints only with its PIN."))
	case !p.credsRead:
		return append(objs, paragraph("Enter the key's PIN above to see and manage its fingerprints."))
	case p.fpErr != nil:
		retry := newButtonWithIcon("Read the fingerprints again", theme.ViewRefreshIcon(), func() {
			if p.op == nil {
				p.loadFingerprints()
			}
		})
		return append(objs, paragraph("The fingerprints could not be read: "+describe(p.fpErr).Sentence), container.NewHBox(retry))
	case !p.fpRead:
		return append(objs, paragraph("Reading the fingerprints…"))
	}
	if len(p.fingers) == 0 {
		objs = append(objs, paragraph("No fingerprint on this key yet. Add one to unlock the key with your finger instead of the PIN."))
	}
	for i, f := range p.fingers {
		f := f
		rename := newButtonWithIcon("Rename…", theme.DocumentCreateIcon(), func() { p.startFingerprintChange(fpRenaming, f) })
		del := newButtonWithIcon("Delete…", theme.DeleteIcon(), func() { p.startFingerprintChange(fpDeleting, f) })
		objs = append(objs, container.NewBorder(nil, nil, nil, container.NewHBox(rename, del), widget.NewLabel(fingerprintName(f, i))))
	}
	add := newButtonWithIcon("Add fingerprint…", theme.ContentAddIcon(), p.startEnroll)
	return append(objs, container.NewHBox(add))
}

// fingerprintName is how a fingerprint is called in the list.
func fingerprintName(f fido.Fingerprint, i int) string {
	if strings.TrimSpace(f.Name) != "" {
		return f.Name
	}
	return "Fingerprint " + strconv.Itoa(i+1) + " (no name)"
}

// startFingerprintChange shows the rename form or the delete confirmation.
func (p *keyPanel) startFingerprintChange(stage fingerprintStage, f fido.Fingerprint) {
	if p.op != nil {
		return
	}
	flow := &fingerprintFlow{stage: stage, target: f}
	if stage == fpRenaming {
		flow.name = widget.NewEntry()
		flow.name.SetPlaceHolder("Name of the fingerprint")
		flow.name.SetText(f.Name)
	}
	p.fp, p.mode = flow, modeFingerprint
	p.step(atFingerprints)
	p.render()
	if flow.name != nil {
		p.app.focus(flow.name)
	}
}

// startEnroll begins adding a fingerprint: the key waits for the first
// touch of its sensor.
func (p *keyPanel) startEnroll() {
	m := p.bio()
	if p.op != nil || m == nil {
		return
	}
	flow := &fingerprintFlow{stage: fpSampling}
	p.fp, p.mode = flow, modeFingerprint
	p.step(atFingerprints)
	p.fb.busy("Touch the sensor with the finger to add.")
	p.render()
	gen, prompt, wait := p.gen, p.prompt(p.pin), p.sampleWait()
	prompt.Touch = nil // the words above already ask for the finger
	var (
		si   fido.SensorInfo
		en   fido.Enrollment
		step fido.EnrollStep
	)
	p.runOp(func(ctx context.Context) (err error) {
		if si, err = m.SensorInfo(ctx); err != nil {
			return err
		}
		en, step, err = m.BeginEnroll(ctx, wait, prompt)
		return err
	}, func(err error) {
		if p.gen != gen || p.fp != flow {
			if en != nil {
				p.cancelEnrollment(en)
			}
			return
		}
		flow.total = max(si.Samples, step.Remaining+1)
		if err != nil {
			p.enrollFailed(flow, err)
			return
		}
		flow.en = en
		p.sampleTaken(flow, step)
	})
}

// sampleTaken shows what the key made of a sample and asks for the next,
// or for a name once the fingerprint is enrolled.
func (p *keyPanel) sampleTaken(flow *fingerprintFlow, step fido.EnrollStep) {
	flow.remaining = step.Remaining
	flow.hasRefuse, flow.refused = step.Status != fido.SampleGood, step.Status
	if step.Remaining == 0 {
		flow.stage = fpNaming
		flow.name = widget.NewEntry()
		flow.name.SetPlaceHolder("Name of the fingerprint")
		p.step(atFingerprints)
		p.result.note("Fingerprint added.")
		p.render()
		p.app.focus(flow.name)
		return
	}
	p.nextSample(flow)
}

// sampleWords is "Touch the sensor again: 3 of 5."
func (f *fingerprintFlow) sampleWords() string {
	n := f.total - f.remaining + 1
	return "Touch the sensor again: " + strconv.Itoa(n) + " of " + strconv.Itoa(f.total) + "."
}

// nextSample waits for the next touch of the sensor.
func (p *keyPanel) nextSample(flow *fingerprintFlow) {
	flow.stage = fpSampling
	p.fb.busy(flow.sampleWords())
	p.render()
	gen, en, wait := p.gen, flow.en, p.sampleWait()
	var step fido.EnrollStep
	p.runOp(func(ctx context.Context) (err error) {
		step, err = en.Next(ctx, wait)
		return err
	}, func(err error) {
		if p.gen != gen || p.fp != flow {
			return // cancelled, or the key went
		}
		if err != nil {
			p.enrollFailed(flow, err)
			return
		}
		p.sampleTaken(flow, step)
	})
}

// enrollFailed shows why an enrollment stopped: no finger in time (it
// can go on), or an error (it is over).
func (p *keyPanel) enrollFailed(flow *fingerprintFlow, err error) {
	if errors.Is(err, fido.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		flow.stage = fpTimedOut
		p.fb.show(message{
			Title:    "No finger on the sensor",
			Sentence: "The key stopped waiting for a touch of its sensor.",
			Next:     "Touch the sensor as soon as you are asked, or cancel. Nothing was added yet.",
		})
		p.render()
		return
	}
	flow.stage = fpFailed
	if flow.en != nil {
		p.cancelEnrollment(flow.en)
	}
	p.app.fail(p.fb, "adding a fingerprint", err)
	p.render()
}

// goOnEnroll retries the sample that timed out.
func (p *keyPanel) goOnEnroll() {
	flow := p.fp
	if flow == nil || p.op != nil {
		return
	}
	if flow.en == nil {
		p.startEnroll()
		return
	}
	p.nextSample(flow)
}

// cancelEnroll ends the enrollment under way: a touch awaited is
// cancelled, and the key drops what it has of the new fingerprint.
func (p *keyPanel) cancelEnroll() {
	flow := p.fp
	if flow == nil {
		return
	}
	p.fp, p.mode = nil, modeOverview
	p.cancelOp(fido.ErrCanceled)
	if flow.en != nil {
		p.cancelEnrollment(flow.en)
	}
	p.step(atFingerprints)
	p.result.note("Adding the fingerprint was cancelled; nothing was added.")
	p.render()
}

// cancelEnrollment ends en on the key, after the key work before it.
func (p *keyPanel) cancelEnrollment(en fido.Enrollment) {
	_, settled := p.queueKeyWork()
	a := p.app
	a.inflight.Add(1)
	go func() {
		if err := en.Cancel(); err != nil {
			a.log.Info("cancelling a fingerprint enrollment failed", "err", err)
		}
		settled()
		a.deliver(func() { a.inflight.Add(-1) })
	}()
}

// saveFingerprintName names the fingerprint just enrolled or renames
// target.
func (p *keyPanel) saveFingerprintName(flow *fingerprintFlow) {
	m := p.bio()
	if p.op != nil || m == nil {
		return
	}
	name := strings.TrimSpace(flow.name.Text)
	id := flow.target.ID
	if flow.stage == fpNaming {
		id = flow.en.ID()
	}
	if name == "" {
		p.fb.show(message{Title: "No name", Sentence: "A fingerprint needs a name to be told from the others.", Next: "Type a name, such as \"Right thumb\"."})
		return
	}
	gen, prompt := p.gen, p.prompt(p.pin)
	p.fb.busy("Saving the name on the key…")
	p.runOp(func(ctx context.Context) error {
		return m.RenameFingerprint(ctx, id, name, prompt)
	}, func(err error) {
		if p.gen != gen {
			return
		}
		p.afterFingerprintChange("renaming a fingerprint", err, "Fingerprint named "+name+".")
	})
}

// deleteFingerprint deletes target from the key.
func (p *keyPanel) deleteFingerprint(flow *fingerprintFlow) {
	m := p.bio()
	if p.op != nil || m == nil {
		return
	}
	gen, prompt, id := p.gen, p.prompt(p.pin), flow.target.ID
	p.fb.busy("Deleting the fingerprint…")
	p.runOp(func(ctx context.Context) error {
		return m.RemoveFingerprint(ctx, id, prompt)
	}, func(err error) {
		if p.gen != gen {
			return
		}
		p.afterFingerprintChange("deleting a fingerprint", err, "Fingerprint deleted from the key.")
	})
}

// afterFingerprintChange ends a change: on success back to the list, read
// again, with the card's info; on failure why.
func (p *keyPanel) afterFingerprintChange(op string, err error, success string) {
	if err != nil {
		p.app.fail(p.fb, op, err)
		p.render()
		return
	}
	p.fb.clear()
	p.fp, p.mode = nil, modeOverview
	p.refreshFingerprintInfo(success)
}

// refreshFingerprintInfo reads the key's info and UV state (the card's
// sensor line, built-in verification) and the fingerprints again, then
// shows notice.
func (p *keyPanel) refreshFingerprintInfo(notice string) {
	dev, m, gen, prompt := p.dev, p.bio(), p.gen, p.prompt(p.pin)
	var (
		info *fido.Info
		st   fido.PINState
		list []fido.Fingerprint
		lerr error
	)
	p.render()
	p.runOp(func(ctx context.Context) (err error) {
		if info, err = dev.Info(ctx); err == nil {
			st, err = dev.PINState(ctx)
		}
		if err == nil && m != nil {
			list, lerr = m.Fingerprints(ctx, prompt)
		}
		return err
	}, func(err error) {
		if p.gen != gen {
			return
		}
		if err != nil {
			p.app.fail(p.fb, "reading a key", err)
			p.render()
			return
		}
		p.info, p.pinSt = info, st
		p.fingers, p.fpRead, p.fpErr = list, lerr == nil, lerr
		if notice != "" {
			p.result.note(notice)
		}
		p.render()
	})
}

// fingerprintModeObjects is the panel below the card while a fingerprint
// is added, renamed or deleted.
func (p *keyPanel) fingerprintModeObjects() []fyne.CanvasObject {
	flow := p.fp
	if flow == nil {
		return nil
	}
	back := func() {
		p.fp, p.mode = nil, modeOverview
		p.fb.clear()
		p.render()
	}
	switch flow.stage {
	case fpSampling, fpTimedOut:
		objs := []fyne.CanvasObject{headingText("Add a fingerprint")}
		if flow.total > 0 {
			objs = append(objs, paragraph("The key needs "+strconv.Itoa(flow.total)+" good touches of its sensor with the same finger. Lift the finger between touches and move it a little each time."))
		} else {
			objs = append(objs, paragraph("Put the finger to add flat on the key's sensor."))
		}
		if flow.hasRefuse {
			objs = append(objs, infoLine("That touch was not counted: "+flow.refused.String()+"."))
		}
		if flow.stage == fpSampling && flow.total > 0 && flow.en != nil {
			objs = append(objs, paragraph(flow.sampleWords()))
		}
		cancel := newButtonWithIcon("Cancel", theme.CancelIcon(), p.cancelEnroll)
		if flow.stage == fpTimedOut {
			goOn := newButtonWithIcon("Try again", theme.ViewRefreshIcon(), p.goOnEnroll)
			goOn.Importance = widget.HighImportance
			return append(objs, container.NewHBox(goOn, cancel))
		}
		return append(objs, container.NewHBox(cancel))
	case fpFailed:
		return []fyne.CanvasObject{headingText("Add a fingerprint"), container.NewHBox(newButtonWithIcon("Back", theme.NavigateBackIcon(), back))}
	case fpNaming, fpRenaming:
		title, skipLabel := "Name the fingerprint", "Skip"
		if flow.stage == fpRenaming {
			title, skipLabel = "Rename the fingerprint", "Cancel"
		}
		save := newButtonWithIcon("Save name", theme.ConfirmIcon(), func() { p.saveFingerprintName(flow) })
		save.Importance = widget.HighImportance
		flow.name.OnSubmitted = func(string) { save.OnTapped() }
		skip := newButtonWithIcon(skipLabel, theme.CancelIcon(), func() {
			if flow.stage == fpNaming {
				p.fp, p.mode = nil, modeOverview
				p.fb.clear()
				p.refreshFingerprintInfo("Fingerprint added.")
				return
			}
			back()
		})
		return []fyne.CanvasObject{
			headingText(title),
			paragraph("A name tells this fingerprint from the others on the key, such as \"Right thumb\". It is kept on the key."),
			widget.NewForm(widget.NewFormItem("Name", flow.name)),
			container.NewHBox(save, skip),
		}
	case fpDeleting:
		i := 0
		for j, f := range p.fingers {
			if string(f.ID) == string(flow.target.ID) {
				i = j
			}
		}
		ok := newButtonWithIcon("Delete fingerprint", theme.DeleteIcon(), func() { p.deleteFingerprint(flow) })
		ok.Importance = widget.DangerImportance
		keep := newButtonWithIcon("Keep it", theme.CancelIcon(), back)
		return []fyne.CanvasObject{
			headingText("Delete the fingerprint"),
			paragraph("Delete " + fingerprintName(flow.target, i) + " from this key? That finger will no longer unlock the key; the PIN still does. It cannot be undone."),
			container.NewHBox(ok, keep),
		}
	}
	return nil
}
