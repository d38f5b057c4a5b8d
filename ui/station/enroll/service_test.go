//go:build cgo

package enroll_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
	"github.com/passkeydesk/passkeydesk/ui/station/enroll"
	"github.com/passkeydesk/passkeydesk/ui/station/roster"
	"github.com/passkeydesk/passkeydesk/ui/station/slip"
)

// TestBatchThroughTheStationService is the station's pieces together
// against the account service's station API: a CSV of three people read
// by roster, a batch made of its rows, each entry claimed and readied on
// its own soft key at once through StationRegistrar, the PIN slips
// written; the batch is then enrolled with each key's label, and no PIN
// is in the database file or the batch log.
func TestBatchThroughTheStationService(t *testing.T) {
	ctx := context.Background()
	var store account.Store
	svc, clock, dbPath := accounttest.NewService(t, accounttest.Options{Model: assets.ModelName,
		Store: func(st account.Store) account.Store { store = st; return st }})
	w := newWorld(t)
	w.svc = svc

	// The operator signs in with a passkey of their own.
	op := accounttest.SignUp(t, svc, clock, "olga@example.com")
	opKey := &accounttest.Authenticator{Packed: true}
	op.AddPasskey(t, opKey, account.KindSecurityKey, "Olga's key")
	if _, err := account.SetOperator(ctx, store, op.Email, true, clock.Now()); err != nil {
		t.Fatal(err)
	}
	login, err := svc.BeginLogin(ctx, op.Email)
	if err != nil {
		t.Fatal(err)
	}
	as, err := opKey.Assert(login)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.FinishLogin(ctx, as)
	if err != nil {
		t.Fatal(err)
	}

	b, err := roster.Parse(strings.NewReader("email,name\nann@example.com,Ann Lee\nben@example.com,Ben Ode\ncat@example.com,Cat Ray\n"))
	if err != nil || len(b.Problems) != 0 {
		t.Fatalf("roster: %v %v", err, b.Problems)
	}
	batch, err := svc.CreateBatch(ctx, sess.Token, "Floor 3", b.Rows())
	if err != nil {
		t.Fatal(err)
	}
	type one struct {
		entry *account.BatchEntry
		job   *enroll.Job
		out   <-chan enroll.Outcome
	}
	var all []*one
	for i := range 3 {
		e, err := svc.ClaimBatchEntry(ctx, sess.Token, batch.ID, "", "desk-1")
		if err != nil {
			t.Fatal(err)
		}
		reg := enroll.StationRegistrar{API: svc, Token: sess.Token,
			Request: account.StationEnrollmentRequest{BatchID: batch.ID, EntryID: e.ID, Station: "desk-1"}}
		// 12 digits, so that no timestamp in the database matches a PIN by chance.
		j, err := enroll.NewJob(e.DisplayName, reg, enroll.Policy{PINLength: 12}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, path := w.plug(string(rune('a'+i)), softkey.Options{})
		all = append(all, &one{entry: e, job: j, out: w.station.Start(ctx, path, j, nil)})
	}
	var slips []slip.Entry
	for _, o := range all {
		out := <-o.out
		if out.Err != nil {
			t.Fatalf("%s: %v", o.entry.Email, out.Err)
		}
		slips = append(slips, slip.Entry{Name: o.entry.DisplayName, Email: o.entry.Email, KeyLabel: out.Result.Label,
			PIN: o.job.PIN(), ForcedChange: out.Result.ForcedPINChange, MinPINLength: out.Result.MinPINLength})
	}
	slipPath := filepath.Join(t.TempDir(), "slips.pdf")
	if err := slip.WriteFile(slipPath, slip.Header{Service: "Passkey Desk", Station: "desk-1"}, slips); err != nil {
		t.Fatal(err)
	}

	got, err := svc.Batch(ctx, sess.Token, batch.ID)
	if err != nil || got.Enrolled != 3 || len(got.Entries) != 3 {
		t.Fatalf("batch after the run: %+v, %v", got, err)
	}
	for i, e := range got.Entries {
		if e.KeyLabel == "" || e.KeyLabel != slips[indexOf(slips, e.Email)].KeyLabel {
			t.Errorf("entry %d: key label %q", i, e.KeyLabel)
		}
	}
	var logs []byte
	for _, f := range []string{"csv", "json"} {
		l, err := svc.ExportBatch(ctx, sess.Token, batch.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l...)
	}
	db := readAll(t, dbPath, dbPath+"-wal", dbPath+"-shm")
	for _, s := range slips {
		for what, data := range map[string][]byte{"database": db, "batch log": logs} {
			if bytes.Contains(data, s.PIN) {
				t.Errorf("%s's PIN is in the %s", s.Name, what)
			}
		}
		if !bytes.Contains(logs, []byte(s.KeyLabel)) {
			t.Errorf("the batch log lacks %s's key label", s.Name)
		}
	}
}

func indexOf(slips []slip.Entry, email string) int {
	for i, s := range slips {
		if s.Email == email {
			return i
		}
	}
	return 0
}

// readAll reads the files that exist among paths.
func readAll(t *testing.T, paths ...string) []byte {
	t.Helper()
	var out []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}
