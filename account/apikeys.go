package account

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKeyPrefix starts every service API key, so a leaked one is easy to
// recognise (and to scan for).
const APIKeyPrefix = "pdk_"

// APIKey is a service API key as its owner sees it; the secret is shown
// only once, by CreateAPIKey.
type APIKey struct {
	ID         string
	Name       string
	Hint       string // "pdk_" and the secret's first characters
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// NewAPIKey is a key just created, with its secret.
type NewAPIKey struct {
	APIKey
	// Secret is "pdk_" and 43 base64url characters (256 random bits). It
	// is not stored; show it once.
	Secret string
}

// CreateAPIKey implements API.
func (s *Service) CreateAPIKey(ctx context.Context, token, grant, name string) (*NewAPIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return nil, &InputError{Field: "name", Reason: "use 1 to 64 characters"}
	}
	secret := APIKeyPrefix + randomToken()
	k := &APIKeyRecord{
		ID:        randomID(),
		Hash:      hashToken(secret),
		Name:      name,
		Hint:      secret[:len(APIKeyPrefix)+4],
		CreatedAt: s.now().UTC(),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		if _, err := s.useGrant(tx, rec.ID, grant, PurposeCreateAPIKey); err != nil {
			return err
		}
		k.AccountID = rec.ID
		if err := tx.InsertAPIKey(k); err != nil {
			return err
		}
		return tx.AppendEvent(rec.ID, s.event(EventAPIKeyCreated, name+" ("+k.Hint+"…)"))
	})
	if err != nil {
		return nil, err
	}
	return &NewAPIKey{APIKey: apiKeyOf(k), Secret: secret}, nil
}

// ListAPIKeys implements API: the account's keys, oldest first, revoked
// ones included.
func (s *Service) ListAPIKeys(ctx context.Context, token string) ([]APIKey, error) {
	var out []APIKey
	err := s.store.View(ctx, func(tx Tx) error {
		rec, err := s.authenticate(tx, token)
		if err != nil {
			return err
		}
		ks, err := tx.APIKeys(rec.ID)
		for i := range ks {
			out = append(out, apiKeyOf(&ks[i]))
		}
		return err
	})
	return out, err
}

// RevokeAPIKey implements API. The key stops working at once; revoking a
// revoked key is not an error.
func (s *Service) RevokeAPIKey(ctx context.Context, token, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		rec, err := s.authenticateSensitive(tx, token)
		if err != nil {
			return err
		}
		ks, err := tx.APIKeys(rec.ID)
		if err != nil {
			return err
		}
		for i := range ks {
			if ks[i].ID != id {
				continue
			}
			if !ks[i].RevokedAt.IsZero() {
				return nil
			}
			ks[i].RevokedAt = s.now().UTC()
			if err := tx.UpdateAPIKey(&ks[i]); err != nil {
				return err
			}
			return tx.AppendEvent(rec.ID, s.event(EventAPIKeyRevoked, ks[i].Name+" ("+ks[i].Hint+"…)"))
		}
		return ErrNotFound
	})
}

// authenticateKey resolves an API key secret to its valid key record:
// ErrInvalidAPIKey when it is missing, unknown or revoked, or its account
// is not active.
func (s *Service) authenticateKey(tx Tx, secret string) (*APIKeyRecord, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) {
		return nil, ErrInvalidAPIKey
	}
	k, err := tx.APIKeyByHash(hashToken(secret))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, err
	}
	if !k.RevokedAt.IsZero() {
		return nil, ErrInvalidAPIKey
	}
	rec, err := tx.AccountByID(k.AccountID)
	if err != nil || !rec.Active {
		return nil, ErrInvalidAPIKey
	}
	return k, nil
}

func apiKeyOf(k *APIKeyRecord) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Hint: k.Hint, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}
