// Package enroll is the key side of the enrollment station: it readies
// one security key for one person, step by step, through fido and the
// WebAuthn client (fido/client).
//
// The steps, in order (see Step): an optional reset (the person pulls the
// key out and puts it back, then touches it: keys allow a reset only just
// after power-up); a PIN, random from crypto/rand or given; the key's
// minimum PIN length where it supports authenticatorConfig; the passkey,
// made for creation options that a Registrar begins and finishes (the
// account service, plugged in by the caller); force-PIN-change where the
// key supports it, so that the owner must choose their own PIN at first
// use; the key's label (model from the AAGUID catalog and the short ID of
// the credential made, account.CredentialShortID). StationRegistrar
// plugs in the account service's station API.
//
// A Job holds one person's progress and their PIN, in memory only: the
// PIN leaves a Job only through PIN (for the PIN slip) and is zeroed by
// Forget. Running a Job again goes on where it stopped, asking the key
// what it already has (a PIN, the minimum length, a forced change); a
// passkey made on a key whose finish failed is finished on the next run,
// never made twice. A key pulled out ends the run with a *StepError that
// matches fido.ErrKeyRemoved.
//
// Outcomes a station offers choices for are distinct errors:
// ErrAlreadyEnrolled, ErrKeyFull, ErrNoPINSupport, ErrForceChangeRefused,
// ErrKeyHasPIN. Runs on different keys are independent: Start runs one in
// its own goroutine, and Station.Watch starts one for every key plugged
// in. Progress goes to a callback that must not block (a screen hands the
// Event to its UI goroutine with fyne.Do).
//
// The package imports no Fyne and no account code.
package enroll
