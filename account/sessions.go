package account

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// Sessions: each says which app made it and from where, and when it was
// last seen. A session ends SessionLifetime after it began, or
// SessionIdleTimeout after it was last seen, whichever comes first (both
// set in Config), and when its owner ends it from another session.
const (
	// DefaultSessionLifetime and DefaultSessionIdle are the limits when
	// Config leaves them zero.
	DefaultSessionLifetime = 30 * 24 * time.Hour
	DefaultSessionIdle     = 7 * 24 * time.Hour
	// SessionLifetime is DefaultSessionLifetime, the name from before the
	// limits were configurable: past it every session has ended.
	SessionLifetime = DefaultSessionLifetime
	// SeenResolution: a session's last-seen time is written at most this
	// often, not at every call, so a busy session adds no write per call.
	SeenResolution = time.Minute
)

// ClientKind says which app made a session.
type ClientKind string

// The kinds of client.
const (
	// ClientDesktop is the Passkey Desk app, in-process or through its
	// HTTP client (account/remote, which says so in a header).
	ClientDesktop ClientKind = "desktop"
	// ClientBrowser is any other caller of the HTTP API: a web page, a
	// script.
	ClientBrowser ClientKind = "browser"
)

// Label is the kind as the user reads it.
func (k ClientKind) Label() string {
	switch k {
	case ClientDesktop:
		return "Passkey Desk app"
	case ClientBrowser:
		return "Web browser"
	}
	return "Unknown app"
}

type clientKindKey struct{}

// WithClientKind tells the calls that make a session (SignIn,
// ConfirmSignUp, FinishLogin) which app asks; without it, ClientDesktop.
// The address they record is the one WithClientAddress gives.
func WithClientKind(ctx context.Context, k ClientKind) context.Context {
	return context.WithValue(ctx, clientKindKey{}, k)
}

func clientKind(ctx context.Context) ClientKind {
	if k, ok := ctx.Value(clientKindKey{}).(ClientKind); ok && (k == ClientDesktop || k == ClientBrowser) {
		return k
	}
	return ClientDesktop
}

// SessionInfo is one of the account's sessions as its owner sees it.
type SessionInfo struct {
	// ID names the session to EndSession; it is not its token.
	ID     string
	Client ClientKind
	// Address is where the session was signed in from, as the server
	// saw it; "" for the app's own embedded service.
	Address    string
	CreatedAt  time.Time
	LastSeenAt time.Time // to within SeenResolution
	ExpiresAt  time.Time // the idle or absolute limit, whichever is first
	// Current is the session asking.
	Current    bool
	Restricted bool
}

// SessionManager is the part of API that lists and ends sessions.
type SessionManager interface {
	// Sessions lists the account's sessions that have not expired,
	// oldest first.
	Sessions(ctx context.Context, token string) ([]SessionInfo, error)
	// EndSession ends one of the account's sessions (the asking one
	// too); ErrNotFound when the account has no session with that ID.
	EndSession(ctx context.Context, token, id string) error
	// EndOtherSessions ends every session of the account but the asking
	// one and says how many it ended.
	EndOtherSessions(ctx context.Context, token string) (int, error)
}

// sessionOrigin is what a new session records of where it came from.
type sessionOrigin struct {
	client    ClientKind
	address   string
	passkeyID string // the passkey that signed it in, "" for none
}

// originOf is the origin of a session made for the caller of ctx.
func originOf(ctx context.Context) sessionOrigin {
	return sessionOrigin{client: clientKind(ctx), address: clientAddress(ctx)}
}

