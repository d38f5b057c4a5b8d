package account

import (
	"context"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// RequesterPasskey is one of an account's passkeys as a requester sees
// it: enough to keep its own copy of the account's keys and check each
// approval's assertion against that copy, not the service's word.
type RequesterPasskey struct {
	ID           string // as in Approval.PasskeyID
	CredentialID []byte
	PublicKey    []byte // COSE_Key
	// Algorithm is the key's COSE algorithm: -7 ES256, -35 ES384, -36
	// ES512, -257 RS256, -258 RS384, -259 RS512, -37 PS256, -38 PS384,
	// -39 PS512, -8 EdDSA (Ed25519).
	Algorithm int64
	Name      string
	CreatedAt time.Time
	// StillHeld is false once the passkey is marked lost: its
	// authenticator no longer holds it, and no answer signed by it
	// should be trusted.
	StillHeld bool
	LostAt    time.Time // zero while held
}

// The kinds of PasskeyChange.
const (
	PasskeyAdded   = "added"
	PasskeyRemoved = "removed" // deleted, or marked lost
)

// PasskeyChange is one change to an account's passkeys as a requester
// follows them.
type PasskeyChange struct {
	Type    string // PasskeyAdded or PasskeyRemoved
	Passkey RequesterPasskey
}

// PasskeyReader is what a requester's key may read of an account's
// passkeys. *Service implements it; it is not a part of API, which is
// the desktop's face.
type PasskeyReader interface {
	// RequesterPasskeys lists the account's passkeys, oldest first, lost
	// ones included. account is as in ApprovalRequest.Account.
	RequesterPasskeys(ctx context.Context, apiKey, account string) ([]RequesterPasskey, error)
	// WatchRequesterPasskeys sends every passkey still held as added,
	// then each addition and removal (deletion or loss) as it happens,
	// through this instance or another. The channel closes when ctx ends
	// or the key stops being valid.
	WatchRequesterPasskeys(ctx context.Context, apiKey, account string) (<-chan PasskeyChange, error)
}

var _ PasskeyReader = (*Service)(nil)

// RequesterPasskeys implements PasskeyReader.
func (s *Service) RequesterPasskeys(ctx context.Context, apiKey, account string) ([]RequesterPasskey, error) {
	_, out, err := s.requesterPasskeys(ctx, apiKey, account)
	return out, err
}

// requesterPasskeys authenticates the key, resolves the account and reads
// its passkeys, in one read transaction.
func (s *Service) requesterPasskeys(ctx context.Context, apiKey, account string) (string, []RequesterPasskey, error) {
	var accountID string
	var out []RequesterPasskey
	err := s.store.View(ctx, func(tx Tx) error {
		k, err := s.authenticateRequester(tx, apiKey)
		if err != nil {
			return err
		}
		if accountID, err = k.target(tx, account); err != nil {
			return err
		}
		pks, err := tx.Passkeys(accountID)
		if err != nil {
			return err
		}
		out = make([]RequesterPasskey, 0, len(pks))
		for _, p := range pks {
			out = append(out, requesterPasskeyOf(&p))
		}
		return nil
	})
	return accountID, out, err
}

func requesterPasskeyOf(p *Passkey) RequesterPasskey {
	var key webauthncose.PublicKeyData
	_ = webauthncbor.Unmarshal(p.PublicKey, &key) // stored keys were parsed at registration
	return RequesterPasskey{ID: p.ID, CredentialID: p.CredentialID, PublicKey: p.PublicKey, Algorithm: key.Algorithm,
		Name: p.Name, CreatedAt: p.CreatedAt, StillHeld: !p.Lost(), LostAt: p.LostAt}
}

// passkeyRecheck is how often a quiet watch reads again, so that a
// revoked key's watch ends without a change to the passkeys.
const passkeyRecheck = time.Minute

// keyCounter counts open watches by key, up to a limit.
type keyCounter struct {
	mu sync.Mutex
	n  map[string]int
}

// hold takes one of key's limit places (ErrTooManyPasskeyWatches when
// none is left); release gives it back, once.
func (c *keyCounter) hold(key string, limit int) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] >= limit {
		return nil, ErrTooManyPasskeyWatches
	}
	if c.n == nil {
		c.n = make(map[string]int)
	}
	c.n[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.n[key]--; c.n[key] <= 0 {
				delete(c.n, key)
			}
		})
	}, nil
}

// WatchRequesterPasskeys implements PasskeyReader. A key has at most
// MaxPasskeyWatchesPerKey open in this process (ErrTooManyPasskeyWatches).
func (s *Service) WatchRequesterPasskeys(ctx context.Context, apiKey, account string) (<-chan PasskeyChange, error) {
	accountID, first, err := s.requesterPasskeys(ctx, apiKey, account)
	if err != nil {
		return nil, err
	}
	release, err := s.passkeyWatching.hold(string(hashToken(apiKey)), MaxPasskeyWatchesPerKey)
	if err != nil {
		return nil, err
	}
	wake := s.passkeyWatchers.subscribe(accountID)
	// Read again now that the watch is subscribed: a change between the
	// first read and the subscription is not lost.
	if _, first, err = s.requesterPasskeys(ctx, apiKey, accountID); err != nil {
		s.passkeyWatchers.unsubscribe(accountID, wake)
		release()
		return nil, err
	}
	out := make(chan PasskeyChange, 16)
	go func() {
		defer close(out)
		defer release()
		defer s.passkeyWatchers.unsubscribe(accountID, wake)
		held := map[string]RequesterPasskey{}
		send := func(list []RequesterPasskey) bool {
			var changes []PasskeyChange
			now := map[string]RequesterPasskey{}
			for _, p := range list {
				if p.StillHeld {
					now[p.ID] = p
					if _, ok := held[p.ID]; !ok {
						changes = append(changes, PasskeyChange{Type: PasskeyAdded, Passkey: p})
					}
				}
			}
			for _, p := range held {
				if _, ok := now[p.ID]; !ok {
					for _, q := range list {
						if q.ID == p.ID {
							p = q // marked lost: say when
						}
					}
					p.StillHeld = false
					changes = append(changes, PasskeyChange{Type: PasskeyRemoved, Passkey: p})
				}
			}
			held = now
			for _, c := range changes {
				select {
				case out <- c:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
		if !send(first) {
			return
		}
		for {
			t := time.NewTimer(passkeyRecheck)
			select {
			case <-ctx.Done():
			case <-wake:
			case <-t.C:
			}
			t.Stop()
			if ctx.Err() != nil {
				return
			}
			_, list, err := s.requesterPasskeys(ctx, apiKey, accountID)
			if err != nil || !send(list) {
				return // the key was revoked, or ctx ended
			}
		}
	}()
	return out, nil
}
