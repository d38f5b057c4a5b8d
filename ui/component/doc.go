// Package component holds Passkey Desk's reusable Fyne widgets: the QR code
// view and the icons for the kinds of passkey. Each widget embeds
// widget.BaseWidget and has its own renderer; none of them knows about the
// account service or about the screens that use it.
package component
