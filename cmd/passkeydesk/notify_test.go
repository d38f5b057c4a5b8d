package main

import (
	"bytes"
	"errors"
	"log"
	"log/slog"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// TestDesktopNotifierSaysOnce: with nowhere to send notifications, three
// approvals give one log line; with somewhere, each is sent.
func TestDesktopNotifierSaysOnce(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	sent, probes := 0, 0
	send := func(*fyne.Notification) { sent++ }
	n := fyne.NewNotification("Approval requested", "Withdrawal of 0.5 BTC")

	notify := desktopNotifier(send, func() error { probes++; return errors.New("no session D-Bus") }, logger)
	for range 3 {
		notify(n)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 || sent != 0 || probes != 1 {
		t.Fatalf("no service: %d log lines, %d sent, %d probes; want 1, 0, 1:\n%s", lines, sent, probes, out.String())
	}
	out.Reset()
	notify = desktopNotifier(send, func() error { return nil }, logger)
	for range 3 {
		notify(n)
	}
	if out.Len() != 0 || sent != 3 {
		t.Fatalf("a service: logged %q, sent %d; want nothing logged, 3 sent", out.String(), sent)
	}
}

// TestNotificationServiceProbe: the real probe finds no bus where there
// is none, and (under .ci/with-session, whose bus runs no notification
// service) none on a bus without one; either way Fyne's own logger stays
// quiet.
func TestNotificationServiceProbe(t *testing.T) {
	var fyneLog bytes.Buffer
	log.SetOutput(&fyneLog)
	defer log.SetOutput(os.Stderr)
	bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	t.Run("no bus", func(t *testing.T) {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
		if err := notificationService(); err == nil || !strings.Contains(err.Error(), "no session D-Bus") {
			t.Fatalf("probe without a bus: %v", err)
		}
	})
	if bus == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no session bus: run under .ci/with-session")
		}
		t.Skip("no session bus: run under .ci/with-session")
	}
	err := notificationService()
	if err != nil && !strings.Contains(err.Error(), "no notification service") {
		t.Fatalf("probe on the session bus: %v", err)
	}
	t.Logf("session bus: %v", err)
	if fyneLog.Len() != 0 {
		t.Fatalf("logged through the standard logger: %s", fyneLog.String())
	}
}
