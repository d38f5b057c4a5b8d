//go:build cgo

package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
	"github.com/ledongthuc/pdf"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
)

// stationTest is an operator signed in with a passkey, on the station
// screen, with the soft keys of the test as the station's keys.
type stationTest struct {
	*harness
	op   *accounttest.User
	keys map[string]*softkey.Key // by path
	gone map[*softkey.Key]func() // takes a key off libfido2's list
	n    int
}

// stationPeople are the batch of the tests: five good rows and two bad.
const stationPeople = `email,name
alice@example.com,Alice Smith
bob@example.com,Bob Jones
carol@example.com,Carol White
dan@example.com,Dan Brown
erin@example.com,Erin Green
not-an-email,Frank Black
bob@example.com,Bob Again
`

func newStationTest(t *testing.T) *stationTest {
	t.Helper()
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{keys: keyProvider{t.Name()}, client: c, model: assets.ModelName})
	s := &stationTest{harness: h, keys: map[string]*softkey.Key{}, gone: map[*softkey.Key]func(){}}
	s.op = h.user("op@example.com")
	if _, err := account.SetOperator(context.Background(), h.store, s.op.Email, true, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	s.signInOperator()
	return s
}

// signInOperator starts the app with a session the operator made with
// their own passkey (the station takes no password-only session), as
// station A.
func (s *stationTest) signInOperator() {
	s.t.Helper()
	auth := &accounttest.Authenticator{}
	s.op.AddPasskey(s.t, auth, account.KindSecurityKey, "operator's key")
	opts, err := s.svc.BeginLogin(context.Background(), s.op.Email)
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := auth.Assert(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	sess, err := s.svc.FinishLogin(context.Background(), resp)
	if err != nil {
		s.t.Fatal(err)
	}
	s.secrets = append(s.secrets, sess.Token)
	s.tokens.Save(sess.Token)
	s.startAs("station A")
}

// startAs starts the app as the station named name, on the station screen.
func (s *stationTest) startAs(name string) {
	s.t.Helper()
	s.start()
	if s.app.shell == nil {
		s.t.Fatalf("the operator is not signed in; the window shows:\n%s", s.text())
	}
	s.app.stationName = name
	s.app.stationReplug = enroll.SimulatedReplug(func(path string) enroll.PowerCycler {
		if k := s.keys[path]; k != nil {
			return k
		}
		return nil
	}, nil)
	s.tap("Enrollment station")
	s.waitText(5*time.Second, "Enrollment station", "Import people from a CSV file")
}

// screen is the station screen on display.
func (s *stationTest) screen() *stationScreen {
	s.t.Helper()
	if s.app.shell.station == nil {
		s.t.Fatal("the station screen is not open")
	}
	return s.app.shell.station
}

// plug plugs in a new soft key (through real libfido2) and returns it.
func (s *stationTest) plug(opts softkey.Options) *softkey.Key {
	s.t.Helper()
	s.n++
	k, unregister := plugKey(s.t, fmt.Sprintf("ui-%s-%d", s.t.Name(), s.n), opts)
	s.keys[k.HIDInfo().Path] = k
	s.gone[k] = unregister
	return k
}

// unplug pulls k out: its connections fail and it leaves the list.
func (s *stationTest) unplug(k *softkey.Key) {
	k.Unplug()
	s.gone[k]()
}

// importBatch imports stationPeople as a batch named name.
func (s *stationTest) importBatch(name string) {
	s.t.Helper()
	st := s.screen()
	st.batchName.SetText(name)
	st.checkCSV(io.NopCloser(strings.NewReader(stationPeople)))
	s.settle()
	s.wantText("5 people can be imported.", "2 rows cannot be imported", "line 7", "line 8")
	s.tap("Import 5 people")
	s.waitText(5*time.Second, name, "0 of 5 enrolled", "Alice Smith", "Erin Green", "waiting for a key")
	s.notText("Frank Black", "Bob Again")
}

// readyCount is how many keys are done and wait for their slips.
func (s *stationTest) readyCount() int { return s.screen().run.unsavedSlips() }

// TestStationBatch: an operator imports a batch of five people (the bad
// rows listed, not imported) and readies three soft keys at once; a key
// pulled out while it waits for a touch leaves its person for the next
// key, which finishes them; the PIN slips are saved as a PDF that shows
// each person their own key's PIN; then no PIN is anywhere else: not in
// the database, the log or the batch log.
func TestStationBatch(t *testing.T) {
	s := newStationTest(t)
	s.wantText("No batches yet.")
	s.importBatch("Finance")

	for range 3 {
		s.plug(softkey.Options{})
	}
	s.tap("Start enrolling")
	s.waitFor("three keys readied", 60*time.Second, func() bool { return s.readyCount() == 3 })
	s.waitText(10*time.Second, "3 of 5 enrolled", "Save PIN slips (3)")

	// The next key is pulled out while it waits for a touch: its person
	// waits for the next key, which readies them.
	for _, k := range s.keys {
		s.unplug(k)
	}
	slow := s.plug(softkey.Options{})
	slow.SetTouch(softkey.TouchNever, 0)
	s.waitFor("the key to wait for a touch", 30*time.Second, slow.WaitingForTouch)
	s.waitFor("the screen to ask for a touch", 5*time.Second, func() bool { return strings.Contains(s.text(), "ouch the key") })
	s.unplug(slow)
	s.waitText(30*time.Second, "The key was pulled out before it was ready")
	s.plug(softkey.Options{})
	s.waitFor("the paused person readied on another key", 60*time.Second, func() bool { return s.readyCount() == 4 })
	s.plug(softkey.Options{})
	s.waitFor("the last person readied", 60*time.Second, func() bool { return s.readyCount() == 5 })
	s.waitText(10*time.Second, "5 of 5 enrolled")
	fits(s.harness, "station batch")

	// Signing out would forget the PINs: it says so and does not.
	s.tap("Sign out")
	s.wantText("PIN slips not saved", "5 people's PINs are only in this window")
	if s.app.shell == nil || s.app.token == "" {
		t.Fatal("signed out with PIN slips not saved")
	}

	// The PINs, read before the slips are saved (they are forgotten after).
	run := s.screen().run
	pins := map[string]string{}
	for _, sj := range run.done {
		pins[sj.entry.DisplayName] = string(sj.job.PIN())
		s.secrets = append(s.secrets, pins[sj.entry.DisplayName])
	}
	if len(pins) != 5 {
		t.Fatalf("%d people have PINs; want 5", len(pins))
	}
	path := filepath.Join(t.TempDir(), "slips.pdf")
	run.writeSlips(path)
	s.settle()
	s.wantText("PIN slips saved", "5 PIN slips were saved")
	s.notText("Save PIN slips (5)")
	if len(run.done) != 0 {
		t.Fatalf("%d jobs still hold PINs after the slips were saved", len(run.done))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the slips' file: %v, %v; want mode 0600", fi, err)
	}
	pages := pdfPages(t, path)
	if len(pages) != 5 {
		t.Fatalf("the slips have %d pages; want 5", len(pages))
	}
	for _, p := range pages {
		var who string
		for name := range pins {
			if strings.Contains(p, squashed(name)) {
				who = name
			}
		}
		if who == "" || !strings.Contains(p, pins[who]) {
			t.Errorf("a page without its person's PIN (%s): %s", who, p)
		}
		for name, pin := range pins {
			if name != who && strings.Contains(p, pin) {
				t.Errorf("%s's page shows %s's PIN", who, name)
			}
		}
	}

	// No PIN anywhere else.
	var logs []string
	for _, format := range []string{"csv", "json"} {
		data, err := s.svc.ExportBatch(context.Background(), s.app.token, s.screen().batch.ID, format)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, string(data))
	}
	db := readAll(t, s.dbPath, s.dbPath+"-wal")
	for name, pin := range pins {
		for i, l := range logs {
			if strings.Contains(l, pin) {
				t.Errorf("batch log %d holds %s's PIN", i, name)
			}
			if !strings.Contains(l, name) {
				t.Errorf("batch log %d does not name %s:\n%s", i, name, l)
			}
		}
		if strings.Contains(db, pin) {
			t.Errorf("the database holds %s's PIN", name)
		}
	}
}

