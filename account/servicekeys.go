package account

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ServiceKeyPrefix starts every service key's secret. It differs from
// APIKeyPrefix, so a key's kind shows at a glance (and in a scan).
const ServiceKeyPrefix = "pdks_"

// ServiceKeyScope says what a service key may do.
type ServiceKeyScope string

// ScopeApprovals lets a service key request approvals for any account
// (named by ID or email), read the answers to its own requests, and list
// and follow the account's passkeys to check those answers.
const ScopeApprovals ServiceKeyScope = "approvals"

// ServiceKey is a server-wide key of the operator's backend (an exchange
// itself), as the server's operator sees it. Unlike an account's APIKey it
// belongs to no account: it names the account with each request. The
// secret is shown only once, by CreateServiceKey.
type ServiceKey struct {
	ID         string
	Name       string
	Scope      ServiceKeyScope
	Hint       string // "pdks_" and the secret's first characters
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// NewServiceKey is a service key just created, with its secret.
type NewServiceKey struct {
	ServiceKey
	// Secret is "pdks_" and 43 base64url characters (256 random bits). It
	// is not stored; show it once.
	Secret string
}

// CreateServiceKey makes a service key in st: only the secret's hash is
// stored. Names are 1 to 64 printable characters, unique among the keys
// not revoked, as they name the key in every account's activity. These
// functions are the server operator's (its command line), not a part of
// API: no session may make a service key.
func CreateServiceKey(ctx context.Context, st Store, name string, scope ServiceKeyScope, now time.Time) (*NewServiceKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return nil, &InputError{Field: "name", Reason: "use 1 to 64 printable characters"}
	}
	if scope != ScopeApprovals {
		return nil, &InputError{Field: "scope", Reason: "the one scope is approvals"}
	}
	secret := ServiceKeyPrefix + randomToken()
	k := &ServiceKeyRecord{
		ID:        randomID(),
		Hash:      hashToken(secret),
		Name:      name,
		Scope:     scope,
		Hint:      secret[:len(ServiceKeyPrefix)+4],
		CreatedAt: now.UTC(),
	}
	err := st.Update(ctx, func(tx Tx) error {
		ks, err := tx.ServiceKeys()
		if err != nil {
			return err
		}
		for _, o := range ks {
			if o.Name == name && o.RevokedAt.IsZero() {
				return &InputError{Field: "name", Reason: "a service key of that name exists: revoke it first or choose another"}
			}
		}
		return tx.InsertServiceKey(k)
	})
	if err != nil {
		return nil, err
	}
	return &NewServiceKey{ServiceKey: serviceKeyOf(k), Secret: secret}, nil
}

// ListServiceKeys lists st's service keys, oldest first, revoked ones
// included.
func ListServiceKeys(ctx context.Context, st Store) ([]ServiceKey, error) {
	var out []ServiceKey
	err := st.View(ctx, func(tx Tx) error {
		ks, err := tx.ServiceKeys()
		for i := range ks {
			out = append(out, serviceKeyOf(&ks[i]))
		}
		return err
	})
	return out, err
}

// RevokeServiceKey stops the service key id at once (ErrNotFound when
// there is none); revoking a revoked key is not an error. Approvals it
// requested stay as they are.
func RevokeServiceKey(ctx context.Context, st Store, id string, now time.Time) error {
	return st.Update(ctx, func(tx Tx) error {
		ks, err := tx.ServiceKeys()
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
			ks[i].RevokedAt = now.UTC()
			return tx.UpdateServiceKey(&ks[i])
		}
		return ErrNotFound
	})
}

func serviceKeyOf(k *ServiceKeyRecord) ServiceKey {
	return ServiceKey{ID: k.ID, Name: k.Name, Scope: k.Scope, Hint: k.Hint, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// requester is the key behind a requester's call: an account's API key
// or a service key.
type requester struct {
	account *APIKeyRecord     // an account's key, or nil
	service *ServiceKeyRecord // a service key, or nil
}

// id is the key's ID, which approvals record and MaxPendingApprovals
// counts by.
func (r *requester) id() string {
	if r.service != nil {
		return r.service.ID
	}
	return r.account.ID
}

// label names the key in the account's activity: "key NAME", and for a
// service key "key NAME (service)".
func (r *requester) label() string {
	if r.service != nil {
		return "key " + r.service.Name + " (service)"
	}
	return "key " + r.account.Name
}

// used records the key's use at now.
func (r *requester) used(tx Tx, now time.Time) error {
	if r.service != nil {
		r.service.LastUsedAt = now
		return tx.UpdateServiceKey(r.service)
	}
	r.account.LastUsedAt = now
	return tx.UpdateAPIKey(r.account)
}

// authenticateRequester resolves a requester's secret, "pdk_…" or
// "pdks_…", to its valid key: ErrInvalidAPIKey when it is missing,
// unknown or revoked (or, for an account's key, its account is not
// active).
func (s *Service) authenticateRequester(tx Tx, secret string) (*requester, error) {
	if !strings.HasPrefix(secret, ServiceKeyPrefix) {
		k, err := s.authenticateKey(tx, secret)
		if err != nil {
			return nil, err
		}
		return &requester{account: k}, nil
	}
	k, err := tx.ServiceKeyByHash(hashToken(secret))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidAPIKey
	}
	if err != nil {
		return nil, err
	}
	if !k.RevokedAt.IsZero() || k.Scope != ScopeApprovals {
		return nil, ErrInvalidAPIKey
	}
	return &requester{service: k}, nil
}

// target is the account a requester's call is for. A service key must
// name it, by account ID or email (ErrNotFound when no active account
// has it); an account's key may leave it out or name its own account,
// and naming another is an *InputError.
func (r *requester) target(tx Tx, name string) (string, error) {
	name = strings.TrimSpace(name)
	if r.service == nil {
		if name == "" || name == r.account.AccountID {
			return r.account.AccountID, nil
		}
		if rec, err := tx.AccountByID(r.account.AccountID); err == nil && strings.EqualFold(rec.Email, name) {
			return rec.ID, nil
		}
		return "", &InputError{Field: "account", Reason: "an account's API key acts for its own account only: leave the account out, or use a service key"}
	}
	if name == "" {
		return "", &InputError{Field: "account", Reason: "a service key names the account: give its ID or email"}
	}
	rec, err := tx.AccountByID(name)
	if errors.Is(err, ErrNotFound) && strings.Contains(name, "@") {
		var email string
		if email, err = normalizeEmail(name); err == nil {
			rec, err = tx.AccountByEmail(email)
		} else {
			err = ErrNotFound
		}
	}
	if err != nil {
		return "", err
	}
	if !rec.Active {
		return "", ErrNotFound
	}
	return rec.ID, nil
}
