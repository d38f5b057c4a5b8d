package account

import "context"

// PhonePasskeyName exposes phonePasskeyName to the package's tests.
var PhonePasskeyName = phonePasskeyName

// BrowserOf exposes browserOf to the package's tests.
var BrowserOf = browserOf

// UnknownEmailMAC is the key of the abuse state of an email no active
// account has.
func UnknownEmailMAC(s *Service, email string) []byte { return s.codeMAC(macUnknownEmail, "", email) }

// AttemptLifetime exposes attemptLifetime.
const AttemptLifetime = attemptLifetime

// AppendEventNow appends an event of type t through the service's store,
// as the service's own writers do (its alert is mailed after the commit):
// for alert kinds whose change another part builds.
func AppendEventNow(s *Service, accountID string, t EventType, detail string) error {
	return s.store.Update(context.Background(), func(tx Tx) error { return tx.AppendEvent(accountID, s.event(t, detail)) })
}
