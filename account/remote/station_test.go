package remote_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/remote"
)

// serveStation is serve, keeping the store: operators are made where the
// database is.
func serveStation(t *testing.T) (*remote.Client, *accounttest.Clock, account.Store) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	var store account.Store
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{PublicURL: url, Store: func(s account.Store) account.Store {
		store = s
		return s
	}})
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: url})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := remote.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock, store
}

// keyUser signs up through the client and binds a passkey of a new
// authenticator; it returns the user and a passkey session.
func keyUser(t *testing.T, c *remote.Client, clock *accounttest.Clock, email string) (*user, *accounttest.Authenticator, string) {
	t.Helper()
	ctx := context.Background()
	u := signUp(t, c, clock, email)
	grant := u.grant(t, c, account.PurposeAddPasskey)
	opts, err := c.BeginRegistration(ctx, u.token, grant, account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	auth := &accounttest.Authenticator{Packed: true}
	cred, err := auth.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FinishRegistration(ctx, u.token, grant, cred, "own key"); err != nil {
		t.Fatal(err)
	}
	return u, auth, keySignIn(t, c, auth).Token
}

func keySignIn(t *testing.T, c *remote.Client, auth *accounttest.Authenticator) *account.Session {
	t.Helper()
	ctx := context.Background()
	opts, err := c.BeginLogin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	as, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.FinishLogin(ctx, as)
	if err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	return s
}

// TestTheStationOverHTTP: an operator invites a person, enrolls a key for
// them from a batch and exports the log, all through the client; the
// person signs in with the key and sets the account up; and every station
// door stays shut to another operator, a user, a password session, no
// session and an ended one, with the account's own errors.
func TestTheStationOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock, store := serveStation(t)
	op, _, opTok := keyUser(t, c, clock, "olga@example.com")
	if _, err := account.SetOperator(ctx, store, op.email, true, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if me, err := c.Me(ctx, opTok); err != nil || me.Role != account.RoleOperator || !me.SignedInWithPasskey {
		t.Fatalf("Me: %+v, %v", me, err)
	}
	check, err := c.CheckBatchRows(ctx, opTok, []account.BatchRow{{Line: 2, Email: "amy@example.com", DisplayName: "Amy"}, {Line: 3, Email: "x", DisplayName: "X"}})
	if err != nil || len(check.Good) != 1 || len(check.Bad) != 1 || check.Bad[0].Why == "" {
		t.Fatalf("check: %+v, %v", check, err)
	}
	var bad *account.InputError
	if _, err := c.CreateBatch(ctx, opTok, "Monday", []account.BatchRow{{Line: 3, Email: "x", DisplayName: "X"}}); !errors.As(err, &bad) {
		t.Fatalf("a batch of bad rows: %v", err)
	}
	b, err := c.CreateBatch(ctx, opTok, "Monday", check.Good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddBatchEntry(ctx, opTok, b.ID, account.BatchRow{Email: "ben@example.com", DisplayName: "Ben"}); err != nil {
		t.Fatal(err)
	}
	e, err := c.ClaimBatchEntry(ctx, opTok, b.ID, "", "desk-1")
	if err != nil || e.Email != "amy@example.com" {
		t.Fatalf("claim: %+v, %v", e, err)
	}
	if _, err := c.ClaimBatchEntry(ctx, opTok, b.ID, e.ID, "desk-2"); !errors.Is(err, account.ErrEntryClaimed) {
		t.Fatalf("a second station's claim: %v", err)
	}
	if _, err := c.UpdateBatchEntry(ctx, opTok, b.ID, e.ID, account.BatchEntryUpdate{Station: "desk-1", State: account.EntryKeyDetected, KeyLabel: "Soft key ·12ab"}); err != nil {
		t.Fatal(err)
	}
	opts, err := c.BeginStationEnrollment(ctx, opTok, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: e.ID, Station: "desk-1"})
	if err != nil {
		t.Fatal(err)
	}
	amyKey := &accounttest.Authenticator{Packed: true}
	cred, err := amyKey.Register(opts)
	if err != nil {
		t.Fatal(err)
	}

	// The doors, on the way.
	user, _, userTok := keyUser(t, c, clock, "ulla@example.com")
	pwSess, err := c.SignIn(ctx, op.email, op.password, op.code(t))
	if err != nil {
		t.Fatal(err)
	}
	op2, _, op2Tok := keyUser(t, c, clock, "oscar@example.com")
	if _, err := account.SetOperator(ctx, store, op2.email, true, clock.Now()); err != nil {
		t.Fatal(err)
	}
	ended := signUp(t, c, clock, "eve@example.com")
	account.SetOperator(ctx, store, ended.email, true, clock.Now())
	if err := c.SignOut(ctx, ended.token); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FinishStationEnrollment(ctx, userTok, cred, ""); !errors.Is(err, account.ErrNotOperator) {
		t.Fatalf("a user finishing the operator's enrollment: %v", err)
	}
	if _, err := c.FinishStationEnrollment(ctx, op2Tok, cred, ""); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another operator finishing the enrollment: %v", err)
	}
	doors := map[string]func(token string) error{
		"accounts": func(tok string) error {
			_, err := c.StationAccount(ctx, tok, account.StationAccountRequest{Email: "zed@example.com", DisplayName: "Zed", Station: "s"})
			return err
		},
		"begin": func(tok string) error {
			_, err := c.BeginStationEnrollment(ctx, tok, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: e.ID, Station: "s"})
			return err
		},
		"finish": func(tok string) error { _, err := c.FinishStationEnrollment(ctx, tok, cred, ""); return err },
		"check":  func(tok string) error { _, err := c.CheckBatchRows(ctx, tok, check.Good); return err },
		"create": func(tok string) error { _, err := c.CreateBatch(ctx, tok, "x", check.Good); return err },
		"add": func(tok string) error {
			_, err := c.AddBatchEntry(ctx, tok, b.ID, account.BatchRow{Email: "q@example.com", DisplayName: "Q"})
			return err
		},
		"batch": func(tok string) error { _, err := c.Batch(ctx, tok, b.ID); return err },
		"claim": func(tok string) error { _, err := c.ClaimBatchEntry(ctx, tok, b.ID, "", "s"); return err },
		"update": func(tok string) error {
			_, err := c.UpdateBatchEntry(ctx, tok, b.ID, e.ID, account.BatchEntryUpdate{Station: "s", State: account.EntrySkipped})
			return err
		},
		"export": func(tok string) error { _, err := c.ExportBatch(ctx, tok, b.ID, "csv"); return err },
	}
	for name, call := range doors {
		for _, who := range []struct {
			what, token string
			want        error
		}{
			{"a user's passkey session", userTok, account.ErrNotOperator},
			{"the operator's password session", pwSess.Token, account.ErrPasskeySessionRequired},
			{"no session", "", account.ErrUnauthenticated},
			{"a made-up session", "made-up-token", account.ErrUnauthenticated},
			{"an ended operator session", ended.token, account.ErrUnauthenticated},
		} {
			if err := call(who.token); !errors.Is(err, who.want) {
				t.Errorf("%s with %s: %v, want %v", name, who.what, err, who.want)
			}
		}
		if name == "accounts" || name == "check" || name == "create" {
			continue // not about a batch
		}
		if err := call(op2Tok); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("%s with another operator's session: %v", name, err)
		}
	}
	if bs, err := c.Batches(ctx, op2Tok); err != nil || len(bs) != 0 {
		t.Fatalf("another operator's batches: %+v, %v", bs, err)
	}
	if _, err := c.Batches(ctx, user.token); !errors.Is(err, account.ErrNotOperator) {
		t.Fatalf("a user's batches: %v", err)
	}

	pk, err := c.FinishStationEnrollment(ctx, opTok, cred, "")
	if err != nil || !pk.Issued || pk.EnrolledBy == nil || pk.EnrolledBy.Station != "desk-1" {
		t.Fatalf("finish: %+v, %v", pk, err)
	}
	again, err := c.FinishStationEnrollment(ctx, opTok, cred, "")
	if err != nil || again.ID != pk.ID {
		t.Fatalf("a repeated finish: %+v, %v", again, err)
	}
	log, err := c.ExportBatch(ctx, opTok, b.ID, "csv")
	if err != nil || !strings.Contains(string(log), "amy@example.com,enrolled,,Soft key ·12ab") {
		t.Fatalf("the batch log: %s, %v", log, err)
	}
	jsonLog, err := c.ExportBatch(ctx, opTok, b.ID, "json")
	if err != nil || !json.Valid(jsonLog) {
		t.Fatalf("the JSON batch log: %s, %v", jsonLog, err)
	}

	// Amy's first sign-in, and her setup.
	amy := keySignIn(t, c, amyKey)
	if !amy.Account.SetupRequired {
		t.Fatalf("Amy's first session: %+v", amy.Account)
	}
	if _, err := c.Passkeys(ctx, amy.Token); !errors.Is(err, account.ErrSetupRequired) {
		t.Fatalf("before setup: %v", err)
	}
	if _, err := c.SetUpPassword(ctx, userTok, "a long new password"); err == nil {
		t.Fatal("an active account's session set up a password")
	}
	enr, err := c.SetUpPassword(ctx, amy.Token, "amy's long password")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(30e9)
	code, _ := account.TOTPCode(enr.Secret, clock.Now())
	done, err := c.ConfirmSetUp(ctx, amy.Token, code)
	if err != nil || done.Account.SetupRequired || len(done.RecoveryCodes) != account.RecoveryCodeCount {
		t.Fatalf("ConfirmSetUp: %+v, %v", done, err)
	}
	pks, err := c.Passkeys(ctx, amy.Token)
	if err != nil || len(pks) != 1 || pks[0].Issued || pks[0].EnrolledBy == nil || pks[0].EnrolledBy.Operator != op.email {
		t.Fatalf("Amy's passkeys: %+v, %v", pks, err)
	}
	if _, err := c.ConfirmSetUp(ctx, "made-up-token", code); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("setup without a session: %v", err)
	}
}

