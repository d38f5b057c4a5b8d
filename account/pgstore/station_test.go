package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/pgstore/pgtest"
)

// TestABatchEnrolledByTwoStationsOnTwoInstances: two stations, each on
// its own server instance, take the people of one batch at once, each
// key's registration finished on the other instance; every person is
// enrolled once, invited once; one of them signs in with the key and
// sets the account up; the log has them all.
func TestABatchEnrolledByTwoStationsOnTwoInstances(t *testing.T) {
	ctx := context.Background()
	svcs, clock, stores := instancesOn(t, pgtest.Database(t), 2)
	op := accounttest.SignUp(t, svcs[0], clock, "olga@example.com")
	opKey := &accounttest.Authenticator{Packed: true}
	op.AddPasskey(t, opKey, account.KindSecurityKey, "Olga's key")
	if _, err := account.SetOperator(ctx, stores[1], op.Email, true, clock.Now()); err != nil {
		t.Fatal(err)
	}
	login, err := svcs[1].BeginLogin(ctx, op.Email)
	if err != nil {
		t.Fatal(err)
	}
	as, err := opKey.Assert(login)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svcs[1].FinishLogin(ctx, as)
	if err != nil {
		t.Fatal(err)
	}
	tok := sess.Token
	const people = 6
	var rows []account.BatchRow
	for i := range people {
		rows = append(rows, account.BatchRow{Line: i + 2, Email: fmt.Sprintf("p%d@example.com", i), DisplayName: fmt.Sprintf("Person %d", i)})
	}
	b, err := svcs[0].CreateBatch(ctx, tok, "Monday", rows)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	keys := map[string]*accounttest.Authenticator{} // by email
	var wg sync.WaitGroup
	for i, station := range []string{"desk-1", "desk-2"} {
		here, there := svcs[i], svcs[1-i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				e, err := here.ClaimBatchEntry(ctx, tok, b.ID, "", station)
				if errors.Is(err, account.ErrNotFound) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				opts, err := here.BeginStationEnrollment(ctx, tok, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: e.ID, Station: station})
				if err != nil {
					t.Error(err)
					return
				}
				key := &accounttest.Authenticator{Packed: true}
				cred, err := key.Register(opts)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := there.FinishStationEnrollment(ctx, tok, cred, ""); err != nil {
					t.Errorf("finishing %s on the other instance: %v", e.Email, err)
					return
				}
				mu.Lock()
				if keys[e.Email] != nil {
					t.Errorf("%s enrolled twice", e.Email)
				}
				keys[e.Email] = key
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	full, err := svcs[1].Batch(ctx, tok, b.ID)
	if err != nil || full.Enrolled != people || len(keys) != people {
		t.Fatalf("the batch: %+v, %v (%d keys)", full, err, len(keys))
	}
	// p3 signs in with the key on either instance and sets the account up.
	login, err = svcs[0].BeginLogin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if as, err = keys["p3@example.com"].Assert(login); err != nil {
		t.Fatal(err)
	}
	p3, err := svcs[0].FinishLogin(ctx, as)
	if err != nil || !p3.Account.SetupRequired || p3.Account.Email != "p3@example.com" {
		t.Fatalf("p3's first sign-in: %+v, %v", p3, err)
	}
	enr, err := svcs[1].SetUpPassword(ctx, p3.Token, "p3's long password")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(30e9)
	code, _ := account.TOTPCode(enr.Secret, clock.Now())
	if done, err := svcs[0].ConfirmSetUp(ctx, p3.Token, code); err != nil || done.Account.SetupRequired {
		t.Fatalf("p3's setup: %+v, %v", done, err)
	}
	pks, err := svcs[1].Passkeys(ctx, p3.Token)
	if err != nil || len(pks) != 1 || pks[0].Issued || pks[0].EnrolledBy == nil || pks[0].EnrolledBy.Operator != op.Email {
		t.Fatalf("p3's passkeys: %+v, %v", pks, err)
	}
	log, err := svcs[0].ExportBatch(ctx, tok, b.ID, "csv")
	if err != nil || strings.Count(string(log), ",enrolled,") != people {
		t.Fatalf("the log: %s, %v", log, err)
	}
}
