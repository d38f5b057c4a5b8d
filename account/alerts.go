package account

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Alerts: every security change is an event in the activity log, and,
// with mail configured, a mail to the account's verified address saying
// what happened, when, from where and what to do if it was not the
// owner. The events are written where the changes are made; this file is
// the one place that turns them into mail: the service's store hands
// every event appended in an Update to queueAlert, and the mails go out
// once the transaction has committed (sendAlerts), in the background. A
// mail that fails is logged (the account, the kind and the mail error;
// never a code or token) and fails nothing.

// alertTitles are the events that are alerted, with their mails'
// titles. A policy change is alerted only when it loosens the policy.
var alertTitles = map[EventType]string{
	EventPasskeyAdded:         "A passkey was added to your account",
	EventPasskeyRemoved:       "A passkey was removed from your account",
	EventPasswordChanged:      "Your password was changed",
	EventAuthenticatorChanged: "Your authenticator app was changed",
	EventRecoveryCodeUsed:     "A recovery code was used",
	EventPolicyChanged:        `"Passkey required" was turned off`,
	EventNewDeviceSignIn:      "Your account was signed in from a new device",
	EventHoldStarted:          "Withdrawals and C2C trades are on hold",
	EventEmailChanged:         "Your account's email was changed",
	EventDeletionRequested:    "Your account is to be deleted",
}

// alerted reports whether e is a security change that is mailed.
func alerted(e *Event) bool {
	if _, ok := alertTitles[e.Type]; !ok {
		return false
	}
	return e.Type != EventPolicyChanged || strings.HasPrefix(e.Detail, "passkey required: off")
}

// AlertTitle is the title of the alert mailed for an event type, "" when
// events of the type are not alerted.
func AlertTitle(t EventType) string { return alertTitles[t] }

// alertMail is one alert to send after the commit.
type alertMail struct {
	accountID, to, subject, body string
	kind                         EventType
}

// AppendEvent appends the event and, when it is alerted and the
// account's email is proven, queues its mail.
func (t *notifyingTx) AppendEvent(accountID string, e *Event) error {
	if err := t.Tx.AppendEvent(accountID, e); err != nil {
		return err
	}
	if t.svc == nil || t.svc.mailer == nil || !alerted(e) {
		return nil
	}
	rec, err := t.Tx.AccountByID(accountID)
	if err != nil {
		return err
	}
	if proven, err := t.svc.emailProven(t.Tx, rec); err != nil || !proven {
		return err // no mail to an address nobody proved
	}
	t.alerts = append(t.alerts, t.svc.alertMail(rec, e, clientAddress(t.ctx)))
	return nil
}

func (s *Service) alertMail(rec *AccountRecord, e *Event, address string) alertMail {
	title := alertTitles[e.Type]
	from := "this computer's " + s.rpName + " app"
	switch {
	case address != "":
		from = "address " + address + " (" + e.Source + ")"
	case e.Source != SourceApp:
		from = e.Source
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s.\n\n", title)
	if e.Detail != "" {
		fmt.Fprintf(&b, "What: %s\n", e.Detail)
	}
	fmt.Fprintf(&b, "When: %s\n", e.At.UTC().Format("2 January 2006, 15:04 UTC"))
	fmt.Fprintf(&b, "From: %s\n\n", from)
	b.WriteString("If this was you, there is nothing to do.\n\n" +
		"If it was not you, someone may know your password: sign in at once, change your password, " +
		"remove any passkey you do not know, set up your authenticator app again and make new recovery codes. " +
		"If you cannot sign in, contact " + s.rpName + " support and ask them to freeze the account.\n")
	return alertMail{accountID: rec.ID, to: rec.Email, subject: s.rpName + " security alert: " + title, body: b.String(), kind: e.Type}
}

// sendAlerts mails the alerts of a committed transaction in the
// background; WaitAlerts waits for them.
func (s *Service) sendAlerts(ctx context.Context, alerts []alertMail) {
	if len(alerts) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.alerts.Add(1)
	go func() {
		defer s.alerts.Done()
		for _, a := range alerts {
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			err := s.mailer.Send(sctx, a.to, a.subject, a.body)
			cancel()
			if err != nil {
				s.log.Warn("a security alert mail was not sent", "account", a.accountID, "kind", string(a.kind), "err", err)
			}
		}
	}()
}

// WaitAlerts waits until the alert mails of committed changes have been
// sent or have failed: a server that stops calls it.
func (s *Service) WaitAlerts() { s.alerts.Wait() }

// --- devices ---------------------------------------------------------------

type clientAgentKey struct{}

// WithClientAgent tells the service which app asks (an HTTP request's
// User-Agent), as WithClientAddress tells it from where: a sign-in from
// an app and address the account has not signed in from before is
// alerted.
func WithClientAgent(ctx context.Context, agent string) context.Context {
	return context.WithValue(ctx, clientAgentKey{}, agent)
}

func clientAgent(ctx context.Context) string {
	agent, _ := ctx.Value(clientAgentKey{}).(string)
	return truncate(agent, 200)
}

// seeDevice records the device a session starts on: the app and address
// of the request (none for the desktop on its own service). A device the
// account has not used before is an event (and an alert), unless quiet
// (the sign-up's own device).
func (s *Service) seeDevice(tx Tx, accountID string, quiet bool) error {
	ntx, ok := tx.(*notifyingTx)
	if !ok {
		return nil
	}
	agent, address := clientAgent(ntx.ctx), clientAddress(ntx.ctx)
	sum := sha256.Sum256([]byte("device\x00" + accountID + "\x00" + agent + "\x00" + address))
	key := string(sum[:])
	if s.devices.has(key) {
		return nil // recorded already: no round trip to the store
	}
	isNew, err := tx.SeeDevice(accountID, sum[:], s.now().UTC())
	if err != nil {
		return err
	}
	ntx.devices = append(ntx.devices, key)
	if !isNew || quiet {
		return nil
	}
	app := agent
	if app == "" {
		app = s.rpName + " app"
	}
	detail := app
	if address != "" {
		detail += " at " + address
	}
	return tx.AppendEvent(accountID, s.event(EventNewDeviceSignIn, detail))
}

// deviceCache remembers the devices this process has seen recorded
// (committed), so that a sign-in from a known device costs the store
// nothing. A device once recorded stays so (until its account goes), so
// the cache is never wrong, only incomplete: another instance's records
// are found in the store. It forgets everything when full.
type deviceCache struct {
	mu sync.Mutex
	m  map[string]struct{}
}

const maxCachedDevices = 100_000

func (c *deviceCache) has(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[key]
	return ok
}

func (c *deviceCache) add(keys []string) {
	if len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(keys) > maxCachedDevices {
		c.m = make(map[string]struct{})
	}
	for _, k := range keys {
		c.m[k] = struct{}{}
	}
}
