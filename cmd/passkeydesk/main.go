// Command passkeydesk is the Passkey Desk desktop app: a Fyne window on the
// embedded account service, which keeps its data in a SQLite file in the
// data folder.
//
// Usage:
//
//	passkeydesk [--data-dir DIR] [--simulated-key] [--simulated-key-fingerprint] [--public-url URL] [--phone-addr ADDR]
//	            [--smtp-host HOST --smtp-port N --smtp-user USER --smtp-from ADDR
//	             --smtp-ca FILE]
//	            [--allow-rp-id-change] [--server URL]
//	passkeydesk operator grant|revoke EMAIL [--data-dir DIR]
//
// operator grants or revokes the operator role of the account with EMAIL
// in the data folder's database, without opening a window: an operator
// may use the enrollment station from a session signed in with their own
// passkey. A server's operators are made by passkeydesk-server's operator
// command.
//
// With --server (env PASSKEYDESK_SERVER) the account lives on a Passkey
// Desk server (cmd/passkeydesk-server) and the app is its client (package
// account/remote): no database of its own, the phone page served by the
// server, the session kept in the keyring under the server's URL. Without
// it the account service is embedded, on a SQLite file in the data folder,
// whose RP ID is fixed when it is first opened: a later --public-url whose
// host would change it is refused unless --allow-rp-id-change confirms it.
//
// Every flag has an environment variable that sets its default:
// PASSKEYDESK_DATA_DIR, PASSKEYDESK_SIMULATED_KEY (1 to turn it on),
// PASSKEYDESK_PUBLIC_URL, PASSKEYDESK_PHONE_ADDR,
// PASSKEYDESK_SMTP_HOST, PASSKEYDESK_SMTP_PORT, PASSKEYDESK_SMTP_USER,
// PASSKEYDESK_SMTP_FROM and PASSKEYDESK_SMTP_CA. The SMTP password is
// read only from PASSKEYDESK_SMTP_PASSWORD, never from a flag, so it does
// not show in the process list. Without an SMTP host, email codes are not
// configured and identity checks do not ask for one.
//
// Mail goes over TLS 1.2 or newer: implicit TLS on port 465, STARTTLS on
// any other port, the server's certificate checked against its name and
// the system's roots, or against the PEM file --smtp-ca for a relay with a
// private CA. Only a relay on this computer (--smtp-host localhost or a
// loopback IP) may go without TLS, when it offers no STARTTLS.
//
// Security keys are found and driven through libfido2. --simulated-key
// plugs in a simulated security key (fido/softkey, through libfido2's I/O
// hook), listed as "Simulated security key", whose state (PIN,
// passkeys) lives in simulated-key.json in the data folder: a way to try
// every security-key flow without owning a key. Its controls (Touch,
// Deny, Unplug, Plug in, and whether a touch waits for the click) are in
// a small window of their own, opened from Security keys.
// --simulated-key-fingerprint gives it a fingerprint sensor (each touch
// of the sensor is a good sample of the enrolled finger), to try the
// fingerprint screens; --simulated-keys N plugs in N keys, for the
// enrollment station.
//
// One copy of the app runs per data folder: a second one started on the
// same folder brings the first to the front and exits, or, when the first
// does not answer, says why in a small window and exits with an error.
//
// A phone gets its passkey through the account service's enrollment page
// (package account/httpapi), served on the loopback address --phone-addr
// (default 127.0.0.1:8787). --public-url (default http://localhost:8787)
// is where a phone reaches it: the base of the QR code's link, and the
// WebAuthn RP ID (its host name) and origin. A phone needs an HTTPS name
// it can reach, such as https://passkeys.example.com served by a TLS
// proxy that forwards to --phone-addr; with the default, only a browser
// on this computer can open the link. A taken port is logged and the
// phone method is shown unavailable.
//
// TOTP secrets are sealed under a key kept in the OS keyring, one item
// per data folder; without a keyring it is kept in secret.key in the data
// folder, and Settings warns about it. A key file found when a keyring can
// be reached is moved into it.
//
// Settings › Backup writes the data folder's database (a VACUUM INTO
// snapshot) and its sealing key to a file encrypted under a passphrase
// (package account/backup). A restore is checked whole into
// restore.pending in the data folder; the app then starts itself again,
// and the start puts it in place before opening the database, keeping the
// database it replaces as passkeydesk.db.before-restore and its key.
//
// "This computer" is a platform authenticator (fido/platform) whose
// passkeys are sealed in the data folder under a master key kept in the
// OS keyring.
//
// PASSKEYDESK_TEST_EXIT_AFTER (a Go duration such as "3s") quits the app
// after that long; the real-window tests and benchmarks use it.
//
// main only wires: it opens the parts and hands them to package ui.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/remote"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/cmd/internal/envflag"
	_ "github.com/passkeydesk/passkeydesk/cmd/internal/quietlocale" // before Fyne reads the locale
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/ui"
)

