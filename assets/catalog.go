package assets

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// aaguidJSON is the AAGUID catalog: a JSON array of {aaguid, name, kind}.
//
// The AAGUIDs of other makers' authenticators are public facts, copied from
// the community list github.com/passkeydeveloper/passkey-authenticator-aaguids
// (its aaguid.json for passkey providers and its FIDO Metadata Service
// entries for security keys), with the names it gives. An AAGUID that could
// not be confirmed there is left out rather than guessed. The first two
// entries are Passkey Desk's own authenticators (ThisComputerAAGUID,
// SimulatedKeyAAGUID), random version 4 UUIDs chosen once.
//
//go:embed aaguid.json
var aaguidJSON []byte

// The AAGUIDs of Passkey Desk's own authenticators (WebAuthn §6.5.1), as
// fido/platform and fido/softkey put them into attested credential data.
const (
	ThisComputerAAGUID = "009e6ede-3f86-4dce-9aaf-d497de4b06b7"
	SimulatedKeyAAGUID = "4cdf303c-6119-4ee6-84f0-e2b895dc9b5b"
)

// ModelKind is the sort of authenticator a catalog entry is.
type ModelKind string

// The model kinds.
const (
	ModelSecurityKey     ModelKind = "security-key"     // a USB/NFC security key or key card
	ModelPhone           ModelKind = "phone"            // a phone's passkey provider (synced or not)
	ModelPlatform        ModelKind = "platform"         // a computer's own authenticator
	ModelPasswordManager ModelKind = "password-manager" // a password manager that holds passkeys
)

// Model is one authenticator model of the catalog.
type Model struct {
	AAGUID string    `json:"aaguid"` // lowercase UUID, 8-4-4-4-12
	Name   string    `json:"name"`
	Kind   ModelKind `json:"kind"`
}

type catalog struct {
	models []Model
	byID   map[[16]byte]int
}

var (
	catalogOnce sync.Once
	theCatalog  *catalog
)

func loadCatalog() *catalog {
	catalogOnce.Do(func() {
		c, err := parseCatalog(aaguidJSON)
		if err != nil {
			// The file is embedded at build time and checked by the
			// package tests, so this is a broken build, not bad input.
			panic("assets: aaguid.json: " + err.Error())
		}
		theCatalog = c
	})
	return theCatalog
}

func parseCatalog(data []byte) (*catalog, error) {
	var models []Model
	if err := json.Unmarshal(data, &models); err != nil {
		return nil, err
	}
	c := &catalog{models: models, byID: make(map[[16]byte]int, len(models))}
	for i, m := range models {
		id, err := ParseAAGUID(m.AAGUID)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%q): %w", i, m.Name, err)
		}
		if m.AAGUID != strings.ToLower(m.AAGUID) {
			return nil, fmt.Errorf("entry %d (%q): AAGUID %s is not lowercase", i, m.Name, m.AAGUID)
		}
		if strings.TrimSpace(m.Name) == "" || m.Name != strings.TrimSpace(m.Name) {
			return nil, fmt.Errorf("entry %d (%s): name %q is empty or padded", i, m.AAGUID, m.Name)
		}
		switch m.Kind {
		case ModelSecurityKey, ModelPhone, ModelPlatform, ModelPasswordManager:
		default:
			return nil, fmt.Errorf("entry %d (%q): unknown kind %q", i, m.Name, m.Kind)
		}
		if j, dup := c.byID[id]; dup {
			return nil, fmt.Errorf("entry %d (%q): AAGUID %s already used by entry %d", i, m.Name, m.AAGUID, j)
		}
		c.byID[id] = i
	}
	return c, nil
}

// ParseAAGUID parses an AAGUID written as a UUID (8-4-4-4-12 hex digits,
// either case).
func ParseAAGUID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, fmt.Errorf("AAGUID %q is not of the form 8-4-4-4-12", s)
	}
	digits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(id[:], []byte(digits)); err != nil {
		return id, fmt.Errorf("AAGUID %q: %w", s, err)
	}
	return id, nil
}

// Catalog returns every model of the AAGUID catalog, in the file's order.
// The slice is the caller's to keep.
func Catalog() []Model {
	return append([]Model(nil), loadCatalog().models...)
}

// LookupModel returns the catalog entry for an AAGUID given as the 16 raw
// bytes of attested credential data (WebAuthn §6.5.2).
func LookupModel(aaguid []byte) (Model, bool) {
	if len(aaguid) != 16 {
		return Model{}, false
	}
	c := loadCatalog()
	i, ok := c.byID[[16]byte(aaguid)]
	if !ok {
		return Model{}, false
	}
	return c.models[i], true
}

// ModelName names the authenticator model of an AAGUID (16 raw bytes), or
// returns "" when the catalog does not know it. The all-zero AAGUID, which
// "none" attestation leaves behind, is never known. Its signature fits
// account.Config.Model.
func ModelName(aaguid []byte) string {
	m, _ := LookupModel(aaguid)
	return m.Name
}
