package account_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

// approvalFixture is a signed-in account with one passkey and an API key.
type approvalFixture struct {
	svc   *account.Service
	clock *accounttest.Clock
	path  string
	u     *accounttest.User
	auth  *accounttest.Authenticator
	pk    *account.Passkey
	key   *account.NewAPIKey
}

func newApprovalFixture(t testing.TB) *approvalFixture {
	t.Helper()
	svc, clock, path := accounttest.NewService(t, accounttest.Options{})
	fx := &approvalFixture{svc: svc, clock: clock, path: path, auth: &accounttest.Authenticator{}}
	fx.u = accounttest.SignUp(t, svc, clock, "ann@example.com")
	fx.pk = fx.u.AddPasskey(t, fx.auth, account.KindSecurityKey, "Blue key")
	// The passkey was added a day ago: its hold, and the account's, are
	// over.
	clock.Advance(account.RemovalHold)
	var err error
	if fx.key, err = svc.CreateAPIKey(ctx, fx.u.Session.Token, fx.u.Grant(t, account.PurposeCreateAPIKey), "exchange backend"); err != nil {
		t.Fatal(err)
	}
	return fx
}

var withdrawal = account.Operation{
	Kind: account.OperationWithdrawal, Asset: "BTC", Amount: "0.015", Network: "Bitcoin",
	Destination: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", Fee: "0.0001", Reference: "W-1042",
}

func (fx *approvalFixture) request(t testing.TB, op account.Operation) *account.Approval {
	t.Helper()
	a, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: op})
	if err != nil {
		t.Fatalf("requesting approval: %v", err)
	}
	return a
}

// approve runs the desktop's side: options, the authenticator, finish.
func (fx *approvalFixture) approve(t testing.TB, id string) (*account.Approval, error) {
	t.Helper()
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
	if err != nil {
		return nil, err
	}
	assertion, err := fx.auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	return fx.svc.FinishApproval(ctx, fx.u.Session.Token, id, assertion)
}

