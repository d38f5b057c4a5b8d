package client_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
)

// tableOrigin is the origin the option tables are read for.
const tableOrigin = "https://login.example.com"

// goodCreation and goodRequest are options as the account service writes
// them (go-webauthn), wrapped in {"publicKey": …}, without an RP ID so
// that they fit any origin.
const (
	goodCreation = `{"publicKey":{"rp":{"name":"Example"},"user":{"name":"alice@example.com","displayName":"Alice","id":"dXNlci0x"},"challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZQ","pubKeyCredParams":[{"type":"public-key","alg":-7},{"type":"public-key","alg":-8},{"type":"public-key","alg":-257}],"timeout":300000,"excludeCredentials":[{"type":"public-key","id":"AQID"}],"authenticatorSelection":{"residentKey":"required","requireResidentKey":true,"userVerification":"required"},"attestation":"direct","extensions":{"credProps":true}}}`
	goodRequest  = `{"publicKey":{"challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZQ","timeout":300000,"userVerification":"required"}}`
)

// edit returns doc (a JSON object, perhaps wrapped in publicKey) with the
// member at the dotted path set to value, or deleted when value is del.
func edit(doc, path string, value any) string {
	var top map[string]any
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		panic(err)
	}
	m := top["publicKey"].(map[string]any)
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	if value == del {
		delete(m, keys[len(keys)-1])
	} else {
		m[keys[len(keys)-1]] = value
	}
	out, err := json.Marshal(top)
	if err != nil {
		panic(err)
	}
	return string(out)
}

type deleted struct{}

var del = deleted{}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

type optionsCase struct {
	name string
	doc  string
	// field is the OptionsError field expected; "" for a good case.
	field string
	bad   bool
}

var creationCases = []optionsCase{
	{name: "as the service writes it", doc: goodCreation},
	{name: "bare object", doc: goodCreation[len(`{"publicKey":`) : len(goodCreation)-1]},
	{name: "rp id equal to host", doc: edit(goodCreation, "rp.id", "login.example.com")},
	{name: "rp id registrable suffix", doc: edit(goodCreation, "rp.id", "example.com")},
	{name: "padded base64url", doc: edit(goodCreation, "challenge", "Y2hhbGxlbmdlLWNoYWxsZW5nZQ==")},
	{name: "empty alg list means ES256 and RS256", doc: edit(goodCreation, "pubKeyCredParams", []any{})},
	{name: "unknown alg skipped", doc: edit(goodCreation, "pubKeyCredParams", raw(`[{"type":"public-key","alg":-65535},{"type":"public-key","alg":-7}]`))},
	{name: "unknown descriptor type skipped", doc: edit(goodCreation, "excludeCredentials", raw(`[{"type":"future-key","id":""}]`))},
	{name: "unknown enum values ignored", doc: edit(edit(goodCreation, "attestation", "notarized"), "authenticatorSelection", raw(`{"residentKey":"mandatory","userVerification":"always"}`))},
	{name: "no authenticator selection", doc: edit(goodCreation, "authenticatorSelection", del)},
	{name: "credProtect", doc: edit(goodCreation, "extensions", raw(`{"credentialProtectionPolicy":"userVerificationRequired","enforceCredentialProtectionPolicy":true}`))},

	{name: "not JSON", doc: `{"publicKey":`, bad: true},
	{name: "JSON array", doc: `[]`, bad: true},
	{name: "JSON null", doc: `null`, bad: true},
	{name: "publicKey null", doc: `{"publicKey":null}`, field: "publicKey"},
	{name: "missing challenge", doc: edit(goodCreation, "challenge", del), field: "challenge"},
	{name: "empty challenge", doc: edit(goodCreation, "challenge", ""), field: "challenge"},
	{name: "challenge not base64url", doc: edit(goodCreation, "challenge", "a+b/c"), field: "challenge"},
	{name: "challenge a number", doc: edit(goodCreation, "challenge", 42), field: "challenge"},
	{name: "missing rp", doc: edit(goodCreation, "rp", del), field: "rp"},
	{name: "missing rp name", doc: edit(goodCreation, "rp.name", del), field: "rp.name"},
	{name: "rp id of another site", doc: edit(goodCreation, "rp.id", "evil.example"), field: "rp.id"},
	{name: "rp id longer than host", doc: edit(goodCreation, "rp.id", "a.login.example.com"), field: "rp.id"},
	{name: "rp id sharing a tail but not a label", doc: edit(goodCreation, "rp.id", "ample.com"), field: "rp.id"},
	{name: "rp id a public suffix", doc: edit(goodCreation, "rp.id", "com"), field: "rp.id"},
	{name: "rp id uppercase", doc: edit(goodCreation, "rp.id", "Example.com"), field: "rp.id"},
	{name: "rp id empty", doc: edit(goodCreation, "rp.id", ""), field: "rp.id"},
	{name: "missing user", doc: edit(goodCreation, "user", del), field: "user"},
	{name: "missing user id", doc: edit(goodCreation, "user.id", del), field: "user.id"},
	{name: "empty user id", doc: edit(goodCreation, "user.id", ""), field: "user.id"},
	{name: "user id of 65 bytes", doc: edit(goodCreation, "user.id", strings.Repeat("A", 87)), field: "user.id"},
	{name: "user id bad base64", doc: edit(goodCreation, "user.id", "!!"), field: "user.id"},
	{name: "missing user name", doc: edit(goodCreation, "user.name", del), field: "user.name"},
	{name: "missing displayName", doc: edit(goodCreation, "user.displayName", del), field: "user.displayName"},
	{name: "missing pubKeyCredParams", doc: edit(goodCreation, "pubKeyCredParams", del), field: "pubKeyCredParams"},
	{name: "only unsupported algorithms", doc: edit(goodCreation, "pubKeyCredParams", raw(`[{"type":"public-key","alg":-35},{"type":"public-key","alg":-36}]`)), field: "pubKeyCredParams"},
	{name: "only unknown credential types", doc: edit(goodCreation, "pubKeyCredParams", raw(`[{"type":"secret-key","alg":-7}]`)), field: "pubKeyCredParams"},
	{name: "alg missing", doc: edit(goodCreation, "pubKeyCredParams", raw(`[{"type":"public-key"}]`)), field: "pubKeyCredParams[0].alg"},
	{name: "alg fractional", doc: edit(goodCreation, "pubKeyCredParams", raw(`[{"type":"public-key","alg":-7.5}]`)), field: "pubKeyCredParams[0].alg"},
	{name: "negative timeout", doc: edit(goodCreation, "timeout", -1), field: "timeout"},
	{name: "exclude id bad base64", doc: edit(goodCreation, "excludeCredentials", raw(`[{"type":"public-key","id":"*"}]`)), field: "excludeCredentials[0].id"},
	{name: "exclude without type", doc: edit(goodCreation, "excludeCredentials", raw(`[{"id":"AQID"}]`)), field: "excludeCredentials[0].type"},
	{name: "unknown credProtect policy", doc: edit(goodCreation, "extensions", raw(`{"credentialProtectionPolicy":"always"}`)), field: "extensions.credentialProtectionPolicy"},
	{name: "credProps not a boolean", doc: edit(goodCreation, "extensions", raw(`{"credProps":"yes"}`)), field: "extensions.credProps"},
}

