package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// TestTheAPIDocumentListsExactlyTheServedRoutes: GET /v1/openapi.json is
// a valid OpenAPI 3 document (checked by kin-openapi) whose operations
// are exactly the JSON routes the handler serves.
func TestTheAPIDocumentListsExactlyTheServedRoutes(t *testing.T) {
	svc, _, _ := accounttest.NewService(t, accounttest.Options{})
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: "http://localhost:8787"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /v1/openapi.json: %d %s", w.Code, w.Body.String())
	}
	doc, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatalf("the document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var served []string
	for _, r := range h.Routes() {
		if strings.Contains(r, " /api/") || strings.Contains(r, " /v1/") {
			served = append(served, r)
		}
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		got, _ := json.Marshal(documented)
		want, _ := json.Marshal(served)
		t.Fatalf("documented:\n%s\nserved:\n%s", got, want)
	}
	if len(served) < 40 {
		t.Fatalf("only %d routes served", len(served))
	}
}
