package account_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
)

const (
	iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	phoneKey = "device-key-of-phone-1"
	otherKey = "device-key-of-phone-2"
)

type enrollHarness struct {
	svc   *account.Service
	clock *accounttest.Clock
	u     *accounttest.User
	grant string
	enr   *account.PhoneEnrollment
	link  string
	path  string // the database file
}

func newEnrollHarness(t *testing.T) *enrollHarness {
	t.Helper()
	svc, clock, path := accounttest.NewService(t, accounttest.Options{})
	h := &enrollHarness{svc: svc, clock: clock, path: path, u: accounttest.SignUp(t, svc, clock, "ann@example.com")}
	h.grant = h.u.Grant(t, account.PurposeAddPasskey)
	var err error
	if h.enr, err = svc.BeginPhoneEnrollment(ctx, h.u.Session.Token, h.grant); err != nil {
		t.Fatal(err)
	}
	_, h.link, _ = strings.Cut(h.enr.URL, "#")
	return h
}

// open opens the link on the phone and returns the match code the page
// shows.
func (h *enrollHarness) open(t *testing.T) string {
	t.Helper()
	page, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.MatchCode) != 6 || strings.Trim(page.MatchCode, "0123456789") != "" {
		t.Fatalf("the page got match code %q", page.MatchCode)
	}
	return page.MatchCode
}

// confirm types code on the desktop, in the enrollment's own session.
func (h *enrollHarness) confirm(code string) (*account.EnrollmentStatus, error) {
	return h.svc.ConfirmPhoneEnrollmentCode(ctx, h.u.Session.Token, h.enr.ID, code)
}

// openAndConfirm opens the link on the phone and types its code on the
// desktop.
func (h *enrollHarness) openAndConfirm(t *testing.T) {
	t.Helper()
	if _, err := h.confirm(h.open(t)); err != nil {
		t.Fatal(err)
	}
}

func (h *enrollHarness) state(t *testing.T) account.EnrollmentState {
	t.Helper()
	st, err := h.svc.PhoneEnrollmentStatus(ctx, h.u.Session.Token, h.enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st.State
}

func TestPhoneEnrollment(t *testing.T) {
	h := newEnrollHarness(t)
	if !strings.HasPrefix(h.enr.URL, accounttest.Origin+"/enroll#") || len(h.link) != 22 ||
		!h.enr.ExpiresAt.Equal(h.clock.Now().Add(account.EnrollmentLifetime)) {
		t.Fatalf("enrollment = %+v", h.enr)
	}
	watch, err := h.svc.WatchPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-watch; st.State != account.EnrollmentWaiting {
		t.Fatalf("first watched state %s", st.State)
	}
	page, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA)
	if err != nil || page.Email != "a•••@example.com" || page.State != account.EnrollmentOpened || len(page.MatchCode) != 6 {
		t.Fatalf("open = %+v, %v", page, err)
	}
	// The desktop learns which browser opened the link, before any code.
	if st := <-watch; st.State != account.EnrollmentOpened || st.Browser != "Safari on iPhone" {
		t.Fatalf("watched %+v after the open", st)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("options before the code: %v", err)
	}
	// Typed on the desktop as the phone shows it, "123 456".
	st, err := h.confirm(page.MatchCode[:3] + " " + page.MatchCode[3:])
	if err != nil || st.State != account.EnrollmentCodeConfirmed || st.Browser != "Safari on iPhone" {
		t.Fatalf("confirm = %+v, %v", st, err)
	}
	opts, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	phone := &accounttest.Authenticator{BackupEligible: true, BackedUp: true}
	cred, err := phone.Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := h.svc.FinishPhoneEnrollment(ctx, h.link, phoneKey, cred)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Name != "iPhone — iCloud Keychain" || pk.Kind != account.KindPhone || !pk.BackupEligible || !pk.BackedUp {
		t.Fatalf("passkey = %+v", pk)
	}
	var seen []account.EnrollmentState
	for st := range watch {
		seen = append(seen, st.State)
		if st.State == account.EnrollmentDone && (st.Passkey == nil || st.Passkey.ID != pk.ID) {
			t.Fatalf("done without the passkey: %+v", st)
		}
	}
	want := []account.EnrollmentState{account.EnrollmentCodeConfirmed, account.EnrollmentPasskeyCreated, account.EnrollmentDone}
	if strings.Join(states(seen), ",") != strings.Join(states(want), ",") {
		t.Fatalf("watched %v, want %v", seen, want)
	}
	// The grant was used up, the link too.
	if _, err := h.svc.BeginRegistration(ctx, h.u.Session.Token, h.grant, account.KindPhone); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("grant after enrollment: %v", err)
	}
	var ended *account.EnrollmentEndedError
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA); !errors.As(err, &ended) || ended.State != account.EnrollmentDone {
		t.Fatalf("reused link: %v", err)
	}
	events, _ := h.svc.Activity(ctx, h.u.Session.Token, 20)
	var enrollEvents []string
	for _, e := range events {
		if e.Source == "phone page" || e.Type == account.EventPhoneEnrollmentConfirmed {
			enrollEvents = append(enrollEvents, string(e.Type)+" ("+e.Source+": "+e.Detail+")")
		}
	}
	// Verified with password and code, the addition holds withdrawals
	// and C2C trades.
	var types []string
	for _, e := range enrollEvents {
		typ, _, _ := strings.Cut(e, " ")
		types = append(types, typ)
	}
	if got := strings.Join(types, ","); got != "hold-started,passkey-added,phone-enrollment-confirmed,phone-enrollment-opened" {
		t.Fatalf("enrollment events: %s", strings.Join(enrollEvents, ", "))
	}
	if !strings.Contains(enrollEvents[1], "(phone page: Phone or tablet: iPhone — iCloud Keychain") ||
		enrollEvents[2] != "phone-enrollment-confirmed (app: Safari on iPhone)" || enrollEvents[3] != "phone-enrollment-opened (phone page: Safari on iPhone)" {
		t.Fatalf("enrollment events: %s", strings.Join(enrollEvents, ", "))
	}
}

