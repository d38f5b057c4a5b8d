// Command probe starts as the app does, with quietlocale imported, and
// prints the language Fyne found; Fyne's log goes to stderr.
package main

import (
	"fmt"

	"fyne.io/fyne/v2/lang"

	_ "github.com/passkeydesk/passkeydesk/cmd/internal/quietlocale"
)

func main() { fmt.Println(lang.SystemLocale().LanguageString()) }
