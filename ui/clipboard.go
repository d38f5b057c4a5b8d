package ui

import (
	"time"

	"fyne.io/fyne/v2/theme"
)

// clipboardLifetime is how long a copied secret (the authenticator secret,
// a new API key) stays on the clipboard.
const clipboardLifetime = 60 * time.Second

// copySecret puts secret on the clipboard for the Copy button b, which then
// says "Copied". After clipboardLifetime it takes secret off the clipboard,
// unless something else has been copied since, and b says "Copy" again.
func (a *App) copySecret(b *button, secret string) {
	cb := a.fyne.Clipboard()
	cb.SetContent(secret)
	b.SetText("Copied")
	b.SetIcon(theme.ConfirmIcon())
	a.after(clipboardLifetime, func() {
		if cb.Content() == secret {
			cb.SetContent("")
		}
		b.SetText("Copy")
		b.SetIcon(theme.ContentCopyIcon())
	})
}
