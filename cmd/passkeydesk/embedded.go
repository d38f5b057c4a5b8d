package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/backup"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/assets"
)

// smtp is the mail settings of the embedded service.
type smtp struct {
	host       string
	port       int
	user, from string
	ca         string // PEM file of a private relay's CA, or ""
}

// embedded is the account service inside the app: a SQLite file in the
// data folder, and the phone page served on loopback.
type embedded struct {
	svc    *account.Service
	origin string // the desktop's WebAuthn origin
	// publicURL is where phones and requesters reach the service.
	publicURL string
	phoneErr  error // why the phone page is not served, or nil
	// keyInFile says the TOTP sealing key is in a file beside the
	// database, for want of a keyring.
	keyInFile bool
	// backup backs up and restores the data folder.
	backup *backup.Folder
	close  func()
}

// openEmbedded opens the data folder's database and starts the service on
// it. The RP ID is fixed with the database: a public URL that would change
// it is refused unless allowRPIDChange.
func openEmbedded(dataDir, publicURL, phoneAddr string, allowRPIDChange bool, mail smtp, log *slog.Logger) (*embedded, error) {
	// A restore made by the last run goes in place before anything opens.
	if _, err := applyPendingRestore(dataDir, systemKeyring{}, log); err != nil {
		return nil, err
	}
	key, keyInFile, err := sealingKey(dataDir, systemKeyring{}, log)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.OpenWith(filepath.Join(dataDir, dbFile), sqlstore.Options{Log: log})
	if err != nil {
		return nil, fmt.Errorf("opening the account database: %w", err)
	}
	cfg := account.Config{
		RPID:      "localhost",
		RPName:    "Passkey Desk",
		Origins:   []string{"http://localhost"},
		SecretKey: key,
		Model:     assets.ModelName,
	}
	if err := relyingParty(&cfg, publicURL); err != nil {
		store.Close()
		return nil, err
	}
	err = account.PinDeployment(context.Background(), store, account.Deployment{RPID: cfg.RPID, SecretKey: key, AllowRPIDChange: allowRPIDChange})
	if err != nil {
		store.Close()
		return nil, err
	}
	if mail.host != "" {
		roots, err := account.SMTPRoots(mail.ca)
		if err != nil {
			store.Close()
			return nil, err
		}
		cfg.Mailer = account.NewSMTPMailer(account.SMTPConfig{
			Host:     mail.host,
			Port:     mail.port,
			Username: mail.user,
			Password: os.Getenv("PASSKEYDESK_SMTP_PASSWORD"),
			From:     mail.from,
			RootCAs:  roots,
		})
	}
	svc, err := account.New(cfg, store)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("starting the account service: %w", err)
	}
	// An app may sit idle for days: what became due meanwhile (an
	// account whose deletion was asked for) goes now.
	if err := svc.Sweep(context.Background()); err != nil {
		log.Warn("sweeping expired data failed", "err", err)
	}
	e := &embedded{svc: svc, origin: cfg.Origins[0], publicURL: cfg.PublicURL, keyInFile: keyInFile,
		backup: &backup.Folder{Dir: dataDir, Store: store, Key: key, RPID: cfg.RPID}}
	srv, phoneErr := servePhonePage(svc, cfg.PublicURL, phoneAddr, log)
	e.phoneErr = phoneErr
	e.close = func() {
		if srv != nil {
			srv.Close()
		}
		store.Close()
	}
	return e, nil
}
