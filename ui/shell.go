package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/passkeydesk/passkeydesk/account"
)

// section is one place the signed-in shell's navigation leads to.
type section int

const (
	sectionOverview section = iota
	sectionPasskeys
	sectionSettings
	sectionAddPasskey // reached from the overview and passkeys, not the nav
	sectionApprovals
	sectionActivity
	sectionKeys   // the key panel; in the nav only with Deps.Keys
	sectionUnlock // confirming a restricted session; from its banner
	// sectionRecoveryCodes counts and remakes recovery codes; from
	// Settings and the overview's nudge.
	sectionRecoveryCodes
	sectionChangePassword // from Settings
	sectionStation        // the enrollment station; in the nav for operators only
	sectionChangeEmail    // from Settings (email.go)
	// sectionBackup and sectionRestore write and restore a backup of the
	// data folder (backup.go); from Settings.
	sectionBackup
	sectionRestore
	sectionDeleteAccount // from Settings (deleteaccount.go)
	// sectionChangeAuthenticator and sectionSessions: from Settings
	// (changeauthenticator.go, sessions.go).
	sectionChangeAuthenticator
	sectionSessions
)

// shell is the signed-in window: the account at the top, navigation on
// the left (Tab and Space, or Ctrl+1…3 anywhere), the current section in
// the middle.
type shell struct {
	app *App

	nav       map[section]*button
	signOut   *button
	fb        *feedback
	content   *fyne.Container
	current   section
	shortcuts []fyne.Shortcut

	// The screen on display; the others are nil.
	overview  *overviewScreen
	passkeys  *passkeysScreen
	settings  *settingsScreen
	wizard    *addPasskeyScreen
	approvals *approvalsScreen
	detail    *approvalDetail
	activity  *activityScreen
	// watch keeps the count of pending approvals, for the badge.
	watch    *approvalWatch
	keyPanel *keyPanel
	// banner says the session is restricted, while it is.
	banner *restrictedBanner
	unlock *unlockScreen
	// recovery is the recovery codes' screen (recoverycodes.go).
	recovery *recoveryCodesScreen
	// password is the change-password screen (changepassword.go).
	password *changePasswordScreen
	// station is the enrollment station (station.go). It outlives a visit
	// to another section: keys go on being readied, and their PINs wait
	// for their slips, until the operator signs out.
	station *stationScreen
	// email is the change-email screen (email.go).
	email *changeEmailScreen
	// backup and restore are the backup screens (backup.go).
	backup  *backupScreen
	restore *restoreScreen
	// deletion asks for the account's deletion (deleteaccount.go).
	deletion *deleteAccountScreen
	// authenticator and sessions: changeauthenticator.go, sessions.go.
	authenticator *changeAuthenticatorScreen
	sessions      *sessionsScreen
}

func newShell(a *App) *shell {
	return &shell{app: a}
}

