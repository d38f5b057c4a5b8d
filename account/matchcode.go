package account

import (
	"strings"
	"unicode"
)

// matchCodeMAC is the stored form of an enrollment's match code: the
// codeMAC of its ID and the code. A copy of the database without the
// secret key cannot test the million codes against it, as it could a
// plain hash.
func (s *Service) matchCodeMAC(id, code string) []byte {
	return s.codeMAC("match-code", id, code)
}

// typedMatchCode reads a match code as a person types it: the spaces and
// dashes it may be shown or typed with ("114 473", "114-473") are dropped
// first, then it must be 6 digits.
func typedMatchCode(typed string) (string, error) {
	code := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) {
			return -1
		}
		return r
	}, typed)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", &InputError{Field: "code", Reason: "type the 6 digits the phone shows"}
	}
	return code, nil
}
