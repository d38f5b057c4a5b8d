package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/godbus/dbus/v5"
)

const notificationsName = "org.freedesktop.Notifications"

// notificationService checks that the session bus has a notification
// service, running or one the bus can start, as Fyne's SendNotification
// needs. Inside Flatpak Fyne goes through the portal instead: nothing to
// check.
func notificationService() error {
	if os.Getenv("FLATPAK_ID") != "" {
		return nil
	}
	if _, err := os.Stat("/.flatpak-info"); err == nil {
		return nil
	}
	conn, err := dbus.SessionBus() // shared with Fyne: not closed
	if err != nil {
		return fmt.Errorf("no session D-Bus: %w", err)
	}
	var running bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, notificationsName).Store(&running); err != nil {
		return fmt.Errorf("asking the session D-Bus: %w", err)
	}
	if running {
		return nil
	}
	var startable []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&startable); err != nil {
		return fmt.Errorf("asking the session D-Bus: %w", err)
	}
	if slices.Contains(startable, notificationsName) {
		return nil
	}
	return errors.New("no notification service on the session D-Bus")
}
