package account_test

import (
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
	if !strings.HasPrefix(h.enr.URL, accounttest.Origin+"/enroll#") || len(h.link) != 22 || len(h.enr.MatchCode) != 6 ||
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
	if err != nil || page.Email != "a•••@example.com" || page.State != account.EnrollmentOpened {
		t.Fatalf("open = %+v, %v", page, err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("options before the code: %v", err)
	}
	if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, h.enr.MatchCode); err != nil {
		t.Fatal(err)
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
	want := []account.EnrollmentState{account.EnrollmentOpened, account.EnrollmentCodeConfirmed, account.EnrollmentPasskeyCreated, account.EnrollmentDone}
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
	var phoneEvents []string
	for _, e := range events {
		if e.Source == "phone page" {
			phoneEvents = append(phoneEvents, string(e.Type))
		}
	}
	// Verified with password and code, the addition holds withdrawals
	// and C2C trades.
	if strings.Join(phoneEvents, ",") != "hold-started,passkey-added,phone-enrollment-confirmed,phone-enrollment-opened" {
		t.Fatalf("phone page events %v", phoneEvents)
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
		// before runs after the phone opened the link and confirmed the
		// code (unless skipConfirm), before it asks for options.
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
			if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA); err != nil {
				t.Fatal(err)
			}
			if !tt.skipConfirm {
				if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, h.enr.MatchCode); err != nil {
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

func TestPhoneEnrollmentSecondPhoneAndWrongCodes(t *testing.T) {
	h := newEnrollHarness(t)
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA); err != nil {
		t.Fatalf("reload on the same phone: %v", err)
	}
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, otherKey, iPhoneUA); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("second phone: %v", err)
	}
	if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, otherKey, h.enr.MatchCode); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("second phone confirms: %v", err)
	}
	var input *account.InputError
	if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, "", h.enr.MatchCode); !errors.As(err, &input) {
		t.Fatalf("confirm with no device key: %v", err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, ""); !errors.As(err, &input) {
		t.Fatalf("options with no device key: %v", err)
	}
	wrong := "000000"
	if h.enr.MatchCode == wrong {
		wrong = "111111"
	}
	for i := 1; i < account.MaxFailures; i++ {
		if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, wrong); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	var ended *account.EnrollmentEndedError
	if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, wrong); !errors.As(err, &ended) || ended.State != account.EnrollmentCanceled {
		t.Fatalf("last wrong code: %v", err)
	}
	if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, h.enr.MatchCode); !errors.Is(err, account.ErrEnrollmentEnded) {
		t.Fatalf("right code after the end: %v", err)
	}
}

func TestPhoneEnrollmentTamperedResult(t *testing.T) {
	h := newEnrollHarness(t)
	h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA)
	h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, h.enr.MatchCode)
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

// TestPhoneEnrollmentSurvivesRestart opens the link on one service, then
// finishes on another opened on the same database file, as after a
// restart of the app or on a second server instance.
func TestPhoneEnrollmentSurvivesRestart(t *testing.T) {
	h := newEnrollHarness(t)
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, phoneKey, iPhoneUA); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.ConfirmPhoneEnrollment(ctx, h.link, phoneKey, h.enr.MatchCode); err != nil {
		t.Fatal(err)
	}
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
