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
	t := appTheme{Theme: theme.DefaultTheme()}
	switch c {
	case themeLight:
		t.variant, t.fixed = theme.VariantLight, true
	case themeDark:
		t.variant, t.fixed = theme.VariantDark, true
	}
	fa.Settings().SetTheme(t)
}

// appTheme is Fyne's default theme, held in one variant when fixed, with
// the status colours, the main buttons' blue and the boxes' outlines
// darkened in the light variant (readableOnLight). Fyne's own success,
// warning and error colours are bright enough to fill a button under white
// text, but as text on a white page they are hard or impossible to read
// (success green is about 1.5:1 against white). The darker shades read at
// 4.5:1 or better as text (WCAG AA) and still carry white text on buttons.
type appTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
	fixed   bool
}

// readableOnLight are the colours the light variant changes:
//
//   - The status colours, read as text on the page.
//   - The primary colour, the fill of the main buttons (Sign in, Sign in
//     with a passkey, Add passkey): Fyne's blue reads at 4.47:1 under
//     white text and against the white page; this darker blue at 5.2:1.
//     Its text stays white.
//   - The input border, the outline of an unticked box and of an
//     unselected radio button (and of entries): Fyne's #e3e3e3 is
//     1.3:1 on white, close to invisible; this grey is 5.3:1 on the page
//     and 4.8:1 on the boxes' own grey fill.
var readableOnLight = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameSuccess:             color.NRGBA{R: 0x1b, G: 0x7a, B: 0x30, A: 0xff},
	theme.ColorNameWarning:             color.NRGBA{R: 0xa8, G: 0x52, B: 0x00, A: 0xff},
	theme.ColorNameError:               color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	theme.ColorNamePrimary:             color.NRGBA{R: 0x25, G: 0x63, B: 0xeb, A: 0xff},
	theme.ColorNameForegroundOnPrimary: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
	theme.ColorNameInputBorder:         color.NRGBA{R: 0x6b, G: 0x6b, B: 0x6b, A: 0xff},
}

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.fixed {
		v = t.variant
	}
	if c, ok := readableOnLight[n]; ok && v == theme.VariantLight {
		return c
	}
	return t.Theme.Color(n, v)
}

// sizeNamePageTitle is the size of a page's title where the page's own
// sections have titles of the heading size (the security-key panel): a
// quarter larger than a heading, so the page's title reads first.
const sizeNamePageTitle fyne.ThemeSizeName = "passkeydesk-page-title"

func (t appTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == sizeNamePageTitle {
		return t.Theme.Size(theme.SizeNameHeadingText) * 1.25
	}
	return t.Theme.Size(n)
}
