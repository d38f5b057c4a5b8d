// Package quietlocale keeps Fyne from logging a locale error at start on
// a system whose locale is C or POSIX with an encoding (Debian's default
// C.UTF-8). Fyne reads the locale while its lang package initialises,
// before main runs, so the fix is an init function: import this package
// (for its side effect) from a main package that imports Fyne. Go
// initialises it first: it needs nothing but the standard library, and
// Fyne's lang package waits for golang.org/x/text, whose path sorts after
// this one's (the order the Go specification fixes since Go 1.21). The
// test builds such a program and runs it to hold that.
package quietlocale

import (
	"os"
	"strings"
)

// quietLocale keeps Fyne from logging a locale error at start on a system
// whose locale is C or POSIX with an encoding (Debian's default C.UTF-8):
// Fyne's locale reader takes "C.UTF-8" for the language "C", which is no
// language tag, and logs "Error parsing user locale C". With such a locale
// and no LANGUAGE set, it sets LANGUAGE=en, the English a C locale means,
// in words Fyne reads. Only the message language is named: the C
// library's locale categories (LC_*, LANG) stay as they are. It returns
// whether it set anything.
func quietLocale() bool {
	if os.Getenv("LANGUAGE") != "" {
		return false
	}
	loc := ""
	for _, env := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = os.Getenv(env); loc != "" {
			break
		}
	}
	lang, _, _ := strings.Cut(loc, ".")
	lang, _, _ = strings.Cut(lang, "@")
	if loc == lang || (lang != "C" && lang != "POSIX") {
		return false // unset, plain C or POSIX (which Fyne reads), or a real language
	}
	os.Setenv("LANGUAGE", "en")
	return true
}

func init() { quietLocale() }
