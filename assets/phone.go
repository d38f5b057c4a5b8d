package assets

import (
	"embed"
	"io/fs"
)

// phoneFiles is the phone enrollment page: one HTML page, its script and
// its style sheet, with no framework and nothing inline (the page is
// served under a Content-Security-Policy of 'self' only).
//
//go:embed phone/index.html phone/app.js phone/style.css
var phoneFiles embed.FS

// PhonePage returns the phone enrollment page's files: index.html, app.js
// and style.css, at the root of the returned file system.
func PhonePage() fs.FS {
	sub, err := fs.Sub(phoneFiles, "phone")
	if err != nil {
		panic("assets: phone page: " + err.Error()) // a constant path, checked at build
	}
	return sub
}
