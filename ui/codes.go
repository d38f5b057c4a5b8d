package ui

import (
	"strings"
	"unicode"

	"github.com/passkeydesk/passkeydesk/account"
)

// oneTimeCode reads a code as typed into a code field: the spaces and
// dashes an app, an email or a phone may show it with ("123 456",
// "123-456") are dropped before its length is checked. A code that is not
// then 6 digits is refused here, before it reaches the service, where it
// would count as a wrong attempt towards the factor's lock. what names
// the code in the message ("code", "email code").
func oneTimeCode(typed, what string) (string, error) {
	code := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) {
			return -1
		}
		return r
	}, typed)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", &account.InputError{Field: what, Reason: "it has 6 digits: type the 6 digits as shown"}
	}
	return code, nil
}
