package account_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// The benchmarks below time the service's finish steps (parse, verify
// through go-webauthn, and every database write, on a SQLite file) against
// go-webauthn's own verification of the very same response bytes, in the
// same iteration, and report the ratio. Budget: ratio ≤ 2.

// baselineUser is a go-webauthn User holding one credential.
type baselineUser struct {
	handle []byte
	creds  []webauthn.Credential
}

func (u *baselineUser) WebAuthnID() []byte                         { return u.handle }
func (u *baselineUser) WebAuthnName() string                       { return "ann@example.com" }
func (u *baselineUser) WebAuthnDisplayName() string                { return "Test User" }
func (u *baselineUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newBaselineRP(b *testing.B) *webauthn.WebAuthn {
	rp, err := webauthn.New(&webauthn.Config{RPID: accounttest.RPID, RPDisplayName: "Passkey Desk", RPOrigins: []string{accounttest.Origin}})
	if err != nil {
		b.Fatal(err)
	}
	return rp
}

func challengeOf(b *testing.B, options []byte) (challenge, userID string) {
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		b.Fatal(err)
	}
	return o.PublicKey.Challenge, o.PublicKey.User.ID
}

func report(b *testing.B, service, baseline time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(service.Nanoseconds())/n, "service-ns/op")
	b.ReportMetric(float64(baseline.Nanoseconds())/n, "webauthn-ns/op")
	b.ReportMetric(float64(service)/float64(baseline), "ratio")
}

// BenchmarkFinishRegistration runs with the two attestations the service
// sees: "none" (phones, this computer), where go-webauthn only parses, and
// packed self attestation (security keys), where it also checks a
// signature.
func BenchmarkFinishRegistration(b *testing.B) {
	for _, packed := range []bool{false, true} {
		name := "none"
		if packed {
			name = "packed"
		}
		b.Run(name, func(b *testing.B) { benchFinishRegistration(b, packed) })
	}
}

func benchFinishRegistration(b *testing.B, packed bool) {
	svc, clock, _ := accounttest.NewService(b, accounttest.Options{})
	rp := newBaselineRP(b)
	var service, baseline time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// A new account each time, so every registration is an account's
		// first and the account's passkey list does not grow with b.N.
		u := accounttest.SignUp(b, svc, clock, fmt.Sprintf("user%d@example.com", i))
		grant := u.Grant(b, account.PurposeAddPasskey)
		opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, account.KindSecurityKey)
		if err != nil {
			b.Fatal(err)
		}
		cred, err := (&accounttest.Authenticator{Packed: packed}).Register(opts)
		if err != nil {
			b.Fatal(err)
		}
		challenge, userID := challengeOf(b, opts)
		handle, _ := base64.RawURLEncoding.DecodeString(userID)
		session := webauthn.SessionData{
			Challenge: challenge, RelyingPartyID: accounttest.RPID, UserID: handle,
			UserVerification: protocol.VerificationRequired,
			CredParams:       []protocol.CredentialParameter{{Type: protocol.PublicKeyCredentialType, Algorithm: -7}},
			Extensions:       protocol.SessionExtensions{Requested: []string{"credProps"}},
		}
		b.StartTimer()

		t0 := time.Now()
		parsed, err := protocol.ParseCredentialCreationResponseBytes(cred)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.CreateCredential(&baselineUser{handle: handle}, session, parsed); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := svc.FinishRegistration(ctx, u.Session.Token, grant, cred, ""); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		baseline += t1.Sub(t0)
		service += t2.Sub(t1)
	}
	report(b, service, baseline)
}

