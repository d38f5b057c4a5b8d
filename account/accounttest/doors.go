package accounttest

import (
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// GrantDoor is one wrong way into a call that needs a session and a grant:
// the token and grant it is tried with (made when the case runs, since
// making one may age the clock) and the error it must meet.
type GrantDoor struct {
	Name  string
	Token func() string
	Grant func() string
	Want  error
}

// GrantDoors are the wrong ways into every call that needs u's session
// and a grant for purpose: no grant, a made-up one, u's grant for
// another purpose, other's grant, other's session with u's grant, an
// expired grant and no session. A call's own doors (a used grant, say)
// are appended by its test.
func GrantDoors(t testing.TB, u, other *User, purpose, another account.Purpose) []GrantDoor {
	tok := func() string { return u.Session.Token }
	grant := func() string { return u.Grant(t, purpose) }
	return []GrantDoor{
		{"no grant", tok, func() string { return "" }, account.ErrGrantRequired},
		{"made-up grant", tok, func() string { return "made-up" }, account.ErrGrantRequired},
		{"grant of another purpose", tok, func() string { return u.Grant(t, another) }, account.ErrGrantRequired},
		{"another account's grant", tok, func() string { return other.Grant(t, purpose) }, account.ErrGrantRequired},
		{"another account's session", func() string { return other.Session.Token }, grant, account.ErrGrantRequired},
		{"expired grant", tok, func() string {
			g := grant()
			u.clock.Advance(account.GrantLifetime)
			return g
		}, account.ErrGrantRequired},
		{"no session", func() string { return "made-up-token" }, grant, account.ErrUnauthenticated},
	}
}
