package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
	"github.com/passkeydesk/passkeydesk/ui/station/slip"
)

// stationRun readies the keys plugged in for the people of one batch:
// each key that appears is given the next person (a person whose key was
// pulled out mid-way first, then the batch's next free entry, claimed in
// the account service so that no other station takes it), and readied by
// package enroll in a goroutine of its own. Progress comes back to the UI
// goroutine through App.deliver; the UI goroutine never waits on a key,
// the network or the database. What is on screen is read and written on
// the UI goroutine only; paused is shared with the watch's goroutine
// under mu.
type stationRun struct {
	st      *stationScreen
	batchID string

	box       *fyne.Container
	pinLength *widget.Select
	reset     *widget.Check
	start     *button
	stopBtn   *button
	slips     *button
	keysBox   *fyne.Container
	keys      map[string]*stationKey // by path, while readied or waiting for a choice
	done      []*stationJob          // readied, PIN not yet on a slip
	cancel    context.CancelFunc     // stops the watch, while running
	noneLeft  bool                   // the batch had no free entry at the last key

	// A PIN the operator typed for the next key, instead of a random one.
	pinEntry  *widget.Entry
	usePIN    *button
	typedNote *widget.Label

	mu     sync.Mutex
	paused []*stationJob   // their key was pulled out: the next key goes on with them
	held   map[string]bool // the entries this run has claimed for a key, by ID
	typed  []byte          // the PIN typed for the next key, or nil
}

// stationJob is one person and their key's job.
type stationJob struct {
	entry account.BatchEntry
	job   *enroll.Job
}

// stationKey is one key on screen.
type stationKey struct {
	path    string
	sj      *stationJob
	status  *widget.Label
	choices *fyne.Container
	row     *fyne.Container
}

// The PIN lengths a station offers.
var stationPINLengths = []string{"6 digits", "8 digits", "10 digits"}

func newStationRun(st *stationScreen, batchID string) *stationRun {
	r := &stationRun{st: st, batchID: batchID, keys: map[string]*stationKey{}, held: map[string]bool{}}
	r.pinLength = widget.NewSelect(stationPINLengths, nil)
	r.pinLength.SetSelected(stationPINLengths[0])
	r.reset = widget.NewCheck("Reset each key first (you will be asked to pull it out and put it back in)", nil)
	r.start = newButtonWithIcon("Start enrolling", theme.MediaPlayIcon(), r.begin)
	r.start.Importance = widget.HighImportance
	r.stopBtn = newButtonWithIcon("Stop", theme.MediaStopIcon(), r.end)
	r.stopBtn.Hide()
	r.slips = newButtonWithIcon("Save PIN slips…", theme.DocumentSaveIcon(), r.saveSlips)
	r.pinEntry = widget.NewPasswordEntry()
	r.pinEntry.SetPlaceHolder("Or type a PIN for the next key")
	r.usePIN = newButton("Use for the next key", r.typePIN)
	r.pinEntry.OnSubmitted = func(string) { r.typePIN() }
	r.typedNote = widget.NewLabel("")
	r.typedNote.Hide()
	r.keysBox = container.NewVBox()
	r.box = container.NewVBox()
	r.layout()
	return r
}

func (r *stationRun) object() fyne.CanvasObject { return r.box }

