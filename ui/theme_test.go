package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/client"
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

// noKeys is a security-key provider that is never asked: it makes the
// app offer passkey sign-in.
type noKeys struct{ fido.Provider }

// buttonFill is the colour a button is drawn in, read off its renderer.
func buttonFill(t *testing.T, b *button) color.Color {
	t.Helper()
	for _, o := range test.WidgetRenderer(b).Objects() {
		if r, ok := o.(*canvas.Rectangle); ok {
			return r.FillColor
		}
	}
	t.Fatalf("button %q has no background", b.Text)
	return nil
}

// outlines are the colours of the outline images of o's unticked boxes
// and unselected radio buttons, as drawn: every themed icon but their
// fill.
func outlines(th fyne.Theme, o fyne.CanvasObject) []color.Color {
	var out []color.Color
	walkVisible(o, func(o fyne.CanvasObject) {
		img, ok := o.(*canvas.Image)
		if !ok {
			return
		}
		if res, ok := img.Resource.(*theme.ThemedResource); ok && res.ColorName != theme.ColorNameInputBackground {
			out = append(out, th.Color(res.ColorName, theme.VariantLight))
		}
	})
	return out
}

// The light theme's main buttons, unticked boxes and unselected radio
// buttons meet 4.5:1 against the page, as the status colours do: "Sign in
// with a passkey" and "Add passkey" are drawn in the primary fill (not
// Fyne's pale grey, 1.1:1 on white) whose white text reads at 4.5:1 or
// better too, and the boxes' outlines are dark enough to be seen.
func TestLightThemeMainControlsStandOut(t *testing.T) {
	c, err := client.New(accounttest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{client: c, keys: noKeys{}})
	h.fa.Preferences().SetString(prefTheme, string(themeLight))
	h.setKnownAccount(true)
	h.start()
	th := h.fa.Settings().Theme()
	bg := th.Color(theme.ColorNameBackground, theme.VariantLight)
	check := func(what string, fg, bg color.Color) {
		t.Helper()
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("%s reads at %.2f:1, under 4.5:1", what, r)
		}
	}

	b := h.button("Sign in with a passkey")
	check(`"Sign in with a passkey" on the page`, buttonFill(t, b), bg)
	check(`"Sign in with a passkey"'s words on the button`, th.Color(theme.ColorNameForegroundOnPrimary, theme.VariantLight), buttonFill(t, b))

	u := h.user("ann@example.com")
	h.signedIn(u)
	b = h.button("Add passkey")
	check(`"Add passkey" on the page`, buttonFill(t, b), bg)
	check(`"Add passkey"'s words on the button`, th.Color(theme.ColorNameForegroundOnPrimary, theme.VariantLight), buttonFill(t, b))

	w := test.NewTempWindow(t, container.NewVBox(
		widget.NewCheck("Always require the PIN", nil),
		widget.NewRadioGroup([]string{"Light", "Dark"}, nil),
	))
	lines := outlines(th, w.Content())
	if len(lines) < 3 {
		t.Fatalf("found %d outlines; want the box's and two radio buttons'", len(lines))
	}
	for _, l := range lines {
		check("an unticked box or unselected radio button's outline on the page", l, bg)
		check("an unticked box or unselected radio button's outline on its fill", l, th.Color(theme.ColorNameInputBackground, theme.VariantLight))
	}
}
