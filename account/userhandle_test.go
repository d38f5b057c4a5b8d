package account_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// TestMeGivesTheUserHandle: Me returns the WebAuthn user.id that the
// account's registrations carry, and each account has its own.
func TestMeGivesTheUserHandle(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	ann := accounttest.SignUp(t, svc, clock, "ann@example.com")
	bob := accounttest.SignUp(t, svc, clock, "bob@example.com")

	me, err := svc.Me(ctx, ann.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := svc.BeginRegistration(ctx, ann.Session.Token, ann.Grant(t, account.PurposeAddPasskey), account.KindSecurityKey)
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		PublicKey struct {
			User struct{ ID string }
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &opts); err != nil {
		t.Fatal(err)
	}
	want, err := base64.RawURLEncoding.DecodeString(opts.PublicKey.User.ID)
	if err != nil || len(want) == 0 {
		t.Fatalf("registration options carry no user.id: %s", raw)
	}
	if !bytes.Equal(me.UserHandle, want) {
		t.Fatalf("Me().UserHandle = %x, want the registrations' user.id %x", me.UserHandle, want)
	}
	if !bytes.Equal(ann.Session.Account.UserHandle, want) {
		t.Fatalf("the session's account has user handle %x, want %x", ann.Session.Account.UserHandle, want)
	}
	other, err := svc.Me(ctx, bob.Session.Token)
	if err != nil {
		t.Fatal(err)
	}
	if len(other.UserHandle) == 0 || bytes.Equal(other.UserHandle, me.UserHandle) {
		t.Fatalf("two accounts' user handles: %x and %x, want two different ones", me.UserHandle, other.UserHandle)
	}
}
