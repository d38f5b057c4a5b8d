package account_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// phoneSignIn is one sign-in as a test drives it: the desktop's begin and
// watch, and the link the phone opens.
type phoneSignIn struct {
	*account.PhoneSignIn
	link  string
	watch <-chan account.PhoneSignInStatus
}

func beginPhoneSignIn(t *testing.T, svc *account.Service) *phoneSignIn {
	t.Helper()
	ps, err := svc.BeginPhoneSignIn(account.WithClientAddress(ctx, "203.0.113.7"), "  ann-laptop ")
	if err != nil {
		t.Fatal(err)
	}
	_, link, ok := strings.Cut(ps.URL, "/signin#")
	if !ok || len(ps.Code) != 6 || ps.Secret == "" {
		t.Fatalf("begun: %+v", ps)
	}
	watch, err := svc.WatchPhoneSignIn(ctx, ps.ID, ps.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return &phoneSignIn{PhoneSignIn: ps, link: link, watch: watch}
}

// next is the watch's next status.
func (p *phoneSignIn) next(t *testing.T) account.PhoneSignInStatus {
	t.Helper()
	select {
	case st, ok := <-p.watch:
		if !ok {
			t.Fatal("the watch closed")
		}
		return st
	case <-time.After(5 * time.Second):
		t.Fatal("no status within 5 s")
	}
	return account.PhoneSignInStatus{}
}

// phoneAsserts is the phone's part after the code: the options, the
// passkey's assertion, the finish.
func phoneAsserts(t *testing.T, svc *account.Service, p *phoneSignIn, auth *accounttest.Authenticator) (*account.PhoneSignInPage, error) {
	t.Helper()
	opts, err := svc.PhoneSignInOptions(ctx, p.link, p.Code)
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	resp, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	return svc.FinishPhoneSignIn(ctx, p.link, resp)
}

// signedInByPhone runs the whole sign-in with auth and returns the
// session the desktop's watch got.
func signedInByPhone(t *testing.T, svc *account.Service, auth *accounttest.Authenticator) *account.Session {
	t.Helper()
	p := beginPhoneSignIn(t, svc)
	if _, err := svc.OpenPhoneSignIn(ctx, p.link); err != nil {
		t.Fatal(err)
	}
	if _, err := phoneAsserts(t, svc, p, auth); err != nil {
		t.Fatalf("finish: %v", err)
	}
	for {
		st := p.next(t)
		if st.State == account.PhoneSignInDone {
			if st.Session == nil {
				t.Fatal("done without a session")
			}
			return st.Session
		}
		if st.State.Ended() {
			t.Fatalf("ended %+v", st)
		}
	}
}

func TestPhoneSignIn(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	pk := u.AddPasskey(t, auth, account.KindPhone, "Ann's phone")

	p := beginPhoneSignIn(t, svc)
	if p.ExpiresAt.Sub(clock.Now()) != account.PhoneSignInLifetime || account.PhoneSignInLifetime < 2*time.Minute || account.PhoneSignInLifetime > 5*time.Minute {
		t.Fatalf("expires at %v (now %v)", p.ExpiresAt, clock.Now())
	}
	if st := p.next(t); st.State != account.PhoneSignInWaiting || st.Session != nil {
		t.Fatalf("first status %+v", st)
	}
	page, err := svc.OpenPhoneSignIn(ctx, p.link)
	if err != nil {
		t.Fatal(err)
	}
	if page.Computer != "ann-laptop" || page.Address != "203.0.113.7" || !page.BegunAt.Equal(clock.Now()) || page.Email != "" {
		t.Fatalf("the page shows %+v", page)
	}
	if st := p.next(t); st.State != account.PhoneSignInOpened {
		t.Fatalf("after open %+v", st)
	}
	// The code as a person types it, with a dash.
	opts, err := svc.PhoneSignInOptions(ctx, p.link, p.Code[:3]+"-"+p.Code[3:])
	if err != nil {
		t.Fatal(err)
	}
	if st := p.next(t); st.State != account.PhoneSignInConfirmed {
		t.Fatalf("after the code %+v", st)
	}
	resp, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	done, err := svc.FinishPhoneSignIn(ctx, p.link, resp)
	if err != nil {
		t.Fatal(err)
	}
	if done.Email != "a•••@example.com" || done.State != account.PhoneSignInApproved {
		t.Fatalf("the page after the passkey: %+v", done)
	}
	st := p.next(t)
	if st.State != account.PhoneSignInDone || st.Session == nil || st.Session.Account.Email != u.Email || st.Session.Account.Restricted {
		t.Fatalf("the desktop got %+v", st)
	}
	if _, ok := <-p.watch; ok {
		t.Fatal("the watch goes on after done")
	}
	me, err := svc.Me(ctx, st.Session.Token)
	if err != nil || me.Email != u.Email || pk.Kind != account.KindPhone {
		t.Fatalf("the session: %+v, %v", me, err)
	}
	events, _ := svc.Activity(ctx, st.Session.Token, 1)
	if events[0].Type != account.EventSignedIn || !strings.Contains(events[0].Detail, "Ann's phone") ||
		!strings.Contains(events[0].Detail, "ann-laptop (203.0.113.7)") || events[0].Source != account.SourcePhonePage {
		t.Fatalf("event %+v", events[0])
	}
	list, _ := svc.Passkeys(ctx, st.Session.Token)
	if list[0].LastUsedFor != "sign-in" || list[0].SignCount != auth.Counter {
		t.Fatalf("passkey after the sign-in %+v", list[0])
	}

	// Single use: the link, the code and the assertion are spent; the
	// secret gives no second session.
	if _, err := svc.OpenPhoneSignIn(ctx, p.link); !errors.Is(err, account.ErrPhoneSignInEnded) {
		t.Fatalf("opening a used link: %v", err)
	}
	if _, err := svc.PhoneSignInOptions(ctx, p.link, p.Code); !errors.Is(err, account.ErrPhoneSignInEnded) {
		t.Fatalf("the code again: %v", err)
	}
	if _, err := svc.FinishPhoneSignIn(ctx, p.link, resp); !errors.Is(err, account.ErrPhoneSignInEnded) {
		t.Fatalf("the assertion again: %v", err)
	}
	again, err := svc.WatchPhoneSignIn(ctx, p.ID, p.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-again; st.State != account.PhoneSignInDone || st.Session != nil {
		t.Fatalf("a second watch got %+v", st)
	}
}

// TestPhoneSignInDoors: what must not sign anyone in.
func TestPhoneSignInDoors(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	ann.AddPasskey(t, auth, account.KindPhone, "")

	t.Run("a computer name that is no name", func(t *testing.T) {
		for _, name := range []string{"", "   ", strings.Repeat("x", 65), "pc\x00"} {
			var in *account.InputError
			if _, err := svc.BeginPhoneSignIn(ctx, name); !errors.As(err, &in) {
				t.Errorf("%q: %v", name, err)
			}
		}
	})
	t.Run("missing link", func(t *testing.T) {
		for _, link := range []string{"", "short", strings.Repeat("A", 22)} {
			if _, err := svc.OpenPhoneSignIn(ctx, link); !errors.Is(err, account.ErrPhoneSignInEnded) {
				t.Errorf("%q: %v", link, err)
			}
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		other := beginPhoneSignIn(t, svc)
		for _, secret := range []string{"", "wrong", other.Secret, p.Secret + "x"} {
			if _, err := svc.WatchPhoneSignIn(ctx, p.ID, secret); !errors.Is(err, account.ErrNotFound) {
				t.Errorf("secret %q: %v", secret, err)
			}
		}
		if _, err := svc.WatchPhoneSignIn(ctx, "no-such-id", p.Secret); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("unknown ID: %v", err)
		}
		// The real secret still watches, and gets the session.
		if _, err := phoneAsserts(t, svc, p, auth); err != nil {
			t.Fatal(err)
		}
		for st := range p.watch {
			if st.State == account.PhoneSignInDone && st.Session != nil {
				return
			}
		}
		t.Fatal("the secret's holder got no session")
	})
	t.Run("no code: a relayed link cannot finish", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		opts, err := svc.BeginLogin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := auth.Assert(opts)
		if _, err := svc.FinishPhoneSignIn(ctx, p.link, resp); !errors.Is(err, account.ErrPhoneSignInStep) {
			t.Fatalf("an assertion before the code: %v", err)
		}
		// The phone sign-in's challenge signs nothing in on its own.
		popts, err := svc.PhoneSignInOptions(ctx, p.link, p.Code)
		if err != nil {
			t.Fatal(err)
		}
		presp, _ := auth.Assert(popts)
		if _, err := svc.FinishLogin(ctx, presp); !errors.Is(err, account.ErrCeremonyExpired) {
			t.Fatalf("the sign-in's challenge at FinishLogin: %v", err)
		}
	})
	t.Run("another login's challenge", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		if _, err := svc.PhoneSignInOptions(ctx, p.link, p.Code); err != nil {
			t.Fatal(err)
		}
		opts, _ := svc.BeginLogin(ctx, "")
		resp, _ := auth.Assert(opts)
		if _, err := svc.FinishPhoneSignIn(ctx, p.link, resp); !errors.Is(err, account.ErrCredentialRejected) {
			t.Fatalf("another challenge: %v", err)
		}
		if st := lastStatus(t, p); st.State != account.PhoneSignInCanceled || st.Session != nil {
			t.Fatalf("after a rejected assertion: %+v", st)
		}
	})
	t.Run("another account's passkey under this account's handle", func(t *testing.T) {
		bob := accounttest.SignUp(t, svc, clock, "bob@example.com")
		bobs := &accounttest.Authenticator{}
		bob.AddPasskey(t, bobs, account.KindPhone, "")
		me, _ := svc.Me(ctx, ann.Session.Token)
		p := beginPhoneSignIn(t, svc)
		opts, err := svc.PhoneSignInOptions(ctx, p.link, p.Code)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := bobs.Assert(opts)
		var m map[string]any
		json.Unmarshal(resp, &m)
		m["response"].(map[string]any)["userHandle"] = base64.RawURLEncoding.EncodeToString(me.UserHandle)
		forged, _ := json.Marshal(m)
		if _, err := svc.FinishPhoneSignIn(ctx, p.link, forged); !errors.Is(err, account.ErrCredentialRejected) {
			t.Fatalf("Bob's passkey as Ann's: %v", err)
		}
		if st := lastStatus(t, p); st.Session != nil {
			t.Fatalf("a session went out: %+v", st)
		}
	})
	t.Run("expired link", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		if _, err := svc.OpenPhoneSignIn(ctx, p.link); err != nil {
			t.Fatal(err)
		}
		clock.Advance(account.PhoneSignInLifetime)
		if _, err := svc.PhoneSignInOptions(ctx, p.link, p.Code); !errors.Is(err, account.ErrPhoneSignInEnded) {
			t.Fatalf("the code after expiry: %v", err)
		}
		if st := lastStatus(t, p); st.State != account.PhoneSignInExpired {
			t.Fatalf("the watch ends with %+v", st)
		}
	})
	t.Run("expired after the code", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		opts, err := svc.PhoneSignInOptions(ctx, p.link, p.Code)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := auth.Assert(opts)
		clock.Advance(account.PhoneSignInLifetime)
		if _, err := svc.FinishPhoneSignIn(ctx, p.link, resp); !errors.Is(err, account.ErrPhoneSignInEnded) {
			t.Fatalf("the assertion after expiry: %v", err)
		}
	})
	t.Run("approved but not taken in time", func(t *testing.T) {
		ps, err := svc.BeginPhoneSignIn(ctx, "pc")
		if err != nil {
			t.Fatal(err)
		}
		_, link, _ := strings.Cut(ps.URL, "#")
		p := &phoneSignIn{PhoneSignIn: ps, link: link}
		if _, err := phoneAsserts(t, svc, p, auth); err != nil {
			t.Fatal(err)
		}
		clock.Advance(account.PhoneSignInLifetime + account.PhoneSignInClaimWindow)
		w, err := svc.WatchPhoneSignIn(ctx, ps.ID, ps.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if st := <-w; st.State != account.PhoneSignInExpired || st.Session != nil {
			t.Fatalf("a late watch got %+v", st)
		}
	})
}