const appID = "io.passkeydesk.app"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "operator" {
		os.Exit(operatorCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(log)
	if err := run(log); err != nil {
		log.Error("passkeydesk cannot start", "err", err)
		os.Exit(1)
	}
	if restartWanted.Load() {
		if err := restartSelf(); err != nil {
			log.Error("passkeydesk cannot start again to finish the restore; start it by hand", "err", err)
			os.Exit(1)
		}
	}
}

// restartWanted is set when the window closed to start the app again: a
// restored backup is put in place by the next start.
var restartWanted atomic.Bool

// restartSelf starts this program again with the same arguments, once
// this run has let go of the data folder.
func restartSelf() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Start()
}

func run(log *slog.Logger) error {
	dataDir := flag.String("data-dir", envflag.String("PASSKEYDESK_DATA_DIR", defaultDataDir()), "folder for the account database and the app's keys (env PASSKEYDESK_DATA_DIR)")
	smtpHost := flag.String("smtp-host", envflag.String("PASSKEYDESK_SMTP_HOST", ""), "SMTP server for email codes and security alerts; empty means no email (env PASSKEYDESK_SMTP_HOST)")
	smtpPort := flag.Int("smtp-port", envflag.Int("PASSKEYDESK_SMTP_PORT", 587), "SMTP port (env PASSKEYDESK_SMTP_PORT)")
	smtpUser := flag.String("smtp-user", envflag.String("PASSKEYDESK_SMTP_USER", ""), "SMTP user name; the password comes from env PASSKEYDESK_SMTP_PASSWORD only (env PASSKEYDESK_SMTP_USER)")
	simulated := flag.Bool("simulated-key", envflag.Bool("PASSKEYDESK_SIMULATED_KEY"), "plug in a simulated security key whose state lives in the data folder (env PASSKEYDESK_SIMULATED_KEY=1)")
	simulatedCount := flag.Int("simulated-keys", envflag.Int("PASSKEYDESK_SIMULATED_KEYS", 1), "with --simulated-key, how many simulated keys to plug in, for the enrollment station (env PASSKEYDESK_SIMULATED_KEYS)")
	simulatedFP := flag.Bool("simulated-key-fingerprint", envflag.Bool("PASSKEYDESK_SIMULATED_KEY_FINGERPRINT"), "give the simulated security key a fingerprint sensor; implies --simulated-key (env PASSKEYDESK_SIMULATED_KEY_FINGERPRINT=1)")
	publicURL := flag.String("public-url", envflag.String("PASSKEYDESK_PUBLIC_URL", "http://localhost:8787"), "address where a phone reaches the enrollment page: the QR link's base and the WebAuthn RP ID (env PASSKEYDESK_PUBLIC_URL)")
	phoneAddr := flag.String("phone-addr", envflag.String("PASSKEYDESK_PHONE_ADDR", "127.0.0.1:8787"), "loopback address the phone enrollment page is served on (env PASSKEYDESK_PHONE_ADDR)")
	smtpFrom := flag.String("smtp-from", envflag.String("PASSKEYDESK_SMTP_FROM", ""), "sender address of email codes and alerts (env PASSKEYDESK_SMTP_FROM)")
	smtpCA := flag.String("smtp-ca", envflag.String("PASSKEYDESK_SMTP_CA", ""), "PEM file of the CA that issued the SMTP server's certificate; empty means the system's roots (env PASSKEYDESK_SMTP_CA)")
	server := flag.String("server", envflag.String("PASSKEYDESK_SERVER", ""), "URL of a Passkey Desk server to keep the account on, instead of this computer (env PASSKEYDESK_SERVER)")
	allowRPIDChange := flag.Bool("allow-rp-id-change", false, "confirm a --public-url whose host changes the RP ID of the database's passkeys (they stop working)")
	flag.Parse()

	if *dataDir == "" {
		return fmt.Errorf("no data folder: set --data-dir or PASSKEYDESK_DATA_DIR")
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data folder: %w", err)
	}
	// One copy per data folder: a second brings the first to the front.
	inst, err := claimDataDir(*dataDir)
	if errors.Is(err, errShownOther) {
		log.Info("Passkey Desk is "+err.Error(), "data_dir", *dataDir)
		return nil
	}
	if err != nil {
		log.Error("passkeydesk cannot start", "err", err)
		showProblem("Passkey Desk cannot start", err.Error())
		os.Exit(1)
	}
	defer inst.close()
	var (
		svc       account.API
		origin    string
		tokens    = ui.KeyringTokens{User: keyringUser(*dataDir, defaultDataDir())}
		phoneErr  error
		keyInFile bool
		// publicOrigin is where the embedded service's page and API
		// are served, "" with a server.
		publicOrigin string
		dataBackup   ui.Backup // nil with a server
	)
	if *server != "" {
		c, err := remote.New(*server, nil)
		if err != nil {
			return err
		}
		svc, origin = c, c.URL()
		// Each server keeps its own session in the keyring.
		tokens = ui.KeyringTokens{User: ui.KeyringUser + "@" + origin}
	} else {
		embedded, err := openEmbedded(*dataDir, *publicURL, *phoneAddr, *allowRPIDChange, smtp{*smtpHost, *smtpPort, *smtpUser, *smtpFrom, *smtpCA}, log)
		if err != nil {
			return err
		}
		defer embedded.close()
		svc, origin, phoneErr, keyInFile = embedded.svc, embedded.origin, embedded.phoneErr, embedded.keyInFile
		publicOrigin = embedded.publicURL
		dataBackup = embedded.backup
	}
	webauthn, err := client.New(origin)
	if err != nil {
		return err
	}
	var simKey ui.SimulatedKey
	if *simulated || *simulatedFP {
		sim, err := plugSimulatedKey(filepath.Join(*dataDir, "simulated-key.json"), *simulatedFP)
		if err != nil {
			return err
		}
		defer sim.close()
		simKey = sim
		for i := 2; i <= *simulatedCount; i++ {
			more, err := plugMoreSimulatedKey(*dataDir, i)
			if err != nil {
				return err
			}
			defer more.close()
		}
	}
	var thisComputer ui.ThisComputer
	if a, err := openThisComputer(*dataDir); err != nil {
		log.Warn("this computer cannot keep passkeys", "err", err)
	} else {
		thisComputer = a
		defer a.Close()
	}
	log.Info("starting", "data_dir", *dataDir, "server", *server, "simulated_key", *simulated)

	fa := app.NewWithID(appID)
	icon := fyne.NewStaticResource("icon.png", assets.IconPNG)
	fa.SetIcon(icon)
	desk := ui.New(fa, ui.Deps{
		API:     svc,
		Tokens:  tokens,
		DataDir: *dataDir,
		Logger:  log,

		SealingKeyInFile: keyInFile,
		Keys:             libfido2.NewProvider(),
		Client:           webauthn,

		Phone:            true,
		PhoneUnavailable: phoneErr,
		ThisComputer:     thisComputer,
		Server:           *server,
		Notify:           desktopNotifier(fa.SendNotification, notificationService, log),
		PublicURL:        publicOrigin,
		Backup:           dataBackup,
		Restart: func() {
			restartWanted.Store(true)
			fa.Quit()
		},
		SimulatedKey: simKey,
	})
	desk.Window().SetIcon(icon)
	inst.onShow(func() {
		fyne.Do(func() {
			desk.Window().Show()
			desk.Window().RequestFocus()
		})
	})
	if d, err := time.ParseDuration(os.Getenv("PASSKEYDESK_TEST_EXIT_AFTER")); err == nil && d > 0 {
		time.AfterFunc(d, func() { fyne.Do(fa.Quit) })
	}
	desk.Show()
	fa.Run()
	return nil
}

// defaultDataDir is passkeydesk in the user's config folder (on Linux
// $XDG_CONFIG_HOME or ~/.config), or "" when there is none.
// keyringUser names the keyring item of the data folder dir's session:
// the default folder keeps the name every earlier version used, so its
// session survives the upgrade; another folder's name adds the folder's
// absolute path, so each folder keeps its own session.
func keyringUser(dir, defaultDir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	if def, err := filepath.Abs(defaultDir); err == nil && filepath.Clean(def) == filepath.Clean(abs) {
		return ui.KeyringUser
	}
	return ui.KeyringUser + ":" + filepath.Clean(abs)
}

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "passkeydesk")
}
