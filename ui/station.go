package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/station/roster"
)

// stationScreen is the enrollment station, in the navigation of operators
// only: the operator opens or makes a batch of people (typed in, or a CSV
// file checked row by row before anything is stored), then readies a
// security key for each of them, several keys at once (stationrun.go).
// The batch lives in the account service, so a second station, or this
// one after a crash, goes on where it was. A PIN lives only in its key's
// job, in memory, until the PIN slips are saved; then it is forgotten.
// Fields are read and written on the UI goroutine only.
type stationScreen struct {
	app   *App
	shell *shell
	ctx   context.Context // ends when the screen goes away
	stop  context.CancelFunc
	name  string // this station, as the batch log records it

	root *fyne.Container
	fb   *feedback

	// The batch list.
	batchName *widget.Entry
	importCSV *button
	newBatch  *button
	preview   *batchPreview // a CSV file's rows, before they are accepted

	// The open batch, or nil on the list.
	batch *account.Batch
	run   *stationRun // the keys being readied, or nil
}

// batchPreview is a checked CSV file: what would be imported and what not.
type batchPreview struct {
	name string
	good []account.BatchRow
	bad  []string // each bad row in words, with its line
}

// stationName names this computer in the batch log.
func stationName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "this computer"
	}
	if len(host) > 56 {
		host = host[:56]
	}
	return "station " + host
}

func newStationScreen(a *App, s *shell) *stationScreen {
	st := &stationScreen{app: a, shell: s, name: a.stationName, fb: newFeedback()}
	if st.name == "" {
		st.name = stationName()
	}
	st.ctx, st.stop = context.WithCancel(a.ctx)
	st.root = container.NewStack()
	return st
}

// build shows the batch open when the operator left (read again), or
// the list.
func (st *stationScreen) build() fyne.CanvasObject {
	if st.batch != nil {
		st.showBatch(st.batch)
		st.refresh()
	} else {
		st.showList()
	}
	return st.root
}

// close stops the keys being readied, when the operator signs out. PINs
// not yet on a slip are lost with the screen.
func (st *stationScreen) close() {
	if st.run != nil {
		st.run.end()
	}
	st.stop()
}

// setPage puts objs on the screen.
func (st *stationScreen) setPage(objs ...fyne.CanvasObject) {
	st.root.Objects = []fyne.CanvasObject{page(objs...)}
	st.root.Refresh()
}

// showList shows the batches and the ways to make one.
func (st *stationScreen) showList() {
	st.batch, st.preview = nil, nil
	st.fb.clear()
	st.batchName = widget.NewEntry()
	st.batchName.SetPlaceHolder("Batch name, e.g. Finance team, March")
	st.importCSV = newButtonWithIcon("Import people from a CSV file…", theme.FolderOpenIcon(), st.chooseCSV)
	st.newBatch = newButtonWithIcon("Make an empty batch", theme.ContentAddIcon(), func() { st.create(nil) })
	list := container.NewVBox(widget.NewLabel("Loading batches…"))
	st.setPage(
		headingText("Enrollment station"),
		paragraph("Bind security keys to people's accounts, one batch at a time. Each key gets a passkey for its person, a random PIN and a forced PIN change at first use. The PINs are printed on PIN slips and kept nowhere else."),
		widget.NewLabelWithStyle("New batch", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		paragraph("A CSV file has an email and a display name on each line (a header line is optional). Nothing is imported until you have seen the rows that cannot be."),
		st.batchName,
		container.NewHBox(st.importCSV, st.newBatch),
		st.fb.object(),
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Batches", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		list,
	)
	token := st.app.token
	var batches []account.Batch
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		batches, err = st.app.api.Batches(ctx, token)
		return err
	}, func(err error) {
		if st.batch != nil || st.preview != nil {
			return
		}
		list.Objects = nil
		if err != nil {
			st.app.fail(st.fb, "listing the batches", err)
			list.Refresh()
			return
		}
		if len(batches) == 0 {
			list.Add(infoLine("No batches yet."))
		}
		for _, b := range batches {
			b := b
			open := newButton("Open", func() { st.open(b.ID) })
			line := widget.NewLabel(fmt.Sprintf("%s · %s", b.Name, batchCounts(b)))
			line.Wrapping = fyne.TextWrapWord
			list.Add(container.NewBorder(nil, nil, nil, open, line))
		}
		list.Refresh()
	})
}

// batchCounts is a batch's progress in words.
func batchCounts(b account.Batch) string {
	s := fmt.Sprintf("%d of %d enrolled", b.Enrolled, b.Total)
	if b.Failed > 0 {
		s += fmt.Sprintf(", %d failed", b.Failed)
	}
	if b.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", b.Skipped)
	}
	return s
}

// batchTitle is the name typed for a new batch, or one made of the date.
func (st *stationScreen) batchTitle() string {
	if n := strings.TrimSpace(st.batchName.Text); n != "" {
		return n
	}
	return "Batch of " + st.app.now().Local().Format("2 Jan 2006 15:04")
}

