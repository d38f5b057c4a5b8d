package main

import (
	"log/slog"
	"net/http"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
)

// relyingParty sets cfg's RP ID, public URL and origins from the public
// URL. On localhost the desktop's own origin (Origins[0], which the
// WebAuthn client uses) stays, and the phone page's origin joins it;
// elsewhere the public origin is the only one.
func relyingParty(cfg *account.Config, publicURL string) error {
	rpID, origin, err := httpapi.RelyingParty(publicURL)
	if err != nil {
		return err
	}
	cfg.RPID, cfg.PublicURL = rpID, origin
	if rpID == "localhost" {
		cfg.Origins = append(cfg.Origins, origin)
	} else {
		cfg.Origins = []string{origin}
	}
	return nil
}

// servePhonePage serves the phone enrollment page of svc on the loopback
// address addr. A failure (such as the port taken) is logged and returned
// for the UI to show; the app runs on without the phone method.
func servePhonePage(svc account.API, origin, addr string, log *slog.Logger) (*http.Server, error) {
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: origin, Logger: log})
	if err != nil {
		return nil, err
	}
	srv, at, err := httpapi.ListenLoopback(addr, h)
	if err != nil {
		log.Warn("the phone enrollment page is not served; adding a phone is unavailable", "addr", addr, "err", err)
		return nil, err
	}
	log.Info("phone enrollment page", "listen", at.String(), "public_url", origin)
	return srv, nil
}
