package account_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// The finish steps parse JSON from outside (a browser, the phone page, an
// HTTP client). Whatever the bytes, they must answer with an error the
// caller can act on and change nothing; they must never panic.

func FuzzFinishLogin(f *testing.F) {
	svc, clock, _ := accounttest.NewService(f, accounttest.Options{})
	u := accounttest.SignUp(f, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(f, auth, account.KindSecurityKey, "")
	opts, err := svc.BeginLogin(ctx, "")
	if err != nil {
		f.Fatal(err)
	}
	valid, err := auth.Assert(opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sess, err := svc.FinishLogin(ctx, body)
		if err == nil {
			if sess == nil || sess.Account.Email != u.Email {
				t.Fatalf("accepted %q as %+v", body, sess)
			}
			return
		}
		if !errors.Is(err, account.ErrCredentialRejected) && !errors.Is(err, account.ErrCeremonyExpired) {
			t.Fatalf("unexpected error kind for %q: %v", body, err)
		}
	})
}

func FuzzFinishRegistration(f *testing.F) {
	svc, clock, _ := accounttest.NewService(f, accounttest.Options{})
	u := accounttest.SignUp(f, svc, clock, "ann@example.com")
	grant := u.Grant(f, account.PurposeAddPasskey)
	opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindSecurityKey)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := (&accounttest.Authenticator{}).Register(opts)
	if err != nil {
		f.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(valid, &m)
	m["response"].(map[string]any)["attestationObject"] = "oA"
	broken, _ := json.Marshal(m)
	f.Add(valid)
	f.Add(broken)
	f.Add([]byte(`{"type":"public-key"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := svc.FinishRegistration(ctx, u.Session.Token, grant, body, "")
		if err == nil {
			return // the valid seed, once
		}
		if !errors.Is(err, account.ErrCredentialRejected) && !errors.Is(err, account.ErrCeremonyExpired) && !errors.Is(err, account.ErrGrantRequired) {
			t.Fatalf("unexpected error kind for %q: %v", body, err)
		}
	})
}