var requestCases = []optionsCase{
	{name: "as the service writes it", doc: goodRequest},
	{name: "bare object", doc: goodRequest[len(`{"publicKey":`) : len(goodRequest)-1]},
	{name: "with rp id and allow list", doc: edit(edit(goodRequest, "rpId", "example.com"), "allowCredentials", raw(`[{"type":"public-key","id":"AQID","transports":["usb","nfc"]}]`))},
	{name: "unknown userVerification", doc: edit(goodRequest, "userVerification", "sometimes")},

	{name: "not JSON", doc: `nope`, bad: true},
	{name: "missing challenge", doc: edit(goodRequest, "challenge", del), field: "challenge"},
	{name: "challenge bad base64", doc: edit(goodRequest, "challenge", "%%%"), field: "challenge"},
	{name: "rp id of another site", doc: edit(goodRequest, "rpId", "example.org"), field: "rpId"},
	{name: "rp id a public suffix", doc: edit(goodRequest, "rpId", "com"), field: "rpId"},
	{name: "rp id empty", doc: edit(goodRequest, "rpId", ""), field: "rpId"},
	{name: "allow id bad base64", doc: edit(goodRequest, "allowCredentials", raw(`[{"type":"public-key","id":"a b"}]`)), field: "allowCredentials[0].id"},
	{name: "allow id empty", doc: edit(goodRequest, "allowCredentials", raw(`[{"type":"public-key","id":""}]`)), field: "allowCredentials[0].id"},
	{name: "allow list not an array", doc: edit(goodRequest, "allowCredentials", "AQID"), field: "allowCredentials"},
	{name: "timeout a string", doc: edit(goodRequest, "timeout", "soon"), field: "timeout"},
}

func tableClient(t testing.TB) *client.Client {
	c, err := client.New(tableOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkOptionsError(t *testing.T, tc optionsCase, err error) {
	t.Helper()
	good := tc.field == "" && !tc.bad
	if good {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var oe *client.OptionsError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T), want *client.OptionsError", err, err)
	}
	if tc.field != "" && oe.Field != tc.field && !strings.HasSuffix(oe.Field, "."+tc.field) {
		t.Errorf("error on field %q (%v), want %q", oe.Field, err, tc.field)
	}
}

func TestParseCreationOptions(t *testing.T) {
	c := tableClient(t)
	for _, tc := range creationCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ParseCreationOptions([]byte(tc.doc))
			checkOptionsError(t, tc, err)
		})
	}
}