func BenchmarkFinishLogin(b *testing.B) {
	svc, clock, _ := accounttest.NewService(b, accounttest.Options{})
	u := accounttest.SignUp(b, svc, clock, "ann@example.com")
	auth := &accounttest.Authenticator{}
	pk := u.AddPasskey(b, auth, account.KindSecurityKey, "")
	rp := newBaselineRP(b)
	var service, baseline time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		opts, err := svc.BeginLogin(ctx, u.Email)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := auth.Assert(opts)
		if err != nil {
			b.Fatal(err)
		}
		challenge, _ := challengeOf(b, opts)
		var r struct {
			Response struct {
				UserHandle string `json:"userHandle"`
			} `json:"response"`
		}
		json.Unmarshal(resp, &r)
		handle, _ := base64.RawURLEncoding.DecodeString(r.Response.UserHandle)
		user := &baselineUser{handle: handle, creds: []webauthn.Credential{{
			ID: pk.CredentialID, PublicKey: pk.PublicKey,
			Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true},
			Authenticator: webauthn.Authenticator{SignCount: auth.Counter - 1},
		}}}
		session := webauthn.SessionData{
			Challenge: challenge, RelyingPartyID: accounttest.RPID, UserID: handle,
			AllowedCredentialIDs: [][]byte{pk.CredentialID}, UserVerification: protocol.VerificationRequired,
		}
		b.StartTimer()

		t0 := time.Now()
		parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.ValidateLogin(user, session, parsed); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := svc.FinishLogin(ctx, resp); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		baseline += t1.Sub(t0)
		service += t2.Sub(t1)
	}
	report(b, service, baseline)
}

// BenchmarkPhoneEnrollment times the service's side of a whole phone
// enrollment (begin, open, the code confirmed on the desktop, options, finish with the software
// authenticator's "none" attestation, on a SQLite file): the share of the
// browser benchmark in account/httpapi that is spent in the service.
func BenchmarkPhoneEnrollment(b *testing.B) {
	svc, clock, _ := accounttest.NewService(b, accounttest.Options{})
	device := "device-key-of-the-phone"
	b.StopTimer()
	for i := range b.N {
		u := accounttest.SignUp(b, svc, clock, fmt.Sprintf("user%d@example.com", i))
		grant := u.Grant(b, account.PurposeAddPasskey)
		auth := &accounttest.Authenticator{BackupEligible: true, BackedUp: true}
		b.StartTimer()
		enr, err := svc.BeginPhoneEnrollment(ctx, u.Session.Token, grant)
		if err != nil {
			b.Fatal(err)
		}
		link := enr.URL[len(enr.URL)-22:]
		page, err := svc.OpenPhoneEnrollment(ctx, link, device, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.ConfirmPhoneEnrollmentCode(ctx, u.Session.Token, enr.ID, page.MatchCode); err != nil {
			b.Fatal(err)
		}
		opts, err := svc.PhoneEnrollmentOptions(ctx, link, device)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cred, err := auth.Register(opts) // the phone's part, not timed
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := svc.FinishPhoneEnrollment(ctx, link, device, cred); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
}

// BenchmarkFinishApproval times FinishApproval (parse, the challenge
// recomputed from the stored operation, verification through go-webauthn,
// the clone rule, and the writes of the decision, assertion, counter and
// event) against go-webauthn's ValidateLogin of the same assertion bytes.
func BenchmarkFinishApproval(b *testing.B) {
	fx := newApprovalFixture(b)
	rp := newBaselineRP(b)
	var service, baseline time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		req, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal})
		if err != nil {
			b.Fatal(err)
		}
		opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, req.ID)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := fx.auth.Assert(opts)
		if err != nil {
			b.Fatal(err)
		}
		var r struct {
			Response struct {
				UserHandle string `json:"userHandle"`
			} `json:"response"`
		}
		json.Unmarshal(resp, &r)
		uh, _ := base64.RawURLEncoding.DecodeString(r.Response.UserHandle)
		user := &baselineUser{handle: uh, creds: []webauthn.Credential{{
			ID: fx.pk.CredentialID, PublicKey: fx.pk.PublicKey,
			Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true},
			Authenticator: webauthn.Authenticator{SignCount: fx.auth.Counter - 1},
		}}}
		session := webauthn.SessionData{
			Challenge: base64.RawURLEncoding.EncodeToString(req.Challenge), RelyingPartyID: accounttest.RPID, UserID: uh,
			AllowedCredentialIDs: [][]byte{fx.pk.CredentialID}, UserVerification: protocol.VerificationRequired,
		}
		b.StartTimer()

		t0 := time.Now()
		parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.ValidateLogin(user, session, parsed); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, req.ID, resp); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		baseline += t1.Sub(t0)
		service += t2.Sub(t1)
	}
	report(b, service, baseline)
}
