package httpapi_test

import (
	"fmt"
	"log"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/httpapi"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/assets"
)

// The embedded default: the phone page on loopback. --public-url gives the
// link base and the page's origin; the RP ID follows it; the service must
// list the origin. Behind a TLS proxy for accounts.example.com, publicURL
// is "https://accounts.example.com" and the proxy forwards to addr.
func ExampleListenLoopback() {
	publicURL, addr := "http://localhost:8787", "127.0.0.1:8787" // --public-url, --phone-addr
	rpID, origin, err := httpapi.RelyingParty(publicURL)
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlstore.Open("/tmp/passkeydesk-example/passkeydesk.db")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	svc, err := account.New(account.Config{
		RPID:      rpID,
		Origins:   []string{"http://localhost", origin}, // the desktop client's origin, and the page's
		PublicURL: origin,
		SecretKey: make([]byte, 32), // from the keyring in the app
		Model:     assets.ModelName,
	}, store)
	if err != nil {
		log.Fatal(err)
	}
	h, err := httpapi.New(svc, httpapi.Config{PublicURL: origin})
	if err != nil {
		log.Fatal(err)
	}
	srv, _, err := httpapi.ListenLoopback(addr, h)
	if err != nil {
		log.Print("phone enrollment is off: ", err) // a taken port must not stop the app
		return
	}
	defer srv.Close()
	fmt.Println("phone page at", origin+"/enroll")
}