// show puts the shell in the window and opens the overview.
func (s *shell) show() {
	s.nav = map[section]*button{
		sectionOverview:  newButtonWithIcon("Overview", theme.HomeIcon(), func() { s.open(sectionOverview) }),
		sectionPasskeys:  newButtonWithIcon("Passkeys", theme.LoginIcon(), func() { s.open(sectionPasskeys) }),
		sectionSettings:  newButtonWithIcon("Settings", theme.SettingsIcon(), func() { s.open(sectionSettings) }),
		sectionApprovals: newButtonWithIcon("Approvals", theme.MailComposeIcon(), func() { s.open(sectionApprovals) }),
		sectionActivity:  newButtonWithIcon("Activity", theme.HistoryIcon(), func() { s.open(sectionActivity) }),
	}
	s.watch = newApprovalWatch(s)
	if s.app.keys != nil {
		s.nav[sectionKeys] = newButtonWithIcon("Security keys", theme.StorageIcon(), func() { s.open(sectionKeys) })
	}
	if s.app.me.Role == account.RoleOperator {
		s.nav[sectionStation] = newButtonWithIcon("Enrollment station", theme.AccountIcon(), func() { s.open(sectionStation) })
	}
	for _, b := range s.nav {
		b.Alignment = widget.ButtonAlignLeading
	}
	s.fb = newFeedback()
	s.signOut = newButtonWithIcon("Sign out", theme.LogoutIcon(), nil)
	s.signOut.OnTapped = func() { s.app.signOut(s.fb, s.signOut) }
	s.signOut.Alignment = widget.ButtonAlignLeading
	s.content = container.NewStack()

	who := widget.NewLabelWithStyle(s.app.me.DisplayName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	email := widget.NewLabel(s.app.me.Email)
	email.Truncation = fyne.TextTruncateEllipsis
	nav := container.NewVBox(
		who, email, widget.NewSeparator(),
		s.nav[sectionOverview],
		container.NewBorder(nil, nil, nil, s.watch.badge, s.nav[sectionApprovals]),
		s.nav[sectionActivity], s.nav[sectionPasskeys], s.nav[sectionSettings],
	)
	if b := s.nav[sectionKeys]; b != nil {
		nav.Add(b)
	}
	if b := s.nav[sectionStation]; b != nil {
		nav.Add(b)
	}
	nav.Add(widget.NewSeparator())
	nav.Add(s.signOut)
	nav.Add(s.fb.object())
	left := container.NewBorder(nil, nil, nil, widget.NewSeparator(),
		container.NewVScroll(container.New(fixedWidth(190), nav)))
	s.banner = newRestrictedBanner(s)
	s.app.setContent(container.NewBorder(nil, nil, left, nil,
		container.NewBorder(s.banner.object(), nil, nil, nil, s.content)), nil)

	for _, sec := range []section{sectionOverview, sectionPasskeys, sectionSettings} {
		sc := navShortcut(sec)
		s.app.win.Canvas().AddShortcut(sc, func(fyne.Shortcut) { s.open(sec) })
		s.shortcuts = append(s.shortcuts, sc)
	}
	s.open(sectionOverview)
	s.watch.start()
}

// navShortcut is the keyboard shortcut of a navigation section: Ctrl+1, 2
// and 3 (Cmd on macOS).
func navShortcut(sec section) *desktop.CustomShortcut {
	key := map[section]fyne.KeyName{sectionOverview: fyne.Key1, sectionPasskeys: fyne.Key2, sectionSettings: fyne.Key3}[sec]
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

// open shows a section.
func (s *shell) open(sec section) {
	s.current = sec
	if s.wizard != nil {
		s.wizard.close()
	}
	if s.detail != nil {
		s.detail.close()
	}
	s.approvals, s.detail, s.activity = nil, nil, nil
	s.closeScreens()
	if s.keyPanel != nil {
		s.keyPanel.close()
		s.keyPanel = nil
	}
	for k, b := range s.nav {
		if k == sec {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	s.overview, s.passkeys, s.settings, s.wizard, s.unlock = nil, nil, nil, nil, nil
	s.recovery, s.password, s.email = nil, nil, nil
	s.backup, s.restore, s.deletion = nil, nil, nil
	s.recovery, s.password = nil, nil
	s.authenticator, s.sessions = nil, nil
	var (
		obj   fyne.CanvasObject
		focus fyne.Focusable
	)
	switch sec {
	case sectionOverview:
		s.overview = &overviewScreen{app: s.app, shell: s}
		obj, focus = s.overview.build(), s.nav[sec]
	case sectionPasskeys:
		s.passkeys = &passkeysScreen{app: s.app, shell: s}
		obj, focus = s.passkeys.build(), s.nav[sec]
	case sectionSettings:
		s.settings = &settingsScreen{app: s.app}
		obj, focus = s.settings.build(), s.nav[sec]
	case sectionKeys:
		s.keyPanel = newKeyPanel(s.app, s)
		obj, focus = s.keyPanel.build(), s.nav[sec]
	case sectionAddPasskey:
		s.wizard = &addPasskeyScreen{app: s.app, shell: s}
		obj = s.wizard.build()
	case sectionApprovals:
		s.approvals = &approvalsScreen{app: s.app, shell: s}
		obj, focus = s.approvals.build(), s.nav[sec]
	case sectionActivity:
		s.activity = &activityScreen{app: s.app}
		obj, focus = s.activity.build(), s.nav[sec]
	case sectionUnlock:
		s.unlock = &unlockScreen{app: s.app, shell: s}
		obj = s.unlock.build()
	case sectionRecoveryCodes:
		s.recovery = &recoveryCodesScreen{app: s.app, shell: s}
		obj, focus = s.recovery.build(), s.recovery.make
	case sectionChangePassword:
		s.password = &changePasswordScreen{app: s.app, shell: s}
		obj, focus = s.password.build(), s.password.password
	case sectionStation:
		if s.station == nil {
			s.station = newStationScreen(s.app, s)
		}
		obj, focus = s.station.build(), s.nav[sec]
	case sectionChangeEmail:
		s.email = &changeEmailScreen{app: s.app, shell: s}
		obj, focus = s.email.build(), s.email.email
	case sectionBackup:
		s.backup = &backupScreen{app: s.app, shell: s}
		obj, focus = s.backup.build(), s.backup.pass
	case sectionRestore:
		s.restore = &restoreScreen{app: s.app, back: func() { s.open(sectionSettings) }}
		obj, focus = s.restore.build(), s.restore.choose
	case sectionDeleteAccount:
		s.deletion = &deleteAccountScreen{app: s.app, shell: s}
		obj, focus = s.deletion.build(), s.deletion.confirm
	case sectionChangeAuthenticator:
		s.authenticator = &changeAuthenticatorScreen{app: s.app, shell: s}
		obj, focus = s.authenticator.build(), s.authenticator.start
	case sectionSessions:
		s.sessions = &sessionsScreen{app: s.app, shell: s}
		obj, focus = s.sessions.build(), s.sessions.others
	}
	s.content.Objects = []fyne.CanvasObject{obj}
	s.content.Refresh()
	if sec == sectionAddPasskey {
		s.wizard.later.show(s.app)
	}
	if sec == sectionUnlock {
		s.unlock.check.shown()
	}
	if focus != nil {
		s.app.focus(focus)
	}
}

// close removes what the shell added to the window beyond its content.
func (s *shell) close() {
	if s.wizard != nil {
		s.wizard.close()
	}
	if s.detail != nil {
		s.detail.close()
	}
	s.watch.stop()
	s.closeScreens()
	if s.station != nil {
		s.station.close()
	}
	if s.keyPanel != nil {
		s.keyPanel.close()
	}
	for _, sc := range s.shortcuts {
		s.app.win.Canvas().RemoveShortcut(sc)
	}
	s.shortcuts = nil
}

// closeScreens ends what the passkeys and settings screens have under way
// (a removal's or a policy change's identity check, and with it any key
// operation) as they go away.
func (s *shell) closeScreens() {
	if s.passkeys != nil && s.passkeys.removal != nil {
		s.passkeys.removal.close()
	}
	if s.settings != nil {
		s.settings.close()
	}
	if s.unlock != nil {
		s.unlock.close()
	}
	if s.recovery != nil {
		s.recovery.close()
	}
	if s.password != nil {
		s.password.close()
	}
	if s.email != nil {
		s.email.close()
	}
	if s.deletion != nil {
		s.deletion.close()
	}
	if s.authenticator != nil {
		s.authenticator.close()
	}
}