// lastStatus drains p's watch and returns its final status.
func lastStatus(t *testing.T, p *phoneSignIn) account.PhoneSignInStatus {
	t.Helper()
	var last account.PhoneSignInStatus
	timeout := time.After(5 * time.Second)
	for {
		select {
		case st, ok := <-p.watch:
			if !ok {
				return last
			}
			last = st
		case <-timeout:
			t.Fatalf("the watch did not end; last %+v", last)
		}
	}
}

// TestPhoneSignInWrongCodes: what is not a code costs no try; the
// MaxFailures-th wrong code ends the sign-in, also when they come at once.
func TestPhoneSignInWrongCodes(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindPhone, "")
	wrong := func(code string) string {
		if code == "000000" {
			return "111111"
		}
		return "000000"
	}

	t.Run("one short of the limit, then right", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		for range 10 {
			var in *account.InputError
			if _, err := svc.PhoneSignInOptions(ctx, p.link, "12345"); !errors.As(err, &in) {
				t.Fatalf("not a code: %v", err)
			}
		}
		for range account.MaxFailures - 1 {
			if _, err := svc.PhoneSignInOptions(ctx, p.link, wrong(p.Code)); !errors.Is(err, account.ErrInvalidCode) {
				t.Fatalf("a wrong code: %v", err)
			}
		}
		if _, err := phoneAsserts(t, svc, p, auth); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the limit", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		for i := range account.MaxFailures {
			_, err := svc.PhoneSignInOptions(ctx, p.link, wrong(p.Code))
			want := account.ErrInvalidCode
			if i == account.MaxFailures-1 {
				want = account.ErrPhoneSignInEnded
			}
			if !errors.Is(err, want) {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		if _, err := svc.PhoneSignInOptions(ctx, p.link, p.Code); !errors.Is(err, account.ErrPhoneSignInEnded) {
			t.Fatalf("the right code after the limit: %v", err)
		}
		if st := lastStatus(t, p); st.State != account.PhoneSignInCanceled || st.Reason != "too many wrong codes" {
			t.Fatalf("the watch ends with %+v", st)
		}
	})
	t.Run("at once", func(t *testing.T) {
		p := beginPhoneSignIn(t, svc)
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[string]int{}
		for range 3 * account.MaxFailures {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.PhoneSignInOptions(ctx, p.link, wrong(p.Code))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, account.ErrInvalidCode):
					counts["wrong"]++
				case errors.Is(err, account.ErrPhoneSignInEnded):
					counts["ended"]++
				default:
					t.Errorf("a wrong code: %v", err)
				}
			}()
		}
		wg.Wait()
		if counts["wrong"] != account.MaxFailures-1 {
			t.Fatalf("%d wrong codes checked before the end; want %d (%v)", counts["wrong"], account.MaxFailures-1, counts)
		}
		if _, err := svc.PhoneSignInOptions(ctx, p.link, p.Code); !errors.Is(err, account.ErrPhoneSignInEnded) {
			t.Fatalf("the right code after the limit: %v", err)
		}
	})
}

