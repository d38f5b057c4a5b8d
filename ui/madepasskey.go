package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/remote"
	"github.com/passkeydesk/passkeydesk/fido"
)

// makePasskey runs one registration of kind on dev, for the flow whose
// prompter p shows its steps: the account service's creation options go
// through the WebAuthn client to the authenticator, which asks for its
// PIN and a touch through p (newPIN, when set, answers the first PIN
// request). done gets the new credential, or the error the flow goes on
// from, on the UI goroutine, unless the flow is over.
func makePasskey(p *prompter, parent context.Context, words promptWords, newPIN []byte,
	dev fido.Device, grant string, kind account.Kind, done func(cred []byte, err error)) {
	op := p.begin(parent, words, newPIN)
	p.showWaiting("Getting the passkey ready…")
	a := p.app
	token := a.token
	var cred []byte
	a.runIn(op.ctx, keyCeremonyTimeout, func(ctx context.Context) error {
		defer op.release()
		opts, err := a.api.BeginRegistration(ctx, token, grant, kind)
		if err != nil {
			return err
		}
		cred, err = a.client.Create(ctx, dev, opts, op.prompt)
		return err
	}, func(err error) {
		err = p.finish(op, err)
		if !p.over() {
			done(cred, err)
		}
	})
}

// madePasskey is a passkey an authenticator (a security key, this
// computer) has made for the account, on its way to the name step's save.
// From the moment it is made it exists on the authenticator: a flow that
// ends before the save (the person leaves through the sidebar) keeps it
// under its suggested name, so that the account and the authenticator
// agree, as the name step's second button does. A save that fails for a
// reason a retry can cure keeps the credential and the grant, so the save
// is tried again with the same credential, never a new one (nameStep);
// one that can no longer work (the grant or the challenge expired) offers
// to delete it from the authenticator.
type madePasskey struct {
	app          *App
	token, grant string
	cred         json.RawMessage
	def          string // the suggested name
	// name is the name of the last save tried, "" before one.
	name string
	// saving is set while a save is under way, saved once one worked;
	// gone once it cannot be saved and was deleted from the
	// authenticator, or the person chose to leave it there. All only on
	// the UI goroutine.
	saving, saved, gone bool
	// added is the account's passkey, once saved.
	added *account.Passkey
}

// save adds the passkey to the account under name, off the UI goroutine;
// done gets the result on the UI goroutine.
func (m *madePasskey) save(name string, done func(error)) {
	m.saving, m.name = true, name
	token, grant, cred := m.token, m.grant, m.cred
	var added *account.Passkey
	m.app.run(func(ctx context.Context) error {
		var err error
		added, err = m.app.api.FinishRegistration(ctx, token, grant, cred, name)
		return err
	}, func(err error) {
		m.saving = false
		m.saved, m.added = err == nil, added
		done(err)
	})
}

// keepIfLeft saves the passkey under the name last tried (else its
// suggested name) when its flow ends with no save done or under way. A
// failure is logged: the screen it would be shown on is gone.
func (m *madePasskey) keepIfLeft() {
	if m == nil || m.saving || m.saved || m.gone {
		return
	}
	name := m.name
	if name == "" {
		name = m.def
	}
	m.save(name, func(err error) {
		if err != nil {
			m.app.log.Warn("keeping a passkey made before its flow was left failed; it stays on the authenticator, unknown to the account", "err", err)
		}
	})
}

// id is the made passkey's credential ID (the credential's rawId), or
// nil when it cannot be read.
func (m *madePasskey) id() []byte {
	var c struct {
		RawID string `json:"rawId"`
	}
	if json.Unmarshal(m.cred, &c) != nil || c.RawID == "" {
		return nil
	}
	id, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c.RawID, "="))
	if err != nil {
		return nil
	}
	return id
}

// findSaved looks for the made passkey among the account's, off the UI
// goroutine: a save whose answer was lost on the way back may have been
// done. done gets it (nil when the account does not hold it) on the UI
// goroutine.
func (m *madePasskey) findSaved(done func(*account.Passkey, error)) {
	id, token := m.id(), m.token
	var found *account.Passkey
	m.app.run(func(ctx context.Context) error {
		list, err := m.app.api.Passkeys(ctx, token)
		for i := range list {
			if id != nil && bytes.Equal(list[i].CredentialID, id) {
				found = &list[i]
			}
		}
		return err
	}, func(err error) {
		if found != nil {
			m.saved, m.added = true, found
		}
		done(found, err)
	})
}

// retryable reports whether a failed save may work when tried again with
// the same credential: the account server was not reached, failed, was
// busy or limited the app, or did not answer in time.
func retryable(err error) bool {
	var re *remote.Error
	return errors.As(err, &re) || errors.Is(err, account.ErrUnavailable) ||
		errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
}

// unsaveable reports whether a failed save can no longer work with this
// credential: the identity check's grant, or the challenge the passkey
// answered, has expired or was used.
func unsaveable(err error) bool {
	return errors.Is(err, account.ErrGrantRequired) || errors.Is(err, account.ErrVerificationExpired) ||
		errors.Is(err, account.ErrCeremonyExpired)
}
