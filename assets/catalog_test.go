package assets

import (
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

var uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestCatalogParsesAndIsWellFormed(t *testing.T) {
	models := Catalog()
	if len(models) < 30 {
		t.Fatalf("catalog has %d models, want at least 30", len(models))
	}
	seen := map[string]string{}
	kinds := map[ModelKind]int{}
	for _, m := range models {
		if !uuidForm.MatchString(m.AAGUID) {
			t.Errorf("%q: AAGUID %q is not a lowercase 8-4-4-4-12 UUID", m.Name, m.AAGUID)
		}
		if m.AAGUID == "00000000-0000-0000-0000-000000000000" {
			t.Errorf("%q: the zero AAGUID names no model", m.Name)
		}
		if other, dup := seen[m.AAGUID]; dup {
			t.Errorf("AAGUID %s is used by both %q and %q", m.AAGUID, other, m.Name)
		}
		seen[m.AAGUID] = m.Name
		kinds[m.Kind]++
		raw, err := hex.DecodeString(strings.ReplaceAll(m.AAGUID, "-", ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := ModelName(raw); got != m.Name {
			t.Errorf("ModelName(%s) = %q, want %q", m.AAGUID, got, m.Name)
		}
	}
	for _, k := range []ModelKind{ModelSecurityKey, ModelPhone, ModelPlatform, ModelPasswordManager} {
		if kinds[k] == 0 {
			t.Errorf("no model of kind %q", k)
		}
	}
}

func TestOwnAuthenticatorsAreCatalogued(t *testing.T) {
	for _, tc := range []struct {
		aaguid, name string
		kind         ModelKind
	}{
		{ThisComputerAAGUID, "Passkey Desk — this computer", ModelPlatform},
		{SimulatedKeyAAGUID, "Passkey Desk simulated security key", ModelSecurityKey},
	} {
		id, err := ParseAAGUID(tc.aaguid)
		if err != nil {
			t.Fatal(err)
		}
		if id[6]>>4 != 4 || id[8]>>6 != 2 {
			t.Errorf("%s is not a version 4, RFC 4122 variant UUID", tc.aaguid)
		}
		m, ok := LookupModel(id[:])
		if !ok || m.Name != tc.name || m.Kind != tc.kind {
			t.Errorf("LookupModel(%s) = %+v, %v; want %q of kind %q", tc.aaguid, m, ok, tc.name, tc.kind)
		}
	}
}

func TestModelNameUnknown(t *testing.T) {
	for name, aaguid := range map[string][]byte{
		"nil":     nil,
		"short":   {1, 2, 3},
		"zero":    make([]byte, 16),
		"unknown": {0xde, 0xad, 0xbe, 0xef, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1},
		"long":    make([]byte, 17),
	} {
		if got := ModelName(aaguid); got != "" {
			t.Errorf("%s: ModelName = %q, want \"\"", name, got)
		}
	}
}

func TestParseCatalogRefusesBadEntries(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":     `{`,
		"bad uuid":     `[{"aaguid":"1234","name":"x","kind":"phone"}]`,
		"bad hex":      `[{"aaguid":"zzzzzzzz-0000-0000-0000-000000000000","name":"x","kind":"phone"}]`,
		"uppercase":    `[{"aaguid":"ABCDEF00-0000-4000-8000-000000000000","name":"x","kind":"phone"}]`,
		"empty name":   `[{"aaguid":"abcdef00-0000-4000-8000-000000000000","name":" ","kind":"phone"}]`,
		"unknown kind": `[{"aaguid":"abcdef00-0000-4000-8000-000000000000","name":"x","kind":"toaster"}]`,
		"duplicate":    `[{"aaguid":"abcdef00-0000-4000-8000-000000000000","name":"x","kind":"phone"},{"aaguid":"abcdef00-0000-4000-8000-000000000000","name":"y","kind":"phone"}]`,
	} {
		if _, err := parseCatalog([]byte(doc)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}