// TestAFullBatchCrossesTheWire: a batch of account.MaxBatchEntries people
// with the longest names is checked and stored over HTTP; one more is
// refused with the service's reason.
func TestAFullBatchCrossesTheWire(t *testing.T) {
	ctx := context.Background()
	c, clock, store := serveStation(t)
	op, _, tok := keyUser(t, c, clock, "olga@example.com")
	if _, err := account.SetOperator(ctx, store, op.email, true, clock.Now()); err != nil {
		t.Fatal(err)
	}
	rows := make([]account.BatchRow, account.MaxBatchEntries)
	domain := strings.Repeat("d", 58) + "." + strings.Repeat("e", 58) + "." + strings.Repeat("f", 58) + ".com"
	for i := range rows {
		local := fmt.Sprintf("%04d.%s", i, strings.Repeat("x", 59))
		rows[i] = account.BatchRow{Line: i + 2, Email: local + "@" + domain, DisplayName: strings.Repeat("Ü", 64)}
	}
	check, err := c.CheckBatchRows(ctx, tok, rows)
	if err != nil || len(check.Good) != len(rows) {
		t.Fatalf("checking a full batch: %d good, %v", len(check.Good), err)
	}
	b, err := c.CreateBatch(ctx, tok, "Full", rows)
	if err != nil || b.Total != account.MaxBatchEntries {
		t.Fatalf("a full batch: %v", err)
	}
	if _, err := c.AddBatchEntry(ctx, tok, b.ID, account.BatchRow{Email: "one.more@example.com", DisplayName: "One More"}); !errors.As(err, new(*account.InputError)) {
		t.Fatalf("one more than a batch holds: %v", err)
	}
	if _, err := c.CreateBatch(ctx, tok, "Over", append(rows, account.BatchRow{Email: "one.more@example.com", DisplayName: "One More"})); !errors.As(err, new(*account.InputError)) {
		t.Fatalf("a batch over the limit: %v", err)
	}
}
