package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/backup"
)

// Backup backs up and restores the embedded account service's data folder
// (account/backup.Folder): its database and the key that seals the
// authenticator secrets, in a file encrypted under a passphrase.
type Backup interface {
	// Export writes a backup of the data folder as it is now to w.
	Export(ctx context.Context, w io.Writer, passphrase []byte, m backup.Manifest) error
	// Restore checks the backup in r whole and makes it wait for the
	// app's next start, which puts it in place; nothing the app uses now
	// changes, and a refused file leaves nothing behind.
	Restore(ctx context.Context, r io.Reader, passphrase []byte) (backup.Manifest, error)
}

// backupFileExt is the backup file's extension.
const backupFileExt = ".pkdbackup"

// maxBackupRead bounds what is read of a chosen file: more than any
// backup holds, so a larger file is refused as not a backup.
const maxBackupRead = 1<<30 + 1

// passphraseRule is the strength rule, in words.
var passphraseRule = fmt.Sprintf("At least %d characters; a few unrelated words make a good one. Keep it somewhere safe: without it nobody can open the backup.", backup.MinPassLen)

// backupSettings is Settings' part about backups, or nil when the account
// lives on a server.
func (a *App) backupSettings() fyne.CanvasObject {
	if a.backup == nil || a.shell == nil {
		return nil
	}
	save := newButtonWithIcon("Back up this computer's data…", theme.DocumentSaveIcon(), func() { a.shell.open(sectionBackup) })
	restore := newButtonWithIcon("Restore from a backup…", theme.FolderOpenIcon(), func() { a.shell.open(sectionRestore) })
	return container.NewVBox(
		heading("Backup"),
		paragraph("A backup file holds this computer's account database and the key that protects your authenticator secrets, encrypted under a passphrase you choose. Passkeys kept on this computer are bound to it and are not in the backup."),
		container.NewHBox(save, restore),
	)
}

// restoreLink is the way to restore a backup before signing in, or nil
// when the account lives on a server.
func (a *App) restoreLink() fyne.CanvasObject {
	if a.backup == nil {
		return nil
	}
	b := newButtonWithIcon("Restore from a backup…", theme.FolderOpenIcon(), func() {
		back := a.showSignIn
		if a.signUpScreen != nil {
			back = a.showSignUp
		}
		s := &restoreScreen{app: a, back: back}
		a.signInScreen, a.signUpScreen = nil, nil
		a.setContent(s.build(), s.choose)
	})
	b.Importance = widget.LowImportance
	return b
}

// leftBehindWords says which passkeys a backup does not carry.
func leftBehindWords(ps []backup.Passkey, here bool) string {
	if len(ps) == 0 {
		if here {
			return "No passkeys are kept on this computer, so the backup leaves none behind."
		}
		return "The backup left no passkeys behind: none were kept on the computer it was made on."
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = fmt.Sprintf("%q (%s, added %s)", p.Name, p.Account, p.CreatedAt.Local().Format("2 Jan 2006"))
	}
	list := strings.Join(names, ", ")
	if here {
		return fmt.Sprintf("Not in the backup: %s. Passkeys kept on this computer are bound to it: their private keys never leave it. After a restore on another computer, add a passkey there.", list)
	}
	return fmt.Sprintf("Not carried over: %s. These passkeys were kept on the computer the backup was made on and are bound to it; they do not work here. Add a passkey on this computer, and remove them from your account if that computer is gone.", list)
}

// backupScreen writes a backup: the passphrase typed twice, then where to
// save the file.
type backupScreen struct {
	app   *App
	shell *shell

	pass     *widget.Entry
	repeat   *widget.Entry
	save     *button
	left     *widget.Label // what stays behind
	fb       *feedback
	manifest *backup.Manifest   // nil until loaded
	dialog   *dialog.FileDialog // the save dialog, once shown
}

func (s *backupScreen) build() fyne.CanvasObject {
	s.pass = widget.NewPasswordEntry()
	s.pass.SetPlaceHolder(fmt.Sprintf("At least %d characters", backup.MinPassLen))
	s.repeat = widget.NewPasswordEntry()
	s.save = newButtonWithIcon("Choose where to save…", theme.DocumentSaveIcon(), s.chooseFile)
	s.save.Importance = widget.HighImportance
	s.left = paragraph("Looking for passkeys kept on this computer…")
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.chooseFile, s.pass, s.repeat)
	s.load()
	return page(
		headingText("Back up this computer's data"),
		paragraph("The backup holds your account database and the key that protects your authenticator secrets, encrypted under the passphrase below. Restore it on this or another computer with Restore from a backup."),
		s.left,
		widget.NewForm(
			widget.NewFormItem("Passphrase", s.pass),
			widget.NewFormItem("Repeat it", s.repeat),
		),
		paragraph(passphraseRule),
		container.NewHBox(s.save),
		s.fb.object(),
	)
}

