// Command control is probe without quietlocale.
package main

import (
	"fmt"

	"fyne.io/fyne/v2/lang"
)

func main() { fmt.Println(lang.SystemLocale().LanguageString()) }