// layout puts the run's part of the page together again.
func (r *stationRun) layout() {
	objs := []fyne.CanvasObject{
		widget.NewLabelWithStyle("Keys", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
	}
	if r.cancel == nil {
		objs = append(objs,
			paragraph("Each key gets a random PIN of this length, a passkey for its person and a forced PIN change at first use."),
			container.NewHBox(widget.NewLabel("PIN length"), r.pinLength), r.reset)
	} else {
		text := "Plug in a key for each person; several at once is fine. Each key gets the next person of the batch."
		if r.noneLeft {
			text = "Everyone in this batch has a key or is being given one."
		}
		objs = append(objs, paragraph(text))
	}
	objs = append(objs, container.NewBorder(nil, nil, nil, r.usePIN, r.pinEntry), r.typedNote, r.keysBox)
	n := r.unsavedSlips()
	r.slips.SetText(fmt.Sprintf("Save PIN slips (%d)…", n))
	if n == 0 {
		r.slips.Disable()
	} else {
		r.slips.Enable()
		text := fmt.Sprintf("%d PINs are only in this window until their PIN slips are saved.", n)
		if n == 1 {
			text = "1 PIN is only in this window until its PIN slip is saved."
		}
		objs = append(objs, warningLine(text))
	}
	objs = append(objs, container.NewHBox(r.start, r.stopBtn, r.slips))
	r.box.Objects = objs
	r.box.Refresh()
}

// policy is the PIN policy chosen.
func (r *stationRun) policy() enroll.Policy {
	n, _ := strconv.Atoi(string(r.pinLength.Selected[:len(r.pinLength.Selected)-len(" digits")]))
	return enroll.Policy{PINLength: n, MinPINLength: enroll.MinPINDigits}
}

// begin starts watching for keys.
func (r *stationRun) begin() {
	a := r.st.app
	if a.keys == nil || a.client == nil {
		r.st.fb.show(message{Title: "No security keys here", Sentence: "This computer cannot drive security keys."})
		return
	}
	ctx, cancel := context.WithCancel(r.st.ctx)
	r.cancel = cancel
	r.noneLeft = false
	r.start.Hide()
	r.stopBtn.Show()
	setEnabled(false, r.pinLength, r.reset)
	r.layout()

	policy, reset := r.policy(), r.reset.Checked
	station := &enroll.Station{Client: a.client, Keys: a.keys, Replug: a.stationReplug}
	go station.Watch(ctx, stationWatchEvery,
		func(d fido.DeviceInfo) *enroll.Job { return r.next(ctx, d, policy, reset) },
		func(ev enroll.Event) { a.deliver(func() { r.progress(ev) }) },
		func(out enroll.Outcome) { a.deliver(func() { r.outcome(out) }) })
}

// end stops watching for keys; keys being readied stop where they are,
// and their people go back to waiting (in this window, for their key to
// come back, and in the batch, for any station).
func (r *stationRun) end() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	r.mu.Lock()
	paused := r.paused
	r.paused = nil
	clear(r.typed)
	r.typed = nil
	r.mu.Unlock()
	r.typedNote.Hide()
	for _, sj := range paused {
		r.release(sj)
	}
	r.start.Show()
	r.stopBtn.Hide()
	setEnabled(true, r.pinLength, r.reset)
	r.layout()
}

// next gives the key d its person; it runs on the watch's goroutine, so
// it may wait on the network. A person whose key was pulled out comes
// first; then the batch's next free entry, claimed for this station.
func (r *stationRun) next(ctx context.Context, d fido.DeviceInfo, policy enroll.Policy, reset bool) *enroll.Job {
	a := r.st.app
	r.mu.Lock()
	if len(r.paused) > 0 {
		sj := r.paused[0]
		r.paused = r.paused[1:]
		r.mu.Unlock()
		a.deliver(func() { r.assign(d.Path, sj) })
		return sj.job
	}
	r.mu.Unlock()
	token, station := a.token, r.st.name
	e, err := r.claimNext(ctx)
	var pin []byte // nil: a random one
	if err == nil {
		r.mu.Lock()
		pin, r.typed = r.typed, nil
		r.mu.Unlock()
		if pin != nil {
			a.deliver(func() { r.typedNote.Hide() })
		}
	}
	if errors.Is(err, account.ErrNotFound) {
		a.deliver(func() {
			r.noneLeft = true
			r.layout()
		})
		return nil
	}
	if err != nil {
		a.deliver(func() {
			if ctx.Err() == nil {
				a.fail(r.st.fb, "finding the next person", err)
			}
		})
		return nil
	}
	req := account.StationEnrollmentRequest{BatchID: r.batchID, EntryID: e.ID, Station: station}
	job, err := enroll.NewJob(e.DisplayName, enroll.StationRegistrar{API: a.api, Token: token, Request: req}, policy, pin)
	clear(pin) // the job keeps its own copy
	if err == nil {
		job.Reset = reset
		_, err = a.api.UpdateBatchEntry(ctx, token, r.batchID, e.ID, account.BatchEntryUpdate{Station: station, State: account.EntryKeyDetected})
	}
	if err != nil {
		r.letGo(e.ID)
		a.api.UpdateBatchEntry(context.WithoutCancel(ctx), token, r.batchID, e.ID, account.BatchEntryUpdate{Station: station, State: account.EntryPending})
		a.deliver(func() { a.fail(r.st.fb, "starting "+e.DisplayName+"'s key", err) })
		return nil
	}
	sj := &stationJob{entry: *e, job: job}
	a.deliver(func() { r.assign(d.Path, sj) })
	return job
}