// TestStationSecondStation: a station closed with people left over (the
// operator signs out) leaves them to a second station, which finishes
// the batch; people already enrolled are not enrolled again.
func TestStationSecondStation(t *testing.T) {
	s := newStationTest(t)
	s.importBatch("Sales")
	first := s.plug(softkey.Options{})
	s.tap("Start enrolling")
	s.waitFor("one key readied", 60*time.Second, func() bool { return s.readyCount() == 1 })
	// A second key waits for a touch when the station stops.
	s.unplug(first)
	waiting := s.plug(softkey.Options{})
	waiting.SetTouch(softkey.TouchNever, 0)
	s.waitFor("the key to wait for a touch", 30*time.Second, waiting.WaitingForTouch)
	s.tap("Stop")
	s.waitText(10*time.Second, "Start enrolling")
	s.waitFor("the stopped key to stop waiting", 30*time.Second, func() bool { return !waiting.WaitingForTouch() })
	s.unplug(waiting)
	// The person whose key was stopped goes back to the batch at once,
	// not after the station's claim lapses.
	s.waitFor("the stopped person back in the batch", 10*time.Second, func() bool {
		b, err := s.svc.Batch(context.Background(), s.app.token, s.screen().batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, e := range b.Entries {
			if e.State == account.EntryPending && e.ClaimedBy == "" {
				pending++
			}
		}
		return pending == 4
	})

	// Station B opens the batch and enrolls the four left.
	s.startAs("station B")
	s.waitText(5*time.Second, "Sales · 1 of 5 enrolled")
	s.tap("Open")
	s.waitText(5*time.Second, "Sales", "1 of 5 enrolled")
	// The operator types the PIN for the next key (too short first).
	const typed = "13572468"
	s.secrets = append(s.secrets, typed)
	run := s.screen().run
	s.typeInto(run.pinEntry, "123")
	s.tap("Use for the next key")
	s.wantText("PIN too short")
	s.typeInto(run.pinEntry, typed)
	s.tap("Use for the next key")
	s.wantText("The next key plugged in gets the PIN you typed")
	if run.pinEntry.Text != "" {
		t.Fatal("the typed PIN stays in its field")
	}
	s.tap("Start enrolling")
	s.plug(softkey.Options{})
	s.waitFor("the first key readied", 60*time.Second, func() bool { return s.readyCount() == 1 })
	s.notText("The next key plugged in gets the PIN you typed")
	if got := string(run.done[0].job.PIN()); got != typed {
		t.Fatalf("the first key's PIN is not the one typed")
	}
	for range 3 {
		s.plug(softkey.Options{})
	}
	s.waitFor("four keys readied", 90*time.Second, func() bool { return s.readyCount() == 4 })
	for _, sj := range run.done[1:] {
		if string(sj.job.PIN()) == typed {
			t.Fatal("the typed PIN went to more than one key")
		}
	}
	s.waitText(10*time.Second, "5 of 5 enrolled")
	b, err := s.svc.Batch(context.Background(), s.app.token, s.screen().batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	stations := map[string]int{}
	for _, e := range b.Entries {
		if e.State != account.EntryEnrolled {
			t.Errorf("%s: %s", e.Email, e.State)
		}
		stations[e.Station]++
	}
	if stations["station A"] != 1 || stations["station B"] != 4 {
		t.Errorf("entries by station: %v; want 1 by A and 4 by B", stations)
	}
}

// pdfPages is the text of each page of the PDF at path, without spaces.
func pdfPages(t *testing.T, path string) []string {
	t.Helper()
	f, r, err := pdf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pages []string
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		text, err := p.GetPlainText(nil)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, squashed(text))
	}
	return pages
}