func states(s []account.EnrollmentState) []string {
	out := make([]string, len(s))
	for i, st := range s {
		out[i] = string(st)
	}
	return out
}

func TestPhoneEnrollmentRefusals(t *testing.T) {
	tests := []struct {
		name string
		// before runs after the phone opened the link and the desktop
		// confirmed its code (unless skipConfirm), before the phone asks
		// for options.
		before      func(t *testing.T, h *enrollHarness)
		skipConfirm bool
		want        error
		wantState   account.EnrollmentState
	}{
		{"expired", func(t *testing.T, h *enrollHarness) { h.clock.Advance(account.EnrollmentLifetime) }, false,
			account.ErrEnrollmentEnded, account.EnrollmentExpired},
		{"canceled on the desktop", func(t *testing.T, h *enrollHarness) {
			if err := h.svc.CancelPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID); err != nil {
				t.Fatal(err)
			}
		}, false, account.ErrEnrollmentEnded, account.EnrollmentCanceled},
		{"signed out on the desktop", func(t *testing.T, h *enrollHarness) {
			tok := h.u.Session.Token
			if err := h.svc.SignOut(ctx, tok); err != nil {
				t.Fatal(err)
			}
			h.u.Session = signIn(t, h)
		}, false, account.ErrEnrollmentEnded, account.EnrollmentCanceled},
		{"grant used by another registration", func(t *testing.T, h *enrollHarness) {
			opts, err := h.svc.BeginRegistration(ctx, h.u.Session.Token, h.grant, account.KindSecurityKey)
			if err != nil {
				t.Fatal(err)
			}
			cred, _ := (&accounttest.Authenticator{}).Register(opts)
			if _, err := h.svc.FinishRegistration(ctx, h.u.Session.Token, h.grant, cred, ""); err != nil {
				t.Fatal(err)
			}
		}, false, account.ErrEnrollmentEnded, account.EnrollmentCanceled},
		{"code not confirmed", nil, true, account.ErrEnrollmentStep, account.EnrollmentOpened},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newEnrollHarness(t)
			code := h.open(t)
			if !tt.skipConfirm {
				if _, err := h.confirm(code); err != nil {
					t.Fatal(err)
				}
			}
			if tt.before != nil {
				tt.before(t, h)
			}
			if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); !errors.Is(err, tt.want) {
				t.Fatalf("options: %v, want %v", err, tt.want)
			}
			if got := h.state(t); got != tt.wantState {
				t.Fatalf("state %s, want %s", got, tt.wantState)
			}
		})
	}
}

