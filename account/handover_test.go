package account_test

import (
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// linuxChromeUA is a second browser, on a computer, that opens the link.
const linuxChromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// nextStatus is the watch's next status within 3 s.
func nextStatus(t *testing.T, watch <-chan account.EnrollmentStatus) account.EnrollmentStatus {
	t.Helper()
	select {
	case st, ok := <-watch:
		if !ok {
			t.Fatal("the watch closed")
		}
		return st
	case <-time.After(3 * time.Second):
		t.Fatal("no status within 3 s")
	}
	return account.EnrollmentStatus{}
}

// TestPhoneEnrollmentHandOver: a second device that opens a held link is
// refused, and the desktop hears which browser it was; handed over, it
// shows a new code, the first device is refused, and the second finishes.
func TestPhoneEnrollmentHandOver(t *testing.T) {
	h := newEnrollHarness(t)
	watch, err := h.svc.WatchPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	nextStatus(t, watch) // waiting
	first := h.open(t)
	if st := nextStatus(t, watch); st.State != account.EnrollmentOpened || st.Contender != "" {
		t.Fatalf("after the first open: %+v", st)
	}
	if _, err := h.svc.HandOverPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("a handover with no other device: %v", err)
	}
	for range 3 { // a reload of the second device is the same try
		if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, otherKey, linuxChromeUA); !errors.Is(err, account.ErrEnrollmentInUse) {
			t.Fatalf("second device: %v", err)
		}
	}
	st := nextStatus(t, watch)
	if st.State != account.EnrollmentOpened || st.Browser != "Safari on iPhone" || st.Contender != "Chrome on Linux" || st.Tries != 1 {
		t.Fatalf("the desktop after a second device tried: %+v", st)
	}
	select {
	case st := <-watch:
		t.Fatalf("the same device's tries were told again: %+v", st)
	case <-time.After(100 * time.Millisecond):
	}
	if got, _ := h.svc.PhoneEnrollmentStatus(ctx, h.u.Session.Token, h.enr.ID); got.Contender != "Chrome on Linux" {
		t.Fatalf("status %+v", got)
	}

	// Only the session the enrollment is bound to may hand it over.
	other := accounttest.SignUp(t, h.svc, h.clock, "bob@example.com")
	sameAccount := signIn(t, h)
	signedOut := signIn(t, h)
	if err := h.svc.SignOut(ctx, signedOut.Token); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token, id string
		want            error
	}{
		{"another account's session", other.Session.Token, h.enr.ID, account.ErrNotFound},
		{"another session of the same account", sameAccount.Token, h.enr.ID, account.ErrNotFound},
		{"no session", "", h.enr.ID, account.ErrUnauthenticated},
		{"signed-out session", signedOut.Token, h.enr.ID, account.ErrUnauthenticated},
		{"unknown enrollment", h.u.Session.Token, "no-such-enrollment", account.ErrNotFound},
	} {
		if _, err := h.svc.HandOverPhoneEnrollment(ctx, tc.token, tc.id); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	st2, err := h.svc.HandOverPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st2.State != account.EnrollmentOpened || st2.Browser != "Chrome on Linux" || st2.Contender != "" || st2.Handovers != 1 {
		t.Fatalf("after the handover: %+v", st2)
	}
	if st := nextStatus(t, watch); st.Handovers != 1 || st.Browser != "Chrome on Linux" || st.State != account.EnrollmentOpened {
		t.Fatalf("the watch after the handover: %+v", st)
	}
	// The first device's code is void; the first device is refused.
	if _, err := h.confirm(first); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the first device's code after the handover: %v", err)
	}
	if _, err := h.svc.WaitPhoneEnrollmentPage(ctx, h.link, phoneKey, account.EnrollmentOpened); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("the first device waits: %v", err)
	}
	page, err := h.svc.OpenPhoneEnrollment(ctx, h.link, otherKey, linuxChromeUA)
	if err != nil || len(page.MatchCode) != 6 || page.State != account.EnrollmentOpened {
		t.Fatalf("the second device opens again: %+v, %v", page, err)
	}
	if st, err := h.confirm(page.MatchCode); err != nil || st.State != account.EnrollmentCodeConfirmed {
		t.Fatalf("the second device's code: %+v, %v", st, err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("the first device asks for options: %v", err)
	}
	opts, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := (&accounttest.Authenticator{}).Register(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.FinishPhoneEnrollment(ctx, h.link, otherKey, cred); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.HandOverPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID); !errors.Is(err, account.ErrEnrollmentEnded) {
		t.Fatalf("a handover once done: %v", err)
	}
	events, _ := h.svc.Activity(ctx, h.u.Session.Token, 30)
	found := map[account.EventType]string{}
	for _, e := range events {
		found[e.Type] = e.Detail
	}
	if found[account.EventPhoneEnrollmentTried] != "Chrome on Linux" || found[account.EventPhoneEnrollmentHandedOver] != "Chrome on Linux" {
		t.Fatalf("activity: %+v", events)
	}
}

// TestPhoneEnrollmentHandOverAfterConfirm: a device whose code was
// confirmed can still be replaced before it sends its passkey; its
// challenge then no longer counts and the new device needs its own code.
func TestPhoneEnrollmentHandOverAfterConfirm(t *testing.T) {
	h := newEnrollHarness(t)
	h.openAndConfirm(t)
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, phoneKey); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, otherKey, linuxChromeUA); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("second device: %v", err)
	}
	st, err := h.svc.HandOverPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID)
	if err != nil || st.State != account.EnrollmentOpened {
		t.Fatalf("handover after the code: %+v, %v", st, err)
	}
	if _, err := h.svc.PhoneEnrollmentOptions(ctx, h.link, otherKey); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("the new device asks for options before its code: %v", err)
	}
}

// TestPhoneEnrollmentHandOverEndsWithTheGrant: a link past its time is
// expired, and once the identity check is used up elsewhere a handover
// ends the enrollment instead (the desktop then needs a new check).
func TestPhoneEnrollmentHandOverEndsWithTheGrant(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(t *testing.T, h *enrollHarness)
		state account.EnrollmentState
	}{
		{"enrollment expired", func(t *testing.T, h *enrollHarness) { h.clock.Advance(account.EnrollmentLifetime) }, account.EnrollmentExpired},
		{"grant used up", func(t *testing.T, h *enrollHarness) {
			opts, err := h.svc.BeginRegistration(ctx, h.u.Session.Token, h.grant, account.KindSecurityKey)
			if err != nil {
				t.Fatal(err)
			}
			cred, _ := (&accounttest.Authenticator{}).Register(opts)
			if _, err := h.svc.FinishRegistration(ctx, h.u.Session.Token, h.grant, cred, ""); err != nil {
				t.Fatal(err)
			}
		}, account.EnrollmentCanceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newEnrollHarness(t)
			h.open(t)
			if _, err := h.svc.OpenPhoneEnrollment(ctx, h.link, otherKey, linuxChromeUA); !errors.Is(err, account.ErrEnrollmentInUse) {
				t.Fatalf("second device: %v", err)
			}
			tc.after(t, h)
			var ended *account.EnrollmentEndedError
			if _, err := h.svc.HandOverPhoneEnrollment(ctx, h.u.Session.Token, h.enr.ID); !errors.As(err, &ended) || ended.State != tc.state {
				t.Fatalf("handover: %v, want it %s", err, tc.state)
			}
		})
	}
}