// sessionID is the public name of the session whose token has hash.
func sessionID(hash []byte) string {
	sum := sha256.Sum256(append([]byte("passkeydesk session id\x00"), hash...))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// sessionEnd is when a session begun at created and last seen at seen
// ends.
func (s *Service) sessionEnd(created, seen time.Time) time.Time {
	end := created.Add(s.sessionLife)
	if idle := seen.Add(s.sessionIdle); idle.Before(end) {
		end = idle
	}
	return end
}

// seen records that sr was used at now, when its last-seen time is
// SeenResolution old or more and no other call in this process is
// writing it already: in tx when it is an Update's, otherwise once the
// View is over (see viewingTx).
func (s *Service) seen(tx Tx, sr *SessionRecord, now time.Time) error {
	if now.Sub(sr.LastSeenAt) < SeenResolution || !s.seenWrites.claim(sr.Hash, now) {
		return nil
	}
	sr.LastSeenAt, sr.ExpiresAt = now, s.sessionEnd(sr.CreatedAt, now)
	if vtx, ok := tx.(*viewingTx); ok {
		vtx.seen = append(vtx.seen, *sr)
		return nil
	}
	return tx.TouchSession(sr.Hash, sr.LastSeenAt, sr.ExpiresAt)
}

// viewingTx is the Tx of the service's View: it keeps the sessions seen
// during it, whose new last-seen times are written after it.
type viewingTx struct {
	Tx
	seen []SessionRecord
}

func (p *publishingStore) View(ctx context.Context, fn func(Tx) error) error {
	var vtx *viewingTx
	err := p.Store.View(ctx, func(tx Tx) error {
		vtx = &viewingTx{Tx: tx}
		return fn(vtx)
	})
	if err != nil || vtx == nil || len(vtx.seen) == 0 {
		return err
	}
	// The call itself succeeded: a last-seen time that cannot be written
	// now is written at the session's next call.
	p.Store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		for _, sr := range vtx.seen {
			if err := tx.TouchSession(sr.Hash, sr.LastSeenAt, sr.ExpiresAt); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}

// Sessions implements API.
func (s *Service) Sessions(ctx context.Context, token string) ([]SessionInfo, error) {
	var out []SessionInfo
	err := s.store.View(ctx, func(tx Tx) error {
		cur, _, err := s.session(tx, token)
		if err != nil {
			return err
		}
		srs, err := tx.Sessions(cur.AccountID)
		if err != nil {
			return err
		}
		now := s.now()
		out = make([]SessionInfo, 0, len(srs))
		for _, sr := range srs {
			if !now.Before(sr.ExpiresAt) {
				continue
			}
			current := bytes.Equal(sr.Hash, cur.Hash)
			if current {
				sr = *cur // with the last-seen time just taken
			}
			out = append(out, SessionInfo{ID: sessionID(sr.Hash), Client: sr.Client, Address: sr.Address,
				CreatedAt: sr.CreatedAt, LastSeenAt: sr.LastSeenAt, ExpiresAt: sr.ExpiresAt,
				Current: current, Restricted: sr.Restricted})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EndSession implements API. A restricted session may end only itself
// (ErrSessionRestricted for another).
func (s *Service) EndSession(ctx context.Context, token, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		cur, _, err := s.session(tx, token)
		if err != nil {
			return err
		}
		srs, err := tx.Sessions(cur.AccountID)
		if err != nil {
			return err
		}
		for _, sr := range srs {
			if sessionID(sr.Hash) != id || !s.now().Before(sr.ExpiresAt) {
				continue
			}
			current := bytes.Equal(sr.Hash, cur.Hash)
			if cur.Restricted && !current {
				return ErrSessionRestricted
			}
			if err := tx.DeleteSession(sr.Hash); err != nil {
				return err
			}
			detail := fmt.Sprintf("%s%s, signed in %s", sr.Client.Label(), fromWords(sr.Address), sr.CreatedAt.Format(time.RFC3339))
			if current {
				return tx.AppendEvent(cur.AccountID, s.event(EventSignedOut, ""))
			}
			return tx.AppendEvent(cur.AccountID, s.event(EventSessionEnded, detail))
		}
		return ErrNotFound
	})
}

// EndOtherSessions implements API. A restricted session may not
// (ErrSessionRestricted).
func (s *Service) EndOtherSessions(ctx context.Context, token string) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		cur, _, err := s.session(tx, token)
		if err != nil {
			return err
		}
		if cur.Restricted {
			return ErrSessionRestricted
		}
		if n, err = tx.DeleteOtherSessions(cur.AccountID, cur.Hash); err != nil || n == 0 {
			return err
		}
		return tx.AppendEvent(cur.AccountID, s.event(EventSessionEnded, fmt.Sprintf("all %d other sessions", n)))
	})
	return n, err
}

// EventSessionEnded: the owner ended other sessions of the account.
const EventSessionEnded EventType = "session-ended"

func fromWords(address string) string {
	if address == "" {
		return ""
	}
	return " from " + address
}

// endCloneSessions ends the account's sessions signed in with passkey
// pk, which now looks cloned, but keep (the one asking; nil for none),
// and logs how many.
func (s *Service) endCloneSessions(tx Tx, accountID string, pk *Passkey, keep []byte) error {
	n, err := tx.DeleteSessionsSignedInWith(accountID, pk.ID, keep)
	if err != nil || n == 0 {
		return err
	}
	return tx.AppendEvent(accountID, s.event(EventSessionEnded,
		fmt.Sprintf("%d sessions signed in with %s, which may have been copied", n, pk.Name)))
}

// seenWrites keeps which sessions this process has written a last-seen
// time of within SeenResolution, so calls of one session arriving
// together at the minute write it once, not once each. A write that then
// fails is tried again a minute later.
type seenWrites struct {
	mu sync.Mutex
	at map[string]time.Time
}

// seenWritesPrune: past this many entries, claim drops those older than
// SeenResolution.
const seenWritesPrune = 4096

// claim reports whether the caller is to write hash's last-seen time at
// now, and if so counts it written.
func (w *seenWrites) claim(hash []byte, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := string(hash)
	if t, ok := w.at[key]; ok && now.Sub(t) < SeenResolution && !now.Before(t) {
		return false
	}
	if w.at == nil {
		w.at = make(map[string]time.Time)
	}
	if len(w.at) >= seenWritesPrune {
		for k, t := range w.at {
			if now.Sub(t) >= SeenResolution {
				delete(w.at, k)
			}
		}
	}
	w.at[key] = now
	return true
}
