package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// contrast is the WCAG 2 contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, bl, _ := c.RGBA()
		lin := func(v uint32) float64 {
			x := float64(v) / 0xffff
			if x <= 0.03928 {
				return x / 12.92
			}
			return math.Pow((x+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(bl)
	}
	la, lb := lum(a), lum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// Status messages (a passkey removed, an approval approved, a hold) are
// text in the success, warning or error colour: each must read at 4.5:1
// or better on the page's background in both variants, whichever way the
// theme was chosen. Fyne's own success green is about 1.5:1 on white.
func TestStatusColoursAreReadable(t *testing.T) {
	fa := test.NewTempApp(t)
	for _, c := range []themeChoice{themeSystem, themeLight, themeDark} {
		applyTheme(fa, c)
		th := fa.Settings().Theme()
		for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
			bg := th.Color(theme.ColorNameBackground, v)
			for _, n := range []fyne.ThemeColorName{theme.ColorNameSuccess, theme.ColorNameWarning, theme.ColorNameError} {
				if r := contrast(th.Color(n, v), bg); r < 4.5 {
					t.Errorf("theme %s, variant %d: %s text on the background reads at %.1f:1, under 4.5:1", c, v, n, r)
				}
			}
		}
	}
}

// A fixed choice holds its variant whatever the system asks for.
func TestFixedThemeHoldsItsVariant(t *testing.T) {
	fa := test.NewTempApp(t)
	applyTheme(fa, themeDark)
	th := fa.Settings().Theme()
	if th.Color(theme.ColorNameBackground, theme.VariantLight) != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark) {
		t.Error("the dark choice gives a light background when the system is light")
	}
	applyTheme(fa, themeLight)
	th = fa.Settings().Theme()
	if th.Color(theme.ColorNameBackground, theme.VariantDark) != theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		t.Error("the light choice gives a dark background when the system is dark")
	}
}
