package account_test

import (
	"errors"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestAPIKeyNeedsAnIdentityCheck: a key is made only with a create-api-key
// grant of the account's own, still valid; the grant makes more than one.
func TestAPIKeyNeedsAnIdentityCheck(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	other := accounttest.SignUp(t, svc, clock, "bob@example.com")
	expired := u.Grant(t, account.PurposeCreateAPIKey)
	clock.Advance(account.GrantLifetime)
	for name, grant := range map[string]string{
		"no grant":                "",
		"an unknown grant":        "not-a-grant",
		"an add-passkey grant":    u.Grant(t, account.PurposeAddPasskey),
		"another account's grant": other.Grant(t, account.PurposeCreateAPIKey),
		"an expired grant":        expired,
	} {
		if _, err := svc.CreateAPIKey(ctx, u.Session.Token, grant, "backend"); !errors.Is(err, account.ErrGrantRequired) {
			t.Errorf("%s: %v, want ErrGrantRequired", name, err)
		}
	}
	if keys, _ := svc.ListAPIKeys(ctx, u.Session.Token); len(keys) != 0 {
		t.Fatalf("keys made without a check: %+v", keys)
	}
	grant := u.Grant(t, account.PurposeCreateAPIKey)
	if _, err := svc.CreateAPIKey(ctx, other.Session.Token, grant, "backend"); !errors.Is(err, account.ErrGrantRequired) {
		t.Fatalf("another account's session with this grant: %v", err)
	}
	var input *account.InputError
	if _, err := svc.CreateAPIKey(ctx, u.Session.Token, grant, "  "); !errors.As(err, &input) {
		t.Fatalf("an empty name: %v", err)
	}
	for _, name := range []string{"backend", "second backend"} {
		if _, err := svc.CreateAPIKey(ctx, u.Session.Token, grant, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if keys, _ := svc.ListAPIKeys(ctx, u.Session.Token); len(keys) != 2 {
		t.Fatalf("keys %+v", keys)
	}
}