func signIn(t *testing.T, h *enrollHarness) *account.Session {
	t.Helper()
	sess, err := h.svc.SignIn(ctx, h.u.Email, h.u.Password, h.u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func TestPhoneEnrollmentSecondPhone(t *testing.T) {
	h := newEnrollHarness(t)
	code := h.open(t)
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, otherKey, iPhoneUA); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("second phone: %v", err)
	}
	if _, err := h.svc.WaitPhoneEnrollmentPage(ctx, h.link, otherKey, account.EnrollmentOpened); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("second phone waits: %v", err)
	}
	var input *account.InputError
	if _, err := h.svc.WaitPhoneEnrollmentPage(ctx, h.link, "", account.EnrollmentOpened); !errors.As(err, &input) {
		t.Fatalf("wait with no device key: %v", err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, ""); !errors.As(err, &input) {
		t.Fatalf("options with no device key: %v", err)
	}
	if _, err := h.confirm(code); err != nil {
		t.Fatalf("the first phone's code: %v", err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, otherKey); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("second phone asks for options: %v", err)
	}
}

// wrongCode is a 6-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestPhoneEnrollmentWrongCodes: wrong codes typed on the desktop count,
// and the MaxFailures-th cancels the enrollment; text that is not a code
// is refused without counting.
func TestPhoneEnrollmentWrongCodes(t *testing.T) {
	h := newEnrollHarness(t)
	if _, err := h.confirm("123456"); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("a code before a phone opened the link: %v", err)
	}
	code := h.open(t)
	var input *account.InputError
	for _, typed := range []string{"", "12345", "1234567", "12a456", "123 45", "１２３４５６", strings.Repeat("1", 100)} {
		if _, err := h.confirm(typed); !errors.As(err, &input) {
			t.Fatalf("%q: %v, want an input error", typed, err)
		}
	}
	for i := 1; i < account.MaxFailures; i++ {
		if _, err := h.confirm(wrongCode(code)); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
		if st := h.state(t); st != account.EnrollmentOpened {
			t.Fatalf("after wrong code %d: %s", i, st)
		}
	}
	var ended *account.EnrollmentEndedError
	if _, err := h.confirm(wrongCode(code)); !errors.As(err, &ended) || ended.State != account.EnrollmentCanceled || ended.Reason != "too many wrong codes" {
		t.Fatalf("last wrong code: %v", err)
	}
	if _, err := h.confirm(code); !errors.Is(err, account.ErrEnrollmentEnded) {
		t.Fatalf("right code after the end: %v", err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); !errors.As(err, &ended) || ended.Reason != "too many wrong codes" {
		t.Fatalf("the phone after the end: %v", err)
	}
	events, _ := h.svc.Activity(ctx, h.u.Session.Token, 50)
	failed := 0
	for _, e := range events {
		if e.Type == account.EventVerificationFailed && e.Detail == "phone enrollment: wrong match code" {
			failed++
		}
		if strings.Contains(e.Detail, code) {
			t.Fatalf("an event shows the code: %+v", e)
		}
	}
	if failed != account.MaxFailures {
		t.Fatalf("%d wrong codes logged, want %d", failed, account.MaxFailures)
	}
}

// TestPhoneEnrollmentCodeSpacesAndDashes: the code is taken as the phone
// shows it ("123 456") or as people write it ("123-456").
func TestPhoneEnrollmentCodeSpacesAndDashes(t *testing.T) {
	for _, tc := range []struct{ name, sep string }{
		{"space", " "}, {"dash", "-"}, {"hyphen", "\u2010"}, {"en dash", " \u2013 "}, {"no-break space", "\u00a0"}, {"tab", "\t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newEnrollHarness(t)
			code := h.open(t)
			st, err := h.confirm(" " + code[:3] + tc.sep + code[3:] + " ")
			if err != nil || st.State != account.EnrollmentCodeConfirmed {
				t.Fatalf("%q: %+v, %v", code[:3]+tc.sep+code[3:], st, err)
			}
		})
	}
}

