package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// A requester's key, an account's API key (pdk_…) or a service key
// (pdks_…), may list the account's passkeys and follow their additions
// and removals, so that it keeps its own copy of the keys and checks each
// approval's assertion against that copy rather than the service's word:
//
//	GET /v1/requester/passkeys           the list
//	GET /v1/requester/passkeys/events    server-sent events "added" and "removed"
//
// An account's key reads its own account; a service key names the account
// with ?account=ID or email.

// RequesterPasskey is one of an account's passkeys as a requester reads
// it. Binary fields are base64url without padding.
type RequesterPasskey struct {
	ID           string `json:"id"`
	CredentialID string `json:"credentialId"`
	// PublicKey is the COSE_Key, Algorithm its COSE algorithm (-7 ES256,
	// -257 RS256, -8 EdDSA, …).
	PublicKey string     `json:"publicKey"`
	Algorithm int64      `json:"algorithm"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"createdAt"`
	StillHeld bool       `json:"stillHeld"`
	LostAt    *time.Time `json:"lostAt,omitempty"`
}

func requesterPasskeyOf(p account.RequesterPasskey) RequesterPasskey {
	out := RequesterPasskey{ID: p.ID, CredentialID: b64.EncodeToString(p.CredentialID), PublicKey: b64.EncodeToString(p.PublicKey),
		Algorithm: p.Algorithm, Name: p.Name, CreatedAt: p.CreatedAt, StillHeld: p.StillHeld}
	if !p.LostAt.IsZero() {
		out.LostAt = &p.LostAt
	}
	return out
}

// isRequesterKey reports whether key has the form of a requester's key.
func isRequesterKey(key string) bool {
	return strings.HasPrefix(key, account.APIKeyPrefix) || strings.HasPrefix(key, account.ServiceKeyPrefix)
}

// passkeyReader checks a requester's call (not from another origin, with
// a requester's key) and returns the key and the handler's API as an
// account.PasskeyReader. It answers a refusal itself and returns false;
// an API that cannot read passkeys (a remote client) answers 501.
func (h *Handler) passkeyReader(w http.ResponseWriter, r *http.Request) (string, account.PasskeyReader, bool) {
	if o := r.Header.Get("Origin"); o != "" && o != h.origin {
		writeError(w, http.StatusForbidden, "cross-origin", "cross-origin requests are refused")
		return "", nil, false
	}
	key := bearer(r)
	if !isRequesterKey(key) {
		writeError(w, http.StatusUnauthorized, "invalid-api-key", "send an API key (pdk_…) or a service key (pdks_…) as Authorization: Bearer")
		return "", nil, false
	}
	pr, ok := h.api.(account.PasskeyReader)
	if !ok {
		writeError(w, http.StatusNotImplemented, "not-implemented", "this server does not list passkeys to requesters")
		return "", nil, false
	}
	return key, pr, true
}

// requesterPasskeys answers the account's passkeys, oldest first.
func (h *Handler) requesterPasskeys(w http.ResponseWriter, r *http.Request) {
	key, pr, ok := h.passkeyReader(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	list, err := pr.RequesterPasskeys(ctx, key, r.URL.Query().Get("account"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]RequesterPasskey, 0, len(list))
	for _, p := range list {
		out = append(out, requesterPasskeyOf(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// requesterPasskeyEvents streams the account's passkeys: each still held
// at once as "added", then every "added" and "removed".
func (h *Handler) requesterPasskeyEvents(w http.ResponseWriter, r *http.Request) {
	key, pr, ok := h.passkeyReader(w, r)
	if !ok {
		return
	}
	ch, err := pr.WatchRequesterPasskeys(r.Context(), key, r.URL.Query().Get("account"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.stream(w, r, func(send func(event string, v any) error) {
		for c := range ch {
			if send(c.Type, requesterPasskeyOf(c.Passkey)) != nil {
				return
			}
		}
	})
}
