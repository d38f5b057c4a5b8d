package account_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func sessionsOf(t *testing.T, svc *account.Service, token string) []account.SessionInfo {
	t.Helper()
	list, err := svc.Sessions(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// A session says which app made it, from where, when; the list marks the
// asking one.
func TestSessionsListed(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	born := clock.Now()
	clock.Advance(time.Hour)
	web := account.WithClientAddress(account.WithClientKind(ctx, account.ClientBrowser), "198.51.100.4")
	other, err := svc.SignIn(web, u.Email, u.Password, u.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	list := sessionsOf(t, svc, u.Session.Token)
	if len(list) != 2 {
		t.Fatalf("sessions: %+v", list)
	}
	first, second := list[0], list[1]
	if first.Client != account.ClientDesktop || first.Address != "" || !first.Current || !first.CreatedAt.Equal(born) || first.Restricted {
		t.Fatalf("the sign-up's session: %+v", first)
	}
	if second.Client != account.ClientBrowser || second.Address != "198.51.100.4" || second.Current || !second.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("the browser's session: %+v", second)
	}
	if first.ID == "" || first.ID == second.ID || strings.Contains(first.ID, u.Session.Token) {
		t.Fatalf("IDs: %q, %q", first.ID, second.ID)
	}
	// The asking session was just seen; the other not since it began.
	if !first.LastSeenAt.Equal(clock.Now()) || !second.LastSeenAt.Equal(second.CreatedAt) {
		t.Fatalf("last seen: %v, %v", first.LastSeenAt, second.LastSeenAt)
	}
	if !first.ExpiresAt.Equal(clock.Now().Add(account.DefaultSessionIdle)) {
		t.Fatalf("expires %v, want idle limit from now", first.ExpiresAt)
	}
	if list := sessionsOf(t, svc, other.Token); !list[1].Current || list[0].Current {
		t.Fatalf("the other's view: %+v", list)
	}
}

// Last seen is written at most once per SeenResolution per session: calls
// in between read and write nothing.
func TestLastSeenWrittenOncePerMinute(t *testing.T) {
	cs := &countingStore{}
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store { cs.Store = s; return cs }})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	seen := func() time.Time {
		t.Helper()
		return sessionsOf(t, svc, u.Session.Token)[0].LastSeenAt
	}
	start := cs.updates.Load()
	for range 50 {
		clock.Advance(time.Second)
		if _, err := svc.Me(ctx, u.Session.Token); err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.updates.Load() - start; n != 0 {
		t.Fatalf("%d writes for 50 calls within a minute of sign-up", n)
	}
	clock.Advance(10 * time.Second) // a minute since sign-up
	if _, err := svc.Me(ctx, u.Session.Token); err != nil {
		t.Fatal(err)
	}
	if n := cs.updates.Load() - start; n != 1 {
		t.Fatalf("%d writes at the minute, want 1", n)
	}
	if got := seen(); !got.Equal(clock.Now()) {
		t.Fatalf("last seen %v, want %v", got, clock.Now())
	}
	clock.Advance(30 * time.Second)
	if got := seen(); got.Equal(clock.Now()) {
		t.Fatal("last seen moved within the minute")
	}
}

// A session ends after its idle time unused, and after its lifetime
// however much it is used; both come from Config.
func TestSessionsEndIdleAndOld(t *testing.T) {
	for _, tt := range []struct {
		name       string
		life, idle time.Duration
	}{
		{"defaults", 0, 0},
		{"configured", 48 * time.Hour, 6 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			life, idle := tt.life, tt.idle
			if life == 0 {
				life, idle = account.DefaultSessionLifetime, account.DefaultSessionIdle
			}
			svc, clock, _ := accounttest.NewService(t, accounttest.Options{SessionLifetime: tt.life, SessionIdle: tt.idle})
			u := accounttest.SignUp(t, svc, clock, "ann@example.com")
			born := sessionsOf(t, svc, u.Session.Token)[0].CreatedAt
			idler, err := svc.SignIn(ctx, u.Email, u.Password, u.Code(t))
			if err != nil {
				t.Fatal(err)
			}
			idlerBorn := clock.Now()
			if !idler.ExpiresAt.Equal(clock.Now().Add(idle)) {
				t.Fatalf("a new session expires %v, want %v", idler.ExpiresAt, clock.Now().Add(idle))
			}
			// Used just within its idle time, again and again, the first
			// session lives to its lifetime and no longer.
			step := idle - time.Minute
			for clock.Now().Add(step).Before(born.Add(life)) {
				clock.Advance(step)
				if _, err := svc.Me(ctx, u.Session.Token); err != nil {
					t.Fatalf("a used session after %v: %v", clock.Now().Sub(born), err)
				}
				if clock.Now().Sub(idlerBorn) < idle {
					continue
				}
				if _, err := svc.Me(ctx, idler.Token); !errors.Is(err, account.ErrUnauthenticated) {
					t.Fatalf("an unused session after %v: %v", clock.Now().Sub(born), err)
				}
			}
			clock.Advance(life - clock.Now().Sub(born))
			if _, err := svc.Me(ctx, u.Session.Token); !errors.Is(err, account.ErrUnauthenticated) {
				t.Fatalf("a used session at its lifetime: %v", err)
			}
		})
	}
}

