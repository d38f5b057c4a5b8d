package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// keyFileWarning is what Settings says when the key that seals the
// authenticator secrets is kept in a file in the data folder.
const keyFileWarning = "The key that protects your authenticator secrets is stored in a file next to the database, because no system keyring was found. Anyone with a copy of this folder can read them. Start a system keyring (such as GNOME Keyring or KWallet) and restart Passkey Desk to move the key there."

// settingsScreen shows where the app keeps its data and whether the
// session is remembered, sets the theme, and manages this computer's
// passkeys (thiscomputersettings.go) when the app has that method.
type settingsScreen struct {
	app *App

	dataDir  *widget.Label
	theme    *widget.RadioGroup
	session  *widget.Label
	security *policySettings
	apiKeys  *apiKeySettings
	local    *thisComputerSettings // nil without the this-computer method
}

// close ends what Settings has under way when it goes away.
func (s *settingsScreen) close() {
	if s.security != nil {
		s.security.close()
	}
	if s.apiKeys != nil {
		s.apiKeys.close()
	}
	if s.local != nil {
		s.local.close()
	}
}

func (s *settingsScreen) build() fyne.CanvasObject {
	s.dataDir = widget.NewLabelWithStyle(s.app.dataDir, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.dataDir.Selectable = true
	s.dataDir.Wrapping = fyne.TextWrapBreak

	labels := make([]string, len(themeChoices))
	for i, c := range themeChoices {
		labels[i] = c.label
	}
	s.theme = widget.NewRadioGroup(labels, nil)
	current := savedTheme(s.app.fyne.Preferences())
	for _, c := range themeChoices {
		if c.choice == current {
			s.theme.SetSelected(c.label)
		}
	}
	s.theme.Required = true
	s.theme.OnChanged = s.setTheme

	s.session = paragraph("Your sign-in is kept in the system keyring until you sign out.")
	if s.app.tokenProblem != nil {
		m := describe(s.app.tokenProblem)
		s.session.SetText(m.Sentence + " " + m.Next)
	}

	s.security = newPolicySettings(s.app)
	var keyFile fyne.CanvasObject // nil: page leaves it out
	if s.app.keyFile {
		keyFile = warningLine(keyFileWarning)
	}
	dataWords := "Your account database and the app's other data live here:"
	if s.app.server != "" {
		dataWords = "The app's own data (this computer's passkeys, the simulated key) lives here:"
	}
	parts := []fyne.CanvasObject{headingText("Settings"), s.security.build(), s.app.passwordSettings(), s.app.emailSettings(), s.app.recoveryCodesSettings()}
	if s.app.thisComputer != nil {
		s.local = newThisComputerSettings(s.app)
		parts = append(parts, s.local.build())
	}
	s.apiKeys = newAPIKeySettings(s.app)
	return page(append(parts,
		s.app.requestersHelp(),
		s.apiKeys.build(),
		heading("Theme"),
		s.theme,
		heading("Account server"),
		paragraph(serverWords(s.app.server)),
		heading("Data folder"),
		paragraph(dataWords),
		s.dataDir,
		keyFile,
		heading("Session"),
		s.session,
	)...)
}

func (s *settingsScreen) setTheme(label string) {
	for _, c := range themeChoices {
		if c.label == label {
			s.app.fyne.Preferences().SetString(prefTheme, string(c.choice))
			applyTheme(s.app.fyne, c.choice)
			return
		}
	}
}

// serverWords says where the account lives.
func serverWords(server string) string {
	if server == "" {
		return "Your account lives on this computer, in the app's own account service."
	}
	return "Your account lives on the server " + server + "."
}