// typePIN keeps the PIN typed for the next key plugged in (at least
// MinPINDigits characters, as a random one), and clears the field.
func (r *stationRun) typePIN() {
	pin := []byte(r.pinEntry.Text)
	r.pinEntry.SetText("")
	if n := len([]rune(string(pin))); n < enroll.MinPINDigits {
		clear(pin)
		r.st.fb.show(message{Title: "PIN too short", Sentence: fmt.Sprintf("A PIN the station sets has at least %d characters.", enroll.MinPINDigits), Next: "Type a longer one, or leave it to the station."})
		r.st.app.focus(r.pinEntry)
		return
	}
	r.mu.Lock()
	clear(r.typed)
	r.typed = pin
	r.mu.Unlock()
	r.st.fb.clear()
	r.typedNote.SetText("The next key plugged in gets the PIN you typed; the others get random ones.")
	r.typedNote.Show()
}

// claimNext claims the batch's first entry that is not finished, not
// held by this run for another key, and not held by another station (the
// service decides between stations claiming at once).
func (r *stationRun) claimNext(ctx context.Context) (*account.BatchEntry, error) {
	a := r.st.app
	b, err := a.api.Batch(ctx, a.token, r.batchID)
	if err != nil {
		return nil, err
	}
	for _, e := range b.Entries {
		if e.State == account.EntryEnrolled || e.State == account.EntrySkipped || r.holds(e.ID) {
			continue
		}
		got, err := a.api.ClaimBatchEntry(ctx, a.token, r.batchID, e.ID, r.st.name)
		if errors.Is(err, account.ErrEntryClaimed) || errors.Is(err, account.ErrEntryDone) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.held[got.ID] = true
		r.mu.Unlock()
		return got, nil
	}
	return nil, account.ErrNotFound
}

// holds reports whether this run has the entry for one of its keys.
func (r *stationRun) holds(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held[id]
}

// letGo ends this run's hold on an entry.
func (r *stationRun) letGo(id string) {
	r.mu.Lock()
	delete(r.held, id)
	r.mu.Unlock()
}

