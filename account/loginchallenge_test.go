package account_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// updateCounter is a store that counts its write transactions.
type updateCounter struct {
	account.Store
	updates *int
}

func (s updateCounter) Update(ctx context.Context, fn func(account.Tx) error) error {
	*s.updates++
	return s.Store.Update(ctx, fn)
}

// TestBeginLoginWritesNothing: the ceremony travels sealed in the
// challenge, so beginning a login, for a known email or not, opens no
// write transaction.
func TestBeginLoginWritesNothing(t *testing.T) {
	updates := 0
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{Store: func(s account.Store) account.Store { return updateCounter{s, &updates} }})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{}, account.KindSecurityKey, "Key")
	before := updates
	for _, email := range []string{"ann@example.com", "nobody@example.com", ""} {
		if _, err := svc.BeginLogin(ctx, email); err != nil {
			t.Fatal(err)
		}
	}
	if updates != before {
		t.Fatalf("BeginLogin opened %d write transactions", updates-before)
	}
}

// withChallenge returns login options with the challenge replaced.
func withChallenge(t *testing.T, opts []byte, challenge string) []byte {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(opts, &m); err != nil {
		t.Fatal(err)
	}
	m["publicKey"]["challenge"] = challenge
	out, _ := json.Marshal(m)
	return out
}

// TestALoginChallengeIsTheServicesOwn: an assertion over a challenge the
// service did not make for a login (altered, made by a service with
// another key, or made for another ceremony) is refused as an expired
// request, whatever its signature, and writes nothing.
func TestALoginChallengeIsTheServicesOwn(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	updates := 0
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{SecretKey: key,
		Store: func(s account.Store) account.Store { return updateCounter{s, &updates} }})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindSecurityKey, "Key")
	other, _, _ := accounttest.NewService(t, accounttest.Options{}) // another key

	opts, err := svc.BeginLogin(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	chal := []byte(optionsChallenge(t, opts))
	altered := bytes.Clone(chal)
	if altered[20] == 'A' {
		altered[20] = 'B'
	} else {
		altered[20] = 'A'
	}
	foreign, err := other.BeginLogin(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	// A passkey verification's challenge is a stored ceremony's.
	verification, err := svc.BeginPasskeyVerification(ctx, u.Session.Token, account.PurposeAddPasskey)
	if err != nil {
		t.Fatal(err)
	}
	for name, challenge := range map[string]string{
		"altered":           string(altered),
		"another service's": optionsChallenge(t, foreign),
		"a verification's":  optionsChallenge(t, verification),
		"empty":             "",
		"not base64url":     "not a challenge!",
		"padded base64":     string(chal) + "==",
		"truncated":         string(chal[:40]),
		"32 zero bytes":     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := auth.Assert(withChallenge(t, opts, challenge))
			if err != nil {
				t.Fatal(err)
			}
			before := updates
			if _, err := svc.FinishLogin(ctx, resp); !errors.Is(err, account.ErrCeremonyExpired) {
				t.Fatalf("FinishLogin: %v, want ErrCeremonyExpired", err)
			}
			if updates != before {
				t.Fatal("a refused challenge opened a write transaction")
			}
		})
	}
	// The untouched challenge still signs in.
	resp, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FinishLogin(ctx, resp); err != nil {
		t.Fatal(err)
	}
}

// TestAWrongAnswerUsesTheLoginChallengeUp: the first answer to a login
// challenge uses it up even when it is refused, so the right answer after
// it is refused too.
func TestAWrongAnswerUsesTheLoginChallengeUp(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindSecurityKey, "Key")
	for _, email := range []string{u.Email, ""} {
		opts, err := svc.BeginLogin(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		wrong := *auth
		wrong.NoUV = true
		resp, err := wrong.Assert(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FinishLogin(ctx, resp); !errors.Is(err, account.ErrCredentialRejected) {
			t.Fatalf("without user verification: %v", err)
		}
		if resp, err = auth.Assert(opts); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FinishLogin(ctx, resp); !errors.Is(err, account.ErrCeremonyExpired) {
			t.Fatalf("the right answer after a wrong one (email %q): %v, want ErrCeremonyExpired", email, err)
		}
	}
}

// TestAUsedLoginChallengeOutlivesASlowClock: two instances share one
// database; the one whose clock runs behind still refuses a replay after
// the other, past the challenge's expiry, swept expired rows.
func TestAUsedLoginChallengeOutlivesASlowClock(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	var store account.Store
	fast, clock, _ := accounttest.NewService(t, accounttest.Options{SecretKey: key,
		Store: func(s account.Store) account.Store { store = s; return s }})
	slowClock := accounttest.NewClock(clock.Now().Add(-2 * time.Minute))
	slow, err := account.New(account.Config{RPID: accounttest.RPID, Origins: []string{accounttest.Origin}, SecretKey: key,
		Now: slowClock.Now, PasswordParams: accounttest.CheapPasswords}, store)
	if err != nil {
		t.Fatal(err)
	}
	u := accounttest.SignUp(t, fast, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	u.AddPasskey(t, auth, account.KindSecurityKey, "Key")
	opts, err := fast.BeginLogin(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fast.FinishLogin(ctx, resp); err != nil {
		t.Fatal(err)
	}
	// The fast clock is past the challenge's life; the slow one is not.
	clock.Advance(account.CeremonyLifetime + time.Minute)
	slowClock.Advance(account.CeremonyLifetime - time.Minute)
	if err := store.Update(ctx, func(tx account.Tx) error { return tx.DeleteExpired(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	if _, err := slow.FinishLogin(ctx, resp); !errors.Is(err, account.ErrCeremonyExpired) {
		t.Fatalf("replayed on the slow instance after a sweep: %v, want ErrCeremonyExpired", err)
	}
}