// TestPhoneEnrollmentCodeOnlyFromItsSession: the match code is confirmed
// only from the desktop session that began the enrollment. Any other
// session, of another account or of the same one, does not find it, and
// a missing or signed-out session is not signed in; none of these counts
// as a wrong code.
func TestPhoneEnrollmentCodeOnlyFromItsSession(t *testing.T) {
	h := newEnrollHarness(t)
	code := h.open(t)
	other := accounttest.SignUp(t, h.svc, h.clock, "bob@example.com")
	sameAccount := signIn(t, h)
	signedOut := signIn(t, h)
	if err := h.svc.SignOut(ctx, signedOut.Token); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"another account's session", other.Session.Token, account.ErrNotFound},
		{"another session of the same account", sameAccount.Token, account.ErrNotFound},
		{"no session", "", account.ErrUnauthenticated},
		{"unknown session", "not-a-session-token", account.ErrUnauthenticated},
		{"signed-out session", signedOut.Token, account.ErrUnauthenticated},
	} {
		for range account.MaxFailures {
			if _, err := h.svc.ConfirmPhoneEnrollmentCode(ctx, tc.token, h.enr.ID, code); !errors.Is(err, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
	}
	if st := h.state(t); st != account.EnrollmentOpened {
		t.Fatalf("after the refused sessions: %s", st)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("options after the refused sessions: %v", err)
	}
	if _, err := h.confirm(code); err != nil {
		t.Fatalf("the enrollment's own session: %v", err)
	}
	// Once the desktop session that began it signs out, its token no
	// longer confirms anything and the phone is told.
	h2 := newEnrollHarness(t)
	code = h2.open(t)
	if err := h2.svc.SignOut(ctx, h2.u.Session.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.confirm(code); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the signed-out owner: %v", err)
	}
	var ended *account.EnrollmentEndedError
	if _, err := h2.svc.PhoneEnrollmentOptions(ctx, h2.link, phoneKey); !errors.As(err, &ended) || ended.Reason != "signed out on the desktop" {
		t.Fatalf("the phone after the sign-out: %v", err)
	}
}

// TestPhoneEnrollmentCodeEndsWithItsGrant: a code typed after the grant
// was used elsewhere cancels the enrollment instead of confirming it.
func TestPhoneEnrollmentCodeEndsWithItsGrant(t *testing.T) {
	h := newEnrollHarness(t)
	code := h.open(t)
	opts, err := h.svc.BeginRegistration(ctx, h.u.Session.Token, h.grant, account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := (&accounttest.Authenticator{}).Register(opts)
	if _, err := h.svc.FinishRegistration(ctx, h.u.Session.Token, h.grant, cred, ""); err != nil {
		t.Fatal(err)
	}
	var ended *account.EnrollmentEndedError
	if _, err := h.confirm(code); !errors.As(err, &ended) || ended.State != account.EnrollmentCanceled {
		t.Fatalf("code after the grant was used: %v", err)
	}
	if st := h.state(t); st != account.EnrollmentCanceled {
		t.Fatalf("state %s", st)
	}
}

// TestPhoneEnrollmentReopen: a reload on the phone shows a new code and
// the one before stops working; once the code is confirmed a reload
// shows none.
func TestPhoneEnrollmentReopen(t *testing.T) {
	h := newEnrollHarness(t)
	first := h.open(t)
	second := h.open(t)
	for second == first { // one chance in a million
		second = h.open(t)
	}
	if _, err := h.confirm(first); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the code before the reload: %v", err)
	}
	if _, err := h.confirm(second); err != nil {
		t.Fatalf("the code after the reload: %v", err)
	}
	page, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA)
	if err != nil || page.State != account.EnrollmentCodeConfirmed || page.MatchCode != "" {
		t.Fatalf("reload after the confirmation: %+v, %v", page, err)
	}
}

