package account

// PhonePasskeyName exposes phonePasskeyName to the package's tests.
var PhonePasskeyName = phonePasskeyName

// BrowserOf exposes browserOf to the package's tests.
var BrowserOf = browserOf

// UnknownEmailMAC is the key of the abuse state of an email no active
// account has.
func UnknownEmailMAC(s *Service, email string) []byte { return s.codeMAC(macUnknownEmail, "", email) }

// AttemptLifetime exposes attemptLifetime.
const AttemptLifetime = attemptLifetime
