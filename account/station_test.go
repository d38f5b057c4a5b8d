package account_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// stationFixture is a service with an operator signed in with a passkey.
type stationFixture struct {
	svc   *account.Service
	clock *accounttest.Clock
	store *failingStore
	op    *accounttest.User
	opKey *accounttest.Authenticator
	// opToken is the operator's passkey session.
	opToken string
}

// failingStore fails the next Update after its function ran (so nothing
// of it is kept), when failNext is set: a finish whose commit failed.
type failingStore struct {
	account.Store
	mu       sync.Mutex
	failNext bool
}

var errInjected = errors.New("injected commit failure")

func (s *failingStore) Update(c context.Context, fn func(account.Tx) error) error {
	return s.Store.Update(c, func(tx account.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failNext {
			s.failNext = false
			return errInjected
		}
		return nil
	})
}

func newStationFixture(t testing.TB) *stationFixture {
	t.Helper()
	fx := &stationFixture{opKey: &accounttest.Authenticator{Packed: true}}
	fx.svc, fx.clock, _ = accounttest.NewService(t, accounttest.Options{Store: func(st account.Store) account.Store {
		fx.store = &failingStore{Store: st}
		return fx.store
	}})
	fx.op = accounttest.SignUp(t, fx.svc, fx.clock, "olga@example.com")
	fx.op.AddPasskey(t, fx.opKey, account.KindSecurityKey, "Olga's key")
	if changed, err := account.SetOperator(ctx, fx.store, "Olga@Example.com", true, fx.clock.Now()); err != nil || !changed {
		t.Fatalf("granting the operator role: %v, %v", changed, err)
	}
	fx.opToken = signInWithKey(t, fx.svc, fx.opKey, "olga@example.com").Token
	return fx
}