func squashed(s string) string { return strings.Join(strings.Fields(s), "") }

// readAll is the bytes of the files at paths that exist, as one string.
func readAll(t *testing.T, paths ...string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// TestStationFirstUse: a person added by hand is invited and given a key;
// on their own desktop they sign in with it, are made to choose their own
// PIN (the key forces the change), then to set a password and an
// authenticator app; after that first use the passkey is theirs, no
// longer "issued".
func TestStationFirstUse(t *testing.T) {
	ctx := context.Background()
	s := newStationTest(t)
	s.screen().batchName.SetText("New starters")
	s.tap("Make an empty batch")
	s.waitText(5*time.Second, "New starters", "Nobody is in this batch yet")
	s.typeInto(s.entryWithPlaceHolder("Email"), "alice@example.com")
	s.typeInto(s.entryWithPlaceHolder("Display name"), "Alice Smith")
	s.tap("Add person")
	s.waitText(5*time.Second, "Alice Smith", "waiting for a key")
	s.plug(softkey.Options{})
	s.tap("Start enrolling")
	s.waitFor("the key readied", 60*time.Second, func() bool { return s.readyCount() == 1 })
	pin := string(s.screen().run.done[0].job.PIN())
	s.secrets = append(s.secrets, pin)
	entry := s.screen().run.done[0].entry

	// Alice, on her own desktop, with the key.
	if err := s.tokens.Clear(); err != nil {
		t.Fatal(err)
	}
	s.setKnownAccount(true)
	s.start()
	s.tap("Sign in with a passkey")
	s.waitText(5*time.Second, "Use a passkey to sign in", simulatedKeyLabel)
	for _, b := range s.buttons() {
		if strings.Contains(b, simulatedKeyLabel) {
			s.tap(b)
			break
		}
	}
	s.waitText(10*time.Second, "Enter your key's PIN")
	s.typeFocused(pin)
	s.tap("Continue")
	s.waitText(10*time.Second, "Choose your own PIN")
	const own = "24681357"
	s.secrets = append(s.secrets, own)
	s.typeInto(s.fieldOf("Current PIN"), pin)
	s.typeInto(s.fieldOf("New PIN"), own)
	s.typeInto(s.fieldOf("New PIN again"), own)
	s.tap("Save PIN")
	s.waitText(15*time.Second, "Finish setting up your account", "Alice Smith", "alice@example.com")
	if s.app.shell != nil {
		t.Fatal("the invited account reached the shell before its set-up")
	}
	fits(s.harness, "station invited set-up")
	s.noOverlaps("station invited set-up")
	const password = "a long new passphrase"
	s.secrets = append(s.secrets, password)
	s.typeInto(s.fieldOf("Password"), password)
	s.typeInto(s.fieldOf("Repeat password"), password)
	s.tap("Continue")
	s.waitText(5*time.Second, "Set up your authenticator app")
	secret := s.app.signUpScreen.enrollment.Secret
	s.secrets = append(s.secrets, secret)
	s.clock.Advance(30 * time.Second)
	code, err := account.TOTPCode(secret, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.typeInto(s.fieldOf("Code"), code)
	s.tap("Confirm and sign in")
	s.waitText(5*time.Second, "Save your recovery codes")
	s.app.signUpScreen.recovery.saved.SetChecked(true)
	s.tap("Continue")
	s.waitFor("the shell", 5*time.Second, func() bool { return s.app.shell != nil })

	pks, err := s.svc.Passkeys(ctx, s.app.token)
	if err != nil {
		t.Fatal(err)
	}
	if len(pks) != 1 || pks[0].Issued || pks[0].EnrolledBy == nil || pks[0].EnrolledBy.Station != "station A" {
		t.Fatalf("Alice's passkeys after first use: %+v", pks)
	}
	if s.app.me.Email != entry.Email {
		t.Fatalf("signed in as %s; want %s", s.app.me.Email, entry.Email)
	}

	// Now the key approves her operations (an issued passkey cannot:
	// the service's tests show it), with her own PIN.
	s.clock.Advance(account.RemovalHold)
	tok := s.app.token
	v, err := s.svc.BeginVerification(ctx, tok, account.PurposeCreateAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(30 * time.Second)
	if code, err = account.TOTPCode(secret, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	g, err := s.svc.CompleteVerification(ctx, tok, v.ID, account.Proof{Password: password, TOTPCode: code})
	if err != nil {
		t.Fatal(err)
	}
	apiKey, err := s.svc.CreateAPIKey(ctx, tok, g.Token, "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	s.secrets = append(s.secrets, apiKey.Secret)
	a, err := s.svc.RequestApproval(ctx, apiKey.Secret, account.ApprovalRequest{Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	s.tap("Approvals")
	s.waitText(5*time.Second, "Withdrawal of 0.015 BTC")
	s.tap("Open")
	s.tap("Approve with a passkey")
	s.waitText(5*time.Second, "Use a passkey to approve", simulatedKeyLabel)
	for _, b := range s.buttons() {
		if strings.Contains(b, simulatedKeyLabel) {
			s.tap(b)
			break
		}
	}
	s.waitText(10*time.Second, "Enter your key's PIN")
	s.typeFocused(own)
	s.tap("Continue")
	s.waitText(10*time.Second, "Approved")
	if got, err := s.svc.GetApproval(ctx, apiKey.Secret, a.ID); err != nil || got.State != account.ApprovalApproved {
		t.Fatalf("the approval: %+v, %v", got, err)
	}
}

// entryWithPlaceHolder is the visible entry with placeholder text p.
func (h *harness) entryWithPlaceHolder(p string) *widget.Entry {
	h.t.Helper()
	var found *widget.Entry
	walkVisible(h.app.Window().Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == p {
			found = e
		}
	})
	if found == nil {
		h.t.Fatalf("no visible entry %q; the window shows:\n%s", p, h.text())
	}
	return found
}