// load finds the account's passkeys kept on this computer, for the
// manifest and the words about them.
func (s *backupScreen) load() {
	token := s.app.token
	var m backup.Manifest
	s.app.run(func(ctx context.Context) error {
		me, err := s.app.api.Me(ctx, token)
		if err != nil {
			return err
		}
		ps, err := s.app.api.Passkeys(ctx, token)
		if err != nil {
			return err
		}
		m.Accounts = []string{me.Email}
		for _, p := range ps {
			if p.Kind == account.KindThisComputer {
				m.LeftBehind = append(m.LeftBehind, backup.Passkey{Account: me.Email, Name: p.Name, CreatedAt: p.CreatedAt})
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			s.left.SetText("")
			s.app.fail(s.fb, "looking at your passkeys", err)
			return
		}
		s.manifest = &m
		s.left.SetText(leftBehindWords(m.LeftBehind, true))
	})
}

// checked returns the passphrase when it is typed twice the same and
// follows the rule; otherwise it says why.
func (s *backupScreen) checked() ([]byte, bool) {
	if s.pass.Text != s.repeat.Text {
		s.app.fail(s.fb, "backing up", &account.InputError{Field: "repeated passphrase", Reason: "type the same passphrase twice"})
		s.repeat.SetText("")
		s.app.focus(s.repeat)
		return nil, false
	}
	if err := backup.CheckPassphrase([]byte(s.pass.Text)); err != nil {
		s.app.fail(s.fb, "backing up", err)
		s.app.focus(s.pass)
		return nil, false
	}
	if s.manifest == nil {
		s.fb.busy("Looking for passkeys kept on this computer…")
		return nil, false
	}
	return []byte(s.pass.Text), true
}

// chooseFile asks where to save, then writes the backup there.
func (s *backupScreen) chooseFile() {
	if s.save.Disabled() {
		return
	}
	if _, ok := s.checked(); !ok {
		return
	}
	s.fb.clear()
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			s.app.fail(s.fb, "choosing where to save", err)
			return
		}
		if w != nil {
			s.write(w)
		}
	}, s.app.win)
	d.SetFileName("passkeydesk" + backupFileExt)
	s.dialog = d
	d.Show()
}

// write writes the backup to w off the UI goroutine. A file that could not
// be written whole is deleted.
func (s *backupScreen) write(w fyne.URIWriteCloser) {
	pass, ok := s.checked()
	if !ok {
		w.Close()
		storage.Delete(w.URI())
		return
	}
	m := *s.manifest
	s.fb.busy("Writing the backup…")
	setEnabled(false, s.pass, s.repeat, s.save)
	s.app.run(func(ctx context.Context) error {
		err := s.app.backup.Export(ctx, w, pass, m)
		clear(pass)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			storage.Delete(w.URI())
		}
		return err
	}, func(err error) {
		setEnabled(true, s.pass, s.repeat, s.save)
		s.fb.clear()
		if err != nil {
			s.app.fail(s.fb, "backing up", err)
			return
		}
		s.pass.SetText("")
		s.repeat.SetText("")
		s.fb.show(message{Title: "Backup saved", Sentence: "The backup was saved as " + w.URI().Name() + ".", Next: "Keep the file and its passphrase apart, somewhere safe."})
	})
}

// restoreScreen restores a backup: a file, its passphrase, and a restart
// that puts it in place. It is reached from Settings and, before signing
// in, from the sign-in and first-run screens.
type restoreScreen struct {
	app  *App
	back func()

	choose  *button
	file    *widget.Label
	pass    *widget.Entry
	restore *button
	cancel  *button
	box     *fyne.Container
	fb      *feedback

	name   string             // the chosen file's name
	data   []byte             // its bytes, nil until chosen
	dialog *dialog.FileDialog // the open dialog, once shown
}

func (s *restoreScreen) build() fyne.CanvasObject {
	s.choose = newButtonWithIcon("Choose the backup file…", theme.FolderOpenIcon(), s.chooseFile)
	s.file = paragraph("No file chosen.")
	s.pass = widget.NewPasswordEntry()
	s.restore = newButtonWithIcon("Restore", theme.DownloadIcon(), s.start)
	s.restore.Importance = widget.HighImportance
	s.cancel = newButtonWithIcon("Cancel", theme.CancelIcon(), s.back)
	s.fb = newFeedback()
	submitOnEnter(s.app.win.Canvas(), s.start, s.pass)
	s.box = container.NewVBox(
		container.NewHBox(s.choose),
		s.file,
		widget.NewForm(widget.NewFormItem("Passphrase", s.pass)),
		container.NewHBox(s.restore, s.cancel),
	)
	return page(
		headingText("Restore from a backup"),
		paragraph("The backup's account database and authenticator key replace what this app holds now; the current database is kept beside it as passkeydesk.db.before-restore. Passkey Desk restarts to open the restored data."),
		s.box,
		s.fb.object(),
	)
}

