package ui

import (
	"context"
	"errors"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/fido"
)

// register runs one registration on the opened key: the account service's
// creation options go through the WebAuthn client to the key, which asks
// for its PIN (the PIN step) and a touch (the touch step), both shown by
// the flow's prompter. newPIN, when set, is the PIN just set on the key:
// it answers the first PIN request instead of asking again, and is zeroed
// after.
//
// Cancel on either step, the flow ending, or the key being pulled out
// cancels the operation's context; libfido2 then sends CTAPHID_CANCEL
// until the key gives up.
func (f *keyFlow) register(newPIN []byte) {
	words := keyWords(f.chosen)
	words.touchNote = "Nothing is added to your account until you name the new passkey and save it."
	makePasskey(f.prompts, f.ctx, words, newPIN, f.sess.dev, f.grant, account.KindSecurityKey, func(cred []byte, err error) {
		if err != nil {
			f.fail("adding a security key", err)
			return
		}
		f.showName(cred)
	})
}

// madeOn implements namingFlow.
func (f *keyFlow) madeOn() string { return "your key" }

// deleteMade implements namingFlow: it deletes the credential from the
// chosen key, asking for its PIN as a registration does. The key is
// opened again when it was closed (after a failure); Cancel and the key
// being pulled out end the operation as they end a registration.
func (f *keyFlow) deleteMade(id []byte, done func(error)) {
	words := keyWords(f.chosen)
	op := f.prompts.begin(f.ctx, words, nil)
	op.prompt.Touch = func() {} // deleting needs no touch
	f.prompts.showWaiting("Deleting the passkey from the key…")
	dev, chosen := f.sess.dev, f.chosen
	opened := false
	var before <-chan struct{}
	settled := func() {}
	if dev == nil {
		before, settled = f.sess.queueKeyWork()
	}
	f.app.runIn(op.ctx, keyCeremonyTimeout, func(ctx context.Context) error {
		defer op.release()
		defer settled()
		if dev == nil {
			err := waitClosed(ctx, before)
			if err != nil {
				return err
			}
			if dev, err = f.app.keys.Open(ctx, chosen.Path); err != nil {
				dev = nil
				return err
			}
			opened = true
		}
		m, ok := dev.(fido.Manager)
		if !ok {
			return errManagementUnsupported
		}
		err := m.DeleteCredential(ctx, id, op.prompt)
		if errors.Is(err, fido.ErrNoCredentials) {
			return nil
		}
		return err
	}, func(err error) {
		err = f.prompts.finish(op, err)
		if opened {
			if f.ended {
				f.sess.closeKey(dev)
			} else {
				f.sess.dev = dev
			}
		}
		if err != nil && !f.ended {
			// The next try opens the key afresh: it may have been pulled
			// out and plugged in again.
			f.closeKey()
		}
		done(err)
	})
}