// canonical is the doc's encoding, written out again here so the test
// checks the documented format, not the function that makes it.
func canonical(id string, op account.Operation) []byte {
	var b []byte
	for _, f := range []string{"passkeydesk approval v1", id, string(op.Kind), op.Asset, op.Amount, op.Network,
		op.Destination, op.Counterparty, op.Fee, op.Reference} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// verifyIndependently checks an approved assertion as a requester's
// backend would, with nothing but what GetApproval returned and the
// operation it asked for.
func verifyIndependently(t *testing.T, a *account.Approval, op account.Operation) {
	t.Helper()
	digest := sha256.Sum256(append(append([]byte{}, a.Nonce...), canonical(a.ID, op)...))
	if !bytes.Equal(digest[:], a.Challenge) {
		t.Fatal("the returned challenge is not SHA-256(nonce ‖ canonical details)")
	}
	as := a.Assertion
	var cd struct{ Type, Challenge, Origin string }
	if err := json.Unmarshal(as.ClientDataJSON, &cd); err != nil {
		t.Fatal(err)
	}
	if cd.Type != "webauthn.get" || cd.Origin != accounttest.Origin || cd.Challenge != base64.RawURLEncoding.EncodeToString(digest[:]) {
		t.Fatalf("clientDataJSON = %s", as.ClientDataJSON)
	}
	rpHash := sha256.Sum256([]byte(accounttest.RPID))
	if len(as.AuthenticatorData) < 37 || !bytes.Equal(as.AuthenticatorData[:32], rpHash[:]) || as.AuthenticatorData[32]&0x05 != 0x05 {
		t.Fatalf("authenticator data: wrong RP ID hash or no UP/UV: %x", as.AuthenticatorData)
	}
	var cose map[int]any
	if err := cbor.Unmarshal(as.PublicKey, &cose); err != nil {
		t.Fatal(err)
	}
	x, _ := cose[-2].([]byte)
	y, _ := cose[-3].([]byte)
	if len(x) != 32 || len(y) != 32 {
		t.Fatalf("COSE key %v is not P-256", cose)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	cdh := sha256.Sum256(as.ClientDataJSON)
	signed := sha256.Sum256(append(append([]byte{}, as.AuthenticatorData...), cdh[:]...))
	if !ecdsa.VerifyASN1(pub, signed[:], as.Signature) {
		t.Fatal("the ES256 signature does not verify with the stored public key")
	}
}

func TestApproveWithdrawalEndToEnd(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, withdrawal)
	if req.State != account.ApprovalPending || !req.ExpiresAt.Equal(fx.clock.Now().Add(account.ApprovalLifetime)) {
		t.Fatalf("request = %+v", req)
	}
	pending, err := fx.svc.PendingApprovals(ctx, fx.u.Session.Token)
	if err != nil || len(pending) != 1 || pending[0].ID != req.ID || pending[0].Operation != withdrawal {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(opts), base64.RawURLEncoding.EncodeToString(req.Challenge)) {
		t.Fatalf("options do not carry the operation's challenge: %s", opts)
	}
	fx.clock.Advance(time.Minute)
	approved, err := fx.approve(t, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if approved.State != account.ApprovalApproved || approved.PasskeyID != fx.pk.ID {
		t.Fatalf("approved = %+v", approved)
	}
	got, err := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != account.ApprovalApproved || !got.DecidedAt.Equal(fx.clock.Now()) || got.PasskeyID != fx.pk.ID || got.PasskeyName != "Blue key" {
		t.Fatalf("requester sees %+v", got)
	}
	if !bytes.Equal(got.Assertion.PublicKey, fx.pk.PublicKey) || !bytes.Equal(got.Assertion.CredentialID, fx.pk.CredentialID) {
		t.Fatal("the assertion does not name the approving passkey's key")
	}
	verifyIndependently(t, got, withdrawal)

	// Decided once: a second answer, or a denial, is refused.
	if _, err := fx.approve(t, req.ID); !errors.Is(err, account.ErrApprovalDecided) {
		t.Fatalf("second approval: %v", err)
	}
	if _, err := fx.svc.DenyApproval(ctx, fx.u.Session.Token, req.ID); !errors.Is(err, account.ErrApprovalDecided) {
		t.Fatalf("deny after approval: %v", err)
	}
	if p, _ := fx.svc.PendingApprovals(ctx, fx.u.Session.Token); len(p) != 0 {
		t.Fatalf("still pending: %+v", p)
	}
	// Another account's key cannot read it.
	other := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
	bobKey, _ := fx.svc.CreateAPIKey(ctx, other.Session.Token, other.Grant(t, account.PurposeCreateAPIKey), "bob")
	if _, err := fx.svc.GetApproval(ctx, bobKey.Secret, req.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("other account's key: %v", err)
	}
	if _, err := fx.svc.BeginApproval(ctx, other.Session.Token, req.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("other account's session: %v", err)
	}
}

func TestApprovalRefusedWhenDetailsChange(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, withdrawal)
	opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := fx.auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Someone with database access changes the amount and destination
	// after the passkey signed.
	db, err := sql.Open("sqlite", fx.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE approvals SET amount = '15', destination = 'bc1qattacker' WHERE id = ?`, req.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, req.ID, assertion); !errors.Is(err, account.ErrCredentialRejected) || !errors.Is(err, account.ErrApprovalRefused) {
		t.Fatalf("finish after the details changed: %v", err)
	}
	got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID)
	if got.State != account.ApprovalRefused || got.Assertion != nil || got.DecidedAt.IsZero() || !strings.Contains(got.Reason, "does not match the operation's details") {
		t.Fatalf("after a refused answer: %+v", got)
	}
	ev, _ := fx.svc.Activity(ctx, fx.u.Session.Token, 1)
	if ev[0].Type != account.EventApprovalRefused {
		t.Fatalf("last event %+v", ev[0])
	}

	// An assertion over another approval's challenge is refused too.
	first := fx.request(t, withdrawal)
	second := fx.request(t, withdrawal)
	opts, _ = fx.svc.BeginApproval(ctx, fx.u.Session.Token, first.ID)
	assertion, _ = fx.auth.Assert(opts)
	if _, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, second.ID, assertion); !errors.Is(err, account.ErrCredentialRejected) {
		t.Fatalf("answer for another approval: %v", err)
	}
}

func TestDenyAndExpiry(t *testing.T) {
	fx := newApprovalFixture(t)
	denied := fx.request(t, account.Operation{Kind: account.OperationC2CTrade, Asset: "USDT", Amount: "250", Counterparty: "merchant-77"})
	out, err := fx.svc.DenyApproval(ctx, fx.u.Session.Token, denied.ID)
	if err != nil || out.State != account.ApprovalDenied {
		t.Fatalf("deny: %+v, %v", out, err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, denied.ID); got.State != account.ApprovalDenied || got.DecidedAt.IsZero() || got.Assertion != nil {
		t.Fatalf("requester sees %+v", got)
	}
	if _, err := fx.approve(t, denied.ID); !errors.Is(err, account.ErrApprovalDecided) {
		t.Fatalf("approve after deny: %v", err)
	}

	late := fx.request(t, withdrawal)
	opts, _ := fx.svc.BeginApproval(ctx, fx.u.Session.Token, late.ID)
	assertion, _ := fx.auth.Assert(opts)
	fx.clock.Advance(account.ApprovalLifetime)
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, late.ID); got.State != account.ApprovalExpired {
		t.Fatalf("after 5 minutes: %+v", got)
	}
	if p, _ := fx.svc.PendingApprovals(ctx, fx.u.Session.Token); len(p) != 0 {
		t.Fatalf("expired still pending: %+v", p)
	}
	if _, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, late.ID, assertion); !errors.Is(err, account.ErrApprovalExpired) {
		t.Fatalf("finish after expiry: %v", err)
	}
	if _, err := fx.svc.DenyApproval(ctx, fx.u.Session.Token, late.ID); !errors.Is(err, account.ErrApprovalExpired) {
		t.Fatalf("deny after expiry: %v", err)
	}

	short, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal, Lifetime: time.Minute})
	if err != nil || !short.ExpiresAt.Equal(fx.clock.Now().Add(time.Minute)) {
		t.Fatalf("one-minute request: %+v, %v", short, err)
	}
}

func TestApprovalRequestValidation(t *testing.T) {
	fx := newApprovalFixture(t)
	with := func(f func(*account.Operation)) account.Operation {
		op := withdrawal
		f(&op)
		return op
	}
	tests := []struct {
		name  string
		op    account.Operation
		field string
	}{
		{"no kind", with(func(o *account.Operation) { o.Kind = "" }), "kind"},
		{"unknown kind", with(func(o *account.Operation) { o.Kind = "transfer" }), "kind"},
		{"no asset", with(func(o *account.Operation) { o.Asset = "" }), "asset"},
		{"lower-case asset", with(func(o *account.Operation) { o.Asset = "btc" }), "asset"},
		{"no amount", with(func(o *account.Operation) { o.Amount = "" }), "amount"},
		{"negative amount", with(func(o *account.Operation) { o.Amount = "-1" }), "amount"},
		{"zero amount", with(func(o *account.Operation) { o.Amount = "0.000" }), "amount"},
		{"exponent", with(func(o *account.Operation) { o.Amount = "1e3" }), "amount"},
		{"comma", with(func(o *account.Operation) { o.Amount = "1,5" }), "amount"},
		{"leading zero", with(func(o *account.Operation) { o.Amount = "01.5" }), "amount"},
		{"trailing dot", with(func(o *account.Operation) { o.Amount = "1." }), "amount"},
		{"19 decimals", with(func(o *account.Operation) { o.Amount = "0.0000000000000000001" }), "amount"},
		{"bad fee", with(func(o *account.Operation) { o.Fee = "free" }), "fee"},
		{"no network", with(func(o *account.Operation) { o.Network = "" }), "network"},
		{"no destination", with(func(o *account.Operation) { o.Destination = "" }), "destination"},
		{"space in address", with(func(o *account.Operation) { o.Destination = "bc1 q" }), "destination"},
		{"control character", with(func(o *account.Operation) { o.Reference = "a\x00b" }), "reference"},
		{"padded", with(func(o *account.Operation) { o.Network = " Bitcoin" }), "network"},
		{"long reference", with(func(o *account.Operation) { o.Reference = strings.Repeat("r", 129) }), "reference"},
		{"trade without counterparty", account.Operation{Kind: account.OperationC2CTrade, Asset: "USDT", Amount: "5"}, "counterparty"},
		{"sign-in with amount", account.Operation{Kind: account.OperationSignInElsewhere, Amount: "5", Reference: "Firefox, Berlin"}, "amount"},
		{"sign-in without reference", account.Operation{Kind: account.OperationSignInElsewhere}, "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: tt.op})
			var ie *account.InputError
			if !errors.As(err, &ie) || ie.Field != tt.field || ie.Reason == "" {
				t.Fatalf("got %v, want an InputError on %q", err, tt.field)
			}
		})
	}
	for _, op := range []account.Operation{
		withdrawal,
		{Kind: account.OperationDeposit, Asset: "ETH", Amount: "2", Network: "Ethereum", Destination: "0xabc"},
		{Kind: account.OperationC2CTrade, Asset: "USDT", Amount: "100.50", Counterparty: "Zoë's shop"},
		{Kind: account.OperationSignInElsewhere, Reference: "Firefox on Linux, Berlin"},
	} {
		if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: op}); err != nil {
			t.Errorf("%s: %v", op.Kind, err)
		}
	}
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal, Lifetime: 2 * time.Hour}); err == nil {
		t.Error("a two-hour lifetime was accepted")
	}
}

func TestAPIKeys(t *testing.T) {
	fx := newApprovalFixture(t)
	if !strings.HasPrefix(fx.key.Secret, "pdk_") || len(fx.key.Secret) != 4+43 || !strings.HasPrefix(fx.key.Secret, fx.key.Hint) {
		t.Fatalf("key = %+v", fx.key)
	}
	for name, secret := range map[string]string{
		"missing":        "",
		"wrong":          "pdk_" + strings.Repeat("A", 43),
		"session token":  fx.u.Session.Token,
		"prefix only":    "pdk_",
		"one char wrong": fx.key.Secret[:len(fx.key.Secret)-1] + "x",
	} {
		if _, err := fx.svc.RequestApproval(ctx, secret, account.ApprovalRequest{Operation: withdrawal}); !errors.Is(err, account.ErrInvalidAPIKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	a := fx.request(t, withdrawal)
	keys, err := fx.svc.ListAPIKeys(ctx, fx.u.Session.Token)
	if err != nil || len(keys) != 1 || keys[0].Name != "exchange backend" || keys[0].LastUsedAt.IsZero() {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
	if err := fx.svc.RevokeAPIKey(ctx, fx.u.Session.Token, fx.key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal}); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Fatalf("revoked key: %v", err)
	}
	if _, err := fx.svc.GetApproval(ctx, fx.key.Secret, a.ID); !errors.Is(err, account.ErrInvalidAPIKey) {
		t.Fatalf("revoked key reads: %v", err)
	}
	if err := fx.svc.RevokeAPIKey(ctx, fx.u.Session.Token, "nope"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("revoking an unknown key: %v", err)
	}
	keys, _ = fx.svc.ListAPIKeys(ctx, fx.u.Session.Token)
	if keys[0].RevokedAt.IsZero() {
		t.Fatal("the list does not show the revocation")
	}
}

// TestRejectedAnswer: an answer that shows foul play (other details
// signed, a cloned-looking passkey) refuses the approval for good; one
// that fails for a benign reason leaves it pending, and the right answer
// then approves it.
func TestRejectedAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		// answer makes the bad answer for the approval id.
		answer func(t *testing.T, fx *approvalFixture, id string) []byte
		final  bool
	}{
		{name: "details changed after signing", final: true, answer: func(t *testing.T, fx *approvalFixture, id string) []byte {
			opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
			if err != nil {
				t.Fatal(err)
			}
			a := assertOrFail(t, fx.auth, opts)
			db, err := sql.Open("sqlite", fx.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`UPDATE approvals SET destination = 'bc1qattacker' WHERE id = ?`, id); err != nil {
				t.Fatal(err)
			}
			return a
		}},
		{name: "another approval's answer", final: true, answer: func(t *testing.T, fx *approvalFixture, _ string) []byte {
			other := fx.request(t, withdrawal)
			opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, other.ID)
			if err != nil {
				t.Fatal(err)
			}
			return assertOrFail(t, fx.auth, opts)
		}},
		{name: "cloned key's counter", final: true, answer: func(t *testing.T, fx *approvalFixture, id string) []byte {
			if _, err := fx.approve(t, fx.request(t, withdrawal).ID); err != nil {
				t.Fatal(err)
			}
			clone := *fx.auth
			clone.Counter = 0
			opts, _ := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
			return assertOrFail(t, &clone, opts)
		}},
		{name: "another approval's challenge, signature forged", answer: func(t *testing.T, fx *approvalFixture, _ string) []byte {
			// Not signed by the passkey, it proves no tampering and must
			// not end the approval.
			other := fx.request(t, withdrawal)
			opts, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, other.ID)
			if err != nil {
				t.Fatal(err)
			}
			return forgeSignature(t, assertOrFail(t, fx.auth, opts))
		}},
		{name: "wrong key: unknown credential", answer: func(t *testing.T, fx *approvalFixture, id string) []byte {
			stranger := &accounttest.Authenticator{}
			bob := accounttest.SignUp(t, fx.svc, fx.clock, "bob@example.com")
			bob.AddPasskey(t, stranger, account.KindSecurityKey, "")
			opts, _ := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
			// The stranger's key answers with its own credential, as a
			// key does when the allow list is dropped.
			var o map[string]map[string]any
			if err := json.Unmarshal(opts, &o); err != nil {
				t.Fatal(err)
			}
			delete(o["publicKey"], "allowCredentials")
			opts, _ = json.Marshal(o)
			return assertOrFail(t, stranger, opts)
		}},
		{name: "no user verification", answer: func(t *testing.T, fx *approvalFixture, id string) []byte {
			noUV := *fx.auth
			noUV.NoUV = true
			opts, _ := fx.svc.BeginApproval(ctx, fx.u.Session.Token, id)
			a := assertOrFail(t, &noUV, opts)
			fx.auth.Counter = noUV.Counter
			return a
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newApprovalFixture(t)
			req := fx.request(t, withdrawal)
			bad := tc.answer(t, fx, req.ID)
			_, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, req.ID, bad)
			if err == nil {
				t.Fatal("the bad answer approved")
			}
			got, gerr := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			ev, _ := fx.svc.Activity(ctx, fx.u.Session.Token, 1)
			if len(ev) == 0 || ev[0].Type != account.EventApprovalRefused {
				t.Fatalf("last event %+v", ev)
			}
			if tc.final {
				if !errors.Is(err, account.ErrApprovalRefused) || got.State != account.ApprovalRefused || got.DecidedAt.IsZero() || got.Assertion != nil {
					t.Fatalf("not refused for good: %v, %+v", err, got)
				}
				if !strings.Contains(ev[0].Detail, "refused for good") {
					t.Fatalf("event %q", ev[0].Detail)
				}
				if _, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, req.ID); !errors.Is(err, account.ErrApprovalDecided) && !errors.Is(err, account.ErrPasskeyCloned) {
					t.Fatalf("begin after refusal: %v", err)
				}
				if pending, _ := fx.svc.PendingApprovals(ctx, fx.u.Session.Token); slices.ContainsFunc(pending, func(a account.Approval) bool { return a.ID == req.ID }) {
					t.Fatal("a refused approval is still in the inbox")
				}
				return
			}
			if errors.Is(err, account.ErrApprovalRefused) || !errors.Is(err, account.ErrCredentialRejected) || got.State != account.ApprovalPending || got.Reason != "" {
				t.Fatalf("a benign failure: %v, state %s, reason %q", err, got.State, got.Reason)
			}
			// The person tries again with the right key.
			approved, err := fx.approve(t, req.ID)
			if err != nil || approved.State != account.ApprovalApproved {
				t.Fatalf("retry: %+v, %v", approved, err)
			}
		})
	}
}

// forgeSignature changes one byte of an assertion's signature.
func forgeSignature(t *testing.T, assertion []byte) []byte {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal(assertion, &a); err != nil {
		t.Fatal(err)
	}
	resp := a["response"].(map[string]any)
	sig, err := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertOrFail(t *testing.T, auth *accounttest.Authenticator, opts []byte) []byte {
	t.Helper()
	a, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCloneDetection(t *testing.T) {
	fx := newApprovalFixture(t)
	if _, err := fx.approve(t, fx.request(t, withdrawal).ID); err != nil {
		t.Fatal(err)
	}
	// A copy of the key answers with a counter the service has seen.
	fx.auth.Counter = 0
	req := fx.request(t, withdrawal)
	other := fx.request(t, withdrawal)
	if _, err := fx.approve(t, req.ID); !errors.Is(err, account.ErrPasskeyCloned) || !errors.Is(err, account.ErrApprovalRefused) {
		t.Fatalf("counter went backwards: %v", err)
	}
	pks, _ := fx.svc.Passkeys(ctx, fx.u.Session.Token)
	if !pks[0].CloneWarning {
		t.Fatal("the passkey is not marked as a possible clone")
	}
	ev, _ := fx.svc.Activity(ctx, fx.u.Session.Token, 5)
	found := false
	for _, e := range ev {
		found = found || e.Type == account.EventPasskeyCloneSuspected
	}
	if !found {
		t.Fatalf("no clone event in %+v", ev)
	}
	// Marked, it cannot approve even with a fresh counter.
	fx.auth.Counter = 1000
	if _, err := fx.svc.BeginApproval(ctx, fx.u.Session.Token, other.ID); !errors.Is(err, account.ErrPasskeyCloned) {
		t.Fatalf("begin with only a marked passkey: %v", err)
	}
	if got, _ := fx.svc.GetApproval(ctx, fx.key.Secret, req.ID); got.State != account.ApprovalRefused || !strings.Contains(got.Reason, "cloned") {
		t.Fatalf("after the refusal: %+v", got)
	}
	if _, err := fx.svc.RequestApproval(ctx, fx.key.Secret, account.ApprovalRequest{Operation: withdrawal}); !errors.Is(err, account.ErrPasskeyCloned) {
		t.Fatalf("a request while only a marked passkey is bound: %v", err)
	}
}

func TestCanonicalEncodingIsUnambiguous(t *testing.T) {
	nonce := bytes.Repeat([]byte{7}, 32)
	base := account.Operation{Kind: account.OperationWithdrawal, Asset: "BTC", Amount: "1", Network: "n", Destination: "d"}
	shifted := base
	shifted.Asset, shifted.Amount = "BT", "C1" // same bytes run together, other fields
	moved := base
	moved.Destination, moved.Counterparty = "", "d"
	seen := map[string]string{}
	for name, c := range map[string][]byte{
		"base":        account.ChallengeFor(nonce, "id", base),
		"shifted":     account.ChallengeFor(nonce, "id", shifted),
		"moved":       account.ChallengeFor(nonce, "id", moved),
		"other id":    account.ChallengeFor(nonce, "id2", base),
		"other nonce": account.ChallengeFor(bytes.Repeat([]byte{8}, 32), "id", base),
	} {
		if other, dup := seen[string(c)]; dup {
			t.Fatalf("%s and %s share a challenge", name, other)
		}
		seen[string(c)] = name
	}
	if !bytes.Equal(account.CanonicalOperation("id", base), canonical("id", base)) {
		t.Fatal("CanonicalOperation differs from the documented encoding")
	}
}

func TestConcurrentAnswersDecideOnce(t *testing.T) {
	fx := newApprovalFixture(t)
	req := fx.request(t, withdrawal)
	opts, _ := fx.svc.BeginApproval(ctx, fx.u.Session.Token, req.ID)
	assertion, _ := fx.auth.Assert(opts)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := fx.svc.FinishApproval(ctx, fx.u.Session.Token, req.ID, assertion)
			errs <- err
		}()
	}
	ok := 0
	for range 4 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case !errors.Is(err, account.ErrApprovalDecided):
			t.Errorf("a losing answer: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d answers approved", ok)
	}
}

func TestRequestNeedsAPasskeyThatMayApprove(t *testing.T) {
	svc, clock, _ := accounttest.NewService(t, accounttest.Options{})
	u := accounttest.SignUp(t, svc, clock, "ann@example.com")
	key, err := svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "backend")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.RequestApproval(ctx, key.Secret, account.ApprovalRequest{Operation: withdrawal})
	var pe *account.PolicyError
	if !errors.As(err, &pe) || pe.Rule != account.RuleNoPasskey {
		t.Fatalf("no passkey: %v", err)
	}
}