// chooseFile asks for the backup file and reads it.
func (s *restoreScreen) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			s.app.fail(s.fb, "choosing the backup file", err)
			return
		}
		if r == nil {
			return
		}
		var data []byte
		s.app.run(func(context.Context) error {
			defer r.Close()
			var rerr error
			data, rerr = io.ReadAll(io.LimitReader(r, maxBackupRead))
			return rerr
		}, func(err error) {
			if err != nil {
				s.app.fail(s.fb, "reading the backup file", err)
				return
			}
			s.use(r.URI().Name(), data)
		})
	}, s.app.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{backupFileExt}))
	s.dialog = d
	d.Show()
}

// use takes the chosen file's bytes.
func (s *restoreScreen) use(name string, data []byte) {
	s.name, s.data = name, data
	s.file.SetText("File: " + name)
	s.fb.clear()
	s.app.focus(s.pass)
}

// start restores the chosen file off the UI goroutine.
func (s *restoreScreen) start() {
	if s.restore.Disabled() {
		return
	}
	if s.data == nil {
		s.app.fail(s.fb, "restoring", &account.InputError{Field: "backup file", Reason: "choose the backup file first"})
		s.app.focus(s.choose)
		return
	}
	pass, data := []byte(s.pass.Text), s.data
	s.fb.busy("Opening the backup…")
	setEnabled(false, s.choose, s.pass, s.restore, s.cancel)
	var m backup.Manifest
	s.app.run(func(ctx context.Context) error {
		var err error
		m, err = s.app.backup.Restore(ctx, bytes.NewReader(data), pass)
		clear(pass)
		return err
	}, func(err error) {
		setEnabled(true, s.choose, s.pass, s.restore, s.cancel)
		s.fb.clear()
		if err != nil {
			s.app.fail(s.fb, "restoring", err)
			s.pass.SetText("")
			s.app.focus(s.pass)
			return
		}
		s.pass.SetText("")
		s.data = nil
		s.ready(m)
	})
}

// ready says what the backup holds and restarts the app on request.
func (s *restoreScreen) ready(m backup.Manifest) {
	restart := newButtonWithIcon("Restart now", theme.ViewRefreshIcon(), func() {
		if s.app.restart != nil {
			s.app.restart()
		}
	})
	restart.Importance = widget.HighImportance
	what := "The backup"
	if len(m.Accounts) > 0 {
		what += " of " + strings.Join(m.Accounts, ", ")
	}
	if !m.CreatedAt.IsZero() {
		what += ", made " + m.CreatedAt.Local().Format("2 Jan 2006 15:04") + ","
	}
	s.box.Objects = []fyne.CanvasObject{
		infoLine(what + " is ready. Passkey Desk restarts to put it in place (if you close it instead, its next start does); then sign in as you did on the computer it was made on."),
		warningLine(leftBehindWords(m.LeftBehind, false)),
		container.NewHBox(restart),
	}
	s.box.Refresh()
	s.app.focus(restart)
}

// describeBackup puts a backup's refusals in words.
func describeBackup(err error) (message, bool) {
	switch {
	case errors.Is(err, backup.ErrWrongPassphrase):
		return message{Title: "Wrong passphrase", Sentence: "The passphrase does not open this backup. Nothing was changed.", Next: "Type the passphrase chosen when the backup was made."}, true
	case errors.Is(err, backup.ErrDamaged):
		return message{Title: "The backup is damaged", Sentence: "The file was changed or cut short after it was made, so it cannot be restored. Nothing was changed.", Next: "Use another copy of the backup, or make a new one on the computer that has the data."}, true
	case errors.Is(err, backup.ErrNotBackup):
		return message{Title: "Not a backup", Sentence: "This file is not a Passkey Desk backup. Nothing was changed.", Next: "Choose the " + backupFileExt + " file made by Back up this computer's data."}, true
	case errors.Is(err, backup.ErrUnsupportedVersion):
		return message{Title: "Backup from a newer version", Sentence: "This backup was made by a newer version of Passkey Desk. Nothing was changed.", Next: "Update Passkey Desk, then restore it."}, true
	case errors.Is(err, backup.ErrWeakPassphrase):
		return message{Title: "Choose a longer passphrase", Sentence: sentence(err.Error()), Next: "Type a longer passphrase; a few unrelated words make a good one."}, true
	}
	var rp *account.RPIDChangeError
	if errors.As(err, &rp) {
		return message{Title: "The backup belongs to another address", Sentence: fmt.Sprintf("Its passkeys are bound to %s, and this app runs as %s. Nothing was changed.", rp.Stored, rp.Wanted),
			Next: "Start Passkey Desk with the public URL the backup was made with, then restore it."}, true
	}
	return message{}, false
}
