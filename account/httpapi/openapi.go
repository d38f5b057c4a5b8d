package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/apierr"
)

// mux is the handler's router. It remembers the patterns registered, so
// that the API document can be checked against what is served.
type mux struct {
	*http.ServeMux
	patterns []string
}

func (m *mux) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, fn)
}

// Routes lists the patterns the handler serves, "METHOD /path" each, in
// the order registered (the catch-all "/" last).
func (h *Handler) Routes() []string { return append([]string(nil), h.mux.patterns...) }

// Who may call a route.
type auth int

const (
	authNone    auth = iota // anyone: sign-up, sign-in, passkey login
	authSession             // a session: Authorization: Bearer SESSION
	authAPIKey              // a requester: Authorization: Bearer pdk_… or pdks_…
	authPage                // the phone page: same origin, link and device in the body
)

// doc is what the API document says of one route.
type doc struct {
	summary string
	auth    auth
	body    any // a value of the request body's type; nil for none
	answer  any // a value of the answer's type; nil for 204 No Content
}

// webauthnJSON stands for the WebAuthn JSON a browser passes or sends.
type webauthnJSON = json.RawMessage

// docs are the JSON routes' documents, by pattern. The page's files and
// the catch-all are not in the API document.
var docs = map[string]doc{
	"POST /api/phone/open":                 {"The phone page opens its link", authPage, pageRequest{}, pageAnswer{}},
	"POST /api/phone/wait":                 {"The phone page waits for the desktop to confirm the code (long poll)", authPage, pageRequest{}, pageAnswer{}},
	"POST /api/phone/options":              {"Creation options for the phone", authPage, pageRequest{}, webauthnJSON{}},
	"POST /api/phone/result":               {"The phone's new credential", authPage, pageRequest{}, map[string]string{}},
	"POST /api/enrollments":                {"Begin a phone enrollment (earlier desktops)", authSession, struct{ Grant string }{}, map[string]any{}},
	"GET /api/enrollments/{id}":            {"A phone enrollment's status (earlier desktops)", authSession, nil, Status{}},
	"POST /api/enrollments/{id}/confirm":   {"The desktop confirms the code the phone shows (earlier desktops)", authSession, struct{ Code string }{}, Status{}},
	"DELETE /api/enrollments/{id}":         {"Cancel a phone enrollment (earlier desktops)", authSession, nil, nil},
	"GET /api/enrollments/{id}/events":     {"A phone enrollment's status as server-sent events (earlier desktops)", authSession, nil, Status{}},
	"POST /v1/approvals":                   {"A requester asks the account owner to approve an operation", authAPIKey, ApprovalRequest{}, Approval{}},
	"GET /v1/approvals/{id}":               {"A requester reads an approval, with the assertion to check", authAPIKey, nil, Approval{}},
	"GET /v1/requester/passkeys":           {"A requester lists the account's passkeys to check answers with (a service key names the account: ?account=ID or email)", authAPIKey, nil, []RequesterPasskey{}},
	"GET /v1/requester/passkeys/events":    {"The account's passkeys as server-sent events: each held one as added at once, then every added and removed", authAPIKey, nil, RequesterPasskey{}},
	"POST /v1/signup":                      {"Create an account; confirm it with a first code", authNone, account.SignUpRequest{}, account.TOTPEnrollment{}},
	"POST /v1/signup/confirm":              {"Activate a new account and sign it in", authNone, struct{ EnrollmentID, Code string }{}, account.Session{}},
	"POST /v1/signin":                      {"Sign in with email, password and code", authNone, struct{ Email, Password, Code string }{}, account.Session{}},
	"POST /v1/login/begin":                 {"Request options for passkey sign-in", authNone, struct{ Email string }{}, webauthnJSON{}},
	"POST /v1/login/finish":                {"Sign in with a passkey's assertion", authNone, webauthnJSON{}, account.Session{}},
	"POST /v1/signout":                     {"End the session", authSession, nil, nil},
	"GET /v1/me":                           {"The session's account", authSession, nil, account.Account{}},
	"POST /v1/verifications":               {"Begin an identity check for a purpose", authSession, struct{ Purpose account.Purpose }{}, account.Verification{}},
	"POST /v1/verifications/{id}/complete": {"Answer an identity check: a grant", authSession, account.Proof{}, account.Grant{}},
	"POST /v1/registrations/begin": {"Creation options for a new passkey", authSession, struct {
		Grant string
		Kind  account.Kind
	}{}, webauthnJSON{}},
	"POST /v1/registrations/finish": {"Bind a new passkey", authSession, struct {
		Grant, Name string
		Credential  webauthnJSON
	}{}, account.Passkey{}},
	"GET /v1/passkeys":              {"The account's passkeys, oldest first", authSession, nil, []account.Passkey{}},
	"PATCH /v1/passkeys/{id}":       {"Rename a passkey", authSession, struct{ Name string }{}, account.Passkey{}},
	"POST /v1/passkeys/{id}/remove": {"Remove a passkey with a remove-passkey grant", authSession, struct{ Grant string }{}, nil},
	"POST /v1/passkeys/lost": {"Mark passkeys lost: their authenticator no longer holds them", authSession, struct {
		PasskeyIDs []string
		Why        string
	}{}, nil},
	"GET /v1/activity":        {"The account's security events, newest first (?limit=)", authSession, nil, []account.Event{}},
	"GET /v1/activity/export": {"The activity as CSV or JSON (?format=csv|json&type=&since=)", authSession, nil, []byte{}},
	"POST /v1/passkey-verifications/begin": {"Request options for an identity check by passkey; Except (a credential ID) is left out of the allow list", authSession, struct {
		Purpose account.Purpose
		Except  []byte
	}{}, webauthnJSON{}},
	"POST /v1/passkey-verifications/finish": {"Answer an identity check by passkey: a grant", authSession, webauthnJSON{}, account.Grant{}},
	"GET /v1/policy":                        {"The account's security policy and any hold", authSession, nil, account.Policy{}},
	"PUT /v1/policy/passkey-required": {"Turn \"Passkey required\" on or off", authSession, struct {
		Grant string
		On    bool
	}{}, nil},
	"POST /v1/apikeys":                   {"Create a service API key (needs a create-api-key grant); its secret is shown only here", authSession, struct{ Grant, Name string }{}, account.NewAPIKey{}},
	"GET /v1/apikeys":                    {"The account's API keys", authSession, nil, []account.APIKey{}},
	"DELETE /v1/apikeys/{id}":            {"Revoke an API key", authSession, nil, nil},
	"GET /v1/recovery-codes":             {"How many of the account's recovery codes are left", authSession, nil, account.RecoveryCodeStatus{}},
	"POST /v1/password":                  {"Change the password with a change-password grant; every other session ends", authSession, struct{ Grant, NewPassword string }{}, nil},
	"GET /v1/email":                      {"Whether the account's email is confirmed, and where a code waits", authSession, nil, account.EmailStatus{}},
	"PUT /v1/email":                      {"Change the email with a change-email grant: a code goes to the new address, which becomes the account's when confirmed", authSession, struct{ Grant, Email string }{}, account.EmailStatus{}},
	"POST /v1/email/code":                {"Send a new email code (\"Send again\"), at most 5 an hour", authSession, nil, account.EmailStatus{}},
	"POST /v1/email/confirm":             {"Confirm the address with the code sent to it", authSession, struct{ Code string }{}, account.EmailStatus{}},
	"POST /v1/recovery-codes":            {"Make a new set of recovery codes with a recovery-codes grant; the old set stops working, the codes are shown only here", authSession, struct{ Grant string }{}, account.RecoveryCodes{}},
	"GET /v1/approvals/pending":          {"The account's pending approvals, oldest first", authSession, nil, []account.Approval{}},
	"POST /v1/approvals/{id}/begin":      {"Request options whose challenge commits to the operation", authSession, nil, webauthnJSON{}},
	"POST /v1/approvals/{id}/finish":     {"Approve with a passkey's assertion", authSession, webauthnJSON{}, account.Approval{}},
	"POST /v1/approvals/{id}/deny":       {"Deny an approval", authSession, nil, account.Approval{}},
	"GET /v1/approvals/events":           {"The pending approvals as server-sent events: the list at once and at each change", authSession, nil, []account.Approval{}},
	"POST /v1/enrollments":               {"Begin a phone enrollment: a one-time link and a match code", authSession, struct{ Grant string }{}, account.PhoneEnrollment{}},
	"GET /v1/enrollments/{id}":           {"A phone enrollment's status", authSession, nil, account.EnrollmentStatus{}},
	"DELETE /v1/enrollments/{id}":        {"Cancel a phone enrollment", authSession, nil, nil},
	"POST /v1/enrollments/{id}/confirm":  {"Confirm the match code the phone shows", authSession, struct{ Code string }{}, account.EnrollmentStatus{}},
	"GET /v1/enrollments/{id}/events":    {"A phone enrollment's status as server-sent events", authSession, nil, account.EnrollmentStatus{}},
	"POST /v1/enrollments/{id}/handover": {"Let the device that last tried the link (Contender) take it over; it then shows a new match code", authSession, nil, account.EnrollmentStatus{}},
	"GET /v1/openapi.json":               {"This document", authNone, nil, map[string]any{}},
	"POST /v1/phone-signins": {"Begin signing this computer in with a phone: a one-time link, the code to show, and the secret of the session's stream",
		authNone, struct{ Computer string }{}, account.PhoneSignIn{}},
	"GET /v1/phone-signins/{id}/events": {"A phone sign-in's status as server-sent events, for the holder of its secret (Authorization: Bearer SECRET); the done status carries the session",
		authNone, nil, account.PhoneSignInStatus{}},
	"POST /api/phone/signin/open":        {"The phone sign-in page opens its link: which computer asks", authPage, signInPageRequest{}, account.PhoneSignInPage{}},
	"POST /api/phone/signin/options":     {"The phone sign-in page sends the computer's code: request options for a passkey", authPage, signInPageRequest{}, webauthnJSON{}},
	"POST /api/phone/signin/finish":      {"The phone sign-in page sends the passkey's assertion", authPage, signInPageRequest{}, account.PhoneSignInPage{}},
	"POST /v1/approvals/{id}/phone-link": {"A one-time link for the phone page to decide a pending approval (show it as a QR code)", authSession, nil, account.ApprovalLink{}},
	"GET /v1/approvals/{id}/state":       {"One of the account's approvals, in any state", authSession, nil, account.Approval{}},
	"DELETE /v1/approval-links/{id}":     {"End a phone link at once (its QR code was hidden)", authSession, nil, nil},
	"POST /api/phone/approval/open":      {"The approval page opens its link: the operation to show", authPage, pageRequest{}, ApprovalPageAnswer{}},
	"POST /api/phone/approval/options":   {"Request options whose challenge commits to the operation", authPage, pageRequest{}, webauthnJSON{}},
	"POST /api/phone/approval/finish":    {"Approve with the phone passkey's assertion (in credential)", authPage, pageRequest{}, ApprovalDecision{}},
	"POST /api/phone/approval/deny":      {"Deny the approval from the phone", authPage, pageRequest{}, ApprovalDecision{}},
}

