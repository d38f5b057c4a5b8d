package main

import (
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/platform"
)

// openThisComputer returns this computer's platform authenticator, whose
// sealed store lives in dataDir and whose master key lives in the OS
// keyring (cached for the run once read).
func openThisComputer(dataDir string) (*platform.Authenticator, error) {
	aaguid, err := assets.ParseAAGUID(assets.ThisComputerAAGUID)
	if err != nil {
		return nil, err
	}
	return platform.New(platform.Options{Dir: dataDir, AAGUID: aaguid, CacheMasterKey: true})
}