// TestMatchCodeIsKeyed: the stored match code is a MAC under the
// service's secret key, not a hash anyone can test codes against: a
// service on the same database with another secret key refuses the right
// code, one with the same key takes it, and the row holds neither the
// code nor SHA-256(id ‖ 0 ‖ code).
func TestMatchCodeIsKeyed(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	svc, clock, path := accounttest.NewService(t, accounttest.Options{SecretKey: key})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	enr, err := svc.BeginPhoneEnrollment(ctx, u.Session.Token, u.Grant(t, account.PurposeAddPasskey))
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(enr.URL, "#")
	page, err := svc.OpenPhoneEnrollment(ctx, link, phoneKey, iPhoneUA)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var stored []byte
	if err := store.View(ctx, func(tx account.Tx) error {
		e, err := tx.PhoneEnrollmentByID(enr.ID)
		if err == nil {
			stored = e.CodeHash
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte(enr.ID + "\x00" + page.MatchCode))
	if len(stored) != 32 || bytes.Equal(stored, plain[:]) || bytes.Contains(stored, []byte(page.MatchCode)) {
		t.Fatalf("stored match code %x is the code or its plain hash", stored)
	}
	serviceWithKey := func(key []byte) *account.Service {
		s, err := account.New(account.Config{RPID: accounttest.RPID, Origins: []string{accounttest.Origin}, SecretKey: key, Now: clock.Now}, store)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := serviceWithKey(make([]byte, 32)).ConfirmPhoneEnrollmentCode(ctx, u.Session.Token, enr.ID, page.MatchCode); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("another secret key: %v, want the code refused", err)
	}
	if _, err := serviceWithKey(key).ConfirmPhoneEnrollmentCode(ctx, u.Session.Token, enr.ID, page.MatchCode); err != nil {
		t.Fatalf("the same secret key, after a restart: %v", err)
	}
}

// TestPhoneEnrollmentPageWait: the page's long poll returns when the
// desktop confirms the code, when the enrollment ends, or, unchanged,
// when its context ends or a newer wait takes its place.
func TestPhoneEnrollmentPageWait(t *testing.T) {
	type result struct {
		page *account.PhonePage
		err  error
	}
	wait := func(h *enrollHarness, c context.Context) <-chan result {
		out := make(chan result, 1)
		go func() {
			p, err := h.svc.WaitPhoneEnrollmentPage(c, h.link, phoneKey, account.EnrollmentOpened)
			out <- result{p, err}
		}()
		return out
	}
	get := func(t *testing.T, ch <-chan result) result {
		t.Helper()
		select {
		case r := <-ch:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("the wait did not return")
		}
		return result{}
	}

	h := newEnrollHarness(t)
	code := h.open(t)
	// Two waits at once: the later one ends the earlier, unchanged.
	first, second := wait(h, ctx), wait(h, ctx)
	var pending <-chan result
	select {
	case r := <-first:
		pending = second
		if r.err != nil || r.page.State != account.EnrollmentOpened {
			t.Fatalf("the replaced wait: %+v, %v", r.page, r.err)
		}
	case r := <-second:
		pending = first
		if r.err != nil || r.page.State != account.EnrollmentOpened {
			t.Fatalf("the replaced wait: %+v, %v", r.page, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("neither wait was replaced")
	}
	if _, err := h.confirm(code); err != nil {
		t.Fatal(err)
	}
	if r := get(t, pending); r.err != nil || r.page.State != account.EnrollmentCodeConfirmed || r.page.MatchCode != "" || r.page.Email != "a•••@example.com" {
		t.Fatalf("the wait after the confirmation: %+v, %v", r.page, r.err)
	}
	// A state other than the one seen returns at once.
	if p, err := h.svc.WaitPhoneEnrollmentPage(ctx, h.link, phoneKey, account.EnrollmentOpened); err != nil || p.State != account.EnrollmentCodeConfirmed {
		t.Fatalf("wait on a passed state: %+v, %v", p, err)
	}

	// Its context ends: the page as it stands.
	h = newEnrollHarness(t)
	h.open(t)
	c, cancel := context.WithCancel(ctx)
	ch := wait(h, c)
	cancel()
	if r := get(t, ch); r.err != nil || r.page.State != account.EnrollmentOpened {
		t.Fatalf("the wait whose context ended: %+v, %v", r.page, r.err)
	}

	// Canceled on the desktop: the page is told why.
	ch = wait(h, ctx)
	if err := h.svc.CancelPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID); err != nil {
		t.Fatal(err)
	}
	var ended *account.EnrollmentEndedError
	if r := get(t, ch); !errors.As(r.err, &ended) || ended.Reason != "canceled on the desktop" {
		t.Fatalf("the wait after a cancel: %+v, %v", r.page, r.err)
	}

	// Expired: the wait ends on its own.
	h = newEnrollHarness(t)
	h.open(t)
	h.clock.Advance(account.EnrollmentLifetime)
	if _, err := h.svc.WaitPhoneEnrollmentPage(ctx, h.link, phoneKey, account.EnrollmentOpened); !errors.As(err, &ended) || ended.State != account.EnrollmentExpired {
		t.Fatalf("the wait after the expiry: %v", err)
	}
}

func TestPhoneEnrollmentTamperedResult(t *testing.T) {
	h := newEnrollHarness(t)
	h.openAndConfirm(t)
	opts, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := (&accounttest.Authenticator{Origin: "https://evil.example"}).Register(opts)
	if _, err := h.svc.FinishPhoneEnrollment(ctx, h.link, phoneKey, cred); !errors.Is(err, account.ErrCredentialRejected) {
		t.Fatalf("wrong origin: %v", err)
	}
	if st := h.state(t); st != account.EnrollmentCanceled {
		t.Fatalf("state after a rejected result: %s", st)
	}
	if pks, _ := h.svc.Passkeys(ctx, h.u.Session.Token); len(pks) != 0 {
		t.Fatalf("a rejected result bound %d passkeys", len(pks))
	}
}

func TestPhoneEnrollmentSurvivesRestartAndExpiresInWatch(t *testing.T) {
	h := newEnrollHarness(t)
	h.clock.Advance(account.EnrollmentLifetime)
	watch, err := h.svc.WatchPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var last account.EnrollmentStatus
	timeout := time.After(5 * time.Second)
	for done := false; !done; {
		select {
		case st, ok := <-watch:
			if !ok {
				done = true
			} else {
				last = st
			}
		case <-timeout:
			t.Fatal("watch did not end")
		}
	}
	if last.State != account.EnrollmentExpired {
		t.Fatalf("last state %s", last.State)
	}
	raw, _ := json.Marshal(last)
	if strings.Contains(string(raw), h.link) {
		t.Fatal("status carries the link token")
	}
}

func TestPhonePasskeyNames(t *testing.T) {
	for _, tc := range []struct{ model, ua, want string }{
		{"", iPhoneUA, "iPhone — iCloud Keychain"},
		{"Google Password Manager", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131 Mobile Safari/537.36", "Android — Google Password Manager"},
		{"Apple Passwords (iCloud Keychain)", "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "iPad — iCloud Keychain"},
		{"", "Mozilla/5.0 (Linux; Android 14)", "Android passkey"},
		{"Samsung Pass", "", "Samsung Pass"},
		{"", "", "Phone or tablet"},
	} {
		if got := account.PhonePasskeyName(tc.model, tc.ua); got != tc.want {
			t.Errorf("name(%q, %q) = %q, want %q", tc.model, tc.ua, got, tc.want)
		}
	}
}

// TestBrowserNames: the desktop shows what opened the link in a fixed set
// of words, never the User-Agent's own text.
func TestBrowserNames(t *testing.T) {
	for _, tc := range []struct{ ua, want string }{
		{iPhoneUA, "Safari on iPhone"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1", "Chrome on iPhone"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
		{"Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0", "Firefox on Android"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari on iPad"},
		{"Mozilla/5.0 (X11; Linux x86_64) Evil/1.0 <b>Chrome for sure</b>", "Unknown browser on Linux"},
		{"curl/8.5.0", "Unknown browser"},
		{"", "Unknown browser"},
	} {
		if got := account.BrowserOf(tc.ua); got != tc.want {
			t.Errorf("BrowserOf(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
}

// TestPhoneEnrollmentSurvivesRestart opens the link on one service, then
// finishes on another opened on the same database file, as after a
// restart of the app or on a second server instance.
func TestPhoneEnrollmentSurvivesRestart(t *testing.T) {
	h := newEnrollHarness(t)
	h.openAndConfirm(t)
	store, err := sqlstore.Open(h.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key := make([]byte, 32)
	again, err := account.New(account.Config{RPID: accounttest.RPID, Origins: []string{accounttest.Origin}, SecretKey: key, Now: h.clock.Now}, store)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := again.PhoneEnrollmentOptions(ctx, h.link, phoneKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := (&accounttest.Authenticator{}).Register(opts)
	if _, err := again.FinishPhoneEnrollment(ctx, h.link, phoneKey, cred); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t); st != account.EnrollmentDone {
		t.Fatalf("state seen by the first service: %s", st)
	}
}