func TestParseRequestOptions(t *testing.T) {
	c := tableClient(t)
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ParseRequestOptions([]byte(tc.doc))
			checkOptionsError(t, tc, err)
		})
	}
}

func TestParsedCreationOptions(t *testing.T) {
	c := tableClient(t)
	o, err := c.ParseCreationOptions([]byte(goodCreation))
	if err != nil {
		t.Fatal(err)
	}
	want := &client.CreationOptions{
		RP:               fido.RelyingParty{ID: "login.example.com", Name: "Example"},
		User:             fido.User{ID: []byte("user-1"), Name: "alice@example.com", DisplayName: "Alice"},
		Challenge:        []byte("challenge-challenge"),
		Algorithms:       []int{fido.ES256, fido.EdDSA, fido.RS256},
		Exclude:          []fido.CredentialDescriptor{{ID: []byte{1, 2, 3}}},
		Timeout:          5 * time.Minute,
		ResidentKey:      client.Required,
		UserVerification: client.Required,
		Attestation:      client.AttestationDirect,
		CredProps:        true,
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", o, want)
	}

	defaults, err := c.ParseCreationOptions([]byte(edit(edit(edit(goodCreation, "authenticatorSelection", del), "attestation", del), "pubKeyCredParams", []any{})))
	if err != nil {
		t.Fatal(err)
	}
	if defaults.ResidentKey != client.Discouraged || defaults.UserVerification != client.Preferred || defaults.Attestation != client.AttestationNone ||
		!reflect.DeepEqual(defaults.Algorithms, []int{fido.ES256, fido.RS256}) {
		t.Errorf("defaults: rk %q uv %q attestation %q algs %v; want discouraged, preferred, none, [-7 -257]",
			defaults.ResidentKey, defaults.UserVerification, defaults.Attestation, defaults.Algorithms)
	}

	legacy, err := c.ParseCreationOptions([]byte(edit(goodCreation, "authenticatorSelection", raw(`{"requireResidentKey":true}`))))
	if err != nil || legacy.ResidentKey != client.Required {
		t.Errorf("requireResidentKey alone: %v, %v; want required", legacy, err)
	}
	cp, err := c.ParseCreationOptions([]byte(edit(goodCreation, "extensions", raw(`{"credentialProtectionPolicy":"userVerificationOptionalWithCredentialIDList","enforceCredentialProtectionPolicy":true}`))))
	if err != nil || cp.CredProtect != fido.CredProtectOptionalWithList || !cp.EnforceCredProtect {
		t.Errorf("credProtect: %+v, %v", cp, err)
	}
}

func TestParsedRequestOptions(t *testing.T) {
	c := tableClient(t)
	o, err := c.ParseRequestOptions([]byte(requestCases[2].doc))
	if err != nil {
		t.Fatal(err)
	}
	want := &client.RequestOptions{
		RPID:             "example.com",
		Challenge:        []byte("challenge-challenge"),
		Allow:            []fido.CredentialDescriptor{{ID: []byte{1, 2, 3}, Transports: []string{"usb", "nfc"}}},
		Timeout:          5 * time.Minute,
		UserVerification: client.Required,
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", o, want)
	}
}

func TestNewOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, want string // want "" for refused
	}{
		{"https://example.com", "https://example.com"},
		{"https://Example.COM:443/", "https://example.com"},
		{"https://example.com:8443", "https://example.com:8443"},
		{"http://localhost", "http://localhost"},
		{"http://localhost:80", "http://localhost"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://app.localhost", "http://app.localhost"},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"http://[::1]", "http://[::1]"},
		{"http://example.com", ""},
		{"ftp://example.com", ""},
		{"https://example.com/path", ""},
		{"https://example.com?q=1", ""},
		{"https://user@example.com", ""},
		{"https://", ""},
		{"example.com", ""},
		{"", ""},
	} {
		c, err := client.New(tc.origin)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("New(%q) accepted, as %q", tc.origin, c.Origin())
		case tc.want != "" && err != nil:
			t.Errorf("New(%q): %v", tc.origin, err)
		case tc.want != "" && c.Origin() != tc.want:
			t.Errorf("New(%q).Origin() = %q, want %q", tc.origin, c.Origin(), tc.want)
		}
	}
}

func TestRPIDOnIPOrigin(t *testing.T) {
	c, err := client.New("http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ParseRequestOptions([]byte(edit(goodRequest, "rpId", "127.0.0.1"))); err != nil {
		t.Errorf("RP ID equal to the IP host: %v", err)
	}
	if _, err := c.ParseRequestOptions([]byte(edit(goodRequest, "rpId", "0.0.1"))); err == nil {
		t.Error("RP ID a suffix of an IP host: accepted")
	}
}
