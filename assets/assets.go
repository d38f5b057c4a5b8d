// Package assets holds the files Passkey Desk ships inside its binaries,
// embedded with //go:embed: the application icon (Icon) and the catalog of
// authenticator models by AAGUID (catalog.go).
package assets

import (
	_ "embed"
)

// IconPNG is the application icon: a white shield with a key hole on a blue
// rounded square, 512×512 PNG. The GUI sets it as the app and window icon;
// FyneApp.toml points the packaging tool at the same file. It is bytes,
// not a Fyne resource, so that the account server, which serves the phone
// page from this package, does not link the GUI toolkit.
//
//go:embed icon.png
var IconPNG []byte
