package ui

import (
	"context"
	"encoding/json"

	"github.com/passkeydesk/passkeydesk/account"
)

// madePasskey is a passkey an authenticator (a security key, this
// computer) has made for the account, on its way to the name step's save.
// From the moment it is made it exists on the authenticator: a flow that
// ends before the save (the person leaves through the sidebar) keeps it
// under its suggested name, so that the account and the authenticator
// agree, as the name step's second button does.
type madePasskey struct {
	app          *App
	token, grant string
	cred         json.RawMessage
	def          string // the suggested name
	// saving is set while a save is under way, saved once one worked;
	// both only on the UI goroutine.
	saving, saved bool
	// added is the account's passkey, once saved.
	added *account.Passkey
}

// save adds the passkey to the account under name, off the UI goroutine;
// done gets the result on the UI goroutine.
func (m *madePasskey) save(name string, done func(error)) {
	m.saving = true
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

// keepIfLeft saves the passkey under its suggested name when its flow
// ends with no save done or under way. A failure is logged: the screen it
// would be shown on is gone.
func (m *madePasskey) keepIfLeft() {
	if m == nil || m.saving || m.saved {
		return
	}
	m.save(m.def, func(err error) {
		if err != nil {
			m.app.log.Warn("keeping a passkey made before its flow was left failed; it stays on the authenticator, unknown to the account", "err", err)
		}
	})
}
