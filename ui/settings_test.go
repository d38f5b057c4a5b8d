package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

func TestSettingsShowDataFolder(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.signedIn(h.user("uma@example.com"))
	h.tap("Settings")
	h.wantText("/home/user/.config/passkeydesk", "Your sign-in is kept in the system keyring until you sign out.")
	if !h.app.shell.settings.dataDir.Selectable {
		t.Error("the data folder cannot be selected for copying")
	}
}

// Settings warns when the key that protects the authenticator secrets is
// kept in a file in the data folder, and only then.
func TestSettingsWarnsOfSealingKeyFile(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("uma@example.com")
	h.signedIn(u)
	h.tap("Settings")
	h.notText("stored in a file next to the database")

	h.keyFile = true
	h.signedIn(u) // a new start
	h.tap("Settings")
	h.wantText("The key that protects your authenticator secrets is stored in a file next to the database, because no system keyring was found.",
		"restart Passkey Desk to move the key there")
}

func TestThemeSettingIsAppliedAndKept(t *testing.T) {
	bg := func(v fyne.ThemeVariant) color.Color {
		return theme.DefaultTheme().Color(theme.ColorNameBackground, v)
	}
	for _, tc := range []struct {
		label   string
		pref    themeChoice
		variant fyne.ThemeVariant // the variant the theme must hold whatever the system says
		fixed   bool
	}{
		{"Dark", themeDark, theme.VariantDark, true},
		{"Light", themeLight, theme.VariantLight, true},
		{"Same as the system", themeSystem, 0, false},
	} {
		t.Run(tc.label, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			h.signedIn(h.user("vic@example.com"))
			h.tap("Settings")
			// Start from the opposite so the choice below is a change.
			h.app.shell.settings.theme.SetSelected("Dark")
			h.app.shell.settings.theme.SetSelected("Light")
			h.app.shell.settings.theme.SetSelected(tc.label)

			check := func(when string) {
				t.Helper()
				if got := themeChoice(h.fa.Preferences().String(prefTheme)); got != tc.pref {
					t.Errorf("%s: preference %q; want %q", when, got, tc.pref)
				}
				th := h.fa.Settings().Theme()
				for _, system := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
					want := bg(system)
					if tc.fixed {
						want = bg(tc.variant)
					}
					if got := th.Color(theme.ColorNameBackground, system); got != want {
						t.Errorf("%s: with the system %v the background is %v; want %v", when, system, got, want)
					}
				}
			}
			check("after choosing")

			// A new start applies the saved theme and shows it selected.
			h.fa.Settings().SetTheme(theme.DefaultTheme())
			h.start()
			check("after a restart")
			h.tap("Settings")
			if got := h.app.shell.settings.theme.Selected; got != tc.label {
				t.Errorf("after a restart settings shows %q selected; want %q", got, tc.label)
			}
		})
	}
}