// chooseCSV asks for a CSV file and checks it.
func (st *stationScreen) chooseCSV() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			if err != nil {
				st.app.fail(st.fb, "choosing the CSV file", err)
			}
			return
		}
		st.checkCSV(r)
	}, st.app.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".txt"}))
	d.Show()
}

// checkCSV reads a CSV file (roster.Parse) and has the service check its
// rows (CheckBatchRows), off the UI goroutine, then shows the verdict.
// Nothing is stored.
func (st *stationScreen) checkCSV(r io.ReadCloser) {
	name, token := st.batchTitle(), st.app.token
	st.fb.busy("Checking the file…")
	setEnabled(false, st.importCSV, st.newBatch)
	var p *batchPreview
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		defer r.Close()
		parsed, err := roster.Parse(r)
		if err != nil {
			return err
		}
		p = &batchPreview{name: name}
		for _, bad := range parsed.Problems {
			p.bad = append(p.bad, bad.String())
		}
		var rows []account.BatchRow
		for _, person := range parsed.People {
			rows = append(rows, account.BatchRow{Line: person.Line, Email: person.Email, DisplayName: person.Name})
		}
		if len(rows) == 0 {
			return nil
		}
		check, err := st.app.api.CheckBatchRows(ctx, token, rows)
		if err != nil {
			return err
		}
		p.good = check.Good
		for _, bad := range check.Bad {
			p.bad = append(p.bad, fmt.Sprintf("line %d: %s: %s", bad.Line, bad.Email, bad.Why))
		}
		return nil
	}, func(err error) {
		setEnabled(true, st.importCSV, st.newBatch)
		st.fb.clear()
		if err != nil {
			st.app.fail(st.fb, "reading the CSV file", err)
			return
		}
		st.showPreview(p)
	})
}

// showPreview shows what a CSV file would import, and what not, with why.
func (st *stationScreen) showPreview(p *batchPreview) {
	st.preview = p
	objs := []fyne.CanvasObject{headingText("Import " + p.name)}
	if len(p.good) > 0 {
		objs = append(objs, successLine(fmt.Sprintf("%d people can be imported.", len(p.good))))
	} else {
		objs = append(objs, warningLine("No row of this file can be imported."))
	}
	if len(p.bad) > 0 {
		objs = append(objs, warningLine(fmt.Sprintf("%d rows cannot be imported. Fix them in the file and import it again, or import the others now:", len(p.bad))))
		for _, b := range p.bad {
			objs = append(objs, paragraph(b))
		}
	}
	accept := newButtonWithIcon(fmt.Sprintf("Import %d people", len(p.good)), theme.ConfirmIcon(), func() { st.create(p) })
	accept.Importance = widget.HighImportance
	if len(p.good) == 0 {
		accept.Disable()
	}
	back := newButton("Cancel", st.showList)
	objs = append(objs, st.fb.object(), container.NewHBox(accept, back))
	st.setPage(objs...)
	st.app.focus(back)
}

// create stores a new batch: the preview's rows, or none.
func (st *stationScreen) create(p *batchPreview) {
	name, token := st.batchTitle(), st.app.token
	var rows []account.BatchRow
	if p != nil {
		name, rows = p.name, p.good
	}
	st.fb.busy("Making the batch…")
	var b *account.Batch
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		b, err = st.app.api.CreateBatch(ctx, token, name, rows)
		return err
	}, func(err error) {
		st.fb.clear()
		if err != nil {
			st.app.fail(st.fb, "making the batch", err)
			return
		}
		st.open(b.ID)
	})
}

// open shows a batch, read again from the service.
func (st *stationScreen) open(id string) {
	token := st.app.token
	st.fb.busy("Opening the batch…")
	var b *account.Batch
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		b, err = st.app.api.Batch(ctx, token, id)
		return err
	}, func(err error) {
		st.fb.clear()
		if err != nil {
			st.app.fail(st.fb, "opening the batch", err)
			return
		}
		st.showBatch(b)
	})
}

// refresh reads the open batch again and shows it.
func (st *stationScreen) refresh() {
	if st.batch == nil {
		return
	}
	b, token := st.batch, st.app.token
	var got *account.Batch
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		var err error
		got, err = st.app.api.Batch(ctx, token, b.ID)
		return err
	}, func(err error) {
		if st.batch == nil || st.batch.ID != b.ID {
			return
		}
		if err != nil {
			st.app.fail(st.fb, "reading the batch", err)
			return
		}
		st.showBatch(got)
	})
}