// The enrollment station's routes are documented beside them
// (station.go).
func init() {
	for pattern, d := range stationDocs {
		docs[pattern] = d
	}
}

// notDocumented are served but are not part of the JSON API.
var notDocumented = map[string]bool{
	"GET /enroll": true, "GET /e/{token}": true, "GET /phone/common.js": true, "GET /phone/app.js": true, "GET /phone/style.css": true, "/": true,
	"GET /signin": true, "GET /phone/signin.js": true,
	"GET /approve": true, "GET /phone/approve.js": true,
}

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
	openAPIErr  error
)

// openAPI serves the API document, made once from docs.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	openAPIOnce.Do(func() { openAPIJSON, openAPIErr = OpenAPI(h.Routes()) })
	if openAPIErr != nil {
		h.fail(w, r, openAPIErr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIJSON)
}

// OpenAPI makes the OpenAPI 3 document of the routes given, whose
// documents are in docs; a route without one is an error.
func OpenAPI(routes []string) ([]byte, error) {
	d := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "Passkey Desk account service", Version: "1",
			Description: "The account API. Bodies are the account package's types as Go's encoding/json writes them; " +
				"WebAuthn options and credentials are the JSON a browser passes and sends. Errors are " +
				"{\"error\": code, \"message\": sentence} with the fields of their kind. Sign-in, sign-up, verification, " +
				"match codes, enrollment, the phone page and approval requests are rate-limited per client address and " +
				"per account: past a limit, 429 \"rate-limited\" with Retry-After in seconds."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{},
			SecuritySchemes: openapi3.SecuritySchemes{
				"session": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
					WithDescription("a session token from sign-in")},
				"apiKey": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
					WithDescription("an account's API key, pdk_…, or a server's service key, pdks_…")},
			},
		},
	}
	gen := openapi3gen.NewGenerator(openapi3gen.UseAllExportedFields())
	schema := func(v any) (*openapi3.SchemaRef, error) {
		switch v.(type) {
		case json.RawMessage:
			return openapi3.NewSchemaRef("", openapi3.NewObjectSchema().WithAnyAdditionalProperties()), nil
		case []byte:
			return openapi3.NewSchemaRef("", openapi3.NewStringSchema()), nil
		}
		return gen.NewSchemaRefForValue(v, d.Components.Schemas)
	}
	errSchema, err := schema(apierr.Body{})
	if err != nil {
		return nil, err
	}
	sorted := append([]string(nil), routes...)
	sort.Strings(sorted)
	for _, pattern := range sorted {
		if notDocumented[pattern] {
			continue
		}
		rd, ok := docs[pattern]
		if !ok {
			return nil, fmt.Errorf("httpapi: the route %q has no document", pattern)
		}
		method, path, _ := strings.Cut(pattern, " ")
		op := openapi3.NewOperation()
		op.Summary = rd.summary
		op.OperationID = operationID(method, path)
		switch rd.auth {
		case authSession:
			op.Security = &openapi3.SecurityRequirements{{"session": {}}}
		case authAPIKey:
			op.Security = &openapi3.SecurityRequirements{{"apiKey": {}}}
		}
		for _, name := range pathParams(path) {
			op.AddParameter(openapi3.NewPathParameter(name).WithSchema(openapi3.NewStringSchema()))
		}
		if rd.body != nil {
			s, err := schema(rd.body)
			if err != nil {
				return nil, fmt.Errorf("httpapi: %s: %w", pattern, err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(s)}
		}
		if rd.answer == nil {
			op.AddResponse(http.StatusNoContent, openapi3.NewResponse().WithDescription("done"))
		} else {
			s, err := schema(rd.answer)
			if err != nil {
				return nil, fmt.Errorf("httpapi: %s: %w", pattern, err)
			}
			op.AddResponse(http.StatusOK, openapi3.NewResponse().WithDescription("the answer").WithJSONSchemaRef(s))
		}
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().
			WithDescription("an error: a 4xx with a reason, or a 5xx").WithJSONSchemaRef(errSchema)})
		d.AddOperation(path, method, op)
	}
	for _, r := range routes {
		if !notDocumented[r] && docs[r].summary == "" {
			return nil, fmt.Errorf("httpapi: the route %q has no document", r)
		}
	}
	return json.MarshalIndent(d, "", "  ")
}

// operationID names an operation from its method and path:
// "POST /v1/passkeys/{id}/remove" is "post_v1_passkeys_id_remove".
func operationID(method, path string) string {
	r := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_")
	return strings.ToLower(method) + r.Replace(path)
}

func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	return out
}