// TestPhoneSignInFollowsPasskeyRules: a phone sign-in is a passkey
// sign-in: what FinishLogin allows it allows, and a passkey that may be a
// clone gives a restricted session.
func TestPhoneSignInFollowsPasskeyRules(t *testing.T) {
	t.Run("passkey required", func(t *testing.T) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		auth := &accounttest.Authenticator{}
		u.AddPasskey(t, auth, account.KindPhone, "")
		if err := svc.SetPasskeyRequired(ctx, u.Session.Token, "", true); err != nil {
			t.Fatal(err)
		}
		if sess := signedInByPhone(t, svc, auth); sess.Account.Email != u.Email {
			t.Fatalf("signed in as %+v", sess.Account)
		}
	})
	t.Run("password and code locked", func(t *testing.T) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		auth := &accounttest.Authenticator{}
		u.AddPasskey(t, auth, account.KindPhone, "")
		for range account.MaxFailures {
			svc.SignIn(ctx, u.Email, "wrong password!", u.Code(t))
		}
		events, _ := svc.Activity(ctx, u.Session.Token, 20)
		locked := false
		for _, e := range events {
			locked = locked || e.Type == account.EventFactorLocked
		}
		if !locked {
			t.Fatalf("the password is not locked: %+v", events)
		}
		// As FinishLogin does, a passkey still signs in.
		opts, _ := svc.BeginLogin(ctx, "")
		resp, _ := auth.Assert(opts)
		if _, err := svc.FinishLogin(ctx, resp); err != nil {
			t.Fatalf("FinishLogin: %v", err)
		}
		signedInByPhone(t, svc, auth)
	})
	t.Run("held account and passkey", func(t *testing.T) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		auth := &accounttest.Authenticator{}
		pk := u.AddPasskey(t, auth, account.KindPhone, "")
		if !pk.Held(clock.Now()) {
			t.Fatal("a passkey added with password and code is not held")
		}
		sess := signedInByPhone(t, svc, auth)
		if sess.Account.Restricted {
			t.Fatal("a held passkey's sign-in is restricted")
		}
		// The hold stays: signing in does not lift it.
		p, err := svc.Policy(ctx, sess.Token)
		if err != nil || !clock.Now().Before(p.HoldUntil) {
			t.Fatalf("policy after the sign-in: %+v, %v", p, err)
		}
	})
	t.Run("a passkey that may be a clone", func(t *testing.T) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		auth := &accounttest.Authenticator{}
		u.AddPasskey(t, auth, account.KindPhone, "")
		signedInByPhone(t, svc, auth)
		clone := *auth
		clone.Counter = 0
		sess := signedInByPhone(t, svc, &clone)
		if !sess.Account.Restricted {
			t.Fatal("the clone's session is not restricted")
		}
		if me, err := svc.Me(ctx, sess.Token); err != nil || !me.Restricted {
			t.Fatalf("Me: %+v, %v", me, err)
		}
		if _, err := svc.CreateAPIKey(ctx, sess.Token, "", "k"); !errors.Is(err, account.ErrSessionRestricted) {
			t.Fatalf("a security change in the restricted session: %v", err)
		}
	})
	t.Run("a removed passkey", func(t *testing.T) {
		svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
		u := accounttest.SignUp(t, svc, clock, "ann@example.com")
		auth, other := &accounttest.Authenticator{}, &accounttest.Authenticator{}
		pk := u.AddPasskey(t, auth, account.KindPhone, "")
		u.AddPasskey(t, other, account.KindSecurityKey, "")
		if err := svc.RemovePasskey(ctx, u.Session.Token, u.Grant(t, account.PurposeRemovePasskey), pk.ID); err != nil {
			t.Fatal(err)
		}
		p := beginPhoneSignIn(t, svc)
		if _, err := phoneAsserts(t, svc, p, auth); !errors.Is(err, account.ErrCredentialRejected) {
			t.Fatalf("a removed passkey: %v", err)
		}
	})
}

// TestPhoneSignInDecidesOnce: answers raced to one sign-in approve it
// once, and watches raced to take its session get it once.
func TestPhoneSignInDecidesOnce(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindPhone, "")

	p := beginPhoneSignIn(t, svc)
	opts, err := svc.PhoneSignInOptions(ctx, p.link, p.Code)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	answers := make([][]byte, n)
	for i := range answers {
		if answers[i], err = auth.Assert(opts); err != nil {
			t.Fatal(err)
		}
	}
	watches := []<-chan account.PhoneSignInStatus{p.watch}
	for range 2 {
		w, err := svc.WatchPhoneSignIn(ctx, p.ID, p.Secret)
		if err != nil {
			t.Fatal(err)
		}
		watches = append(watches, w)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for _, a := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.FinishPhoneSignIn(ctx, p.link, a)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, account.ErrPhoneSignInEnded):
			default:
				t.Errorf("a losing answer: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d answers approved the sign-in; want 1", ok)
	}
	sessions := 0
	for _, w := range watches {
		for st := range w {
			if st.Session != nil {
				sessions++
			}
		}
	}
	if sessions != 1 {
		t.Fatalf("%d watches got a session; want 1", sessions)
	}
}
