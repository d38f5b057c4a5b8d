package assets

import (
	"embed"
	"io/fs"
)

// phoneFiles are the phone's pages, each script loaded after common.js
// (what they share): enrollment (index.html, app.js),
// sign-in (signin.html, signin.js) and approval (approve.html,
// approve.js), sharing one style sheet, with no framework and nothing
// inline (they are served under a Content-Security-Policy of 'self' only).
//
//go:embed phone/common.js phone/index.html phone/app.js phone/style.css phone/signin.html phone/signin.js phone/approve.html phone/approve.js
var phoneFiles embed.FS

// PhonePage returns the phone pages' files: common.js, index.html, app.js,
// signin.html, signin.js, approve.html, approve.js and style.css, at the root of the returned file
// system.
func PhonePage() fs.FS {
	sub, err := fs.Sub(phoneFiles, "phone")
	if err != nil {
		panic("assets: phone page: " + err.Error()) // a constant path, checked at build
	}
	return sub
}
