package remote_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestPhoneHandOverOverHTTP: a second device's try reaches the desktop
// through the server, and the handover route lets only the enrollment's
// own session hand the link over.
func TestPhoneHandOverOverHTTP(t *testing.T) {
	ctx := context.Background()
	c, clock := serve(t)
	u := signUp(t, c, clock, "ann@example.com")
	other := signUp(t, c, clock, "bob@example.com")
	enr, err := c.BeginPhoneEnrollment(ctx, u.token, u.grant(t, c, account.PurposeAddPasskey))
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ := strings.Cut(enr.URL, "#")
	if _, err := c.OpenPhoneEnrollment(ctx, link, "first-device-key-0001", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HandOverPhoneEnrollment(ctx, u.token, enr.ID); !errors.Is(err, account.ErrEnrollmentStep) {
		t.Fatalf("a handover with no other device: %v", err)
	}
	if _, err := c.OpenPhoneEnrollment(ctx, link, "second-device-key-0002", ""); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("the second device: %v", err)
	}
	st, err := c.PhoneEnrollmentStatus(ctx, u.token, enr.ID)
	if err != nil || st.Contender == "" || st.Tries != 1 {
		t.Fatalf("status after the second device: %+v, %v", st, err)
	}
	signedOut := u.token
	if err := c.SignOut(ctx, signedOut); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"another account's session", other.token, account.ErrNotFound},
		{"no session", "", account.ErrUnauthenticated},
		{"signed-out session", signedOut, account.ErrUnauthenticated},
	} {
		if _, err := c.HandOverPhoneEnrollment(ctx, tc.token, enr.ID); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The enrollment was bound to the signed-out session: it is over.
	var ended *account.EnrollmentEndedError
	if _, err := c.OpenPhoneEnrollment(ctx, link, "second-device-key-0002", ""); !errors.As(err, &ended) {
		t.Fatalf("after the sign-out: %v", err)
	}

	// A fresh enrollment, handed over by its own session.
	s, err := c.SignIn(ctx, u.email, u.password, u.code(t))
	if err != nil {
		t.Fatal(err)
	}
	u.token = s.Token
	enr, err = c.BeginPhoneEnrollment(ctx, u.token, u.grant(t, c, account.PurposeAddPasskey))
	if err != nil {
		t.Fatal(err)
	}
	_, link, _ = strings.Cut(enr.URL, "#")
	c.OpenPhoneEnrollment(ctx, link, "first-device-key-0001", "")
	c.OpenPhoneEnrollment(ctx, link, "second-device-key-0002", "")
	st, err = c.HandOverPhoneEnrollment(ctx, u.token, enr.ID)
	if err != nil || st.State != account.EnrollmentOpened || st.Handovers != 1 || st.Contender != "" {
		t.Fatalf("the handover: %+v, %v", st, err)
	}
	if page, err := c.OpenPhoneEnrollment(ctx, link, "second-device-key-0002", ""); err != nil || len(page.MatchCode) != 6 {
		t.Fatalf("the second device after the handover: %+v, %v", page, err)
	}
	if _, err := c.WaitPhoneEnrollmentPage(ctx, link, "first-device-key-0001", account.EnrollmentOpened); !errors.Is(err, account.ErrEnrollmentInUse) {
		t.Fatalf("the first device after the handover: %v", err)
	}
}
