// Command passkeydesk is the Passkey Desk desktop app: a Fyne window on the
// embedded account service, which keeps its data in a SQLite file in the
// data folder.
//
// Usage:
//
//	passkeydesk [--data-dir DIR] [--simulated-key] [--smtp-host HOST --smtp-port N --smtp-user USER --smtp-from ADDR]
//
// Every flag has an environment variable that sets its default:
// PASSKEYDESK_DATA_DIR, PASSKEYDESK_SIMULATED_KEY (1 to turn it on),
// PASSKEYDESK_SMTP_HOST, PASSKEYDESK_SMTP_PORT, PASSKEYDESK_SMTP_USER and
// PASSKEYDESK_SMTP_FROM. The SMTP password is
// read only from PASSKEYDESK_SMTP_PASSWORD, never from a flag, so it does
// not show in the process list. Without an SMTP host, email codes are not
// configured and identity checks do not ask for one.
//
// Security keys are found and driven through libfido2. --simulated-key
// plugs in a simulated security key (fido/softkey, through libfido2's I/O
// hook), listed as "Simulated security key", whose state (PIN,
// passkeys) lives in simulated-key.json in the data folder: a way to try
// every security-key flow without owning a key.
//
// PASSKEYDESK_TEST_EXIT_AFTER (a Go duration such as "3s") quits the app
// after that long; the real-window tests and benchmarks use it.
//
// main only wires: it opens the parts and hands them to package ui.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/assets"
	"github.com/passkeydesk/passkeydesk/fido/client"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/ui"
)

const appID = "io.passkeydesk.app"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(log)
	if err := run(log); err != nil {
		log.Error("passkeydesk cannot start", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	dataDir := flag.String("data-dir", env("PASSKEYDESK_DATA_DIR", defaultDataDir()), "folder for the account database and the app's keys (env PASSKEYDESK_DATA_DIR)")
	smtpHost := flag.String("smtp-host", env("PASSKEYDESK_SMTP_HOST", ""), "SMTP server for email codes; empty means email codes are off (env PASSKEYDESK_SMTP_HOST)")
	smtpPort := flag.Int("smtp-port", envInt("PASSKEYDESK_SMTP_PORT", 587), "SMTP port (env PASSKEYDESK_SMTP_PORT)")
	smtpUser := flag.String("smtp-user", env("PASSKEYDESK_SMTP_USER", ""), "SMTP user name; the password comes from env PASSKEYDESK_SMTP_PASSWORD only (env PASSKEYDESK_SMTP_USER)")
	simulated := flag.Bool("simulated-key", envBool("PASSKEYDESK_SIMULATED_KEY"), "plug in a simulated security key whose state lives in the data folder (env PASSKEYDESK_SIMULATED_KEY=1)")
	smtpFrom := flag.String("smtp-from", env("PASSKEYDESK_SMTP_FROM", ""), "sender address of email codes (env PASSKEYDESK_SMTP_FROM)")
	flag.Parse()

	if *dataDir == "" {
		return fmt.Errorf("no data folder: set --data-dir or PASSKEYDESK_DATA_DIR")
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data folder: %w", err)
	}
	key, err := sealingKey(filepath.Join(*dataDir, "secret.key"))
	if err != nil {
		return err
	}
	store, err := sqlstore.Open(filepath.Join(*dataDir, "passkeydesk.db"))
	if err != nil {
		return fmt.Errorf("opening the account database: %w", err)
	}
	defer store.Close()

	cfg := account.Config{
		RPID:      "localhost",
		RPName:    "Passkey Desk",
		Origins:   []string{"http://localhost"},
		SecretKey: key,
		Model:     assets.ModelName,
	}
	if *smtpHost != "" {
		cfg.Mailer = account.NewSMTPMailer(account.SMTPConfig{
			Host:     *smtpHost,
			Port:     *smtpPort,
			Username: *smtpUser,
			Password: os.Getenv("PASSKEYDESK_SMTP_PASSWORD"),
			From:     *smtpFrom,
		})
	}
	svc, err := account.New(cfg, store)
	if err != nil {
		return fmt.Errorf("starting the account service: %w", err)
	}
	webauthn, err := client.New(cfg.Origins[0])
	if err != nil {
		return err
	}
	if *simulated {
		unplug, err := plugSimulatedKey(filepath.Join(*dataDir, "simulated-key.json"))
		if err != nil {
			return err
		}
		defer unplug()
	}
	log.Info("starting", "data_dir", *dataDir, "email_codes", cfg.Mailer != nil, "simulated_key", *simulated)

	fa := app.NewWithID(appID)
	fa.SetIcon(assets.Icon)
	desk := ui.New(fa, ui.Deps{
		API:     svc,
		Tokens:  ui.KeyringTokens{},
		DataDir: *dataDir,
		Logger:  log,
		Keys:    libfido2.NewProvider(),
		Client:  webauthn,
	})
	desk.Window().SetIcon(assets.Icon)
	if d, err := time.ParseDuration(os.Getenv("PASSKEYDESK_TEST_EXIT_AFTER")); err == nil && d > 0 {
		time.AfterFunc(d, func() { fyne.Do(fa.Quit) })
	}
	desk.Show()
	fa.Run()
	return nil
}

// defaultDataDir is passkeydesk in the user's config folder (on Linux
// $XDG_CONFIG_HOME or ~/.config), or "" when there is none.
func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "passkeydesk")
}

func env(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

func envInt(name string, fallback int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return fallback
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}
