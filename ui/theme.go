package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// themeChoice is the theme setting: follow the system, or always light or
// dark. It is kept in the app's Preferences under prefTheme.
type themeChoice string

const (
	themeSystem themeChoice = "system"
	themeLight  themeChoice = "light"
	themeDark   themeChoice = "dark"

	prefTheme = "theme"
)

// themeChoices in the order settings offers them, with their labels.
var themeChoices = []struct {
	choice themeChoice
	label  string
}{
	{themeSystem, "Same as the system"},
	{themeLight, "Light"},
	{themeDark, "Dark"},
}

// savedTheme reads the theme setting; anything unknown means system.
func savedTheme(p fyne.Preferences) themeChoice {
	switch c := themeChoice(p.String(prefTheme)); c {
	case themeLight, themeDark:
		return c
	}
	return themeSystem
}

// applyTheme makes the app use the chosen theme.
func applyTheme(fa fyne.App, c themeChoice) {
	switch c {
	case themeLight:
		fa.Settings().SetTheme(fixedVariant{Theme: theme.DefaultTheme(), variant: theme.VariantLight})
	case themeDark:
		fa.Settings().SetTheme(fixedVariant{Theme: theme.DefaultTheme(), variant: theme.VariantDark})
	default:
		fa.Settings().SetTheme(theme.DefaultTheme())
	}
}

// fixedVariant is Fyne's default theme held in one variant whatever the
// system prefers.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}
