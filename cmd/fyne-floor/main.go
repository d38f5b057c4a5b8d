// Command fyne-floor is the smallest Fyne program that opens a window.
//
// It exists only as the yardstick for `make bench`: Passkey Desk's start-up
// time and resident memory are reported as ratios against this program,
// built in the same run with the same toolchain and driver. Its window has
// the same size as Passkey Desk's, so the ratio is the app's own cost.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.passkeydesk.floor")
	w := a.NewWindow("Fyne floor")
	w.SetContent(widget.NewLabel("Fyne floor"))
	w.Resize(fyne.NewSize(900, 640))
	w.ShowAndRun()
}