// assign shows the key at path working for sj's person.
func (r *stationRun) assign(path string, sj *stationJob) {
	k := &stationKey{path: path, sj: sj, status: widget.NewLabel("Key found."), choices: container.NewHBox()}
	k.status.Wrapping = fyne.TextWrapWord
	who := widget.NewLabelWithStyle(sj.entry.DisplayName+" · "+sj.entry.Email, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	k.row = container.NewVBox(who, k.status, k.choices)
	if old := r.keys[path]; old != nil {
		r.keysBox.Remove(old.row)
	}
	for p, old := range r.keys { // the row of the key the person had before
		if old.sj == sj {
			delete(r.keys, p)
			r.keysBox.Remove(old.row)
		}
	}
	r.keys[path] = k
	r.keysBox.Add(k.row)
	r.keysBox.Refresh()
	r.st.refresh()
}

// progress shows a key's step.
func (r *stationRun) progress(ev enroll.Event) {
	k := r.keys[ev.Path]
	if k == nil || ev.Err != nil {
		return
	}
	switch ev.Need {
	case enroll.NeedTouch:
		k.status.SetText("Touch the key now.")
		return
	case enroll.NeedReplug:
		k.status.SetText("Pull the key out and put it back in, then touch it.")
		return
	}
	if ev.Done && ev.Step == enroll.StepLabel {
		return
	}
	k.status.SetText(stationStepWords(ev.Step))
}

// stationStepWords says what a key is doing.
func stationStepWords(s enroll.Step) string {
	switch s {
	case enroll.StepDetected:
		return "Key found."
	case enroll.StepReset:
		return "Resetting the key…"
	case enroll.StepPIN:
		return "Setting the PIN…"
	case enroll.StepMinPINLength:
		return "Setting the minimum PIN length…"
	case enroll.StepPasskey:
		return "Making the passkey: touch the key if it blinks…"
	case enroll.StepForcePINChange:
		return "Making the owner choose their own PIN at first use…"
	case enroll.StepLabel:
		return "Reading the key's label…"
	}
	return "Done."
}

// outcome shows how a key's run ended, with the choices it leaves.
func (r *stationRun) outcome(out enroll.Outcome) {
	k := r.keys[out.Path]
	if k == nil || k.sj.job != out.Job {
		return
	}
	k.choices.Objects = nil
	sj := k.sj
	if out.Err == nil {
		k.status.SetText("Done: " + out.Result.Label + ". You can pull the key out.")
		r.done = append(r.done, sj)
		r.layout()
		r.st.refresh()
		return
	}
	words, choices := r.failure(k, out.Err)
	k.status.SetText(words)
	for _, c := range choices {
		k.choices.Add(c)
	}
	k.choices.Refresh()
	r.layout()
	r.st.refresh()
}

// failure is a failed run in words, with its choices.
func (r *stationRun) failure(k *stationKey, err error) (string, []fyne.CanvasObject) {
	sj, who := k.sj, k.sj.entry.DisplayName
	retry := func(label string, change func(*enroll.Job)) *button {
		return newButton(label, func() {
			change(sj.job)
			r.rerun(k)
		})
	}
	skip := newButton("Skip "+who, func() { r.skip(k) })
	other := newButton("Use another key", func() {
		r.pause(k)
		k.status.SetText("Pull this key out and plug in another: " + who + " comes next.")
	})
	switch {
	case r.cancel == nil:
		// Stopped: the person goes back to the batch, for any station.
		r.forgetKey(k)
		r.release(sj)
		return "", nil
	case errors.Is(err, fido.ErrKeyRemoved):
		r.pause(k)
		return "The key was pulled out before it was ready. Put it back in, or plug in another key: " + who + " comes next.", nil
	case errors.Is(err, enroll.ErrAlreadyEnrolled):
		return "This key already holds a passkey for " + who + ".",
			[]fyne.CanvasObject{skip, retry("Reset the key and start again", func(j *enroll.Job) { j.Reset = true }), other}
	case errors.Is(err, enroll.ErrKeyFull):
		return "This key has no room left for another passkey.",
			[]fyne.CanvasObject{retry("Reset the key and start again", func(j *enroll.Job) { j.Reset = true }), other, skip}
	case errors.Is(err, enroll.ErrKeyHasPIN):
		return "This key already has a PIN that the station does not know.",
			[]fyne.CanvasObject{retry("Reset the key and start again", func(j *enroll.Job) { j.Reset = true }), other, skip}
	case errors.Is(err, enroll.ErrNoPINSupport):
		return "This key cannot have a PIN, so anyone holding it could use the passkey.",
			[]fyne.CanvasObject{retry("Use it anyway", func(j *enroll.Job) { j.AllowNoPIN = true }), other, skip}
	case errors.Is(err, enroll.ErrForceChangeRefused):
		return "This key cannot make its owner choose a new PIN at first use: they would keep the PIN on the slip.",
			[]fyne.CanvasObject{retry("Use it anyway", func(j *enroll.Job) { j.AllowNoForceChange = true }), other, skip}
	case errors.Is(err, enroll.ErrReplugTimeout):
		return "The key was not pulled out and put back in time.", []fyne.CanvasObject{retry("Try again", func(*enroll.Job) {}), other, skip}
	case errors.Is(err, fido.ErrTimeout):
		return "Nobody touched the key in time.", []fyne.CanvasObject{retry("Try again", func(*enroll.Job) {}), other, skip}
	}
	m := describeAt(err, r.st.app.server)
	if m.internal {
		r.st.app.log.Error("readying a key failed", "err", err)
	}
	r.record(sj, account.EntryFailed, m.Title)
	return m.Title + ". " + m.Sentence, []fyne.CanvasObject{retry("Try again", func(*enroll.Job) {}), other, skip}
}

// rerun runs the key's job again on the same key, from where it stopped.
func (r *stationRun) rerun(k *stationKey) {
	a := r.st.app
	if r.cancel == nil {
		r.st.fb.show(message{Title: "The station is stopped", Sentence: "Start enrolling again first."})
		return
	}
	k.choices.Objects = nil
	k.choices.Refresh()
	k.status.SetText("Starting again…")
	station := &enroll.Station{Client: a.client, Keys: a.keys, Replug: a.stationReplug}
	out := station.Start(r.st.ctx, k.path, k.sj.job, func(ev enroll.Event) { a.deliver(func() { r.progress(ev) }) })
	go func() {
		o := <-out
		a.deliver(func() { r.outcome(o) })
	}()
}

// pause sets the key's person aside for the next key plugged in; the
// key's row stays, saying so, until that key comes.
func (r *stationRun) pause(k *stationKey) {
	k.choices.Objects = nil
	k.choices.Refresh()
	r.mu.Lock()
	if !slices.Contains(r.paused, k.sj) {
		r.paused = append(r.paused, k.sj)
	}
	r.mu.Unlock()
}

// skip records that the person gets no key from this batch.
func (r *stationRun) skip(k *stationKey) {
	r.forgetKey(k)
	k.sj.job.Forget()
	r.letGo(k.sj.entry.ID)
	r.record(k.sj, account.EntrySkipped, "skipped at the station")
}

// forgetKey takes a key off the screen.
func (r *stationRun) forgetKey(k *stationKey) {
	if r.keys[k.path] == k {
		delete(r.keys, k.path)
		r.keysBox.Remove(k.row)
		r.keysBox.Refresh()
	}
}

// record writes an entry's new state to the batch, off the UI goroutine.
func (r *stationRun) record(sj *stationJob, state account.BatchEntryState, reason string) {
	a := r.st.app
	token, u := a.token, account.BatchEntryUpdate{Station: r.st.name, State: state, Reason: reason}
	a.runIn(r.st.ctx, callTimeout, func(ctx context.Context) error {
		_, err := a.api.UpdateBatchEntry(ctx, token, r.batchID, sj.entry.ID, u)
		return err
	}, func(err error) {
		if err != nil {
			a.fail(r.st.fb, "recording "+sj.entry.DisplayName+"'s entry", err)
			return
		}
		r.st.refresh()
	})
}

// release gives the person's entry back to the batch, for any station,
// and forgets the PIN meant for them (no key has it yet).
func (r *stationRun) release(sj *stationJob) {
	sj.job.Forget()
	r.letGo(sj.entry.ID)
	r.record(sj, account.EntryPending, "")
}

// unsavedSlips is how many readied keys' PINs are not yet on a slip.
func (r *stationRun) unsavedSlips() int { return len(r.done) }

// saveSlips asks where to save the PIN slips and writes them there.
func (r *stationRun) saveSlips() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			if err != nil {
				r.st.app.fail(r.st.fb, "choosing where to save", err)
			}
			return
		}
		path := w.URI().Path()
		w.Close()
		os.Remove(path) // the slips go to a new file only slip.WriteFile makes, readable by this user alone
		r.writeSlips(path)
	}, r.st.app.win)
	d.SetFileName("pin-slips-" + fileSafe(r.st.batchTitleOr()) + ".pdf")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pdf"}))
	d.Show()
}