// showBatch shows the open batch: its people, the keys being readied,
// and the PIN slips and log.
func (st *stationScreen) showBatch(b *account.Batch) {
	st.batch, st.preview = b, nil
	if st.run == nil || st.run.batchID != b.ID {
		if st.run != nil {
			st.run.end()
		}
		st.run = newStationRun(st, b.ID)
	}
	people := container.NewVBox()
	for _, e := range b.Entries {
		people.Add(entryRow(e))
	}
	if len(b.Entries) == 0 {
		people.Add(infoLine("Nobody is in this batch yet: add people below."))
	}
	email, name := widget.NewEntry(), widget.NewEntry()
	email.SetPlaceHolder("Email")
	name.SetPlaceHolder("Display name")
	add := newButtonWithIcon("Add person", theme.ContentAddIcon(), nil)
	add.OnTapped = func() { st.addPerson(email.Text, name.Text, add) }

	back := newButtonWithIcon("All batches", theme.NavigateBackIcon(), st.leave)
	csvLog := newButton("Save log as CSV…", func() { st.saveLog("csv") })
	jsonLog := newButton("Save log as JSON…", func() { st.saveLog("json") })

	st.setPage(
		headingText(b.Name),
		paragraph(batchCounts(*b)+"."),
		st.run.object(),
		st.fb.object(),
		widget.NewSeparator(),
		widget.NewLabelWithStyle("People", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		people,
		container.NewGridWithColumns(2, email, name),
		container.NewHBox(add),
		widget.NewSeparator(),
		paragraph("The batch log lists each person's key, model and passkey, with who enrolled it, where and when. It has no PINs."),
		container.NewHBox(csvLog, jsonLog, back),
	)
}

// entryRow is one person of a batch, with where they stand.
func entryRow(e account.BatchEntry) fyne.CanvasObject {
	who := widget.NewLabelWithStyle(e.DisplayName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	line := e.Email + " · " + entryStateWords(e.State)
	if e.KeyLabel != "" {
		line += " · " + e.KeyLabel
	}
	if e.Reason != "" {
		line += " · " + e.Reason
	}
	l := widget.NewLabel(line)
	l.Wrapping = fyne.TextWrapWord
	return container.NewVBox(who, l)
}

// entryStateWords is a batch entry's state for people.
func entryStateWords(s account.BatchEntryState) string {
	switch s {
	case account.EntryPending:
		return "waiting for a key"
	case account.EntryKeyDetected:
		return "key being readied"
	case account.EntryEnrolled:
		return "enrolled"
	case account.EntryFailed:
		return "failed"
	case account.EntrySkipped:
		return "skipped"
	}
	return string(s)
}

// addPerson adds one person to the open batch.
func (st *stationScreen) addPerson(email, name string, add *button) {
	b, token := st.batch, st.app.token
	add.Disable()
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		_, err := st.app.api.AddBatchEntry(ctx, token, b.ID, account.BatchRow{Email: email, DisplayName: name})
		return err
	}, func(err error) {
		add.Enable()
		if err != nil {
			st.app.fail(st.fb, "adding the person", err)
			return
		}
		st.refresh()
	})
}

// unsavedPINSlips is how many readied keys' PINs wait for their slips in
// the enrollment station, 0 without one.
func (a *App) unsavedPINSlips() int {
	if a.shell == nil || a.shell.station == nil || a.shell.station.run == nil {
		return 0
	}
	return a.shell.station.run.unsavedSlips()
}

// pinsOnlyHere says that n people's PINs wait for their slips.
func pinsOnlyHere(n int) string {
	if n == 1 {
		return "1 person's PIN is only in this window"
	}
	return fmt.Sprintf("%d people's PINs are only in this window", n)
}

// leave goes back to the list, unless PINs would be lost: then it asks.
func (st *stationScreen) leave() {
	if st.run != nil && st.run.unsavedSlips() > 0 {
		st.fb.show(message{Title: "PIN slips not saved",
			Sentence: pinsOnlyHere(st.run.unsavedSlips()) + ". Save the PIN slips first: a PIN cannot be shown again."})
		return
	}
	if st.run != nil {
		st.run.end()
		st.run = nil
	}
	st.showList()
}

// saveLog asks where to save the batch log and writes it there.
func (st *stationScreen) saveLog(format string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			if err != nil {
				st.app.fail(st.fb, "choosing where to save", err)
			}
			return
		}
		st.writeLog(format, w)
	}, st.app.win)
	d.SetFileName(fileSafe(st.batch.Name) + "-log." + format)
	d.Show()
}

// writeLog writes the batch log (account.ExportBatch) to w.
func (st *stationScreen) writeLog(format string, w io.WriteCloser) {
	b, token := st.batch, st.app.token
	st.fb.busy("Saving the batch log…")
	st.app.runIn(st.ctx, callTimeout, func(ctx context.Context) error {
		defer w.Close()
		data, err := st.app.api.ExportBatch(ctx, token, b.ID, format)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, bytes.NewReader(data))
		return err
	}, func(err error) {
		st.fb.clear()
		if err != nil {
			st.app.fail(st.fb, "saving the batch log", err)
			return
		}
		st.fb.show(message{Title: "Batch log saved", Sentence: "The log was saved as " + strings.ToUpper(format) + "."})
	})
}

// fileSafe makes name usable in a file name.
func fileSafe(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	if b.Len() == 0 {
		return "batch"
	}
	return b.String()
}

// serviceName is the account service as its users know it, for the PIN
// slips: the server's host, or Passkey Desk on this computer's own.
func (a *App) serviceName() string {
	if u, err := url.Parse(a.server); err == nil && u.Host != "" {
		return u.Host
	}
	return "Passkey Desk"
}

// stationWatchEvery is how often the station looks for keys plugged in.
const stationWatchEvery = 300 * time.Millisecond