// signInWithKey signs in with a passkey of auth.
func signInWithKey(t testing.TB, svc *account.Service, auth *accounttest.Authenticator, email string) *account.Session {
	t.Helper()
	opts, err := svc.BeginLogin(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	as, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.FinishLogin(ctx, as)
	if err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	return sess
}

// enroll makes a passkey of key for the account id at station "desk-1".
func (fx *stationFixture) enroll(t testing.TB, token, accountID string, key *accounttest.Authenticator) (*account.Passkey, error) {
	t.Helper()
	opts, err := fx.svc.BeginStationEnrollment(ctx, token, account.StationEnrollmentRequest{AccountID: accountID, Station: "desk-1"})
	if err != nil {
		return nil, err
	}
	cred, err := key.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	return fx.svc.FinishStationEnrollment(ctx, token, cred, "")
}

func stationEventLogged(t testing.TB, svc *account.Service, token string, typ account.EventType, words string) bool {
	t.Helper()
	evs, err := svc.Activity(ctx, token, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == typ && strings.Contains(e.Detail, words) {
			return true
		}
	}
	return false
}

func TestStationDoorsOperatorsWithAPasskeySessionOnly(t *testing.T) {
	fx := newStationFixture(t)
	if me, err := fx.svc.Me(ctx, fx.opToken); err != nil || me.Role != account.RoleOperator || !me.SignedInWithPasskey {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if !stationEventLogged(t, fx.svc, fx.opToken, account.EventOperatorGranted, "granted") {
		t.Fatal("no operator-granted event")
	}
	req := account.StationAccountRequest{Email: "bob@example.com", DisplayName: "Bob", Station: "desk-1"}
	if _, err := fx.svc.StationAccount(ctx, fx.opToken, req); err != nil {
		t.Fatalf("operator with a passkey session: %v", err)
	}
	// The operator's password session.
	pw, err := fx.svc.SignIn(ctx, fx.op.Email, fx.op.Password, fx.op.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	if me, _ := fx.svc.Me(ctx, pw.Token); me.SignedInWithPasskey {
		t.Fatal("a password session says it was made by passkey")
	}
	// A user's passkey session.
	uKey := &accounttest.Authenticator{}
	u := accounttest.SignUp(t, fx.svc, fx.clock, "ulla@example.com")
	u.AddPasskey(t, uKey, account.KindSecurityKey, "Ulla's key")
	uTok := signInWithKey(t, fx.svc, uKey, u.Email).Token
	ended := signInWithKey(t, fx.svc, fx.opKey, fx.op.Email).Token
	if err := fx.svc.SignOut(ctx, ended); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"password session", pw.Token, account.ErrPasskeySessionRequired},
		{"not an operator", uTok, account.ErrNotOperator},
		{"no session", "", account.ErrUnauthenticated},
		{"ended session", ended, account.ErrUnauthenticated},
	} {
		if _, err := fx.svc.StationAccount(ctx, tc.token, req); !errors.Is(err, tc.want) {
			t.Errorf("%s: StationAccount: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := fx.svc.CreateBatch(ctx, tc.token, "b", nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: CreateBatch: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := fx.svc.BeginStationEnrollment(ctx, tc.token, account.StationEnrollmentRequest{AccountID: "x", Station: "s"}); !errors.Is(err, tc.want) {
			t.Errorf("%s: BeginStationEnrollment: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := fx.svc.Batches(ctx, tc.token); !errors.Is(err, tc.want) {
			t.Errorf("%s: Batches: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Revoked: the operator's live passkey session loses the station.
	if changed, err := account.SetOperator(ctx, fx.store, fx.op.Email, false, fx.clock.Now()); err != nil || !changed {
		t.Fatal(changed, err)
	}
	if _, err := fx.svc.StationAccount(ctx, fx.opToken, req); !errors.Is(err, account.ErrNotOperator) {
		t.Fatalf("revoked operator: %v", err)
	}
	if changed, err := account.SetOperator(ctx, fx.store, fx.op.Email, false, fx.clock.Now()); err != nil || changed {
		t.Fatalf("revoking twice: %v, %v", changed, err)
	}
	if _, err := account.SetOperator(ctx, fx.store, "nobody@example.com", true, fx.clock.Now()); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("unknown email: %v", err)
	}
	if !stationEventLogged(t, fx.svc, fx.opToken, account.EventOperatorRevoked, "revoked") {
		t.Fatal("no operator-revoked event")
	}
	// Granted again, the operator's passkey session works until it
	// expires.
	account.SetOperator(ctx, fx.store, fx.op.Email, true, fx.clock.Now())
	if _, err := fx.svc.Batches(ctx, fx.opToken); err != nil {
		t.Fatalf("granted again: %v", err)
	}
	fx.clock.Advance(account.SessionLifetime)
	if _, err := fx.svc.Batches(ctx, fx.opToken); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("an expired operator session: %v", err)
	}
}

func TestInvitedAccountSignsInWithItsKeyThenSetsUp(t *testing.T) {
	fx := newStationFixture(t)
	acct, err := fx.svc.StationAccount(ctx, fx.opToken, account.StationAccountRequest{Email: " Bob@Example.com", DisplayName: "Bob Stone", Station: "desk-1"})
	if err != nil || !acct.Invited || !acct.Created || acct.Email != "bob@example.com" {
		t.Fatalf("invite: %+v, %v", acct, err)
	}
	again, err := fx.svc.StationAccount(ctx, fx.opToken, account.StationAccountRequest{Email: "bob@example.com", Station: "desk-2"})
	if err != nil || again.ID != acct.ID || again.Created {
		t.Fatalf("finding the invited account again: %+v, %v", again, err)
	}
	// Nobody can take the invited email by signing up, nor sign in.
	if _, err := fx.svc.SignUp(ctx, account.SignUpRequest{Email: "bob@example.com", DisplayName: "Mallory", Password: "correct horse battery"}); !errors.Is(err, account.ErrEmailTaken) {
		t.Fatalf("sign-up over an invited account: %v", err)
	}
	key := &accounttest.Authenticator{Packed: true}
	pk, err := fx.enroll(t, fx.opToken, acct.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	if !pk.Issued || pk.EnrolledBy == nil || pk.EnrolledBy.Operator != "olga@example.com" || pk.EnrolledBy.Station != "desk-1" || pk.EnrolledBy.At.IsZero() {
		t.Fatalf("enrolled passkey: %+v (by %+v)", pk, pk.EnrolledBy)
	}
	sess := signInWithKey(t, fx.svc, key, "")
	if !sess.Account.SetupRequired || !sess.Account.SignedInWithPasskey {
		t.Fatalf("first sign-in: %+v", sess.Account)
	}
	if _, err := fx.svc.Passkeys(ctx, sess.Token); !errors.Is(err, account.ErrSetupRequired) {
		t.Fatalf("before setup, Passkeys: %v", err)
	}
	if me, err := fx.svc.Me(ctx, sess.Token); err != nil || !me.SetupRequired {
		t.Fatalf("Me before setup: %+v, %v", me, err)
	}
	if _, err := fx.svc.ConfirmSetUp(ctx, sess.Token, "123456"); err == nil {
		t.Fatal("setup confirmed without a password")
	}
	if _, err := fx.svc.SetUpPassword(ctx, sess.Token, "short"); err == nil {
		t.Fatal("a short password was taken")
	}
	enr, err := fx.svc.SetUpPassword(ctx, sess.Token, "bob's long password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.ConfirmSetUp(ctx, sess.Token, "000000"); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("wrong code: %v", err)
	}
	fx.clock.Advance(30e9)
	code, _ := account.TOTPCode(enr.Secret, fx.clock.Now())
	done, err := fx.svc.ConfirmSetUp(ctx, sess.Token, code)
	if err != nil || done.Account.SetupRequired || len(done.RecoveryCodes) == 0 || done.Token != sess.Token {
		t.Fatalf("ConfirmSetUp: %+v, %v", done, err)
	}
	pks, err := fx.svc.Passkeys(ctx, sess.Token)
	if err != nil || len(pks) != 1 || pks[0].Issued || pks[0].EnrolledBy == nil || pks[0].EnrolledBy.Station != "desk-1" {
		t.Fatalf("the owner's passkeys: %+v, %v", pks, err)
	}
	fx.clock.Advance(30e9)
	code, _ = account.TOTPCode(enr.Secret, fx.clock.Now())
	if _, err := fx.svc.SignIn(ctx, "bob@example.com", "bob's long password", code); err != nil {
		t.Fatalf("password sign-in after setup: %v", err)
	}
	// The invitation and the enrollment are in both activities.
	for _, c := range []struct {
		token string
		typ   account.EventType
		words string
	}{
		{fx.opToken, account.EventAccountInvited, "bob@example.com invited on station desk-1"},
		{fx.opToken, account.EventStationEnrolled, "for bob@example.com on station desk-1"},
		{sess.Token, account.EventAccountInvited, "by operator olga@example.com"},
		{sess.Token, account.EventPasskeyAdded, "enrolled by operator olga@example.com on station desk-1"},
		{sess.Token, account.EventPasskeyFirstUsed, "first used"},
	} {
		if !stationEventLogged(t, fx.svc, c.token, c.typ, c.words) {
			t.Errorf("no %s event saying %q", c.typ, c.words)
		}
	}
}

func TestAnIssuedPasskeyNeitherApprovesNorGrantsUntilItsOwnerSignsIn(t *testing.T) {
	fx := newStationFixture(t)
	bea := accounttest.SignUp(t, fx.svc, fx.clock, "bea@example.com")
	own := &accounttest.Authenticator{}
	bea.AddPasskey(t, own, account.KindSecurityKey, "Bea's own key")
	fx.clock.Advance(account.RemovalHold)
	apiKey, err := fx.svc.CreateAPIKey(ctx, bea.Session.Token, bea.Grant(t, account.PurposeCreateAPIKey), "backend")
	if err != nil {
		t.Fatal(err)
	}
	me, _ := fx.svc.Me(ctx, bea.Session.Token)
	issuedKey := &accounttest.Authenticator{Packed: true}
	pk, err := fx.enroll(t, fx.opToken, me.ID, issuedKey)
	if err != nil || !pk.Issued {
		t.Fatalf("enroll: %+v, %v", pk, err)
	}
	fx.clock.Advance(account.RemovalHold) // the enrollment's hold ends
	// withoutAllowList is a client that ignores the allow list, so the
	// issued key answers anyway.
	withoutAllowList := func(opts json.RawMessage) json.RawMessage {
		var o map[string]map[string]any
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		delete(o["publicKey"], "allowCredentials")
		out, _ := json.Marshal(o)
		return out
	}
	// A grant.
	opts, err := fx.svc.BeginPasskeyVerification(ctx, bea.Session.Token, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(opts, []byte(pk.ID)) {
		t.Fatal("the issued passkey is in the allow list of a verification")
	}
	as, err := issuedKey.Assert(withoutAllowList(opts))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishPasskeyVerification(ctx, bea.Session.Token, as); !errors.Is(err, account.ErrPasskeyIssued) {
		t.Fatalf("a grant from the issued passkey: %v", err)
	}
	// An approval.
	a, err := fx.svc.RequestApproval(ctx, apiKey.Secret, account.ApprovalRequest{Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	opts, err = fx.svc.BeginApproval(ctx, bea.Session.Token, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if as, err = issuedKey.Assert(withoutAllowList(opts)); err != nil {
		t.Fatal(err)
	}
	if got, err := fx.svc.FinishApproval(ctx, bea.Session.Token, a.ID, as); err == nil || got != nil && got.State == account.ApprovalApproved {
		t.Fatalf("the issued passkey approved: %+v, %v", got, err)
	}
	// Its owner signs in with it: it is in use, and may approve.
	signInWithKey(t, fx.svc, issuedKey, "bea@example.com")
	if _, err := bea.PasskeyGrant(t, issuedKey, account.PurposeAddPasskey); err != nil {
		t.Fatalf("a grant after the first use: %v", err)
	}
	a, err = fx.svc.RequestApproval(ctx, apiKey.Secret, account.ApprovalRequest{Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	if opts, err = fx.svc.BeginApproval(ctx, bea.Session.Token, a.ID); err != nil {
		t.Fatal(err)
	}
	if as, err = issuedKey.Assert(opts); err != nil {
		t.Fatal(err)
	}
	if got, err := fx.svc.FinishApproval(ctx, bea.Session.Token, a.ID, as); err != nil || got.State != account.ApprovalApproved {
		t.Fatalf("approval after the first use: %+v, %v", got, err)
	}
}

func TestOnlyIssuedPasskeysCannotApprove(t *testing.T) {
	fx := newStationFixture(t)
	cat := accounttest.SignUp(t, fx.svc, fx.clock, "cat@example.com")
	me, _ := fx.svc.Me(ctx, cat.Session.Token)
	if _, err := fx.enroll(t, fx.opToken, me.ID, &accounttest.Authenticator{Packed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.BeginPasskeyVerification(ctx, cat.Session.Token, account.PurposeRemovePasskey); !errors.Is(err, account.ErrPasskeyIssued) {
		t.Fatalf("verification with only an issued passkey: %v", err)
	}
	fx.clock.Advance(account.RemovalHold)
	k, err := fx.svc.CreateAPIKey(ctx, cat.Session.Token, cat.Grant(t, account.PurposeCreateAPIKey), "backend")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequestApproval(ctx, k.Secret, account.ApprovalRequest{Operation: withdrawal}); !errors.Is(err, account.ErrPasskeyIssued) {
		t.Fatalf("an approval for an account with only an issued passkey: %v", err)
	}
}

func TestStationFinishIsRetriedAndRepeatedSafely(t *testing.T) {
	fx := newStationFixture(t)
	dan := accounttest.SignUp(t, fx.svc, fx.clock, "dan@example.com")
	me, _ := fx.svc.Me(ctx, dan.Session.Token)
	key := &accounttest.Authenticator{Packed: true}
	opts, err := fx.svc.BeginStationEnrollment(ctx, fx.opToken, account.StationEnrollmentRequest{AccountID: me.ID, Station: "desk-1"})
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		PublicKey struct {
			RP   struct{ ID string }
			User struct{ ID string }
		}
	}
	json.Unmarshal(opts, &o)
	if o.PublicKey.RP.ID != accounttest.RPID || o.PublicKey.User.ID == "" {
		t.Fatalf("options: %s", opts)
	}
	cred, err := key.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	// The owner's own session cannot finish the operator's enrollment,
	// nor can another operator.
	if _, err := fx.svc.FinishStationEnrollment(ctx, dan.Session.Token, cred, ""); !errors.Is(err, account.ErrNotOperator) {
		t.Fatalf("the owner finishing: %v", err)
	}
	other := &accounttest.Authenticator{}
	op2 := accounttest.SignUp(t, fx.svc, fx.clock, "oscar@example.com")
	op2.AddPasskey(t, other, account.KindSecurityKey, "k")
	account.SetOperator(ctx, fx.store, op2.Email, true, fx.clock.Now())
	op2Tok := signInWithKey(t, fx.svc, other, op2.Email).Token
	if _, err := fx.svc.FinishStationEnrollment(ctx, op2Tok, cred, ""); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another operator finishing: %v", err)
	}
	// A finish whose commit fails keeps nothing; the same credential is
	// finished on retry.
	fx.store.mu.Lock()
	fx.store.failNext = true
	fx.store.mu.Unlock()
	if _, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, cred, "Dan's key"); !errors.Is(err, errInjected) {
		t.Fatalf("the failing finish: %v", err)
	}
	if pks, _ := fx.svc.Passkeys(ctx, dan.Session.Token); len(pks) != 0 {
		t.Fatal("a failed finish left a passkey")
	}
	// A credential that does not verify leaves the ceremony open too.
	var tampered map[string]any
	json.Unmarshal(cred, &tampered)
	tampered["response"].(map[string]any)["clientDataJSON"] = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0"
	bad, _ := json.Marshal(tampered)
	if _, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, bad, "Dan's key"); err == nil {
		t.Fatal("a tampered credential was taken")
	}
	pk, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, cred, "Dan's key")
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	again, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, cred, "Dan's key")
	if err != nil || again.ID != pk.ID {
		t.Fatalf("a repeated finish: %+v, %v", again, err)
	}
	if _, err := fx.svc.FinishStationEnrollment(ctx, op2Tok, cred, ""); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another operator repeating the finish: %v", err)
	}
	if pks, _ := fx.svc.Passkeys(ctx, dan.Session.Token); len(pks) != 1 || pks[0].Name != "Dan's key" || !pks[0].Issued {
		t.Fatalf("the owner's passkeys: %+v", pks)
	}
	// Past its lifetime the ceremony is gone.
	opts, _ = fx.svc.BeginStationEnrollment(ctx, fx.opToken, account.StationEnrollmentRequest{AccountID: me.ID, Station: "desk-1"})
	late, _ := (&accounttest.Authenticator{Packed: true}).Register(opts)
	fx.clock.Advance(account.StationCeremonyLifetime)
	if _, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, late, ""); !errors.Is(err, account.ErrCeremonyExpired) {
		t.Fatalf("a late finish: %v", err)
	}
}

func TestBatchImportClaimsAndLog(t *testing.T) {
	fx := newStationFixture(t)
	rows := []account.BatchRow{
		{Line: 2, Email: "amy@example.com", DisplayName: "Amy Adams"},
		{Line: 3, Email: "not-an-email", DisplayName: "Nobody"},
		{Line: 4, Email: "AMY@example.com", DisplayName: "Amy Again"},
		{Line: 5, Email: "ben@example.com", DisplayName: ""},
		{Line: 6, Email: "cy@example.com", DisplayName: "=HYPERLINK(\"x\")"},
	}
	check, err := fx.svc.CheckBatchRows(ctx, fx.opToken, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(check.Good) != 2 || len(check.Bad) != 3 || check.Bad[0].Line != 3 || !strings.Contains(check.Bad[1].Why, "line 2") {
		t.Fatalf("check: %+v", check)
	}
	if _, err := fx.svc.CreateBatch(ctx, fx.opToken, "Monday", rows); err == nil {
		t.Fatal("a batch with bad rows was stored")
	}
	if bs, _ := fx.svc.Batches(ctx, fx.opToken); len(bs) != 0 {
		t.Fatalf("bad rows stored a batch: %+v", bs)
	}
	tooMany := make([]account.BatchRow, account.MaxBatchEntries+1)
	for i := range tooMany {
		tooMany[i] = account.BatchRow{Line: i + 1, Email: fmt.Sprintf("p%d@example.com", i), DisplayName: "P"}
	}
	if _, err := fx.svc.CreateBatch(ctx, fx.opToken, "Huge", tooMany); err == nil {
		t.Fatal("a batch over the limit was stored")
	}
	var people []account.BatchRow
	for i := range 12 {
		people = append(people, account.BatchRow{Line: i + 2, Email: fmt.Sprintf("person%d@example.com", i), DisplayName: fmt.Sprintf("Person %d", i)})
	}
	people = append(people, check.Good[1]) // the formula-looking name
	b, err := fx.svc.CreateBatch(ctx, fx.opToken, "Monday", people)
	if err != nil || b.Total != 13 || b.Pending != 13 {
		t.Fatalf("CreateBatch: %+v, %v", b, err)
	}
	if _, err := fx.svc.AddBatchEntry(ctx, fx.opToken, b.ID, account.BatchRow{Email: "person3@example.com", DisplayName: "Dup"}); err == nil {
		t.Fatal("a duplicate email was added")
	}
	if _, err := fx.svc.AddBatchEntry(ctx, fx.opToken, b.ID, account.BatchRow{Email: "late@example.com", DisplayName: "Late Comer"}); err != nil {
		t.Fatal(err)
	}

	// Two stations take people at once: no person twice.
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	for _, station := range []string{"desk-1", "desk-2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				e, err := fx.svc.ClaimBatchEntry(ctx, fx.opToken, b.ID, "", station)
				if errors.Is(err, account.ErrNotFound) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if prev, ok := got[e.ID]; ok {
					t.Errorf("entry %s claimed by %s and %s", e.Email, prev, station)
				}
				got[e.ID] = station
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != 14 {
		t.Fatalf("%d entries claimed, want 14", len(got))
	}
	full, err := fx.svc.Batch(ctx, fx.opToken, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	first := full.Entries[0]
	holder, other := got[first.ID], "desk-1"
	if holder == "desk-1" {
		other = "desk-2"
	}
	if _, err := fx.svc.UpdateBatchEntry(ctx, fx.opToken, b.ID, first.ID, account.BatchEntryUpdate{Station: other, State: account.EntryKeyDetected}); !errors.Is(err, account.ErrEntryClaimed) {
		t.Fatalf("another station's step: %v", err)
	}
	if _, err := fx.svc.ClaimBatchEntry(ctx, fx.opToken, b.ID, first.ID, other); !errors.Is(err, account.ErrEntryClaimed) {
		t.Fatalf("another station's claim: %v", err)
	}
	// The holder crashes: after ClaimLifetime a second station goes on.
	fx.clock.Advance(account.ClaimLifetime)
	if _, err := fx.svc.ClaimBatchEntry(ctx, fx.opToken, b.ID, first.ID, other); err != nil {
		t.Fatalf("taking over a lapsed claim: %v", err)
	}
	aaguid := bytes.Repeat([]byte{0xab}, 16)
	if _, err := fx.svc.UpdateBatchEntry(ctx, fx.opToken, b.ID, first.ID, account.BatchEntryUpdate{Station: other, State: account.EntryKeyDetected,
		KeyLabel: "Soft Key ·1a2b", AAGUID: aaguid}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.UpdateBatchEntry(ctx, fx.opToken, b.ID, full.Entries[1].ID, account.BatchEntryUpdate{Station: got[full.Entries[1].ID], State: account.EntryFailed}); err == nil {
		t.Fatal("failed without a reason")
	}
	if _, err := fx.svc.UpdateBatchEntry(ctx, fx.opToken, b.ID, full.Entries[1].ID, account.BatchEntryUpdate{Station: got[full.Entries[1].ID], State: account.EntrySkipped, Reason: "the key is full"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.UpdateBatchEntry(ctx, fx.opToken, b.ID, full.Entries[1].ID, account.BatchEntryUpdate{Station: "desk-1", State: account.EntryKeyDetected}); !errors.Is(err, account.ErrEntryDone) {
		t.Fatalf("a step on a skipped entry: %v", err)
	}
	// The entry's enrollment: its account is invited from the entry.
	key := &accounttest.Authenticator{Packed: true, AAGUID: [16]byte(aaguid)}
	opts, err := fx.svc.BeginStationEnrollment(ctx, fx.opToken, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: first.ID, Station: other})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := key.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, cred, "")
	if err != nil {
		t.Fatal(err)
	}
	full, _ = fx.svc.Batch(ctx, fx.opToken, b.ID)
	e := full.Entries[0]
	if e.State != account.EntryEnrolled || e.PasskeyID != pk.ID || e.CredentialShortID != account.CredentialShortID(pk.CredentialID) || e.AccountID == "" ||
		e.Station != other || e.ClaimedBy != "" || full.Enrolled != 1 || full.Skipped != 1 {
		t.Fatalf("the enrolled entry: %+v (batch %+v)", e, full)
	}
	if _, err := fx.svc.ClaimBatchEntry(ctx, fx.opToken, b.ID, e.ID, other); !errors.Is(err, account.ErrEntryDone) {
		t.Fatalf("claiming an enrolled entry: %v", err)
	}

	// The log.
	csvLog, err := fx.svc.ExportBatch(ctx, fx.opToken, b.ID, "csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csvLog)), "\n")
	if len(lines) != 15 || lines[0] != "person,email,result,reason,key label,model,aaguid,credential short id,time,operator,station" {
		t.Fatalf("csv log: %s", csvLog)
	}
	if !strings.Contains(lines[1], "enrolled") || !strings.Contains(lines[1], e.CredentialShortID) || !strings.Contains(lines[1], "abababab-abab-abab-abab-abababababab") ||
		!strings.Contains(lines[1], "olga@example.com") || !strings.Contains(lines[2], "the key is full") {
		t.Fatalf("csv log lines: %s", csvLog)
	}
	if !strings.Contains(string(csvLog), `'=HYPERLINK`) {
		t.Fatalf("a formula-looking cell is not defused: %s", csvLog)
	}
	jsonLog, err := fx.svc.ExportBatch(ctx, fx.opToken, b.ID, "json")
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Batch  string
		People []map[string]string
	}
	if err := json.Unmarshal(jsonLog, &parsed); err != nil || parsed.Batch != "Monday" || len(parsed.People) != 14 || parsed.People[0]["credentialShortId"] != e.CredentialShortID {
		t.Fatalf("json log: %s (%v)", jsonLog, err)
	}
	for _, log := range [][]byte{csvLog, jsonLog} {
		if bytes.Contains(bytes.ToLower(log), []byte("pin")) {
			t.Fatalf("the batch log mentions a PIN: %s", log)
		}
	}
	if _, err := fx.svc.ExportBatch(ctx, fx.opToken, b.ID, "xml"); err == nil {
		t.Fatal("an unknown format was taken")
	}

	// Another operator sees none of it.
	otherKey := &accounttest.Authenticator{}
	op2 := accounttest.SignUp(t, fx.svc, fx.clock, "oscar@example.com")
	op2.AddPasskey(t, otherKey, account.KindSecurityKey, "k")
	account.SetOperator(ctx, fx.store, op2.Email, true, fx.clock.Now())
	op2Tok := signInWithKey(t, fx.svc, otherKey, op2.Email).Token
	if bs, err := fx.svc.Batches(ctx, op2Tok); err != nil || len(bs) != 0 {
		t.Fatalf("another operator's batches: %+v, %v", bs, err)
	}
	for name, call := range map[string]func() error{
		"Batch": func() error { _, err := fx.svc.Batch(ctx, op2Tok, b.ID); return err },
		"Claim": func() error { _, err := fx.svc.ClaimBatchEntry(ctx, op2Tok, b.ID, "", "desk-9"); return err },
		"Update": func() error {
			_, err := fx.svc.UpdateBatchEntry(ctx, op2Tok, b.ID, e.ID, account.BatchEntryUpdate{Station: "x", State: account.EntrySkipped})
			return err
		},
		"Add": func() error {
			_, err := fx.svc.AddBatchEntry(ctx, op2Tok, b.ID, account.BatchRow{Email: "z@example.com", DisplayName: "Z"})
			return err
		},
		"Export": func() error { _, err := fx.svc.ExportBatch(ctx, op2Tok, b.ID, "csv"); return err },
		"BeginEnrolls": func() error {
			_, err := fx.svc.BeginStationEnrollment(ctx, op2Tok, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: e.ID, Station: "x"})
			return err
		},
	} {
		if err := call(); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("another operator's %s: %v", name, err)
		}
	}
}

// TestAStationBackAfterItsClaimLapsedFinishesWithoutTakingTheEntry: a
// station that began a key for a person and went quiet past its claim
// finishes that key later: the passkey is bound (no orphan on the key),
// and the entry keeps the passkey of the station that went on.
func TestAStationBackAfterItsClaimLapsedFinishesWithoutTakingTheEntry(t *testing.T) {
	fx := newStationFixture(t)
	b, err := fx.svc.CreateBatch(ctx, fx.opToken, "Monday", []account.BatchRow{{Line: 2, Email: "amy@example.com", DisplayName: "Amy"}})
	if err != nil {
		t.Fatal(err)
	}
	entry := b.Entries[0].ID
	begin := func(station string) json.RawMessage {
		t.Helper()
		opts, err := fx.svc.BeginStationEnrollment(ctx, fx.opToken, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: entry, Station: station})
		if err != nil {
			t.Fatalf("%s begins: %v", station, err)
		}
		cred, err := (&accounttest.Authenticator{Packed: true}).Register(opts)
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	slow := begin("desk-1")
	if _, err := fx.svc.BeginStationEnrollment(ctx, fx.opToken, account.StationEnrollmentRequest{BatchID: b.ID, EntryID: entry, Station: "desk-2"}); !errors.Is(err, account.ErrEntryClaimed) {
		t.Fatalf("a second station while the first holds the entry: %v", err)
	}
	fx.clock.Advance(account.ClaimLifetime)
	fast := begin("desk-2")
	pk2, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, fast, "")
	if err != nil {
		t.Fatal(err)
	}
	pk1, err := fx.svc.FinishStationEnrollment(ctx, fx.opToken, slow, "")
	if err != nil || pk1.ID == pk2.ID {
		t.Fatalf("the late finish: %+v, %v", pk1, err)
	}
	got, _ := fx.svc.Batch(ctx, fx.opToken, b.ID)
	if e := got.Entries[0]; e.State != account.EntryEnrolled || e.PasskeyID != pk2.ID || e.Station != "desk-2" {
		t.Fatalf("the entry: %+v", e)
	}
}
