package component

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The kind icons are Material Design icons (Apache 2.0, the set Fyne's own
// theme icons come from), kept inline so the package needs no files. They
// are themed: Fyne recolours them with the foreground colour of the current
// light or dark variant.
var (
	securityKeySVG = fyne.NewStaticResource("security-key.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="M12.65 10C11.83 7.67 9.61 6 7 6c-3.31 0-6 2.69-6 6s2.69 6 6 6c2.61 0 4.83-1.67 5.65-4H17v4h4v-4h2v-4H12.65zM7 14c-1.1 0-2-.9-2-2s.9-2 2-2 2 .9 2 2-.9 2-2 2z"/></svg>`))
	phoneSVG       = fyne.NewStaticResource("phone.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="M17 1.01L7 1c-1.1 0-2 .9-2 2v18c0 1.1.9 2 2 2h10c1.1 0 2-.9 2-2V3c0-1.1-.9-1.99-2-1.99zM17 19H7V5h10v14z"/></svg>`))
)

// SecurityKeyIcon is the icon of a passkey held on a USB or NFC security key.
func SecurityKeyIcon() fyne.Resource { return theme.NewThemedResource(securityKeySVG) }

// PhoneIcon is the icon of a passkey held on a phone or tablet.
func PhoneIcon() fyne.Resource { return theme.NewThemedResource(phoneSVG) }
