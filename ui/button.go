package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// button is the app's button: a widget.Button that Enter (Return, and the
// keypad's Enter) presses too, not only Space as in Fyne, because a
// keyboard user who has tabbed to a button expects Enter to press it.
// Fyne hands a key to the focused widget alone (a window's key handler
// hears only keys nobody has the focus for), so the key is caught here,
// on the button. Every button of the package is made with newButton or
// newButtonWithIcon; TestEveryButtonIsPressedByEnter holds the package to
// it.
type button struct {
	widget.Button
}

// newButton is widget.NewButton, pressed by Enter too.
func newButton(label string, tapped func()) *button {
	return newButtonWithIcon(label, nil, tapped)
}

// newButtonWithIcon is widget.NewButtonWithIcon, pressed by Enter too.
func newButtonWithIcon(label string, icon fyne.Resource, tapped func()) *button {
	b := &button{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey presses the button on Enter, and does what a Fyne button does
// with any other key (Space presses it).
func (b *button) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Tapped(nil)
	default:
		b.Button.TypedKey(ev)
	}
}