// writeSlips writes one PIN slip page per readied key to a new file at
// path, then forgets those PINs: a PIN is printed once.
func (r *stationRun) writeSlips(path string) {
	a := r.st.app
	jobs := slices.Clone(r.done)
	var entries []slip.Entry
	for _, sj := range jobs {
		res := sj.job.Result()
		entries = append(entries, slip.Entry{Name: sj.entry.DisplayName, Email: sj.entry.Email, KeyLabel: res.Label,
			PIN: sj.job.PIN(), ForcedChange: res.ForcedPINChange, MinPINLength: res.MinPINLength})
	}
	h := slip.Header{Service: a.serviceName(), Station: r.st.name, Date: a.now()}
	r.st.fb.busy("Saving the PIN slips…")
	r.slips.Disable()
	a.run(func(context.Context) error {
		defer func() {
			for _, e := range entries {
				clear(e.PIN)
			}
		}()
		return slip.WriteFile(path, h, entries)
	}, func(err error) {
		r.st.fb.clear()
		if err != nil {
			r.layout()
			a.fail(r.st.fb, "saving the PIN slips", err)
			return
		}
		for _, sj := range jobs {
			sj.job.Forget()
		}
		r.done = slices.DeleteFunc(r.done, func(sj *stationJob) bool { return slices.Contains(jobs, sj) })
		r.layout()
		r.st.fb.show(message{Title: "PIN slips saved",
			Sentence: fmt.Sprintf("%d PIN slips were saved. Print them and hand each to its person with their key; the PINs are now forgotten here.", len(jobs))})
	})
}

// batchTitleOr is the open batch's name, for file names.
func (st *stationScreen) batchTitleOr() string {
	if st.batch != nil {
		return st.batch.Name
	}
	return "batch"
}