func TestEndSession(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
	other, err := svc.SignIn(account.WithClientAddress(ctx, "203.0.113.9"), ann.Email, ann.Password, ann.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	third, err := svc.SignIn(ctx, ann.Email, ann.Password, ann.Code(t))
	if err != nil {
		t.Fatal(err)
	}
	list := sessionsOf(t, svc, ann.Session.Token)
	bobs := sessionsOf(t, svc, bob.Session.Token)
	// The doors: another account's session, a made-up one, no session,
	// a signed-out one.
	if err := svc.EndSession(ctx, ann.Session.Token, bobs[0].ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("ending another account's session: %v", err)
	}
	if err := svc.EndSession(ctx, bob.Session.Token, list[1].ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another account ending ann's session: %v", err)
	}
	if err := svc.EndSession(ctx, ann.Session.Token, "made-up"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a made-up ID: %v", err)
	}
	if err := svc.EndSession(ctx, "made-up-token", list[1].ID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
	if _, err := svc.Me(ctx, bob.Session.Token); err != nil {
		t.Fatalf("bob after the refusals: %v", err)
	}
	if err := svc.EndSession(ctx, ann.Session.Token, list[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Me(ctx, other.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the ended session: %v", err)
	}
	if err := svc.EndSession(ctx, other.Token, list[2].ID); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("an ended session ending another: %v", err)
	}
	if err := svc.EndSession(ctx, ann.Session.Token, list[1].ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("ending it again: %v", err)
	}
	evs, _ := svc.Activity(ctx, ann.Session.Token, 1)
	if evs[0].Type != account.EventSessionEnded || !strings.Contains(evs[0].Detail, "from 203.0.113.9") {
		t.Fatalf("event: %+v", evs[0])
	}
	// Its own: a sign-out.
	if err := svc.EndSession(ctx, third.Token, list[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Me(ctx, third.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("after ending itself: %v", err)
	}
	if got := sessionsOf(t, svc, ann.Session.Token); len(got) != 1 || !got[0].Current {
		t.Fatalf("left: %+v", got)
	}
}

func TestEndOtherSessions(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
	var others []string
	for range 3 {
		s, err := svc.SignIn(ctx, ann.Email, ann.Password, ann.Code(t))
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, s.Token)
	}
	if _, err := svc.EndOtherSessions(ctx, "made-up-token"); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("no session: %v", err)
	}
	n, err := svc.EndOtherSessions(ctx, ann.Session.Token)
	if err != nil || n != 3 {
		t.Fatalf("ended %d, %v", n, err)
	}
	for _, tok := range others {
		if _, err := svc.Me(ctx, tok); !errors.Is(err, account.ErrUnauthenticated) {
			t.Fatalf("another session after ending them all: %v", err)
		}
	}
	if _, err := svc.Me(ctx, ann.Session.Token); err != nil {
		t.Fatalf("the asking session: %v", err)
	}
	if _, err := svc.Me(ctx, bob.Session.Token); err != nil {
		t.Fatalf("another account's session: %v", err)
	}
	if _, err := svc.EndOtherSessions(ctx, others[0]); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("an ended session: %v", err)
	}
	if n, err := svc.EndOtherSessions(ctx, ann.Session.Token); err != nil || n != 0 {
		t.Fatalf("with none left: %d, %v", n, err)
	}
}

// A restricted session (its passkey may be a copy) may sign itself out,
// but not end the account's other sessions.
func TestRestrictedSessionEndsOnlyItself(t *testing.T) {
	fx := newApprovalFixture(t)
	restricted := cloneSignIn(t, fx)
	list := sessionsOf(t, fx.svc, restricted.Token)
	var own, other account.SessionInfo
	for _, s := range list {
		if s.Current {
			own = s
		} else {
			other = s
		}
	}
	if !own.Restricted || other.ID == "" {
		t.Fatalf("sessions: %+v", list)
	}
	if _, err := fx.svc.EndOtherSessions(ctx, restricted.Token); !errors.Is(err, account.ErrSessionRestricted) {
		t.Fatalf("ending the others from a restricted session: %v", err)
	}
	if err := fx.svc.EndSession(ctx, restricted.Token, other.ID); !errors.Is(err, account.ErrSessionRestricted) {
		t.Fatalf("ending another from a restricted session: %v", err)
	}
	if _, err := fx.svc.Me(ctx, fx.u.Session.Token); err != nil {
		t.Fatalf("the other session after the refusals: %v", err)
	}
	if err := fx.svc.EndSession(ctx, restricted.Token, own.ID); err != nil {
		t.Fatalf("a restricted session signing itself out: %v", err)
	}
	if _, err := fx.svc.Me(ctx, restricted.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("after signing itself out: %v", err)
	}
}

// A clone suspected at an approval ends the sessions the passkey signed
// in; the one signed in with password and code goes on.
func TestCloneAtApprovalEndsThePasskeysSessions(t *testing.T) {
	fx := newApprovalFixture(t)
	byPasskey := passkeySignIn(t, fx, fx.auth)
	fx.auth.Counter = 0
	if _, err := fx.approve(t, fx.request(t, withdrawal).ID); !errors.Is(err, account.ErrPasskeyCloned) {
		t.Fatalf("approving with the copy: %v", err)
	}
	if _, err := fx.svc.Me(ctx, byPasskey.Token); !errors.Is(err, account.ErrUnauthenticated) {
		t.Fatalf("the passkey's session after the suspicion: %v", err)
	}
	if _, err := fx.svc.Me(ctx, fx.u.Session.Token); err != nil {
		t.Fatalf("the password's session after the suspicion: %v", err)
	}
	evs, _ := fx.svc.Activity(ctx, fx.u.Session.Token, 10)
	found := false
	for _, e := range evs {
		found = found || (e.Type == account.EventSessionEnded && strings.Contains(e.Detail, "1 sessions signed in with Blue key"))
	}
	if !found {
		t.Fatalf("no session-ended event in %+v", evs)
	}
}

// Calls of one session arriving together at the minute write its
// last-seen time once.
func TestLastSeenWrittenOnceUnderConcurrency(t *testing.T) {
	cs := &countingStore{}
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store { cs.Store = s; return cs }})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	clock.Advance(time.Minute)
	start := cs.updates.Load()
	const n = 32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Me(ctx, u.Session.Token); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := cs.updates.Load() - start; got != 1 {
		t.Fatalf("%d calls at the minute wrote %d times, want 1", n, got)
	}
	if seen := sessionsOf(t, svc, u.Session.Token)[0].LastSeenAt; !seen.Equal(clock.Now()) {
		t.Fatalf("last seen %v, want %v", seen, clock.Now())
	}
}
